/*
 * countdown — format and draw a remaining time.
 *
 * Hours are not folded into days: a 30 hour hold reads "30h00m00s".
 */
#include "config.h"

#include "countdown.h"

#include <inttypes.h>
#include <stdio.h>

const char *
countdown_format(int64_t ms, char *buf, size_t len)
{
	int64_t s, h, m;

	if (len == 0)
		return buf;
	if (ms < 0) {
		snprintf(buf, len, "--");
		return buf;
	}
	s = ms / 1000 + (ms % 1000 != 0);
	h = s / 3600;
	m = s / 60 % 60;
	s %= 60;
	if (h > 0)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m%02" PRId64 "s",
		    h, m, s);
	else if (m > 0)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", m, s);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
	return buf;
}

int
countdown_draw(WINDOW *w, int y, int x, int width, int64_t ms, bool paused,
	       enum role r)
{
	char t[32], out[48];

	countdown_format(ms, t, sizeof(t));
	snprintf(out, sizeof(out), "%s%s", paused ? "paused " : "", t);
	return widget_text(w, y, x, width, r, out);
}
