/*
 * layout — pane rectangles for a terminal size (see layout.h).
 */
#include "config.h"

#include "layout.h"

#include <string.h>

#include "gate.h"

/*
 * Minimum heights; they add up to LAYOUT_MIN_ROWS.  The metrics pane's
 * 7 rows hold a title, five gate rows and the verdict: gates beyond the
 * fifth row get rows only from a taller terminal, and the pane counts
 * the rows it cannot show in its title.
 */
static const int min_h[PANE_COUNT] = {
	[PANE_HEADER] = 2,
	[PANE_SPLIT] = 3,
	[PANE_TIMELINE] = 1,
	[PANE_METRICS] = 7,
	[PANE_PODS] = 4,
	[PANE_LOG] = 6,
	[PANE_HINTS] = 1,
};

void
layout_compute(struct layout *l, int rows, int cols, int ngroups)
{
	int h[PANE_COUNT];
	int extra;
	int y = 0;
	int want_pods;
	int want_metrics;

	memset(l, 0, sizeof(*l));
	l->rows = rows;
	l->cols = cols;
	if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
		l->too_small = true;
		return;
	}
	memcpy(h, min_h, sizeof(h));
	extra = rows - LAYOUT_MIN_ROWS;
	/* A row per gate (GATE_LIST), a title and the verdict. */
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
