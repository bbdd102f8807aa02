/*
 * textlog — ring buffer of lines with a scrollable view.
 *
 * The ring holds count lines starting at head.  The view is described by
 * back, the number of lines between the newest one and the bottom line of
 * the view; follow forces back to 0 and keeps it there.  Without follow a
 * new line pushes back up by one, so the view stays on the same lines.
 * Invariant: 0 <= back < max(count, 1).
 * Scrolling counts log lines, not screen rows, so a wrapped line moves as
 * one.
 */
#include "config.h"

#include "textlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct textlog_line {
	char *text;
	enum role role;
};

struct textlog {
	struct textlog_line *ring;
	int cap, head, count;
	int back;
	bool follow;
	bool wrap;
};

struct textlog *
textlog_new(int capacity)
{
	struct textlog *l = xcalloc(1, sizeof(*l));

	l->cap = capacity > 0 ? capacity : 1;
	l->ring = xcalloc((size_t)l->cap, sizeof(*l->ring));
	l->follow = true;
	return l;
}

void
textlog_free(struct textlog *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < l->cap; i++)
		free(l->ring[i].text);
	free(l->ring);
	free(l);
}

static void
textlog_take(struct textlog *l, enum role r, char *text)
{
	struct textlog_line *slot;

	if (l->count < l->cap) {
		slot = &l->ring[(l->head + l->count) % l->cap];
		l->count++;
	} else {
		slot = &l->ring[l->head];
		free(slot->text);
		l->head = (l->head + 1) % l->cap;
	}
	slot->text = text;
	slot->role = r;
	if (!l->follow && l->count > 1) {
		l->back++;
		if (l->back > l->count - 1)
			l->back = l->count - 1;
	}
}

void
textlog_add(struct textlog *l, enum role r, const char *line)
{
	textlog_take(l, r, xstrdup(line != NULL ? line : ""));
}

void
textlog_addf(struct textlog *l, enum role r, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		textlog_add(l, r, "?");
		return;
	}
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	textlog_take(l, r, s);
}

int
textlog_count(const struct textlog *l)
{
	return l->count;
}

const char *
textlog_line(const struct textlog *l, int i, enum role *r)
{
	const struct textlog_line *ln;

	if (i < 0 || i >= l->count)
		return NULL;
	ln = &l->ring[(l->head + i) % l->cap];
	if (r != NULL)
		*r = ln->role;
	return ln->text;
}

void
textlog_scroll(struct textlog *l, int delta)
{
	long b = (long)l->back + delta;

	if (b > l->count - 1)
		b = l->count - 1;
	if (b < 0)
		b = 0;
	l->back = (int)b;
	if (delta > 0)
		l->follow = false;
	else if (delta < 0 && l->back == 0)
		l->follow = true;
}

void
textlog_follow(struct textlog *l, bool on)
{
	l->follow = on;
	if (on)
		l->back = 0;
}

bool
textlog_following(const struct textlog *l)
{
	return l->follow;
}

void
textlog_set_wrap(struct textlog *l, bool wrap)
{
	l->wrap = wrap;
}

/* Screen rows line s takes at width. */
static int
textlog_rows(const struct textlog *l, const char *s, int width)
{
	int n = 0;
	size_t len;

	if (!l->wrap)
		return 1;
	do {
		s = widget_wrap(s, width, &len);
		n++;
	} while (s != NULL);
	return n;
}

/* Draw line s from its wrapped row skip on, at most rows rows from y. */
static void
textlog_put(const struct textlog *l, WINDOW *w, int y, int x, int width,
	    const char *s, enum role r, int skip, int rows)
{
	int row = 0, used;
	size_t len;

	if (!l->wrap) {
		if (widget_text_width(s) > width && width > 1) {
			used = widget_text(w, y, x, width - 1, r, s);
			widget_blank(w, y, x + used, width - 1 - used);
			widget_text(w, y, x + width - 1, 1, ROLE_DIM, ">");
		} else {
			used = widget_text(w, y, x, width, r, s);
			widget_blank(w, y, x + used, width - used);
		}
		return;
	}
	while (s != NULL && row < skip + rows) {
		const char *seg = s;

		s = widget_wrap(s, width, &len);
		if (row >= skip) {
			used = widget_textn(w, y + row - skip, x, width, r,
			    seg, len);
			widget_blank(w, y + row - skip, x + used,
			    width - used);
		}
		row++;
	}
}

void
textlog_draw(struct textlog *l, WINDOW *w, int y, int x, int width,
	     int height)
{
	int bottom, first, need = 0, skip = 0, row = 0;

	if (width <= 0 || height <= 0)
		return;
	bottom = l->count - 1 - l->back;
	/* walk back from the bottom line until the rows are filled */
	first = bottom + 1;
	while (first > 0 && need < height) {
		first--;
		need += textlog_rows(l, textlog_line(l, first, NULL), width);
	}
	if (need > height)
		skip = need - height;
	for (int i = first; i <= bottom && row < height; i++) {
		enum role r = ROLE_NORMAL;
		const char *s = textlog_line(l, i, &r);
		int n = textlog_rows(l, s, width) - skip;

		if (n > height - row)
			n = height - row;
		textlog_put(l, w, y + row, x, width, s, r, skip, n);
		row += n;
		skip = 0;
	}
	for (; row < height; row++)
		widget_blank(w, y + row, x, width);
}
