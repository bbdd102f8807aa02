/*
 * sparkline — braille or ASCII mini chart.
 *
 * Point p of the visible window (0 = leftmost slot) maps to cell p / per
 * and, in braille, column p % per of that cell.  When fewer points than
 * slots exist they are right-aligned and the leading slots are gaps.
 * Braille dot bits, bottom to top: left column 0x40 0x04 0x02 0x01, right
 * column 0x80 0x20 0x10 0x08.
 */
#include "config.h"

#include "sparkline.h"

#include <math.h>

static const unsigned sparkline_dots[2][4] = {
	{ 0x40, 0x04, 0x02, 0x01 },
	{ 0x80, 0x20, 0x10, 0x08 },
};
static const char sparkline_ascii[] = "_.-'^";

int
sparkline_capacity(int width)
{
	if (width <= 0)
		return 0;
	return widget_ascii() ? width : 2 * width;
}

/* Level 0..nlev-1 of v on lo..hi. */
static int
sparkline_level(double v, double lo, double hi, int nlev)
{
	int l;

	if (!(hi > lo))
		return 0;
	l = (int)floor((v - lo) / (hi - lo) * nlev);
	if (l < 0)
		l = 0;
	if (l > nlev - 1)
		l = nlev - 1;
	return l;
}

void
sparkline_draw(WINDOW *w, int y, int x, int width, const struct sparkline *s)
{
	int cap = sparkline_capacity(width), per, nlev;
	size_t first, shown;
	double lo = s->lo, hi = s->hi;
	bool ascii = widget_ascii();

	if (width <= 0)
		return;
	per = ascii ? 1 : 2;
	nlev = ascii ? 5 : 4;
	shown = s->n < (size_t)cap ? s->n : (size_t)cap;
	first = s->n - shown;
	if (!(lo < hi)) {
		lo = INFINITY;
		hi = -INFINITY;
		for (size_t i = first; i < s->n; i++) {
			if (isnan(s->v[i]))
				continue;
			if (s->v[i] < lo)
				lo = s->v[i];
			if (s->v[i] > hi)
				hi = s->v[i];
		}
	}
	for (int c = 0; c < width; c++) {
		unsigned bits = 0;
		bool any = false, crit = false;
		int lev = 0;

		for (int k = 0; k < per; k++) {
			long slot = (long)c * per + k - (cap - (long)shown);
			double v;

			if (slot < 0)
				continue;
			v = s->v[first + (size_t)slot];
			if (isnan(v))
				continue;
			any = true;
			if (!isnan(s->threshold) && v > s->threshold)
				crit = true;
			lev = sparkline_level(v, lo, hi, nlev);
			for (int d = 0; d <= lev && !ascii; d++)
				bits |= sparkline_dots[k][d];
		}
		if (!any)
			widget_glyph(w, y, x + c, s->role, L' ', ' ');
		else
			widget_glyph(w, y, x + c, crit ? ROLE_CRIT : s->role,
			    (wchar_t)(0x2800 + bits),
			    sparkline_ascii[lev]);
	}
}
