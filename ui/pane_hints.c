/*
 * pane_hints — the key hints line; keys whose action the state machine
 * would refuse now are dimmed, and a short note (a refusal, a cancelled
 * dialog) replaces the hints for a few seconds.
 */
#include "config.h"

#include <stdio.h>

#include "keymap.h"
#include "pane.h"

static int
hint(WINDOW *w, int x, int width, enum action a, const char *text, bool on)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%s %s  ", keymap_label(a), text);
	return widget_text(w, 0, x, width - x, on ? ROLE_NORMAL : ROLE_DIM,
			   buf);
}

static void
pane_hints_draw(struct ui *u, WINDOW *w, int h, int width)
{
	const struct session_view *v = &u->view;
	const struct cutover_state *st = &v->state;
	bool rw = !v->read_only;
	int x = 0;

	(void)h;
	widget_blank(w, 0, 0, width);
	if (u->note[0] != '\0') {
		widget_text(w, 0, 0, width, ROLE_WARN, u->note);
		return;
	}
	if (v->guard_down)
		x += hint(w, x, width, ACT_GUARD, "start the guard", true);
	x += hint(w, x, width, ACT_ADVANCE, "advance",
		  v->act[SESSION_VIEW_FORCE].allowed);
	x += hint(w, x, width, ACT_PAUSE, st->phase == PHASE_PAUSED ?
		  "resume" : "pause", rw && (st->phase == PHASE_PAUSED ||
		  st->phase == PHASE_HOLDING || (st->phase == PHASE_READY &&
		  st->stage > 0)));
	x += hint(w, x, width, ACT_ROLLBACK, "rollback",
		  v->act[SESSION_VIEW_ROLLBACK].allowed &&
		  st->phase != PHASE_ROLLING_BACK);
	x += hint(w, x, width, ACT_RETRY, "retry",
		  v->act[SESSION_VIEW_RETRY].allowed);
	x += hint(w, x, width, ACT_FOCUS, "focus", true);
	x += hint(w, x, width, ACT_HELP, "help", true);
	hint(w, x, width, ACT_QUIT, "quit", true);
}

const struct pane_ops pane_hints_ops = {
	.name = "hints",
	.min_h = 1,
	.dirty = SESSION_DIRTY_STATE | PANE_DIRTY_FOCUS | PANE_DIRTY_NOTE,
	.draw = pane_hints_draw,
};
