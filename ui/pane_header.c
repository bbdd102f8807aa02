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

/*
 * A Kubernetes context as short as it can be told: an EKS context
 * (arn:aws:eks:REGION:ACCOUNT:cluster/NAME) and a GKE one
 * (gke_PROJECT_LOCATION_NAME) by their cluster's name.
 */
static const char *
header_context(const char *ctx, char *buf, size_t len)
{
	const char *p;

	if (strncmp(ctx, "arn:aws:eks:", 12) == 0 &&
	    (p = strstr(ctx, ":cluster/")) != NULL && p[9] != '\0') {
		snprintf(buf, len, "%s", p + 9);
		return buf;
	}
	if (strncmp(ctx, "gke_", 4) == 0) {
		p = ctx + 4;
		for (int i = 0; i < 2 && p != NULL; i++) {
			p = strchr(p, '_');
			if (p != NULL)
				p++;
		}
		if (p != NULL && *p != '\0') {
			snprintf(buf, len, "%s", p);
			return buf;
		}
	}
	snprintf(buf, len, "%s", ctx);
	return buf;
}

/*
 * The first line, laid out by priority: stage, phase, hold countdown and
 * clock always fit (at 80 columns); the plan name, host and context get
 * what is left, the context giving way first, then the host, then the
 * name, each cut marked with "…".
 */
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
	char stage[32];
	char hold[48] = "";
	char ctx[160];
	const char *tls = v->tls_unverified ? " TLS-UNVERIFIED" : "";
	bool show_hold = left >= 0 && st->phase != PHASE_SHIFTING &&
			 st->phase != PHASE_ROLLING_BACK;
	int name_w, host_w, ctx_w, room, x = 0;

	(void)h;
	gmtime_r(&t, &utc);
	localtime_r(&t, &local);
	/* Minutes are enough for a clock; seconds would cost the ssh link a
	 * few bytes every second on an idle screen.  The hold countdown
	 * keeps its seconds. */
	snprintf(clocks, sizeof(clocks), "%02d:%02dZ  %02d:%02d local",
		 utc.tm_hour, utc.tm_min, local.tm_hour, local.tm_min);
	snprintf(stage, sizeof(stage), "  stage %d/%d ", st->stage,
		 st->nstages);
	snprintf(phase, sizeof(phase), "%s", cutover_phase_name(st->phase));
	for (char *p = phase; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 :
			    *p == '_' ? ' ' : *p);
	if (show_hold && left == 0) {
		snprintf(hold, sizeof(hold), "done");
	} else if (show_hold) {
		char cd[32];
		bool paused = st->phase != PHASE_HOLDING ||
			      st->last_verdict != VERDICT_PASS;

		countdown_format(left, cd, sizeof(cd));
		snprintf(hold, sizeof(hold), "%s%s", paused ? "paused " : "",
			 cd);
	}
	header_context(u->opt.demo ? "demo" : v->context != NULL ?
		       v->context : u->opt.context != NULL ? u->opt.context :
		       "-", ctx, sizeof(ctx));

	/* What the essentials leave for who and where. */
	room = width - (int)strlen(stage) - (int)strlen(phase) -
	       (int)strlen(tls) - (show_hold ? 7 + (int)strlen(hold) : 0) -
	       (int)strlen(clocks) - 2;
	name_w = 8 + widget_text_width(v->plan_name);
	host_w = v->host != NULL ? 1 + widget_text_width(v->host) : 0;
	ctx_w = 6 + widget_text_width(ctx);
	/* Which cluster matters more than the host: the host gives way
	 * first, then a long plan name down to 20 columns, then the
	 * context, then the name. */
	if (name_w + host_w + ctx_w > room)
		host_w = room - name_w - ctx_w > 4 ? room - name_w - ctx_w : 0;
	if (name_w + ctx_w > room && name_w > 20)
		name_w = room - ctx_w > 20 ? room - ctx_w : 20;
	if (name_w + ctx_w > room)
		ctx_w = room - name_w > 8 ? room - name_w : 0;
	if (name_w + ctx_w > room)
		name_w = room - ctx_w > 9 ? room - ctx_w : 0;

	widget_blank(w, 0, 0, width);
	snprintf(buf, sizeof(buf), "cutover %s", v->plan_name);
	x += widget_text_cut(w, 0, x, name_w, ROLE_TITLE, buf);
	if (host_w > 0) {
		snprintf(buf, sizeof(buf), " %s", v->host);
		x += widget_text_cut(w, 0, x, host_w, ROLE_NORMAL, buf);
	}
	if (ctx_w > 0) {
		snprintf(buf, sizeof(buf), "  ctx %s", ctx);
		x += widget_text_cut(w, 0, x, ctx_w, ROLE_DIM, buf);
	}
	x += widget_text(w, 0, x, width - x, ROLE_CRIT, tls);
	x += widget_text(w, 0, x, width - x, ROLE_NORMAL, stage);
	x += widget_text(w, 0, x, width - x, phase_role(st), phase);
	if (show_hold) {
		x += widget_text(w, 0, x, width - x, ROLE_NORMAL, "  hold ");
		x += widget_text(w, 0, x, width - x, left == 0 ? ROLE_OK :
				 ROLE_NORMAL, hold);
	}
	if (width - x > (int)strlen(clocks) + 1)
		widget_text(w, 0, width - (int)strlen(clocks), (int)strlen(clocks),
			    ROLE_DIM, clocks);

	/* Second line: the loudest thing that needs the operator. */
	widget_blank(w, 1, 0, width);
	if (v->guard_down) {
		widget_fill(w, 1, 0, width, ROLE_BANNER);
		widget_text_cut(w, 1, 1, width - 2, ROLE_BANNER,
			    "GUARD DOWN - gates not watched; g starts it "
			    "again now");
	} else if (v->verify_alarm) {
		snprintf(buf, sizeof(buf), "ROLLBACK NOT VERIFIED: %s - check "
			 "the driver and DNS; a acknowledges", v->verify_why);
		widget_fill(w, 1, 0, width, ROLE_BANNER);
		widget_text_cut(w, 1, 1, width - 2, ROLE_BANNER, buf);
	} else if (st->alarm) {
		widget_fill(w, 1, 0, width, ROLE_BANNER);
		widget_text_cut(w, 1, 1, width - 2, ROLE_BANNER,
			    "ALARM: gate failing and automatic rollback is "
			    "off - press r to roll back");
	} else if (st->phase == PHASE_ERROR) {
		snprintf(buf, sizeof(buf), "DRIVER FAILED: %s - weights "
			 "uncertain; t retries, r rolls back",
			 v->last_failure[0] ? v->last_failure : "see log");
		widget_fill(w, 1, 0, width, ROLE_BANNER);
		widget_text_cut(w, 1, 1, width - 2, ROLE_BANNER, buf);
	} else if (v->save_error[0] != '\0') {
		snprintf(buf, sizeof(buf), "STATE NOT SAVED: %s",
			 v->save_error);
		widget_text_cut(w, 1, 0, width, ROLE_CRIT, buf);
	} else if (v->read_only) {
		if (v->holder.pid > 0)
			snprintf(buf, sizeof(buf), "READ-ONLY: locked by pid "
				 "%ld (%s on %s, since %s)", v->holder.pid,
				 v->holder.user, v->holder.tty[0] ?
				 v->holder.tty : "-", v->holder.since);
		else
			snprintf(buf, sizeof(buf), "READ-ONLY: watching only");
		widget_text_cut(w, 1, 0, width, ROLE_WARN, buf);
	} else if (v->guard_pid > 0) {
		snprintf(buf, sizeof(buf), "guard: pid %ld (attached)  |  "
			 "driver %s%s%s", v->guard_pid, v->driver_desc,
			 v->source_note[0] ? "  |  " : "", v->source_note);
		widget_text_cut(w, 1, 0, width, v->source_note[0] ? ROLE_WARN :
			    ROLE_DIM, buf);
	} else {
		snprintf(buf, sizeof(buf), "lock: this process (pid %ld)  |  "
			 "driver %s%s%s", v->pid, v->driver_desc,
			 v->source_note[0] ? "  |  " : "", v->source_note);
		widget_text_cut(w, 1, 0, width, v->source_note[0] ? ROLE_WARN :
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
