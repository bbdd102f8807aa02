/*
 * test_widgets — the widgets drawn headless and compared with golden
 * screens in tests/fixtures/screens/<name>.txt.
 *
 * Each test runs in its own process (criterion forks), opens a curses
 * screen on /dev/null with newterm, draws into a pad pre-filled with '~'
 * so that anything written outside the widget's box shows up, and dumps
 * the pad as text: one line per row, wide characters once, ACS and
 * box-drawing characters mapped to + - |.  Set WIDGETS_GOLDEN_WRITE=1 to
 * (re)write the golden files from the dumps; then read them.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widget.h"
#include "countdown.h"
#include "dialog.h"
#include "gauge.h"
#include "sparkline.h"
#include "splitbar.h"
#include "table.h"
#include "textlog.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define ESC 27

static SCREEN *scr;
static FILE *scr_out, *scr_in;

static const attr_t test_theme[ROLE_COUNT] = {
	[ROLE_NORMAL] = A_NORMAL,
	[ROLE_DIM] = A_DIM,
	[ROLE_TITLE] = A_BOLD,
	[ROLE_OK] = A_NORMAL,
	[ROLE_WARN] = A_UNDERLINE,
	[ROLE_CRIT] = A_BLINK,
	[ROLE_STALE] = A_ITALIC,
	[ROLE_FOCUS] = A_REVERSE,
	[ROLE_SIDE_A] = A_STANDOUT,
	[ROLE_SIDE_B] = A_NORMAL,
	[ROLE_BANNER] = A_BOLD | A_REVERSE,
};

static void
screen_open(const char *term, const char *locale, bool ascii)
{
	setenv("TERM", term, 1);
	cr_assert_not_null(setlocale(LC_ALL, locale), "locale %s", locale);
	scr_out = fopen("/dev/null", "w");
	scr_in = fopen("/dev/null", "r");
	cr_assert(scr_out != NULL && scr_in != NULL);
	scr = newterm(term, scr_out, scr_in);
	cr_assert_not_null(scr, "newterm(%s)", term);
	widget_set_theme(test_theme);
	widget_set_ascii(ascii);
}

static void
utf8_init(void)
{
	screen_open("xterm-256color", "C.UTF-8", false);
}

static void
ascii_init(void)
{
	screen_open("vt100", "C", true);
}

static void
screen_close(void)
{
	endwin();
	delscreen(scr);
	fclose(scr_out);
	fclose(scr_in);
}

/* A pad of h x w cells, all '~'. */
static WINDOW *
canvas(int h, int w)
{
	WINDOW *p = newpad(h, w);

	cr_assert_not_null(p);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			mvwaddch(p, y, x, '~');
	return p;
}

static wchar_t
plain_char(wchar_t c, attr_t a)
{
	if (a & A_ALTCHARSET) {
		switch (c) {
		case 'q':
			return L'-';
		case 'x':
			return L'|';
		case 'l': case 'k': case 'm': case 'j':
		case 't': case 'u': case 'v': case 'w': case 'n':
			return L'+';
		default:
			return c;
		}
	}
	switch (c) {
	case L'\u2500':
		return L'-';
	case L'\u2502':
		return L'|';
	case L'\u250c': case L'\u2510': case L'\u2514': case L'\u2518':
	case L'\u251c': case L'\u2524': case L'\u252c': case L'\u2534':
	case L'\u253c':
		return L'+';
	default:
		return c;
	}
}

/* The text of row y of w (UTF-8, no newline). */
static void
dump_row(WINDOW *w, int y, char *out, size_t len)
{
	int maxx = getmaxx(w);
	size_t n = 0;

	for (int x = 0; x < maxx; x++) {
		cchar_t cc;
		wchar_t wcs[CCHARW_MAX + 1];
		attr_t a;
		short pair;
		char mb[MB_LEN_MAX];
		mbstate_t st;
		int cw;

		cr_assert_eq(mvwin_wch(w, y, x, &cc), OK);
		memset(wcs, 0, sizeof(wcs));
		getcchar(&cc, wcs, &a, &pair, NULL);
		wcs[0] = plain_char(wcs[0], a);
		for (int i = 0; i < CCHARW_MAX && wcs[i] != L'\0'; i++) {
			size_t k;

			memset(&st, 0, sizeof(st));
			k = wcrtomb(mb, wcs[i], &st);
			cr_assert(k != (size_t)-1, "unencodable U+%04X",
			    (unsigned)wcs[i]);
			cr_assert(n + k < len);
			memcpy(out + n, mb, k);
			n += k;
		}
		cw = wcwidth(wcs[0]);
		if (cw == 2)
			x++;
	}
	out[n] = '\0';
}

