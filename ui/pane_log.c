/*
 * pane_log — the event log: transitions, driver output, breaches, errors,
 * newest at the bottom; scrolls back when focused.
 */
#include "config.h"

#include "pane.h"

void
pane_log_draw(struct ui *u, WINDOW *w, int h, int width)
{
	widget_blank(w, 0, 0, width);
	widget_text(w, 0, 0, width, u->focus == PANE_LOG ? ROLE_FOCUS :
		    ROLE_TITLE, textlog_following(u->log) ? "event log" :
		    "event log (scrolled; j/Down to follow)");
	textlog_draw(u->log, w, 1, 0, width, h - 1);
}
