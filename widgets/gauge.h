/*
 * gauge — one value on a horizontal bar between min and max, with an
 * optional threshold mark, a label on the left and the caller's formatted
 * value text on the right:  "label ███████░░│░░░ text".
 * A NAN value is "no data" (ROLE_STALE), never an empty bar.
 */
#ifndef CUTOVER_WIDGETS_GAUGE_H
#define CUTOVER_WIDGETS_GAUGE_H

#include "widget.h"

struct gauge {
	double value;		/* NAN = no data */
	double min, max;	/* the bar's range (min < max) */
	double threshold;	/* where the mark goes; NAN = no mark */
	const char *label;	/* left of the bar; may be NULL */
	const char *text;	/* right of the bar (formatted value); may be NULL */
	enum role role;		/* role of the filled part */
};

/* Draw g in one row of width columns at (y, x). */
void gauge_draw(WINDOW *w, int y, int x, int width, const struct gauge *g);

#endif