/* The whole window as text, a newline after each row (malloc'd). */
static char *
dump(WINDOW *w)
{
	int maxy = getmaxy(w), maxx = getmaxx(w);
	size_t rowlen = (size_t)maxx * 8 + 1, len = (size_t)maxy * rowlen;
	char *s = malloc(len + 1), *row = malloc(rowlen);

	cr_assert(s != NULL && row != NULL);
	s[0] = '\0';
	for (int y = 0; y < maxy; y++) {
		dump_row(w, y, row, rowlen);
		strcat(s, row);
		strcat(s, "\n");
	}
	free(row);
	return s;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* Compare the dump of w with tests/fixtures/screens/<name>.txt. */
static void
golden(WINDOW *w, const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	char *got = dump(w), *want;

	snprintf(path, sizeof(path), "%s/tests/fixtures/screens/%s.txt",
	    top != NULL ? top : TOP_SRCDIR, name);
	if (getenv("WIDGETS_GOLDEN_WRITE") != NULL) {
		FILE *f = fopen(path, "w");

		cr_assert_not_null(f, "cannot write %s", path);
		fputs(got, f);
		fclose(f);
	}
	want = read_file(path);
	cr_assert_not_null(want, "missing golden %s", path);
	cr_assert_str_eq(got, want, "screen %s differs\n--- got\n%s--- want\n%s",
	    name, got, want);
	free(got);
	free(want);
}

static attr_t
attr_at(WINDOW *w, int y, int x)
{
	cchar_t cc;
	wchar_t wcs[CCHARW_MAX + 1];
	attr_t a;
	short pair;

	mvwin_wch(w, y, x, &cc);
	getcchar(&cc, wcs, &a, &pair, NULL);
	return a & ~A_COLOR;
}

static void
row_text(WINDOW *w, int y, char *out, size_t len)
{
	dump_row(w, y, out, len);
}

/* --- text ---------------------------------------------------------------- */

TestSuite(text_utf8, .init = utf8_init, .fini = screen_close);
TestSuite(text_ascii, .init = ascii_init, .fini = screen_close);

Test(text_utf8, wide_clip_no_half_char)
{
	WINDOW *p = canvas(4, 10);

	cr_assert_eq(widget_text_width("日本語"), 6);
	/* width 5: the third character would need columns 5-6: left out */
	cr_assert_eq(widget_text(p, 0, 1, 5, ROLE_NORMAL, "日本語"), 4);
	cr_assert_eq(widget_text(p, 1, 1, 4, ROLE_NORMAL, "日本語"), 4);
	cr_assert_eq(widget_text(p, 2, 1, 1, ROLE_NORMAL, "日本語"), 0);
	/* invalid bytes and a control char become '?'; é combines */
	cr_assert_eq(widget_text(p, 3, 1, 8, ROLE_NORMAL,
	    "a\xff" "b\x01" "e\xcc\x81!"), 6);
	golden(p, "text_wide_clip");
	delwin(p);
}

Test(text_utf8, cut_marked_with_an_ellipsis)
{
	WINDOW *p = canvas(2, 10);
	cchar_t cc;
	wchar_t wcs[CCHARW_MAX + 1];
	attr_t a;
	short pair;

	cr_assert_eq(widget_text_cut(p, 0, 0, 10, ROLE_OK, "short"), 5);
	cr_assert_eq(widget_text_cut(p, 1, 0, 8, ROLE_OK, "much too long"),
		     8);
	cr_assert_eq(mvwin_wch(p, 0, 4, &cc), OK);
	getcchar(&cc, wcs, &a, &pair, NULL);
	cr_assert_eq(wcs[0], L't');
	cr_assert_eq(mvwin_wch(p, 0, 5, &cc), OK);
	getcchar(&cc, wcs, &a, &pair, NULL);
	cr_assert_eq(wcs[0], L'~', "nothing drawn past a text that fits");
	cr_assert_eq(mvwin_wch(p, 1, 6, &cc), OK);
	getcchar(&cc, wcs, &a, &pair, NULL);
	cr_assert_eq(wcs[0], L'o');
	cr_assert_eq(mvwin_wch(p, 1, 7, &cc), OK);
	getcchar(&cc, wcs, &a, &pair, NULL);
	cr_assert_eq(wcs[0], L'\u2026', "the cut is marked");
	delwin(p);
}

Test(text_utf8, clipped_at_window_edge)
{
	WINDOW *p = canvas(1, 6);

	/* the caller's width is larger than the window: the window wins */
	cr_assert_eq(widget_text(p, 0, 3, 20, ROLE_NORMAL, "abcdef"), 3);
	cr_assert_eq(widget_text(p, 0, 6, 20, ROLE_NORMAL, "x"), 0);
	cr_assert_eq(widget_text(p, 1, 0, 20, ROLE_NORMAL, "x"), 0);
	golden(p, "text_window_edge");
	delwin(p);
}

Test(text_utf8, align_and_box)
{
	WINDOW *p = canvas(5, 14);

	widget_box(p, 0, 0, 5, 14, ROLE_NORMAL);
	widget_text_align(p, 1, 1, 12, A_NORMAL, WIDGET_LEFT, "left");
	widget_text_align(p, 2, 1, 12, A_NORMAL, WIDGET_RIGHT, "right");
	widget_text_align(p, 3, 1, 12, A_NORMAL, WIDGET_CENTER, "mid");
	golden(p, "text_align_box");
	delwin(p);
}

Test(text_ascii, box_is_ascii)
{
	WINDOW *p = canvas(3, 6);

	widget_box(p, 0, 1, 3, 4, ROLE_NORMAL);
	widget_hline(p, 1, 2, 2, ROLE_NORMAL);
	golden(p, "text_box_ascii");
	cr_assert_eq(attr_at(p, 0, 1) & A_ALTCHARSET, 0);
	delwin(p);
}

Test(text_utf8, wrap)
{
	const char *s = "the quick brown fox\njumps", *n;
	size_t len;

	n = widget_wrap(s, 10, &len);
	cr_assert_eq(len, 9);			/* "the quick" */
	cr_assert_str_eq(n, "brown fox\njumps");
	n = widget_wrap(n, 10, &len);
	cr_assert_eq(len, 9);			/* "brown fox" at '\n' */
	cr_assert_str_eq(n, "jumps");
	n = widget_wrap(n, 10, &len);
	cr_assert_eq(len, 5);
	cr_assert_null(n);
	/* a word longer than the width is cut */
	n = widget_wrap("abcdefgh", 3, &len);
	cr_assert_eq(len, 3);
	cr_assert_str_eq(n, "defgh");
	/* wide characters count two columns */
	n = widget_wrap("日本語", 5, &len);
	cr_assert_eq(len, 6);
	cr_assert_str_eq(n, "語");
}

/* --- splitbar ------------------------------------------------------------ */

TestSuite(splitbar_utf8, .init = utf8_init, .fini = screen_close);
TestSuite(splitbar_ascii, .init = ascii_init, .fini = screen_close);

static void
draw_splits(WINDOW *p)
{
	struct splitbar s = { 25, 75, "A 25%", "75% B", false };
	struct splitbar one = { 1, 99, "A 1%", "99% B", false };
	struct splitbar unk = { NAN, NAN, "A ?", "? B", false };
	struct splitbar flag = { 50, 50, "A 50%", "50% B", true };
	struct splitbar narrow = { 50, 50, "A 50%", "50% B", false };

	splitbar_draw(p, 1, 1, 40, &s);
	splitbar_draw(p, 2, 1, 40, &one);
	splitbar_draw(p, 3, 1, 40, &unk);
	splitbar_draw(p, 4, 1, 40, &flag);
	splitbar_draw(p, 5, 1, 10, &narrow);
}

Test(splitbar_utf8, quarter)
{
	WINDOW *p = canvas(7, 42);

	draw_splits(p);
	golden(p, "splitbar_utf8");
	/* side A in its role, side B in its own */
	cr_assert_eq(attr_at(p, 1, 7), A_STANDOUT);
	cr_assert_eq(attr_at(p, 1, 20), A_NORMAL);
	cr_assert_eq(attr_at(p, 3, 10), A_ITALIC);
	delwin(p);
}

Test(splitbar_ascii, quarter)
{
	WINDOW *p = canvas(7, 42);

	draw_splits(p);
	golden(p, "splitbar_ascii");
	delwin(p);
}

/* --- sparkline ----------------------------------------------------------- */

TestSuite(sparkline_utf8, .init = utf8_init, .fini = screen_close);
TestSuite(sparkline_ascii, .init = ascii_init, .fini = screen_close);

Test(sparkline_utf8, braille_gaps)
{
	const double v[] = { 0, 1, 2, 3, NAN, NAN, 3, 0 };
	const double few[] = { 5, NAN, 5 };
	struct sparkline s = { v, 8, NAN, NAN, NAN, ROLE_NORMAL };
	struct sparkline f = { few, 3, NAN, NAN, NAN, ROLE_NORMAL };
	WINDOW *p = canvas(4, 8);

	cr_assert_eq(sparkline_capacity(4), 8);
	sparkline_draw(p, 1, 1, 4, &s);
	/* fewer points than slots: right-aligned, flat on the bottom */
	sparkline_draw(p, 2, 1, 6, &f);
	golden(p, "sparkline_braille");
	delwin(p);
}

Test(sparkline_utf8, threshold_and_fixed_range)
{
	const double v[] = { 1, 2, 8, 9 };
	struct sparkline s = { v, 4, 0, 10, 5, ROLE_OK };
	WINDOW *p = canvas(1, 2);
	char row[64];

	sparkline_draw(p, 0, 0, 2, &s);
	row_text(p, 0, row, sizeof(row));
	/* 0..10 fixed: 1,2 -> level 0; 8,9 -> level 3 */
	cr_assert_str_eq(row, "\u28c0\u28ff");
	cr_assert_eq(attr_at(p, 0, 0), A_NORMAL);
	cr_assert_eq(attr_at(p, 0, 1), A_BLINK);
	delwin(p);
}

Test(sparkline_utf8, only_last_points_shown)
{
	const double v[] = { 100, 100, 0, 1, 2, 3 };
	struct sparkline s = { v, 6, NAN, NAN, NAN, ROLE_NORMAL };
	WINDOW *p = canvas(1, 2);
	char row[64];

	/* the 100s scroll out and do not take part in the scale */
	sparkline_draw(p, 0, 0, 2, &s);
	row_text(p, 0, row, sizeof(row));
	cr_assert_str_eq(row, "\u28e0\u28fe");
	delwin(p);
}

Test(sparkline_ascii, levels_and_gaps)
{
	const double v[] = { 0, 1, 2, 3, 4, NAN, 4, 0 };
	const double all_nan[] = { NAN, NAN };
	struct sparkline s = { v, 8, NAN, NAN, 3.5, ROLE_NORMAL };
	struct sparkline n = { all_nan, 2, NAN, NAN, NAN, ROLE_NORMAL };
	WINDOW *p = canvas(4, 10);

	cr_assert_eq(sparkline_capacity(8), 8);
	sparkline_draw(p, 1, 1, 8, &s);
	sparkline_draw(p, 2, 1, 4, &n);
	golden(p, "sparkline_ascii");
	cr_assert_eq(attr_at(p, 1, 4), A_NORMAL);	/* 3 <= 3.5 */
	cr_assert_eq(attr_at(p, 1, 5), A_BLINK);	/* 4 > 3.5 */
	delwin(p);
}

/* --- gauge --------------------------------------------------------------- */

TestSuite(gauge_utf8, .init = utf8_init, .fini = screen_close);
TestSuite(gauge_ascii, .init = ascii_init, .fini = screen_close);

static void
draw_gauges(WINDOW *p)
{
	struct gauge half = { 50, 0, 100, 80, "p95", "50ms", ROLE_OK };
	struct gauge none = { NAN, 0, 100, 80, "err", "--", ROLE_OK };
	struct gauge over = { 250, 0, 100, 100, "rps", NULL, ROLE_CRIT };

	gauge_draw(p, 1, 1, 30, &half);
	gauge_draw(p, 2, 1, 30, &none);
	gauge_draw(p, 3, 1, 30, &over);
}

Test(gauge_ascii, bar_mark_nan)
{
	WINDOW *p = canvas(5, 32);

	draw_gauges(p);
	golden(p, "gauge_ascii");
	cr_assert_eq(attr_at(p, 2, 5), A_ITALIC);	/* "no data" is stale */
	cr_assert_eq(attr_at(p, 1, 22), A_UNDERLINE);	/* the mark */
	delwin(p);
}

Test(gauge_utf8, bar_mark_nan)
{
	WINDOW *p = canvas(5, 32);

	draw_gauges(p);
	golden(p, "gauge_utf8");
	delwin(p);
}

/* --- table --------------------------------------------------------------- */

TestSuite(table, .init = ascii_init, .fini = screen_close);

static const char *
pod_cell(void *arg, int row, int col, enum role *r)
{
	static char buf[64];

	(void)arg;
	switch (col) {
	case 0:
		snprintf(buf, sizeof(buf), "pod-%02d", row);
		break;
	case 1:
		if (row % 5 == 3) {
			*r = ROLE_CRIT;
			return "0/1";
		}
		return "1/1";
	default:
		snprintf(buf, sizeof(buf), "%dm", row + 1);
		break;
	}
	return buf;
}

static const struct table_col pod_cols[] = {
	{ "NAME", 4, 1, WIDGET_LEFT },
	{ "READY", 5, 0, WIDGET_RIGHT },
	{ "AGE", 4, 0, WIDGET_RIGHT },
};

Test(table, scroll_keeps_selection_visible)
{
	struct table t;
	WINDOW *p = canvas(8, 24);

	table_init(&t, pod_cols, 3, pod_cell, NULL);
	table_set_rows(&t, 20);
	cr_assert_eq(t.sel, 0);
	table_draw(&t, p, 1, 1, 22, 6);
	cr_assert_eq(t.page, 5);
	table_scroll(&t, 12);
	cr_assert_eq(t.sel, 12);
	cr_assert_eq(t.top, 8);
	table_draw(&t, p, 1, 1, 22, 6);
	golden(p, "table_scrolled");
	cr_assert_eq(attr_at(p, 6, 3), A_REVERSE);	/* selected row */
	cr_assert_eq(attr_at(p, 2, 16), A_BLINK);	/* row 8: 0/1 */
	cr_assert_eq(attr_at(p, 1, 2), A_BOLD);		/* header */

	/* down past the end, up past the start: clamped */
	table_scroll(&t, 100);
	cr_assert_eq(t.sel, 19);
	cr_assert_eq(t.top, 15);
	table_scroll(&t, -100);
	cr_assert_eq(t.sel, 0);
	cr_assert_eq(t.top, 0);

	/* page down moves the view a page less one, selection follows */
	table_page(&t, 1);
	cr_assert_eq(t.top, 4);
	cr_assert_eq(t.sel, 4);
	table_page(&t, 1);
	table_page(&t, 1);
	table_page(&t, 1);
	cr_assert_eq(t.top, 15);
	cr_assert_eq(t.sel, 19);
	table_page(&t, -1);
	cr_assert_eq(t.top, 11);
	table_home_end(&t, -1);
	cr_assert_eq(t.sel, 0);
	cr_assert_eq(t.top, 0);

	/* fewer rows now: selection and top clamp */
	table_select(&t, 18);
	table_set_rows(&t, 7);
	cr_assert_eq(t.sel, 6);
	cr_assert_eq(t.top, 2);
	delwin(p);
}

Test(table, resize_keeps_selection_visible)
{
	struct table t;
	WINDOW *big = canvas(10, 24), *p = canvas(5, 24);

	table_init(&t, pod_cols, 3, pod_cell, NULL);
	table_set_rows(&t, 20);
	table_draw(&t, big, 0, 0, 24, 10);
	cr_assert_eq(t.page, 9);
	delwin(big);
	table_select(&t, 8);
	cr_assert_eq(t.top, 0);
	/* the pane shrinks to 3 body rows: the draw scrolls */
	table_draw(&t, p, 1, 1, 22, 4);
	cr_assert_eq(t.top, 6);
	golden(p, "table_resized");
	delwin(p);
}

Test(table, no_rows)
{
	struct table t;
	WINDOW *p = canvas(4, 24);

	table_init(&t, pod_cols, 3, pod_cell, NULL);
	t.empty = "no pods";
	table_set_rows(&t, 0);
	cr_assert_eq(t.sel, -1);
	table_scroll(&t, 3);
	cr_assert_eq(t.top, 0);
	table_draw(&t, p, 1, 1, 22, 2);
	golden(p, "table_empty");
	delwin(p);
}

/* --- dialog -------------------------------------------------------------- */

TestSuite(dialog, .init = ascii_init, .fini = screen_close);
TestSuite(dialog_utf8, .init = utf8_init, .fini = screen_close);

static enum dialog_result
confirm_with(int key)
{
	struct dialog *d = dialog_new(DIALOG_CONFIRM, "Roll back?", "body",
	    NULL);
	enum dialog_result r = dialog_key(d, key);

	dialog_free(d);
	return r;
}

Test(dialog, confirm_keys)
{
	struct dialog *d;

	cr_assert_eq(confirm_with('y'), DIALOG_YES);
	cr_assert_eq(confirm_with('Y'), DIALOG_YES);
	cr_assert_eq(confirm_with('n'), DIALOG_NO);
	cr_assert_eq(confirm_with('N'), DIALOG_NO);
	cr_assert_eq(confirm_with(ESC), DIALOG_NO);
	cr_assert_eq(confirm_with('\n'), DIALOG_NO);
	cr_assert_eq(confirm_with('\r'), DIALOG_NO);
	cr_assert_eq(confirm_with(KEY_ENTER), DIALOG_NO);
	cr_assert_eq(confirm_with('x'), DIALOG_PENDING);
	cr_assert_eq(confirm_with(' '), DIALOG_PENDING);
	cr_assert_eq(confirm_with(KEY_RESIZE), DIALOG_PENDING);

	/* an answered dialog keeps its answer */
	d = dialog_new(DIALOG_CONFIRM, "t", "b", NULL);
	cr_assert_eq(dialog_key(d, 'q'), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, 'n'), DIALOG_NO);
	cr_assert_eq(dialog_key(d, 'y'), DIALOG_NO);
	cr_assert_eq(dialog_result(d), DIALOG_NO);
	dialog_free(d);
}

