/*
 * splitbar — two-sided bar for a traffic split.
 *
 * Layout: label_a, a space, the bar, a space, label_b (label_b flush right).
 * When the labels leave fewer than 4 cells for the bar they are dropped and
 * the bar takes the whole width.  Side A is drawn with U+2588 (ASCII '#')
 * in ROLE_SIDE_A, side B with U+2591 (ASCII '.') in ROLE_SIDE_B, unknown
 * with U+2571 (ASCII '?') in ROLE_STALE.
 */
#include "config.h"

#include "splitbar.h"

#include <math.h>

/* Cells of side A out of bw, or -1 when the split is unknown. */
static int
splitbar_cells(const struct splitbar *s, int bw)
{
	double a = s->a, b = s->b;
	int n;

	if (s->unknown || !isfinite(a) || !isfinite(b) || a < 0 || b < 0 ||
	    a + b <= 0)
		return -1;
	n = (int)lround(a / (a + b) * bw);
	if (a > 0 && n == 0)
		n = 1;
	if (b > 0 && n == bw && bw > 1)
		n = bw - 1;
	return n;
}

void
splitbar_draw(WINDOW *w, int y, int x, int width, const struct splitbar *s)
{
	int wa, wb, bx = x, bw = width, na;

	if (width <= 0)
		return;
	widget_blank(w, y, x, width);
	wa = widget_text_width(s->label_a);
	wb = widget_text_width(s->label_b);
	if (width - (wa > 0 ? wa + 1 : 0) - (wb > 0 ? wb + 1 : 0) >= 4) {
		if (wa > 0) {
			widget_text(w, y, x, wa, ROLE_SIDE_A, s->label_a);
			bx += wa + 1;
			bw -= wa + 1;
		}
		if (wb > 0) {
			bw -= wb + 1;
			widget_text(w, y, bx + bw + 1, wb, ROLE_SIDE_B,
			    s->label_b);
		}
	}
	na = splitbar_cells(s, bw);
	for (int i = 0; i < bw; i++) {
		if (na < 0)
			widget_glyph(w, y, bx + i, ROLE_STALE, L'\u2571', '?');
		else if (i < na)
			widget_glyph(w, y, bx + i, ROLE_SIDE_A, L'\u2588', '#');
		else
			widget_glyph(w, y, bx + i, ROLE_SIDE_B, L'\u2591', '.');
	}
}
