/*
 * countdown — remaining time as "1h02m03s", "4m05s", "59s"; "--" when
 * unknown (any negative value, e.g. COUNTDOWN_UNKNOWN).  Milliseconds are
 * rounded up to whole seconds, so "0s" means the time is really up.
 */
#ifndef CUTOVER_WIDGETS_COUNTDOWN_H
#define CUTOVER_WIDGETS_COUNTDOWN_H

#include "widget.h"

#include <stdint.h>

#define COUNTDOWN_UNKNOWN INT64_C(-1)

/* Format ms into buf (at least 16 bytes is enough); returns buf. */
const char *countdown_format(int64_t ms, char *buf, size_t len);
/* Draw ms (prefixed "paused " when paused) with role r; returns columns. */
int countdown_draw(WINDOW *w, int y, int x, int width, int64_t ms,
		   bool paused, enum role r);

#endif
