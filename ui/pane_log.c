/*
 * pane_log — the event log: transitions, driver output, breaches, errors,
 * newest at the bottom; scrolls back when focused.  The session's event
 * log is a ring; new lines are copied to the pane's textlog as they come.
 * The last decision (advance, breach, rollback, drift, verification) and
 * the values it was taken on stay pinned on the line under the title
 * until the next one, however many lines come after it.
 */
#include "config.h"

#include <stdio.h>

#include "pane.h"

static const enum role level_roles[] = {
	[EVLOG_INFO] = ROLE_NORMAL, [EVLOG_NOTE] = ROLE_TITLE,
	[EVLOG_WARN] = ROLE_WARN, [EVLOG_CRIT] = ROLE_CRIT,
};

/* Copy the event log's new lines to the textlog. */
static void
pane_log_changed(struct ui *u, unsigned session_dirty)
{
	const struct evlog *l = u->view.log;
	uint64_t first_kept = l->total - (uint64_t)l->n;

	if (!(session_dirty & SESSION_DIRTY_LOG))
		return;
	if (u->log_seen < first_kept)
		u->log_seen = first_kept;
	for (; u->log_seen < l->total; u->log_seen++) {
		const struct evlog_line *line =
			evlog_get(l, (int)(u->log_seen - first_kept));
		char when[40];

		clock_rfc3339(line->wall_ms, when, sizeof(when));
		/* HH:MM:SS of the UTC time is enough on the screen. */
		textlog_addf(u->log, level_roles[line->level], "%.8s %s", when + 11,
			     line->text);
	}
}

static void
pane_log_draw(struct ui *u, WINDOW *w, int h, int width)
{
	const struct session_view *v = &u->view;
	int x;

	widget_blank(w, 0, 0, width);
	x = widget_text(w, 0, 0, width, u->focus == PANE_LOG ? ROLE_FOCUS :
			ROLE_TITLE, textlog_following(u->log) ? "event log" :
			"event log (scrolled; j/Down to follow)");
	widget_text(w, 0, x, width - x, ROLE_DIM, "   l: all of it, / searches");
	widget_blank(w, 1, 0, width);
	if (v->decision != NULL && v->decision[0] != '\0') {
		char when[40];
		char line[400];

		clock_rfc3339(v->decision_wall_ms, when, sizeof(when));
		snprintf(line, sizeof(line), "%.8s %s", when + 11,
			 v->decision);
		x = widget_text(w, 1, 0, width, ROLE_DIM, "decided ");
		widget_text_cut(w, 1, x, width - x,
				level_roles[v->decision_level], line);
	} else {
		widget_text(w, 1, 0, width, ROLE_DIM, "decided: nothing yet");
	}
	textlog_draw(u->log, w, 2, 0, width, h - 2);
}

static int
pane_log_key(struct ui *u, enum action a)
{
	int page = u->lay.pane[PANE_LOG].h - 2;

	/* textlog_scroll: positive goes back in time. */
	switch (a) {
	case ACT_UP:
		textlog_scroll(u->log, 1);
		break;
	case ACT_DOWN:
		textlog_scroll(u->log, -1);
		break;
	case ACT_PAGE_UP:
		textlog_scroll(u->log, page);
		break;
	case ACT_PAGE_DOWN:
		textlog_scroll(u->log, -page);
		break;
	default:
		return PANE_KEY_NOT_MINE;
	}
	return PANE_KEY_HANDLED | PANE_KEY_REDRAW;
}

const struct pane_ops pane_log_ops = {
	.name = "log",
	.min_h = 6,
	.dirty = SESSION_DIRTY_LOG | PANE_DIRTY_FOCUS,
	.focusable = true,
	.changed = pane_log_changed,
	.draw = pane_log_draw,
	.key = pane_log_key,
};
