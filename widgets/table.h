/*
 * table — rows and columns with a header, a selection and scrolling.
 *
 * The table does not own its rows: a callback returns the text of each
 * cell (and may set its role) while drawing.  Columns have a width and a
 * flex weight: flex columns share what the fixed widths and the one-space
 * separators leave.  Invariants after every call: 0 <= top, top <= max
 * top for the last drawn height, and a selected row (sel >= 0) is inside
 * the visible page.  The selected row is drawn with ROLE_FOCUS.
 */
#ifndef CUTOVER_WIDGETS_TABLE_H
#define CUTOVER_WIDGETS_TABLE_H

#include "widget.h"

struct table_col {
	const char *title;
	int width;		/* columns (the minimum for a flex column) */
	int flex;		/* share of the spare width; 0 = fixed */
	enum widget_align align;
};

/* Text of cell (row, col); may set *role (preset to ROLE_NORMAL). */
typedef const char *(*table_cell_fn)(void *arg, int row, int col,
				     enum role *role);

struct table {
	const struct table_col *cols;
	int ncols;
	table_cell_fn cell;
	void *arg;
	int nrows;
	int sel;		/* selected row, -1 = none */
	int top;		/* first row shown */
	int page;		/* body rows at the last draw */
	bool header;		/* draw the column titles (default on) */
	bool selectable;	/* keep a selection (default on) */
	const char *empty;	/* text when there are no rows */
};

/* Set up t over cols (borrowed) and the cell callback. */
void table_init(struct table *t, const struct table_col *cols, int ncols,
		table_cell_fn cell, void *arg);
/* Tell the table how many rows there are now; clamps sel and top. */
void table_set_rows(struct table *t, int nrows);
/* Select row (clamped; -1 = none) and scroll it into view. */
void table_select(struct table *t, int row);
/* Move the selection by delta rows (or the view, without a selection). */
void table_scroll(struct table *t, int delta);
/* Move one page down (dir > 0) or up (dir < 0). */
void table_page(struct table *t, int dir);
/* Jump to the first (dir < 0) or last (dir > 0) row. */
void table_home_end(struct table *t, int dir);
/* Draw into the box; the header takes the first line when on. */
void table_draw(struct table *t, WINDOW *w, int y, int x, int width,
		int height);

#endif
