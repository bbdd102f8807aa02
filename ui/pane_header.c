/*
 * pane_header — two lines: who and where (plan, host, context, stage,
 * phase, hold countdown, clocks) and what demands attention (alarm,
 * read-only lock holder, unsaved state, uncertain weights).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "countdown.h"
#include "pane.h"

static enum role
phase_role(const struct cutover_state *st)
{
	switch (st->phase) {
	case PHASE_BREACH:
	case PHASE_ERROR:
	case PHASE_ROLLING_BACK:
		return ROLE_CRIT;
	case PHASE_PAUSED:
	case PHASE_SHIFTING:
	case PHASE_ROLLED_BACK:
		return ROLE_WARN;
	case PHASE_HOLDING:
	case PHASE_COMPLETE:
		return ROLE_OK;
	default:
		return ROLE_TITLE;
	}
}

static void
pane_header_draw(struct ui *u, WINDOW *w, int h, int width)
{
	const struct session_view *v = &u->view;
	const struct cutover_state *st = &v->state;
	int64_t left = v->hold_left_ms;
	int64_t wall = v->now_wall;
	time_t t = (time_t)(wall / 1000);
	struct tm utc;
	struct tm local;
	char clocks[48];
	char buf[256];
	char phase[32];
	int x = 0;

	(void)h;
	gmtime_r(&t, &utc);
	localtime_r(&t, &local);
	/* Minutes are enough for a clock; seconds would cost the ssh link a
	 * few bytes every second on an idle screen.  The hold countdown
	 * keeps its seconds. */
	snprintf(clocks, sizeof(clocks), "%02d:%02dZ  %02d:%02d local",
		 utc.tm_hour, utc.tm_min, local.tm_hour, local.tm_min);
	widget_blank(w, 0, 0, width);
	snprintf(buf, sizeof(buf), "cutover %s", v->plan_name);
	x += widget_text(w, 0, x, width - x, ROLE_TITLE, buf);
	if (v->host != NULL) {
		snprintf(buf, sizeof(buf), " %s", v->host);
		x += widget_text(w, 0, x, width - x, ROLE_NORMAL, buf);
	}
	snprintf(buf, sizeof(buf), "  ctx %s",
		 u->opt.demo ? "demo" : v->context != NULL ? v->context :
		 u->opt.context != NULL ? u->opt.context : "-");
	x += widget_text(w, 0, x, width - x, ROLE_DIM, buf);
	if (v->tls_unverified)
		x += widget_text(w, 0, x, width - x, ROLE_CRIT,
				 " TLS-UNVERIFIED");
	snprintf(buf, sizeof(buf), "  stage %d/%d ", st->stage, st->nstages);
	x += widget_text(w, 0, x, width - x, ROLE_NORMAL, buf);
	snprintf(phase, sizeof(phase), "%s", cutover_phase_name(st->phase));
	for (char *p = phase; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 :
			    *p == '_' ? ' ' : *p);
	x += widget_text(w, 0, x, width - x, phase_role(st), phase);
	if (left >= 0 && st->phase != PHASE_SHIFTING &&
	    st->phase != PHASE_ROLLING_BACK) {
		x += widget_text(w, 0, x, width - x, ROLE_NORMAL, "  hold ");
		if (left == 0)
			x += widget_text(w, 0, x, width - x, ROLE_OK, "done");
		else
			x += countdown_draw(w, 0, x, width - x, left,
				    st->phase != PHASE_HOLDING ||
				    st->last_verdict != VERDICT_PASS,
				    ROLE_NORMAL);
	}
	if (width - x > (int)strlen(clocks) + 1)
		widget_text(w, 0, width - (int)strlen(clocks), (int)strlen(clocks),
			    ROLE_DIM, clocks);

	/* Second line: the loudest thing that needs the operator. */
	widget_blank(w, 1, 0, width);
	if (v->guard_down) {
		widget_fill(w, 1, 0, width, ROLE_BANNER);
		widget_text(w, 1, 1, width - 2, ROLE_BANNER,
			    "GUARD DOWN - gates not watched; attaching again "
			    "when it is back (cutover guard)");
	} else if (st->alarm) {
		widget_fill(w, 1, 0, width, ROLE_BANNER);
		widget_text(w, 1, 1, width - 2, ROLE_BANNER,
			    "ALARM: gate failing and automatic rollback is "
			    "off - press r to roll back");
	} else if (st->phase == PHASE_ERROR) {
		snprintf(buf, sizeof(buf), "DRIVER FAILED: %s - weights "
			 "uncertain; t retries, r rolls back",
			 v->last_failure[0] ? v->last_failure : "see log");
		widget_fill(w, 1, 0, width, ROLE_BANNER);
		widget_text(w, 1, 1, width - 2, ROLE_BANNER, buf);
	} else if (v->save_error[0] != '\0') {
		snprintf(buf, sizeof(buf), "STATE NOT SAVED: %s",
			 v->save_error);
		widget_text(w, 1, 0, width, ROLE_CRIT, buf);
	} else if (v->read_only) {
		if (v->holder.pid > 0)
			snprintf(buf, sizeof(buf), "READ-ONLY: locked by pid "
				 "%ld (%s on %s, since %s)", v->holder.pid,
				 v->holder.user, v->holder.tty[0] ?
				 v->holder.tty : "-", v->holder.since);
		else
			snprintf(buf, sizeof(buf), "READ-ONLY: watching only");
		widget_text(w, 1, 0, width, ROLE_WARN, buf);
	} else if (v->guard_pid > 0) {
		snprintf(buf, sizeof(buf), "guard: pid %ld (attached)  |  "
			 "driver %s%s%s", v->guard_pid, v->driver_desc,
			 v->source_note[0] ? "  |  " : "", v->source_note);
		widget_text(w, 1, 0, width, v->source_note[0] ? ROLE_WARN :
			    ROLE_DIM, buf);
	} else {
		snprintf(buf, sizeof(buf), "lock: this process (pid %ld)  |  "
			 "driver %s%s%s", v->pid, v->driver_desc,
			 v->source_note[0] ? "  |  " : "", v->source_note);
		widget_text(w, 1, 0, width, v->source_note[0] ? ROLE_WARN :
			    ROLE_DIM, buf);
	}
}

const struct pane_ops pane_header_ops = {
	.name = "header",
	.min_h = 2,
	.dirty = SESSION_DIRTY_STATE | SESSION_DIRTY_METRICS |
		  SESSION_DIRTY_ALARM | SESSION_DIRTY_CLOCK,
	.draw = pane_header_draw,
};
