/*
 * sparkline — a series of doubles in one row of cells, newest at the right.
 *
 * UTF-8: braille cells (U+2800 block), two points per cell side by side,
 * four levels each, drawn as columns of dots from the bottom up.  ASCII:
 * one point per cell with the five levels "_.-'^".  NAN is a gap (no dots;
 * a cell with no point at all is a space).  The scale is the min..max of
 * the points that are visible, or lo..hi when lo < hi (values outside are
 * clamped); a flat series sits on the lowest level.  Points above the
 * threshold make their cell ROLE_CRIT.
 */
#ifndef CUTOVER_WIDGETS_SPARKLINE_H
#define CUTOVER_WIDGETS_SPARKLINE_H

#include "widget.h"

struct sparkline {
	const double *v;	/* oldest first */
	size_t n;
	double lo, hi;		/* fixed range when lo < hi; NAN = automatic */
	double threshold;	/* NAN = none */
	enum role role;		/* role of normal cells */
};

/* Points that fit in width cells in the current mode. */
int sparkline_capacity(int width);
/* Draw the last sparkline_capacity(width) points of s at (y, x). */
void sparkline_draw(WINDOW *w, int y, int x, int width,
		    const struct sparkline *s);

#endif