static enum dialog_result
type_keys(struct dialog *d, const char *s)
{
	enum dialog_result r = DIALOG_PENDING;

	for (; *s != '\0'; s++)
		r = dialog_key(d, (unsigned char)*s);
	return r;
}

Test(dialog, typed_word)
{
	struct dialog *d = dialog_new(DIALOG_TYPED, "Advance", "b", "advance");

	/* 'n' and 'y' are letters here, not answers */
	cr_assert_eq(type_keys(d, "advanc"), DIALOG_PENDING);
	cr_assert_str_eq(dialog_input(d), "advanc");
	cr_assert_eq(dialog_key(d, '\n'), DIALOG_PENDING);	/* refused */
	cr_assert_eq(type_keys(d, "x"), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, KEY_BACKSPACE), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, 127), DIALOG_PENDING);
	cr_assert_str_eq(dialog_input(d), "advan");
	cr_assert_eq(type_keys(d, "ce"), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, KEY_LEFT), DIALOG_PENDING);	/* ignored */
	cr_assert_eq(dialog_key(d, KEY_ENTER), DIALOG_YES);
	dialog_free(d);

	d = dialog_new(DIALOG_TYPED, "Advance", "b", "advance");
	type_keys(d, "advance");
	cr_assert_eq(dialog_key(d, ESC), DIALOG_NO);
	dialog_free(d);

	/* a longer word that starts right is still wrong; Ctrl-U clears */
	d = dialog_new(DIALOG_TYPED, "Advance", "b", "advance");
	type_keys(d, "advances");
	cr_assert_eq(dialog_key(d, '\r'), DIALOG_PENDING);
	dialog_key(d, 21);
	cr_assert_str_eq(dialog_input(d), "");
	cr_assert_eq(dialog_key(d, '\n'), DIALOG_PENDING);
	type_keys(d, "advance\n");
	cr_assert_eq(dialog_result(d), DIALOG_YES);
	dialog_free(d);
}

