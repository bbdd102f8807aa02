/*
 * layout — pane rectangles for a terminal size (see layout.h).
 */
#include "config.h"

#include "layout.h"

#include <string.h>

#include "gate.h"

void
layout_compute(struct layout *l, int rows, int cols, int ngroups,
	       const int min_h[PANE_COUNT])
{
	layout_compute_board(l, rows, cols, ngroups, LAYOUT_BOARD_MIN, min_h);
}

void
layout_compute_board(struct layout *l, int rows, int cols, int ngroups,
		     int board_rows, const int min_h[PANE_COUNT])
{
	int h[PANE_COUNT];
	int extra;
	int y = 0;
	int want_pods;
	int want_metrics;
	int min_rows = 0;

	memset(l, 0, sizeof(*l));
	l->rows = rows;
	l->cols = cols;
	for (int i = 0; i < PANE_COUNT; i++)
		min_rows += min_h[i];
	if (rows < min_rows || cols < LAYOUT_MIN_COLS) {
		l->too_small = true;
		return;
	}
	memcpy(h, min_h, sizeof(h[0]) * PANE_COUNT);
	extra = rows - min_rows;
	/* The metrics pane's minimum holds a title, five gate rows and the
	 * verdict: gates beyond those get rows only from a taller terminal,
	 * and the pane counts the rows it cannot show in its title.  A row
	 * per gate (GATE_LIST), a title and the verdict. */
	want_metrics = gate_rows() + 2;
	if (want_metrics > h[PANE_METRICS]) {
		int more = want_metrics - h[PANE_METRICS];

		if (more > extra)
			more = extra;
		h[PANE_METRICS] += more;
		extra -= more;
	}
	/* The pod table wants a header row and a row per group. */
	want_pods = ngroups + 1;
	if (want_pods > h[PANE_PODS]) {
		int more = want_pods - h[PANE_PODS];

		if (more > extra)
			more = extra;
		h[PANE_PODS] += more;
		extra -= more;
	}
	/* The board only where the log keeps some rows more than at 80x24,
	 * and only whole: a title and both gateways at least. */
	if (extra - LAYOUT_LOG_SPARE >= LAYOUT_BOARD_MIN &&
	    board_rows >= LAYOUT_BOARD_MIN) {
		int more = extra - LAYOUT_LOG_SPARE;

		if (more > board_rows)
			more = board_rows;
		h[PANE_BOARD] += more;
		extra -= more;
	}
	h[PANE_LOG] += extra;
	for (int i = 0; i < PANE_COUNT; i++) {
		l->pane[i].y = y;
		l->pane[i].x = 0;
		l->pane[i].h = h[i];
		l->pane[i].w = cols;
		y += h[i];
	}
}

int
layout_metrics_hidden(int h)
{
	int n = gate_rows() - (h - 2);

	return n > 0 ? n : 0;
}
