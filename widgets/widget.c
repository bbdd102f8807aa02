/*
 * widget — roles, theme, ASCII switch and clipped UTF-8 text.
 *
 * Text is decoded one character at a time with mbrtowc so that an invalid
 * byte costs one '?' and decoding resumes at the next byte.  Characters of
 * width 0 (combining marks) ride on the previous cell; unprintable ones
 * become '?'.  Nothing is ever written outside the window: widths are
 * clipped to the window's right edge as well as to the caller's width.
 */
#include "config.h"

#include "widget.h"

#include <string.h>

static attr_t widget_theme[ROLE_COUNT] = {
	[ROLE_NORMAL] = A_NORMAL,
	[ROLE_DIM] = A_DIM,
	[ROLE_TITLE] = A_BOLD,
	[ROLE_OK] = A_NORMAL,
	[ROLE_WARN] = A_BOLD,
	[ROLE_CRIT] = A_BOLD | A_REVERSE,
	[ROLE_STALE] = A_DIM,
	[ROLE_FOCUS] = A_REVERSE,
	[ROLE_SIDE_A] = A_NORMAL,
	[ROLE_SIDE_B] = A_NORMAL,
	[ROLE_BANNER] = A_BOLD | A_REVERSE,
};

static bool widget_ascii_on;

void
widget_set_theme(const attr_t attrs[ROLE_COUNT])
{
	memcpy(widget_theme, attrs, sizeof(widget_theme));
}

attr_t
widget_attr(enum role r)
{
	if ((int)r < 0 || r >= ROLE_COUNT)
		return A_NORMAL;
	return widget_theme[r];
}

void
widget_set_ascii(bool on)
{
	widget_ascii_on = on;
}

bool
widget_ascii(void)
{
	return widget_ascii_on;
}

/*
 * Decode one display unit at s (at most n bytes): the character, its width
 * and the bytes it used.  Invalid or unprintable input yields '?'.
 */
static size_t
widget_decode(const char *s, size_t n, wchar_t *wc, int *width)
{
	mbstate_t st;
	size_t k;
	int cw;

	memset(&st, 0, sizeof(st));
	k = mbrtowc(wc, s, n, &st);
	if (k == (size_t)-1 || k == (size_t)-2) {
		*wc = L'?';
		*width = 1;
		return 1;
	}
	if (k == 0) {		/* an embedded NUL inside len */
		*wc = L'?';
		*width = 1;
		return 1;
	}
	cw = wcwidth(*wc);
	if (cw < 0) {
		*wc = L'?';
		cw = 1;
	}
	*width = cw;
	return k;
}

/* Columns available from x to the right edge of w, capped at width. */
static int
widget_room(WINDOW *w, int y, int x, int width)
{
	int maxy, maxx;

	getmaxyx(w, maxy, maxx);
	if (y < 0 || y >= maxy || x < 0 || x >= maxx || width <= 0)
		return 0;
	return width < maxx - x ? width : maxx - x;
}

static void
widget_put(WINDOW *w, int y, int x, const wchar_t *wcs, attr_t a)
{
	cchar_t cc;

	/* The pair argument wins over COLOR_PAIR bits in the attributes. */
	if (setcchar(&cc, wcs, a & ~A_COLOR, (short)PAIR_NUMBER(a),
		     NULL) == OK)
		mvwadd_wch(w, y, x, &cc);
}

int
widget_textn_attr(WINDOW *w, int y, int x, int width, attr_t a,
		  const char *utf8, size_t len)
{
	wchar_t cell[CCHARW_MAX + 1];
	int ncell = 0, cellw = 0, used = 0, room, cw;
	size_t i = 0, k;
	wchar_t wc;

	room = widget_room(w, y, x, width);
	if (utf8 == NULL)
		return 0;
	while (i < len && utf8[i] != '\0') {
		k = widget_decode(utf8 + i, len - i, &wc, &cw);
		i += k;
		if (cw == 0) {
			/* combining mark: joins the pending cell if any */
			if (ncell > 0 && ncell < CCHARW_MAX - 1)
				cell[ncell++] = wc;
			continue;
		}
		if (ncell > 0) {
			cell[ncell] = L'\0';
			widget_put(w, y, x + used, cell, a);
			used += cellw;
			ncell = 0;
		}
		if (used + cw > room)
			return used;
		cell[0] = wc;
		ncell = 1;
		cellw = cw;
	}
	if (ncell > 0) {
		cell[ncell] = L'\0';
		widget_put(w, y, x + used, cell, a);
		used += cellw;
	}
	return used;
}

int
widget_textn(WINDOW *w, int y, int x, int width, enum role r,
	     const char *utf8, size_t len)
{
	return widget_textn_attr(w, y, x, width, widget_attr(r), utf8, len);
}

int
widget_text(WINDOW *w, int y, int x, int width, enum role r,
	    const char *utf8)
{
	if (utf8 == NULL)
		return 0;
	return widget_textn(w, y, x, width, r, utf8, strlen(utf8));
}

int
widget_text_cut(WINDOW *w, int y, int x, int width, enum role r,
		const char *utf8)
{
	int room = widget_room(w, y, x, width);
	int used;

	if (utf8 == NULL || room <= 0)
		return 0;
	if (widget_text_width(utf8) <= room)
		return widget_text(w, y, x, room, r, utf8);
	used = widget_text(w, y, x, room - 1, r, utf8);
	return used + widget_text(w, y, x + used, 1, r,
				  widget_ascii() ? "~" : "\u2026");
}