Test(dialog_utf8, typed_non_ascii_and_backspace)
{
	struct dialog *d = dialog_new(DIALOG_TYPED, "t", "b", "étape-2");

	dialog_key(d, 0xe9);		/* é */
	dialog_key(d, 0x4e2d);		/* 中 */
	dialog_key(d, KEY_BACKSPACE);	/* removes the whole 中 */
	cr_assert_str_eq(dialog_input(d), "é");
	type_keys(d, "tape-2");
	cr_assert_eq(dialog_key(d, '\n'), DIALOG_YES);
	dialog_free(d);
}

Test(dialog, info_any_key)
{
	struct dialog *d = dialog_new(DIALOG_INFO, "Help", "keys", NULL);

	cr_assert_eq(dialog_key(d, KEY_RESIZE), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, 'z'), DIALOG_YES);
	dialog_free(d);
}

Test(dialog, confirm_wrapped_body)
{
	struct dialog *d = dialog_new(DIALOG_CONFIRM, "Roll back?",
	    "Move all traffic back to the old gateway now. Weights go to "
	    "100/0 at once.\nThe hold timer is dropped.", NULL);
	WINDOW *p = canvas(12, 40);

	dialog_draw(d, p, 1, 1, 38, 10);
	golden(p, "dialog_confirm");
	dialog_free(d);
	delwin(p);
}

