/*
 * gauge — horizontal bar for one value.
 *
 * The bar gets what the label and the text leave (one space each between).
 * Filled cells are round(fraction * bar width); the threshold mark sits on
 * cell round(fraction(threshold) * bar width), clamped into the bar, and
 * replaces whatever would be drawn there.
 */
#include "config.h"

#include "gauge.h"

#include <math.h>

static double
gauge_frac(double v, double lo, double hi)
{
	double f;

	if (!(hi > lo))
		return 0.0;
	f = (v - lo) / (hi - lo);
	if (f < 0.0)
		f = 0.0;
	if (f > 1.0)
		f = 1.0;
	return f;
}

void
gauge_draw(WINDOW *w, int y, int x, int width, const struct gauge *g)
{
	int lw, tw, bx, bw, fill, mark = -1, used;

	if (width <= 0)
		return;
	widget_blank(w, y, x, width);
	lw = g->label != NULL ? widget_text_width(g->label) : 0;
	tw = g->text != NULL ? widget_text_width(g->text) : 0;
	used = widget_text(w, y, x, width, ROLE_NORMAL, g->label);
	bx = x + (lw > 0 ? used + 1 : 0);
	bw = width - (bx - x) - (tw > 0 ? tw + 1 : 0);
	if (bw < 3) {
		/* no room for a bar: the text alone, after the label */
		if (isnan(g->value))
			widget_text(w, y, bx, width - (bx - x), ROLE_STALE,
			    "no data");
		else
			widget_text(w, y, bx, width - (bx - x), g->role,
			    g->text);
		return;
	}
	if (tw > 0)
		widget_text(w, y, bx + bw + 1, tw,
		    isnan(g->value) ? ROLE_STALE : ROLE_NORMAL, g->text);
	if (isnan(g->value)) {
		widget_text(w, y, bx, bw, ROLE_STALE, "no data");
		return;
	}
	fill = (int)lround(gauge_frac(g->value, g->min, g->max) * bw);
	if (!isnan(g->threshold)) {
		mark = (int)lround(gauge_frac(g->threshold, g->min, g->max) *
		    bw);
		if (mark > bw - 1)
			mark = bw - 1;
	}
	for (int i = 0; i < bw; i++) {
		if (i == mark)
			widget_glyph(w, y, bx + i, ROLE_WARN, L'\u2502', '|');
		else if (i < fill)
			widget_glyph(w, y, bx + i, g->role, L'\u2588', '#');
		else
			widget_glyph(w, y, bx + i, ROLE_DIM, L'\u2591', '.');
	}
}
