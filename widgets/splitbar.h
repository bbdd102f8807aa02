/*
 * splitbar — a two-sided bar: side A grows from the left, side B fills the
 * rest, with the caller's labels outside the bar:  "A 25% ███░░░░░ 75% B".
 * The split is a / (a + b), so weights need not add up to 100.  A side
 * above zero always gets at least one cell, so 1% is visible.  Unknown
 * (flag set, a or b NAN or both zero) draws a hatched bar in ROLE_STALE.
 */
#ifndef CUTOVER_WIDGETS_SPLITBAR_H
#define CUTOVER_WIDGETS_SPLITBAR_H

#include "widget.h"

struct splitbar {
	double a, b;		/* shares of the two sides (e.g. percent) */
	const char *label_a;	/* left of the bar, e.g. "A 25%"; may be NULL */
	const char *label_b;	/* right of the bar, e.g. "75% B"; may be NULL */
	bool unknown;		/* the split is not known */
};

/* Draw s in one row of width columns at (y, x). */
void splitbar_draw(WINDOW *w, int y, int x, int width,
		   const struct splitbar *s);

#endif
