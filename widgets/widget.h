/*
 * widget — what every widget shares: semantic roles, the theme, the ASCII
 * switch, and clipped UTF-8 text.
 *
 * Design of widgets/:
 *  - Widgets know numbers, strings and rows; never the domain (no stages,
 *    no Prometheus, no Istio).  The ui turns the model into widget data.
 *  - Widgets take roles (ROLE_OK, ROLE_CRIT, ...), never colours.  The ui
 *    installs a theme that maps each role to curses attributes
 *    (widget_set_theme); the default theme is monochrome.
 *  - ASCII mode (widget_set_ascii) draws with ASCII only: no block, braille
 *    or box characters.  The ui turns it on when the locale is not UTF-8.
 *  - Every draw function takes (WINDOW *, y, x, width[, height]) and draws
 *    only inside that box: text is clipped to display columns (a double
 *    width character that does not fit is left out, never cut in half), and
 *    every cell of the box that the widget owns is written, so a redraw
 *    needs no erase first.
 *  - Widgets never call refresh()/doupdate() nor read keys: the ui does
 *    wnoutrefresh + one doupdate per pass, and hands keys to dialogs.
 *  - Strings are UTF-8; invalid bytes and unprintable characters are shown
 *    as '?'.
 */
#ifndef CUTOVER_WIDGETS_WIDGET_H
#define CUTOVER_WIDGETS_WIDGET_H

#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

enum role {
	ROLE_NORMAL,
	ROLE_DIM,
	ROLE_TITLE,
	ROLE_OK,
	ROLE_WARN,
	ROLE_CRIT,
	ROLE_STALE,
	ROLE_FOCUS,
	ROLE_SIDE_A,	/* left half of a split */
	ROLE_SIDE_B,	/* right half of a split */
	ROLE_BANNER,
	ROLE_COUNT
};

enum widget_align {
	WIDGET_LEFT,
	WIDGET_RIGHT,
	WIDGET_CENTER
};

/* Install the attributes for every role (copied). */
void widget_set_theme(const attr_t attrs[ROLE_COUNT]);
/* Attributes of a role under the current theme. */
attr_t widget_attr(enum role r);
/* Draw with ASCII characters only (no blocks, braille or box chars). */
void widget_set_ascii(bool on);
/* Whether ASCII drawing is on. */
bool widget_ascii(void);

/* Print UTF-8 at (y, x) clipped to width columns; returns columns used. */
int widget_text(WINDOW *w, int y, int x, int width, enum role r,
		const char *utf8);
/*
 * As widget_text, but a text that does not fit ends in "…" ("~" in
 * ASCII) where it was cut, never silently.
 */
int widget_text_cut(WINDOW *w, int y, int x, int width, enum role r,
		    const char *utf8);
/* Same for the first len bytes of utf8. */
int widget_textn(WINDOW *w, int y, int x, int width, enum role r,
		 const char *utf8, size_t len);
/* Same with explicit attributes instead of a role. */
int widget_textn_attr(WINDOW *w, int y, int x, int width, attr_t a,
		      const char *utf8, size_t len);
/* Print aligned inside width columns, blanking the rest; returns width. */
int widget_text_align(WINDOW *w, int y, int x, int width, attr_t a,
		      enum widget_align al, const char *utf8);
/* Display columns utf8 takes (invalid bytes count one). */
int widget_text_width(const char *utf8);
/* Display columns of the first len bytes of utf8. */
int widget_textn_width(const char *utf8, size_t len);
/* Split the next line of at most width columns off s, breaking after a
 * space when one fits, at '\n' always; *len is its byte length.  Returns
 * where the rest starts, or NULL when s is used up. */
const char *widget_wrap(const char *s, int width, size_t *len);

/* Write width spaces (normal attributes) at (y, x). */
void widget_blank(WINDOW *w, int y, int x, int width);
/* Write width spaces with the attributes of role r. */
void widget_fill(WINDOW *w, int y, int x, int width, enum role r);
/* Put one character (UTF-8 mode) or its ASCII stand-in at (y, x). */
void widget_glyph(WINDOW *w, int y, int x, enum role r, wchar_t wc,
		  char ascii);
/* Horizontal line of width cells. */
void widget_hline(WINDOW *w, int y, int x, int width, enum role r);
/* Box border of height x width with its top-left corner at (y, x). */
void widget_box(WINDOW *w, int y, int x, int height, int width,
		enum role r);

#endif