Test(dialog, typed_mismatch)
{
	struct dialog *d = dialog_new(DIALOG_TYPED, "Advance on no data",
	    "The gates have no data.", "advance");
	WINDOW *p = canvas(11, 44);

	dialog_set_role(d, ROLE_CRIT);
	type_keys(d, "advanse\n");
	dialog_draw(d, p, 0, 0, 44, 11);
	golden(p, "dialog_typed_mismatch");
	cr_assert_eq(attr_at(p, 2, 4), A_BLINK);	/* border in crit */
	dialog_free(d);
	delwin(p);
}

Test(dialog, body_clipped_to_height)
{
	struct dialog *d = dialog_new(DIALOG_INFO, "Help",
	    "one\ntwo\nthree\nfour\nfive\nsix", NULL);
	WINDOW *p = canvas(7, 34);

	dialog_draw(d, p, 0, 1, 32, 7);
	golden(p, "dialog_info_clipped");
	dialog_free(d);
	delwin(p);
}

Test(dialog, info_scrolls_to_its_last_line)
{
	struct dialog *d = dialog_new(DIALOG_INFO, "Help",
	    "one\ntwo\nthree\nfour\nfive\nsix", NULL);
	WINDOW *p = canvas(7, 34);
	int bw, bh;

	/* Its own rectangle: as wide as its text, as tall as the box. */
	dialog_size(d, 32, 7, &bw, &bh);
	cr_assert_eq(bw, 28);
	cr_assert_eq(bh, 7);
	dialog_draw(d, p, 0, 1, 32, 7);
	cr_assert_eq(dialog_key(d, 'j'), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, KEY_NPAGE), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, KEY_NPAGE), DIALOG_PENDING);
	dialog_draw(d, p, 0, 1, 32, 7);
	golden(p, "dialog_info_scrolled");
	cr_assert_eq(dialog_key(d, KEY_HOME), DIALOG_PENDING);
	cr_assert_eq(dialog_key(d, 'x'), DIALOG_YES);
	dialog_free(d);
	delwin(p);
}