int
widget_textn_width(const char *utf8, size_t len)
{
	size_t i = 0;
	int total = 0, cw;
	wchar_t wc;

	if (utf8 == NULL)
		return 0;
	while (i < len && utf8[i] != '\0') {
		i += widget_decode(utf8 + i, len - i, &wc, &cw);
		total += cw;
	}
	return total;
}

int
widget_text_width(const char *utf8)
{
	if (utf8 == NULL)
		return 0;
	return widget_textn_width(utf8, strlen(utf8));
}

int
widget_text_align(WINDOW *w, int y, int x, int width, attr_t a,
		  enum widget_align al, const char *utf8)
{
	int tw, off = 0, used, room;

	room = widget_room(w, y, x, width);
	if (room <= 0)
		return 0;
	tw = widget_text_width(utf8);
	if (tw < width) {
		if (al == WIDGET_RIGHT)
			off = width - tw;
		else if (al == WIDGET_CENTER)
			off = (width - tw) / 2;
	}
	if (off > room)
		off = room;
	for (int i = 0; i < off; i++)
		widget_put(w, y, x + i, L" ", a);
	used = off + widget_textn_attr(w, y, x + off, width - off, a,
	    utf8 != NULL ? utf8 : "", utf8 != NULL ? strlen(utf8) : 0);
	for (int i = used; i < room; i++)
		widget_put(w, y, x + i, L" ", a);
	return width;
}

const char *
widget_wrap(const char *s, int width, size_t *len)
{
	size_t i = 0, n, brk = 0, k;
	int used = 0, cw;
	bool have_brk = false;
	wchar_t wc;

	if (s == NULL) {
		*len = 0;
		return NULL;
	}
	n = strlen(s);
	if (width < 1)
		width = 1;
	while (i < n) {
		if (s[i] == '\n') {
			*len = i;
			return s + i + 1;
		}
		k = widget_decode(s + i, n - i, &wc, &cw);
		if (used + cw > width && i > 0) {
			if (wc == L' ') {
				*len = i;
				return s + i + 1;
			}
			if (have_brk) {
				*len = brk;
				return s + brk + 1;
			}
			*len = i;
			return s + i;
		}
		if (wc == L' ') {
			brk = i;
			have_brk = true;
		}
		used += cw;
		i += k;
	}
	*len = n;
	return NULL;
}

void
widget_fill(WINDOW *w, int y, int x, int width, enum role r)
{
	int room = widget_room(w, y, x, width);
	attr_t a = widget_attr(r);

	for (int i = 0; i < room; i++)
		widget_put(w, y, x + i, L" ", a);
}

void
widget_blank(WINDOW *w, int y, int x, int width)
{
	int room = widget_room(w, y, x, width);

	for (int i = 0; i < room; i++)
		widget_put(w, y, x + i, L" ", A_NORMAL);
}

void
widget_glyph(WINDOW *w, int y, int x, enum role r, wchar_t wc, char ascii)
{
	wchar_t s[2];

	if (widget_room(w, y, x, 1) < 1)
		return;
	s[0] = widget_ascii_on ? (wchar_t)(unsigned char)ascii : wc;
	s[1] = L'\0';
	if (!widget_ascii_on && wcwidth(wc) != 1)
		s[0] = (wchar_t)(unsigned char)ascii;
	widget_put(w, y, x, s, widget_attr(r));
}

/* One border cell: ACS in UTF-8 mode, ASCII otherwise. */
static void
widget_border(WINDOW *w, int y, int x, chtype acs, char ascii, attr_t a)
{
	int maxy, maxx;

	getmaxyx(w, maxy, maxx);
	if (y < 0 || y >= maxy || x < 0 || x >= maxx)
		return;
	if (widget_ascii_on)
		mvwaddch(w, y, x, (chtype)(unsigned char)ascii | a);
	else
		mvwaddch(w, y, x, acs | a);
}

void
widget_hline(WINDOW *w, int y, int x, int width, enum role r)
{
	attr_t a = widget_attr(r);
	int room = widget_room(w, y, x, width);

	for (int i = 0; i < room; i++)
		widget_border(w, y, x + i, ACS_HLINE, '-', a);
}

void
widget_box(WINDOW *w, int y, int x, int height, int width, enum role r)
{
	attr_t a = widget_attr(r);
	int bot = y + height - 1, right = x + width - 1;

	if (height < 2 || width < 2)
		return;
	widget_border(w, y, x, ACS_ULCORNER, '+', a);
	widget_border(w, y, right, ACS_URCORNER, '+', a);
	widget_border(w, bot, x, ACS_LLCORNER, '+', a);
	widget_border(w, bot, right, ACS_LRCORNER, '+', a);
	for (int i = x + 1; i < right; i++) {
		widget_border(w, y, i, ACS_HLINE, '-', a);
		widget_border(w, bot, i, ACS_HLINE, '-', a);
	}
	for (int j = y + 1; j < bot; j++) {
		widget_border(w, j, x, ACS_VLINE, '|', a);
		widget_border(w, j, right, ACS_VLINE, '|', a);
	}
}
