/*
 * layout — where each pane goes for a terminal size.  Pure arithmetic, no
 * curses: 80x24 is the minimum; extra rows go to the metrics pane (up
 * to one row per gate, see GATE_LIST), to the pod table (up to one row
 * per group), to the board (latency distribution, connections and the
 * probes; 0 rows at 80x24, and only once the event log has
 * LAYOUT_LOG_SPARE rows beyond its minimum) and then to the event log;
 * extra columns widen the
 * sparklines and the log.  Below the minimum, layout_compute() says so
 * and the ui draws a message instead of a broken screen.
 */
#ifndef CUTOVER_UI_LAYOUT_H
#define CUTOVER_UI_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MIN_COLS 80
#define LAYOUT_MIN_ROWS 24	/* the panes' minimum heights add up to it */
#define LAYOUT_BOARD_MIN 3	/* the board's title, Istio and APISIX rows */
#define LAYOUT_LOG_SPARE 4	/* log rows that come before the board's */

/*
 * The panes from top to bottom, each with the `const struct pane_ops`
 * that describes it (ui/pane.h; one ui/pane_<name>.c per pane).
 */
#define PANE_LIST(X)                                                          \
	X(PANE_HEADER, pane_header_ops)                                       \
	X(PANE_SPLIT, pane_split_ops)                                         \
	X(PANE_TIMELINE, pane_timeline_ops)                                   \
	X(PANE_METRICS, pane_metrics_ops)                                     \
	X(PANE_BOARD, pane_board_ops)                                         \
	X(PANE_PODS, pane_pods_ops)                                           \
	X(PANE_LOG, pane_log_ops)                                             \
	X(PANE_HINTS, pane_hints_ops)

enum pane_id {
#define X(id, ops) id,
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

/*
 * Compute the layout for rows x cols with `ngroups` pod groups; `min_h`
 * gives each pane's minimum height (they add up to LAYOUT_MIN_ROWS).
 */
void layout_compute(struct layout *l, int rows, int cols, int ngroups,
		    const int min_h[PANE_COUNT]);

/* The same, with the rows the board wants (a title, then the larger of
 * its two gateway rows and its probe rows); layout_compute wants
 * LAYOUT_BOARD_MIN. */
void layout_compute_board(struct layout *l, int rows, int cols, int ngroups,
			  int board_rows, const int min_h[PANE_COUNT]);

/* Gate rows a metrics pane `h` rows high cannot show (0: none). */
int layout_metrics_hidden(int h);

#endif