Test(dialog_utf8, box_normalised)
{
	struct dialog *d = dialog_new(DIALOG_INFO, "Über", "Grüße, 日本", NULL);
	WINDOW *p = canvas(6, 30);

	dialog_draw(d, p, 0, 0, 30, 6);
	golden(p, "dialog_info_utf8");
	dialog_free(d);
	delwin(p);
}

/* --- textlog ------------------------------------------------------------- */

TestSuite(textlog, .init = ascii_init, .fini = screen_close);

Test(textlog, ring_overflow)
{
	struct textlog *l = textlog_new(5);
	WINDOW *p = canvas(5, 12);
	enum role r;

	for (int i = 1; i <= 8; i++)
		textlog_addf(l, i == 8 ? ROLE_CRIT : ROLE_NORMAL, "line %d", i);
	cr_assert_eq(textlog_count(l), 5);
	cr_assert_str_eq(textlog_line(l, 0, NULL), "line 4");
	cr_assert_str_eq(textlog_line(l, 4, &r), "line 8");
	cr_assert_eq(r, ROLE_CRIT);
	cr_assert_null(textlog_line(l, 5, NULL));
	textlog_draw(l, p, 1, 1, 10, 3);
	golden(p, "textlog_overflow");
	cr_assert_eq(attr_at(p, 3, 1), A_BLINK);
	textlog_free(l);
	delwin(p);
}

