/*
 * table — header, rows from a callback, selection and scrolling.
 *
 * Scrolling works on the page height seen at the last draw (t->page); the
 * draw itself clamps top again for the real height, so the selection stays
 * visible across resizes.  Cells are clipped to their column; the space
 * between columns keeps the row's attributes so a selected row reads as
 * one bar.
 */
#include "config.h"

#include "table.h"

void
table_init(struct table *t, const struct table_col *cols, int ncols,
	   table_cell_fn cell, void *arg)
{
	t->cols = cols;
	t->ncols = ncols;
	t->cell = cell;
	t->arg = arg;
	t->nrows = 0;
	t->sel = -1;
	t->top = 0;
	t->page = 1;
	t->header = true;
	t->selectable = true;
	t->empty = "no rows";
}

/* Keep top in range and the selection inside [top, top + page). */
static void
table_clamp(struct table *t)
{
	int page = t->page > 0 ? t->page : 1;
	int maxtop = t->nrows - page;

	if (t->nrows <= 0) {
		t->sel = -1;
		t->top = 0;
		return;
	}
	if (t->sel >= t->nrows)
		t->sel = t->nrows - 1;
	if (t->sel >= 0) {
		if (t->sel < t->top)
			t->top = t->sel;
		if (t->sel >= t->top + page)
			t->top = t->sel - page + 1;
	}
	if (maxtop < 0)
		maxtop = 0;
	if (t->top > maxtop)
		t->top = maxtop;
	if (t->top < 0)
		t->top = 0;
}

void
table_set_rows(struct table *t, int nrows)
{
	t->nrows = nrows > 0 ? nrows : 0;
	if (t->selectable && t->sel < 0 && t->nrows > 0)
		t->sel = 0;
	table_clamp(t);
}

void
table_select(struct table *t, int row)
{
	if (row < -1)
		row = -1;
	if (row >= t->nrows)
		row = t->nrows - 1;
	t->sel = row;
	table_clamp(t);
}

void
table_scroll(struct table *t, int delta)
{
	if (t->sel >= 0) {
		long s = (long)t->sel + delta;

		if (s < 0)
			s = 0;
		if (s > t->nrows - 1)
			s = t->nrows - 1;
		t->sel = (int)s;
	} else {
		t->top += delta;
	}
	table_clamp(t);
}

void
table_page(struct table *t, int dir)
{
	int step = t->page > 1 ? t->page - 1 : 1;	/* keep one row of context */
	int maxtop = t->nrows - (t->page > 0 ? t->page : 1), ntop, off;

	if (t->sel < 0) {
		table_scroll(t, dir > 0 ? step : -step);
		return;
	}
	if (maxtop < 0)
		maxtop = 0;
	/* the view moves a page and the selection keeps its place on it;
	 * once the view reaches an end the selection goes to that end */
	off = t->sel - t->top;
	ntop = t->top + (dir > 0 ? step : -step);
	if (ntop >= maxtop) {
		ntop = maxtop;
		if (dir > 0)
			off = t->nrows;
	}
	if (ntop <= 0) {
		ntop = 0;
		if (dir < 0)
			off = 0;
	}
	t->top = ntop;
	t->sel = ntop + off;
	table_clamp(t);
}

void
table_home_end(struct table *t, int dir)
{
	if (t->sel >= 0)
		t->sel = dir < 0 ? 0 : t->nrows - 1;
	else
		t->top = dir < 0 ? 0 : t->nrows;
	table_clamp(t);
}

/* Column widths for a table width; returns the number of columns used. */
static void
table_widths(const struct table *t, int width, int *cw)
{
	int fixed = 0, flex = 0, spare, given = 0, last = -1;

	for (int c = 0; c < t->ncols; c++) {
		cw[c] = t->cols[c].width > 0 ? t->cols[c].width : 0;
		fixed += cw[c];
		flex += t->cols[c].flex > 0 ? t->cols[c].flex : 0;
	}
	spare = width - fixed - (t->ncols - 1);
	if (spare <= 0 || flex == 0)
		return;
	for (int c = 0; c < t->ncols; c++) {
		int f = t->cols[c].flex;

		if (f <= 0)
			continue;
		cw[c] += spare * f / flex;
		given += spare * f / flex;
		last = c;
	}
	if (last >= 0)
		cw[last] += spare - given;
}

/* One line of cells; row < 0 is the header. */
static void
table_line(struct table *t, WINDOW *w, int y, int x, int width,
	   const int *cw, int row)
{
	attr_t base = row < 0 ? widget_attr(ROLE_TITLE) :
	    row == t->sel ? widget_attr(ROLE_FOCUS) : widget_attr(ROLE_NORMAL);
	int cx = 0;

	for (int c = 0; c < t->ncols && cx < width; c++) {
		enum role r = ROLE_NORMAL;
		const char *s;
		attr_t a = base;
		int room = width - cx;

		if (row < 0) {
			s = t->cols[c].title;
		} else {
			s = t->cell(t->arg, row, c, &r);
			a |= widget_attr(r);
		}
		widget_text_align(w, y, x + cx, cw[c] < room ? cw[c] : room,
		    a, t->cols[c].align, s);
		cx += cw[c];
		if (cx < width) {
			widget_text_align(w, y, x + cx, 1, base, WIDGET_LEFT,
			    "");
			cx++;
		}
	}
	if (cx < width)
		widget_text_align(w, y, x + cx, width - cx, base, WIDGET_LEFT,
		    "");
}

void
table_draw(struct table *t, WINDOW *w, int y, int x, int width, int height)
{
	int cw[t->ncols > 0 ? t->ncols : 1];
	int body = height, by = y;

	if (width <= 0 || height <= 0)
		return;
	table_widths(t, width, cw);
	if (t->header) {
		table_line(t, w, y, x, width, cw, -1);
		body--;
		by++;
	}
	t->page = body > 0 ? body : 1;
	table_clamp(t);
	for (int i = 0; i < body; i++) {
		int row = t->top + i;

		if (t->nrows == 0 && i == 0) {
			widget_text_align(w, by + i, x, width,
			    widget_attr(ROLE_DIM), WIDGET_LEFT, t->empty);
			continue;
		}
		if (row < t->nrows)
			table_line(t, w, by + i, x, width, cw, row);
		else
			widget_blank(w, by + i, x, width);
	}
}
