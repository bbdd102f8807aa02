/*
 * logview — the whole event log, full screen (key l): every line the
 * dashboard has kept, scrollable, searchable with / (n and N go to the
 * next and previous match).  Drawn over the panes, inside the one loop:
 * sources are refreshed and gates evaluated while it is open, and new
 * lines appear as they come.
 */
#ifndef CUTOVER_UI_LOGVIEW_H
#define CUTOVER_UI_LOGVIEW_H

#include <stdbool.h>

#include "pane.h"

/* Open it, following the newest line. */
void logview_open(struct ui *u);

/* Draw it over the whole terminal. */
void logview_draw(struct ui *u);

/* A key while it is open; false when it closed. */
bool logview_key(struct ui *u, int key);

#endif
