/*
 * layout — where each pane goes for a terminal size.  Pure arithmetic, no
 * curses: 80x24 is the minimum; extra rows go to the metrics pane (up
 * to one row per gate, see GATE_LIST), to the pod table (up to one row
 * per group) and then to the event log; extra columns widen the
 * sparklines and the log.  Below the minimum, layout_compute() says so
 * and the ui draws a message instead of a broken screen.
 */
#ifndef CUTOVER_UI_LAYOUT_H
#define CUTOVER_UI_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MIN_COLS 80
#define LAYOUT_MIN_ROWS 24

#define PANE_LIST(X)                                                          \
	X(PANE_HEADER, "header")                                              \
	X(PANE_SPLIT, "split")                                                \
	X(PANE_TIMELINE, "timeline")                                          \
	X(PANE_METRICS, "metrics")                                            \
	X(PANE_PODS, "pods")                                                  \
	X(PANE_LOG, "log")                                                    \
	X(PANE_HINTS, "hints")

enum pane_id {
#define X(id, name) id,
	PANE_LIST(X)
#undef X
	PANE_COUNT
};

struct rect {
	int y, x, h, w;
};

struct layout {
	int rows, cols;
	bool too_small;
	struct rect pane[PANE_COUNT];
};

/* Compute the layout for rows x cols with `ngroups` pod groups. */
void layout_compute(struct layout *l, int rows, int cols, int ngroups);

/* Gate rows a metrics pane `h` rows high cannot show (0: none). */
int layout_metrics_hidden(int h);

#endif