Test(textlog, scroll_and_follow)
{
	struct textlog *l = textlog_new(10);
	WINDOW *p = canvas(5, 12);
	char row[64];

	for (int i = 1; i <= 6; i++)
		textlog_addf(l, ROLE_NORMAL, "line %d", i);
	cr_assert(textlog_following(l));
	textlog_scroll(l, 2);
	cr_assert_not(textlog_following(l));
	textlog_draw(l, p, 1, 1, 10, 3);
	row_text(p, 3, row, sizeof(row));
	cr_assert_str_eq(row, "~line 4    ~");
	/* new lines do not move a scrolled view */
	textlog_add(l, ROLE_NORMAL, "line 7");
	textlog_draw(l, p, 1, 1, 10, 3);
	golden(p, "textlog_scrolled");
	/* far back: clamps at the oldest line, then short view at the top */
	textlog_scroll(l, 100);
	textlog_draw(l, p, 1, 1, 10, 3);
	row_text(p, 1, row, sizeof(row));
	cr_assert_str_eq(row, "~line 1    ~");
	row_text(p, 2, row, sizeof(row));
	cr_assert_str_eq(row, "~          ~");
	/* back to the bottom resumes follow */
	textlog_scroll(l, -100);
	cr_assert(textlog_following(l));
	textlog_add(l, ROLE_NORMAL, "line 8");
	textlog_draw(l, p, 1, 1, 10, 3);
	row_text(p, 3, row, sizeof(row));
	cr_assert_str_eq(row, "~line 8    ~");
	/* follow off at the bottom: the view stays on the same lines */
	textlog_follow(l, false);
	textlog_add(l, ROLE_NORMAL, "line 9");
	textlog_draw(l, p, 1, 1, 10, 3);
	row_text(p, 3, row, sizeof(row));
	cr_assert_str_eq(row, "~line 8    ~");
	textlog_follow(l, true);
	textlog_draw(l, p, 1, 1, 10, 3);
	row_text(p, 3, row, sizeof(row));
	cr_assert_str_eq(row, "~line 9    ~");
	textlog_free(l);
	delwin(p);
}

Test(textlog, scrolled_line_evicted)
{
	struct textlog *l = textlog_new(3);

	for (int i = 1; i <= 3; i++)
		textlog_addf(l, ROLE_NORMAL, "%d", i);
	textlog_scroll(l, 1);		/* bottom line is "2" */
	textlog_add(l, ROLE_NORMAL, "4");	/* bottom stays "2" */
	textlog_add(l, ROLE_NORMAL, "5");	/* "2" is gone: oldest held */
	cr_assert_str_eq(textlog_line(l, 0, NULL), "3");
	textlog_free(l);
}

Test(textlog, clip_and_wrap)
{
	struct textlog *l = textlog_new(4);
	WINDOW *p = canvas(9, 12);

	textlog_add(l, ROLE_NORMAL, "short");
	textlog_add(l, ROLE_WARN, "a long line that will not fit");
	textlog_draw(l, p, 1, 1, 10, 2);
	textlog_set_wrap(l, true);
	textlog_draw(l, p, 4, 1, 10, 4);
	golden(p, "textlog_clip_wrap");
	cr_assert_eq(attr_at(p, 2, 10), A_DIM);		/* the '>' */
	textlog_free(l);
	delwin(p);
}

/* --- countdown ----------------------------------------------------------- */

TestSuite(countdown, .init = ascii_init, .fini = screen_close);

Test(countdown, formats)
{
	char b[32];

	cr_assert_str_eq(countdown_format(0, b, sizeof(b)), "0s");
	cr_assert_str_eq(countdown_format(1, b, sizeof(b)), "1s");
	cr_assert_str_eq(countdown_format(999, b, sizeof(b)), "1s");
	cr_assert_str_eq(countdown_format(59000, b, sizeof(b)), "59s");
	cr_assert_str_eq(countdown_format(59001, b, sizeof(b)), "1m00s");
	cr_assert_str_eq(countdown_format(245000, b, sizeof(b)), "4m05s");
	cr_assert_str_eq(countdown_format(3599000, b, sizeof(b)), "59m59s");
	cr_assert_str_eq(countdown_format(3600000, b, sizeof(b)), "1h00m00s");
	cr_assert_str_eq(countdown_format(3723000, b, sizeof(b)), "1h02m03s");
	cr_assert_str_eq(countdown_format(30 * 3600000LL, b, sizeof(b)),
	    "30h00m00s");
	cr_assert_str_eq(countdown_format(COUNTDOWN_UNKNOWN, b, sizeof(b)),
	    "--");
	cr_assert_str_eq(countdown_format(-5000, b, sizeof(b)), "--");
	cr_assert_str_eq(countdown_format(3723000, b, 4), "1h0");
}

Test(countdown, draw)
{
	WINDOW *p = canvas(3, 14);
	char row[64];

	cr_assert_eq(countdown_draw(p, 0, 0, 14, 245000, false, ROLE_OK), 5);
	cr_assert_eq(countdown_draw(p, 1, 0, 14, 245000, true, ROLE_WARN),
	    12);
	cr_assert_eq(countdown_draw(p, 2, 0, 4, 3723000, false, ROLE_OK), 4);
	row_text(p, 0, row, sizeof(row));
	cr_assert_str_eq(row, "4m05s~~~~~~~~~");
	row_text(p, 1, row, sizeof(row));
	cr_assert_str_eq(row, "paused 4m05s~~");
	row_text(p, 2, row, sizeof(row));
	cr_assert_str_eq(row, "1h02~~~~~~~~~~");
	cr_assert_eq(attr_at(p, 1, 0), A_UNDERLINE);
	delwin(p);
}
