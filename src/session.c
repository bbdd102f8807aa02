/*
 * session — the wiring (see session.h for the order of effects and the
 * evaluation rule).
 *
 * Everything that changes traffic goes through run_effects(): the state
 * machine decides, this file carries out its effects in a fixed order and
 * feeds the driver's answer back as an event.  Every transition that moves
 * traffic, and every refusal of an operator action, reaches the audit log.
 */
#include "config.h"

#include "session.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "demo.h"
#include "kube.h"
#include "notify.h"
#include "proc.h"
#include "session_view.h"
#include "probe.h"
#include "prom.h"
#include "text.h"
#include "xmalloc.h"

/* How long a closing session waits for its notifications. */
#define NOTIFY_DRAIN_MS 5000

#define TICK_MS 1000
#define SAVE_EVERY_MS 1000

static void changed(struct session *s, unsigned bits);
static void feed(struct session *s, const struct event *ev);

void
session_log(struct session *s, enum evlog_level lv, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	text_sanitise(buf);
	evlog_add(s->remote != NULL ? session_remote_log(s) : &s->log,
		  clock_wall(s->clock), lv, "%s", buf);
	/* One-shot commands have no event log pane: warnings go to stderr. */
	if (!s->live && s->opt.echo_warnings && lv >= EVLOG_WARN)
		fprintf(stderr, "cutover: %s\n", buf);
	changed(s, SESSION_DIRTY_LOG);
}

/*
 * The values an action is taken on: the last evaluation, or before the
 * first stage (no limits yet) what was seen judged by stage 1's limits,
 * so that the first advance records what it advanced on.
 */
static void
record_gates(const struct session *s, struct gate_result *g)
{
	bool answered = false;

	*g = s->gates;
	for (int i = 0; i < Q_COUNT; i++)
		if (s->seen.q[i].state == SOURCE_OK)
			answered = true;
	/* Nothing answered: nothing to record but that. */
	if (g->verdict == VERDICT_NONE && s->evaluated_once && answered &&
	    s->plan->nstages >= 1)
		gate_evaluate(s->plan, 1, &s->seen, s->groups, s->seen_mono,
			      g);
}

/*
 * A decision: logged, and pinned on the screen until the next one.  The
 * values it was taken on follow what was decided.
 */
static void
decided(struct session *s, enum evlog_level lv, const char *what)
{
	char vals[256];
	struct gate_result g;

	record_gates(s, &g);
	if (g.verdict == VERDICT_NONE)
		snprintf(vals, sizeof(vals), "gates not evaluated");
	else
		gate_summary(&g, vals, sizeof(vals));
	snprintf(s->decision, sizeof(s->decision), "%s (%s)", what, vals);
	text_sanitise(s->decision);
	s->decision_wall_ms = clock_wall(s->clock);
	s->decision_level = lv;
}

/* An audited transition as a sentence ("entered stage 3 (50 %)"). */
static void
sentence(const struct effect *f, const char *why, char *buf, size_t len)
{
	const char *a = f->action;
	size_t n;

	if (strcmp(a, "advance") == 0)
		snprintf(buf, len, "advancing from stage %d to stage %d "
			 "(%d %%)", f->stage_from, f->stage_to, f->to.istio);
	else if (strcmp(a, "stage_entered") == 0)
		snprintf(buf, len, "entered stage %d (%d %%)", f->stage_to,
			 f->to.istio);
	else if (strcmp(a, "auto_rollback") == 0)
		snprintf(buf, len, "automatic rollback from stage %d (%d %%)",
			 f->stage_from, f->from.istio);
	else if (strcmp(a, "rollback") == 0)
		snprintf(buf, len, "rolling back from stage %d (%d %%)",
			 f->stage_from, f->from.istio);
	else if (strcmp(a, "rolled_back") == 0)
		snprintf(buf, len, "rolled back: all traffic on APISIX");
	else if (strcmp(a, "pause") == 0)
		snprintf(buf, len, "paused stage %d", f->stage_from);
	else if (strcmp(a, "resume") == 0)
		snprintf(buf, len, "resumed stage %d", f->stage_from);
	else if (strcmp(a, "hold_done") == 0)
		snprintf(buf, len, "the hold of stage %d is over",
			 f->stage_from);
	else if (strcmp(a, "breach_cleared") == 0)
		snprintf(buf, len, "stage %d no longer in breach",
			 f->stage_from);
	else if (strcmp(a, "alarm") == 0)
		snprintf(buf, len, "alarm at stage %d", f->stage_from);
	else if (strcmp(a, "breach") == 0)
		snprintf(buf, len, "stage %d in breach", f->stage_from);
	else if (strcmp(a, "shift_failed") == 0)
		snprintf(buf, len, "the shift to stage %d failed",
			 f->stage_to);
	else if (strcmp(a, "rollback_failed") == 0)
		snprintf(buf, len, "the rollback from stage %d failed",
			 f->stage_from);
	else if (strcmp(a, "retry") == 0)
		snprintf(buf, len, "retrying at stage %d", f->stage_from);
	else if (strcmp(a, "reconcile") == 0)
		snprintf(buf, len, "adopted stage %d (%d %%) as in force",
			 f->stage_to, f->to.istio);
	else if (f->stage_from == f->stage_to)
		snprintf(buf, len, "%s at stage %d", a, f->stage_from);
	else
		snprintf(buf, len, "%s: stage %d to %d", a, f->stage_from,
			 f->stage_to);
	n = strlen(buf);
	if (why != NULL && n < len)
		snprintf(buf + n, len - n, ": %s", why);
}

static void
changed(struct session *s, unsigned bits)
{
	s->dirty |= bits;
	if (s->on_change != NULL)
		s->on_change(s->on_change_arg);
}

static void
driver_line(const char *line, void *arg)
{
	session_log(arg, EVLOG_INFO, "%s", line);
}

/* --- persistence ----------------------------------------------------------- */

static int
save(struct session *s)
{
	struct err e;

	if (s->read_only)
		return 0;
	err_clear(&e);
	s->rec.saved_wall_ms = clock_wall(s->clock);
	plan_fingerprint(s->plan, s->rec.fingerprint);
	if (store_save(&s->store, &s->rec, &e) != 0) {
		/* Loud, but traffic is not touched because a disk is full. */
		if (strcmp(s->save_error, e.msg) != 0)
			session_log(s, EVLOG_CRIT, "cannot save state: %s",
				    e.msg);
		snprintf(s->save_error, sizeof(s->save_error), "%s", e.msg);
		snprintf(s->record_error, sizeof(s->record_error), "the state "
			 "file cannot be written: %s", e.msg);
		s->record_lost = true;
		changed(s, SESSION_DIRTY_STATE);
		return -1;
	}
	if (s->save_error[0] != '\0') {
		s->save_error[0] = '\0';
		session_log(s, EVLOG_NOTE, "state saved again");
	}
	s->last_save_mono = clock_mono(s->clock);
	return 0;
}

static int
audit(struct session *s, const char *action, const char *reason,
      const char *result, int stage_from, struct weights from, int stage_to,
      struct weights to)
{
	struct audit_entry en = {
		.wall_ms = clock_wall(s->clock),
		.action = action,
		.stage_from = stage_from,
		.stage_to = stage_to,
		.from = from,
		.to = to,
		.reason = reason,
		.result = result,
	};
	struct gate_result g;
	struct err e;
	int rc;

	if (s->read_only)
		return 0;
	record_gates(s, &g);
	en.metrics = gate_result_json(&g);
	/* An advance from stage 0 is judged by the preflight: record it. */
	if (stage_from == 0 && s->pf.evaluated && json_is_object(en.metrics))
		json_object_set_new(en.metrics, "preflight",
				    preflight_json_brief(&s->pf));
	/* An automatic rollback or an alarm: the evaluations in a row that
	 * decided it (failing, or without data for on_no_data: rollback). */
	if ((strcmp(action, "auto_rollback") == 0 ||
	     strcmp(action, "alarm") == 0) && json_is_object(en.metrics)) {
		const struct cutover_state *st = &s->rec.state;

		json_object_set_new(en.metrics, "consecutive", json_integer(
		    st->last_verdict == VERDICT_NO_DATA ? st->blind :
		    st->breaches));
	}
	rc = audit_append(s->plan->audit_log, &s->actor, &en, &e);
	if (rc != 0) {
		session_log(s, EVLOG_CRIT, "%s", e.msg);
		snprintf(s->record_error, sizeof(s->record_error), "%s",
			 e.msg);
		s->record_lost = true;
	} else if (s->notify != NULL) {
		/* What was recorded, and only that, is told. */
		json_t *line = audit_line(&s->actor, &en);

		if (line != NULL)
			notify_audit(s->notify, line);
		json_decref(line);
	}
	json_decref(en.metrics);
	return rc;
}

/* A notification failed: shown at its first failure, audited once when
 * it is given up. */
static void
notify_failed(void *arg, const char *target, const char *event,
	      const char *why, bool given_up)
{
	struct session *s = arg;
	const struct cutover_state *st = &s->rec.state;
	char line[640];

	snprintf(line, sizeof(line), "notify %s (%s): %s", target, event,
		 why);
	session_log(s, EVLOG_WARN, "%s%s", line,
		    given_up ? "" : "; retrying");
	if (given_up)
		audit(s, "notify_failed", line, "failed", st->stage,
		      st->applied, st->stage, st->applied);
}

/* --- the driver ------------------------------------------------------------ */

/* Keep the weights a driver found in force, and when. */
static void
read_back_note(struct session *s, struct weights w)
{
	s->read_back_now = true;
	s->read_back_error[0] = '\0';
	s->rec.have_read_back = true;
	s->rec.read_back = w;
	s->rec.read_back_wall_ms = clock_wall(s->clock);
}

/* Answer cb at once with a failed step saying why (nothing started). */
static void
step_failed(struct session *s, driver_cb cb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
step_failed(struct session *s, driver_cb cb, const char *fmt, ...)
{
	struct driver_result r = { .ok = false };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.message, sizeof(r.message), fmt, ap);
	va_end(ap);
	cb(&r, s);
}

/* Read the weights in force, answered to cb (a refusal at once). */
static void
read_back_start(struct session *s, driver_cb cb)
{
	struct err e;

	s->driver_busy = true;
	s->reading_back = true;
	if (driver_read_back(&s->driver, cb, s, &e) != 0)
		step_failed(s, cb, "%s", e.msg);
}

static void
apply_done(const struct driver_result *r, void *arg)
{
	struct session *s = arg;
	struct event ev = {
		.type = r->ok ? EV_DRIVER_DONE : EV_DRIVER_FAILED,
		.seq = s->apply_seq,
	};

	s->driver_busy = false;
	if (r->have_weights)
		read_back_note(s, r->weights);
	if (r->ok) {
		s->outcome = SESSION_OUTCOME_OK;
		s->drift = false;
		session_log(s, EVLOG_NOTE, "driver: applied istio %d%% / "
			    "apisix %d%%%s%s", s->rec.state.pending.istio,
			    s->rec.state.pending.apisix,
			    r->message[0] ? ": " : "", r->message);
	} else {
		s->outcome = SESSION_OUTCOME_DRIVER_FAILED;
		snprintf(s->last_failure, sizeof(s->last_failure), "%s",
			 r->message);
		session_log(s, EVLOG_CRIT, "driver failed: %s", r->message);
	}
	s->rec.apply_in_flight = false;
	feed(s, &ev);
}

/*
 * Record the apply as in flight, then start the driver.  With `strict`
 * (a step forward) nothing is started when the record cannot be written:
 * -1, and the caller puts the state back.
 */
static int
start_apply(struct session *s, const struct effect *fx, bool strict,
	    const struct weights *expect)
{
	struct err e;

	driver_cancel(&s->driver);
	s->driver_busy = false;
	s->reading_back = false;
	s->checking = false;
	s->apply_seq = fx->seq;
	s->rec.apply_in_flight = true;
	if (save(s) != 0 && strict)
		return -1;
	session_log(s, EVLOG_NOTE, "applying istio %d%% / apisix %d%% "
		    "(stage %d)", fx->weights.istio, fx->weights.apisix,
		    fx->stage);
	if (!driver_present(&s->driver)) {
		step_failed(s, apply_done, "no traffic driver in the plan "
			    "(traffic: section): cutover can only watch");
		return 0;
	}
	s->driver_busy = true;
	s->driver.have_expect = expect != NULL;
	if (expect != NULL)
		s->driver.expect = *expect;
	if (driver_apply(&s->driver, fx->weights, fx->stage, apply_done, s,
			 &e) != 0)
		step_failed(s, apply_done, "%s", e.msg);
	return 0;
}

/* The audit result of a transition's own line. */
static const char *
audit_result(const char *action, bool applies)
{
	if (strcmp(action, "shift_failed") == 0 ||
	    strcmp(action, "rollback_failed") == 0)
		return "failed";
	return applies ? "started" : "ok";
}

/*
 * Carry out a transition's effects.  With `strict` (a step forward), the
 * audit lines and the state file with the apply in flight must be written
 * before the driver starts; -1 when they were not, and nothing started.
 */
static int
run_effects(struct session *s, const struct cutover_effects *fx,
	    const char *reason, bool strict)
{
	const struct effect *apply = NULL, *step = NULL;
	struct weights expect;

	for (int i = 0; i < fx->n; i++) {
		if (fx->e[i].type == EFF_APPLY)
			apply = &fx->e[i];
		if (fx->e[i].type == EFF_AUDIT &&
		    strcmp(fx->e[i].action, "advance") == 0)
			step = &fx->e[i];
	}
	/* A step forward starts from the weights the operator saw in force
	 * (the drift's, when forced through it); the driver refuses to
	 * write over others. */
	if (step != NULL)
		expect = s->drift ? s->drift_weights : step->from;
	for (int i = 0; i < fx->n; i++) {
		const struct effect *f = &fx->e[i];
		const char *why = f->reason;

		switch (f->type) {
		case EFF_AUDIT:
			if (reason != NULL)
				why = reason;
			if (strstr(f->action, "failed") != NULL &&
			    s->last_failure[0] != '\0')
				why = s->last_failure;
			if (audit(s, f->action, why,
				  audit_result(f->action, apply != NULL),
				  f->stage_from, f->from, f->stage_to,
				  f->to) != 0 && strict)
				return -1;
			{
				enum evlog_level lv = strstr(f->action,
					"rollback") || strstr(f->action,
					"failed") ? EVLOG_WARN : EVLOG_NOTE;
				char say[320];

				sentence(f, why, say, sizeof(say));
				session_log(s, lv, "%s", say);
				if (strcmp(f->action, "advance") == 0 ||
				    strstr(f->action, "rollback") != NULL ||
				    strcmp(f->action, "alarm") == 0 ||
				    strstr(f->action, "failed") != NULL)
					decided(s, lv, say);
			}
			break;
		case EFF_CANCEL:
			driver_cancel(&s->driver);
			s->driver_busy = false;
			session_log(s, EVLOG_WARN, "cancelled the shift in "
				    "flight");
			break;
		case EFF_ALARM:
			s->bell = true;
			session_log(s, EVLOG_CRIT, "ALARM: %s", f->reason);
			changed(s, SESSION_DIRTY_ALARM);
			break;
		case EFF_SAVE:
		case EFF_APPLY:
			break;
		}
	}
	if (apply != NULL) {
		if (start_apply(s, apply, strict,
				step != NULL ? &expect : NULL) != 0)
			return -1;
	} else {
		save(s);
	}
	changed(s, SESSION_DIRTY_STATE);
	return 0;
}

static void checklist_logs(struct session *s);
static void checklist_summary_done(struct checklist *cl, void *arg);

/* Start or stop the watches that depend on the phase. */
static void
phase_changed(struct session *s, enum phase before)
{
	enum phase now = s->rec.state.phase;
	int64_t t = clock_mono(s->clock);

	changed(s, SESSION_DIRTY_STATE);
	if (now == PHASE_ROLLING_BACK) {
		char buf[256];
		char cause[320];
		int64_t age = t - s->stage_since_mono;

		/* The gates as they stood when the rollback was decided. */
		gate_summary(&s->gates, buf, sizeof(buf));
		snprintf(cause, sizeof(cause), "%s; gates: %s",
			 before == PHASE_BREACH ? "a gate failed" :
			 "the operator rolled back", buf);
		if (s->rec.state.hold_ms > age)
			age = s->rec.state.hold_ms;
		checklist_begin(&s->cl, cause, clock_wall(s->clock), age);
	}
	if (now == PHASE_ROLLED_BACK && before == PHASE_ROLLING_BACK &&
	    s->cl.active) {
		s->cl.on_done_arg = s;
		s->cl.on_rca = checklist_summary_done;
		if (s->demo != NULL)
			for (int i = 0; i < CL_RCA_COUNT; i++)
				snprintf(s->cl.rca_text[i],
					 sizeof(s->cl.rca_text[i]),
					 "simulated (demo)");
		else
			checklist_summarise(&s->cl, s->plan, s->prom);
		checklist_logs(s);
	}
	/* The stage rolled back from: its limits stay on the screen while
	 * the rollback is verified. */
	if (now == PHASE_ROLLING_BACK && s->rec.state.stage > 0)
		s->verify_stage = s->rec.state.stage;
	if (now == PHASE_ROLLED_BACK && before == PHASE_ROLLING_BACK) {
		s->verify = VERIFY_WATCHING;
		s->verify_since_mono = t;
		s->verify_acked = false;
		s->verify_why[0] = '\0';
		session_log(s, EVLOG_NOTE, "verifying the rollback: waiting "
			    "for Istio's request rate to fall below %.3g req/s",
			    s->plan->rollback.verify_max_istio_rps);
	} else if (now != PHASE_ROLLED_BACK) {
		s->verify = VERIFY_NONE;
	}
	if (now == PHASE_BREACH && before != PHASE_BREACH) {
		char d[64];

		snprintf(d, sizeof(d), "breach at stage %d",
			 s->rec.state.stage);
		decided(s, EVLOG_CRIT, d);
	}
	if (before == PHASE_SHIFTING || before == PHASE_ROLLING_BACK) {
		s->stage_since_mono = t;
		s->split_mismatch = false;
	}
}

static void
feed(struct session *s, const struct event *in)
{
	struct cutover_effects fx;
	struct event ev = *in;
	const char *why = NULL;
	enum phase before = s->rec.state.phase;

	if (ev.now_ms == 0)
		ev.now_ms = clock_mono(s->clock);
	if (cutover_step(&s->rec.state, s->plan, &ev, &fx, &why) != 0)
		return;
	/* Weights came into force: recorded with the step's save. */
	if ((before == PHASE_SHIFTING || before == PHASE_ROLLING_BACK) &&
	    s->rec.state.phase != before)
		s->rec.applied_wall_ms = clock_wall(s->clock);
	if (fx.n > 0)
		run_effects(s, &fx, NULL, false);
	if (s->rec.state.phase != before)
		phase_changed(s, before);
}

static void check_done(const struct driver_result *r, void *arg);
static void check_continue(struct session *s);

/* Does this event move traffic? */
static bool
moves_traffic(enum event_type type)
{
	return type == EV_ADVANCE || type == EV_ROLLBACK || type == EV_RETRY;
}

bool
session_can(struct session *s, enum event_type type, bool force,
	    const char **why)
{
	const struct cutover_state *st = &s->rec.state;
	struct event ev = { .type = type, .force = force };
	struct event forced = { .type = type, .force = true };
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (s->read_only) {
		*why = "read-only: another cutover holds this plan";
		return false;
	}
	if (moves_traffic(type) && !driver_present(&s->driver)) {
		*why = "no traffic driver in the plan (no traffic: section): "
		       "cutover only watches, it cannot move traffic";
		return false;
	}
	/*
	 * Weights changed outside cutover: a step from the state file's
	 * stage would be a step from somewhere else.  Only an operator who
	 * saw what is in force may take it (or reconcile first).
	 */
	if (type == EV_ADVANCE && s->drift && !force &&
	    cutover_can(st, s->plan, &forced, NULL)) {
		snprintf(s->drift_why, sizeof(s->drift_why), "the weights in "
			 "force (istio %d%% / apisix %d%%, read back) are not "
			 "the state file's (istio %d%%, stage %d): changed "
			 "outside cutover; run `cutover reconcile` to adopt "
			 "them, or advance with --force",
			 s->drift_weights.istio, s->drift_weights.apisix,
			 st->applied.istio, st->stage);
		*why = s->drift_why;
		return false;
	}
	/*
	 * The first shift waits for the guide's preflight, as a later one
	 * waits for the gates: a failing or unknown check needs --force.
	 */
	if (type == EV_ADVANCE && st->stage == 0 &&
	    st->phase == PHASE_READY && !force &&
	    cutover_can(st, s->plan, &forced, NULL) && session_preflight(s)) {
		*why = s->pf_why;
		return false;
	}
	return cutover_can(st, s->plan, &ev, why);
}

/* A refusal: to the audit log (best effort) and the event log. */
static void
refused(struct session *s, enum event_type type, const char *why)
{
	const struct cutover_state *st = &s->rec.state;

	audit(s, cutover_event_name(type), why, "refused", st->stage,
	      st->applied, st->stage, st->applied);
	session_log(s, EVLOG_WARN, "%s refused: %s", cutover_event_name(type),
		    why);
}

int
session_act(struct session *s, enum event_type type, bool force,
	    const char *reason, const char **why)
{
	struct event ev = {
		.type = type,
		.force = force,
		.now_ms = clock_mono(s->clock),
	};
	struct cutover_state before = s->rec.state;
	struct cutover_effects fx;
	const char *dummy;
	bool forward;
	struct err e;

	if (s->remote != NULL)
		return session_remote_act(s, type, force, reason, why);
	int fd = -1;

	if (why == NULL)
		why = &dummy;
	s->record_lost = false;
	s->record_error[0] = '\0';
	if (s->read_only) {
		*why = "read-only: another cutover holds this plan";
		return -1;
	}
	/* A rollback is never held up for a reason the plan wants (from
	 * the dashboard, a command or through the guard): said, recorded. */
	if (type == EV_ROLLBACK && s->plan->require_reason &&
	    (reason == NULL || reason[0] == '\0')) {
		reason = "no reason given (the plan requires one)";
		session_log(s, EVLOG_WARN, "rolling back without the reason "
			    "the plan requires");
	}
	/*
	 * Moving traffic forward without a record is refused: the audit line
	 * and the state file with the apply in flight are written (fsync)
	 * before the driver starts, or nothing is applied.  A rollback goes
	 * ahead regardless, and the failure to record it is loud.
	 */
	forward = type == EV_ADVANCE || (type == EV_RETRY &&
					 !s->rec.state.retry_rollback);
	if (forward && (fd = audit_open(s->plan->audit_log, &e)) < 0) {
		snprintf(s->audit_error, sizeof(s->audit_error), "%s: nothing "
			 "moves forward without a record", e.msg);
		*why = s->audit_error;
		s->outcome = SESSION_OUTCOME_NOT_RECORDED;
		session_log(s, EVLOG_CRIT, "%s refused: %s",
			    cutover_event_name(type), *why);
		return -1;
	}
	if (forward)
		close(fd);
	/* The plan asks for a reason (a change ticket) on every advance. */
	if (type == EV_ADVANCE && s->plan->require_reason &&
	    (reason == NULL || reason[0] == '\0')) {
		*why = "the plan requires a reason for an advance "
		       "(require_reason: give --reason)";
		refused(s, type, *why);
		return -1;
	}
	if (!session_can(s, type, force, why)) {
		refused(s, type, *why);
		return -1;
	}
	/*
	 * The dashboard may have run for hours since it last read the
	 * weights: read them again, and advance only when they are still
	 * the state file's (check_done).  One-shot commands read them back
	 * just before (session_start).
	 */
	if (type == EV_ADVANCE && s->live && !s->checked &&
	    driver_can_read_back(&s->driver)) {
		s->checking = true;
		s->check_force = force;
		s->check_actor = s->actor;
		snprintf(s->check_reason, sizeof(s->check_reason), "%s",
			 reason != NULL ? reason : "");
		/* The start's read-back is on its way: advance on its answer. */
		if (s->reading_back) {
			session_log(s, EVLOG_NOTE, "advance: waiting for the "
				    "weights in force (read back)");
			return 0;
		}
		session_log(s, EVLOG_NOTE, "advance: reading the weights in "
			    "force first");
		read_back_start(s, check_done);
		changed(s, SESSION_DIRTY_STATE);
		return 0;
	}
	if (cutover_step(&s->rec.state, s->plan, &ev, &fx, why) != 0) {
		refused(s, type, *why);
		return -1;
	}
	if (reason == NULL && force)
		reason = "forced by the operator";
	/* Forced past the preflight: the audit line names what failed. */
	if (type == EV_ADVANCE && force && before.stage == 0 &&
	    before.phase == PHASE_READY && session_preflight(s)) {
		snprintf(s->audit_error, sizeof(s->audit_error), "%s, past the "
			 "%s", reason, s->pf_why);
		reason = s->audit_error;
	}
	s->outcome = SESSION_OUTCOME_NONE;
	s->last_failure[0] = '\0';
	if (run_effects(s, &fx, reason, forward) != 0) {
		/* Nothing was applied: back to where the record is. */
		s->rec.state = before;
		s->rec.apply_in_flight = false;
		s->outcome = SESSION_OUTCOME_NOT_RECORDED;
		snprintf(s->audit_error, sizeof(s->audit_error), "%s: nothing "
			 "applied (a step forward needs its record first)",
			 s->record_error);
		*why = s->audit_error;
		audit(s, cutover_event_name(type), *why, "refused",
		      before.stage, before.applied, before.stage,
		      before.applied);
		session_log(s, EVLOG_CRIT, "%s refused: %s",
			    cutover_event_name(type), *why);
		changed(s, SESSION_DIRTY_STATE);
		return -1;
	}
	if (s->record_lost)
		session_log(s, EVLOG_CRIT, "%s goes ahead without its record: "
			    "%s", cutover_event_name(type), s->record_error);
	if (s->rec.state.phase != before.phase)
		phase_changed(s, before.phase);
	return 0;
}

int
session_reconcile_drift(struct session *s, const char **why)
{
	struct cutover_effects fx;
	struct cutover_state *st = &s->rec.state;
	enum phase before = st->phase;
	int stage = -1;

	*why = NULL;
	if (!s->drift)
		return 0;
	for (int k = 0; k <= s->plan->nstages && stage < 0; k++) {
		struct weights w = cutover_stage_weights(s->plan, k);

		if (w.istio == s->drift_weights.istio)
			stage = k;
	}
	if (stage < 0) {
		snprintf(s->drift_why, sizeof(s->drift_why), "the weights in "
			 "force (istio %d%% / apisix %d%%) are no stage of the "
			 "plan: roll back, or advance with --force",
			 s->drift_weights.istio, s->drift_weights.apisix);
		*why = s->drift_why;
		return -1;
	}
	if (cutover_adopt(st, s->plan, stage, &fx, why) != 0)
		return -1;
	s->drift = false;
	/* Since when they are in force is unknown: settled from now. */
	s->rec.applied_wall_ms = clock_wall(s->clock);
	run_effects(s, &fx, NULL, false);
	if (st->phase != before)
		phase_changed(s, before);
	return 0;
}

/* --- reconcile ------------------------------------------------------------- */

static bool
weights_eq(struct weights a, struct weights b)
{
	return a.istio == b.istio && a.apisix == b.apisix;
}

/* A read-back step ended: keep the weights it found, if any. */
static bool
read_back_keep(struct session *s, const struct driver_result *r)
{
	s->driver_busy = false;
	s->reading_back = false;
	if (!r->ok || !r->have_weights) {
		snprintf(s->read_back_error, sizeof(s->read_back_error), "%s",
			 r->ok ? "no weights in the answer" : r->message);
		text_scrub(s->read_back_error, sizeof(s->read_back_error));
		return false;
	}
	read_back_note(s, r->weights);
	return true;
}

static void
read_back_done(const struct driver_result *r, void *arg)
{
	struct session *s = arg;
	struct cutover_state *st = &s->rec.state;
	bool interrupted = s->rec.apply_in_flight;

	if (read_back_keep(s, r)) {
		session_log(s, EVLOG_NOTE, "read back: istio %d%% / apisix "
			    "%d%%", r->weights.istio, r->weights.apisix);
	} else {
		session_log(s, EVLOG_WARN, "read back failed: %s", r->message);
	}
	bool was_drift = s->drift;

	if (!interrupted && r->ok && r->have_weights) {
		bool settled = !st->uncertain && st->phase != PHASE_ERROR &&
			       st->phase != PHASE_SHIFTING &&
			       st->phase != PHASE_ROLLING_BACK;

		s->drift = settled && !weights_eq(r->weights, st->applied);
		s->drift_weights = r->weights;
	}
	changed(s, SESSION_DIRTY_STATE);
	/* Watching only: show what is in force, decide nothing. */
	if (s->read_only)
		return;
	if (!interrupted) {
		/* Drift is said once, not at every read-back. */
		if (r->ok && r->have_weights && !was_drift &&
		    !weights_eq(r->weights, st->applied)) {
			audit(s, "reconcile_mismatch", "weights in force "
			      "differ from the state file", "warning",
			      st->stage,
			      st->applied, st->stage, r->weights);
			session_log(s, EVLOG_CRIT, "weights in force (istio "
				    "%d%%) differ from the state file (istio "
				    "%d%%): changed outside cutover?",
				    r->weights.istio, st->applied.istio);
			{
				char d[160];

				snprintf(d, sizeof(d), "drift: istio %d %% in "
					 "force, %d %% in the state file",
					 r->weights.istio, st->applied.istio);
				decided(s, EVLOG_CRIT, d);
			}
			s->bell = true;
		}
		if (s->checking)
			check_continue(s);
		return;
	}

	/* An apply was in flight when the last run ended. */
	struct event ev = { .seq = st->seq };

	s->rec.apply_in_flight = false;
	if (r->ok && r->have_weights && weights_eq(r->weights, st->pending)) {
		ev.type = EV_DRIVER_DONE;
		audit(s, "reconcile", "interrupted apply had taken effect",
		      "ok", st->stage, st->applied, st->target, r->weights);
		session_log(s, EVLOG_NOTE, "interrupted apply had taken "
			    "effect: stage %d", st->target);
	} else {
		ev.type = EV_DRIVER_FAILED;
		if (r->ok && r->have_weights)
			snprintf(s->last_failure, sizeof(s->last_failure),
				 "interrupted apply: read back istio %d%%, "
				 "wanted %d%%: retry or roll back",
				 r->weights.istio, st->pending.istio);
		else
			snprintf(s->last_failure, sizeof(s->last_failure),
				 "interrupted apply: weights unknown (%s): "
				 "retry or roll back", r->message);
		audit(s, "reconcile", s->last_failure, "failed", st->stage,
		      st->applied,
		      st->target, r->have_weights ? r->weights : st->applied);
		session_log(s, EVLOG_CRIT, "%s", s->last_failure);
	}
	feed(s, &ev);
}

/* An advance waited for a read-back: go on with it, on what was read. */
static void
check_continue(struct session *s)
{
	const char *why = NULL;
	struct audit_actor own = s->actor;

	s->checking = false;
	s->checked = true;
	/* Audited as who asked, not as the guard that read back for them. */
	s->actor = s->check_actor;
	session_act(s, EV_ADVANCE, s->check_force,
		    s->check_reason[0] != '\0' ? s->check_reason : NULL, &why);
	s->actor = own;
	s->checked = false;
}

/* The weights read back before an advance (live sessions). */
static void
check_done(const struct driver_result *r, void *arg)
{
	struct session *s = arg;
	struct cutover_state *st = &s->rec.state;

	if (read_back_keep(s, r)) {
		s->drift = !weights_eq(r->weights, st->applied) &&
			   !st->uncertain;
		s->drift_weights = r->weights;
		if (s->drift) {
			char d[160];

			audit(s, "reconcile_mismatch", "weights in force "
			      "differ from the state file", "warning",
			      st->stage, st->applied, st->stage, r->weights);
			snprintf(d, sizeof(d), "drift: istio %d %% in force, "
				 "%d %% in the state file", r->weights.istio,
				 st->applied.istio);
			decided(s, EVLOG_CRIT, d);
			s->bell = true;
		}
	} else {
		session_log(s, EVLOG_WARN, "read back failed: %s; advancing "
			    "on the state file's word", r->message);
	}
	changed(s, SESSION_DIRTY_STATE);
	check_continue(s);
}

static void
reconcile(struct session *s)
{
	if (!driver_present(&s->driver)) {
		if (s->rec.apply_in_flight)
			step_failed(s, read_back_done, "no traffic driver to "
				    "read back with");
		return;
	}
	if (!driver_can_read_back(&s->driver)) {
		if (s->rec.apply_in_flight)
			step_failed(s, read_back_done, "driver %s cannot read "
				    "back", s->driver.ops->name);
		return;
	}
	if (s->rec.apply_in_flight)
		session_log(s, EVLOG_WARN, "an apply to stage %d was "
			    "interrupted: reading the weights back",
			    s->rec.state.target);
	read_back_start(s, read_back_done);
}

/* --- sources and gates ------------------------------------------------------ */

bool
session_measured_split(const struct session *s, int64_t now, double *pct,
		       double *total_rps)
{
	double ir;
	double ar;
	int64_t max_age = s->plan->gates.max_age_ms;

	if (!metrics_value(&s->seen, s->plan, Q_ISTIO_RPS, now, max_age,
			   &ir) ||
	    !metrics_value(&s->seen, s->plan, Q_APISIX_RPS, now, max_age,
			   &ar) || ir + ar <= 0)
		return false;
	*pct = 100.0 * ir / (ir + ar);
	*total_rps = ir + ar;
	return true;
}

/*
 * Once the settle time (DNS TTLs) has passed in a stage, the measured
 * split should follow the applied weights; say so when it does not.
 */
static void
watch_split(struct session *s, int64_t now)
{
	const struct cutover_state *st = &s->rec.state;
	double pct;
	double total;
	double diff;
	int64_t settle = s->plan->gates.settle_ms;
	/*
	 * Settled counts from when the weights were applied, which the
	 * state file keeps, so the dashboard, the guard and `status` judge
	 * alike.  A state file that does not say (an earlier version's):
	 * the time watched, or the hold observed.
	 */
	bool settled = s->rec.applied_wall_ms > 0 ?
		       clock_wall(s->clock) - s->rec.applied_wall_ms >= settle :
		       now - s->stage_since_mono >= settle ||
		       st->hold_ms >= settle;
	bool watch = st->stage >= 1 && (st->phase == PHASE_HOLDING ||
		     st->phase == PHASE_READY || st->phase == PHASE_PAUSED ||
		     st->phase == PHASE_BREACH || st->phase == PHASE_COMPLETE);

	s->measured_istio = NAN;
	if (!session_measured_split(s, now, &pct, &total))
		return;
	s->measured_istio = pct;
	if (!watch || !settled)
		return;
	diff = fabs(pct - st->applied.istio);
	if (diff > s->plan->gates.max_split_diff * 100.0) {
		if (!s->split_mismatch) {
			char why[160];

			s->split_mismatch = true;
			snprintf(why, sizeof(why), "measured istio %.1f%% vs "
				 "applied %d%% (more than %.0f points apart "
				 "after the settle time)", pct,
				 st->applied.istio,
				 s->plan->gates.max_split_diff * 100.0);
			session_log(s, EVLOG_WARN, "split: %s", why);
			audit(s, "split_mismatch", why, "warning", st->stage,
			      st->applied, st->stage, st->applied);
		}
	} else if (s->split_mismatch) {
		s->split_mismatch = false;
		session_log(s, EVLOG_NOTE, "split: measured %.1f%% follows the "
			    "applied %d%% again", pct, st->applied.istio);
	}
}

/*
 * A rollback is verified when the Istio gateway's own request rate falls
 * to near zero; DNS caches may keep sending clients there for a while.
 */
static void
watch_rollback(struct session *s, int64_t now)
{
	const struct cutover_state *st = &s->rec.state;
	double rps;
	char why[160];

	if (s->verify != VERIFY_WATCHING && s->verify != VERIFY_LATE)
		return;
	/* Judged on what this round judged, and only on a round asked after
	 * the rollback: a rate from before it, or one Prometheus has not
	 * answered again, proves nothing. */
	bool measured = s->round_start_mono >= s->verify_since_mono &&
			metrics_value(&s->seen, s->plan, Q_ISTIO_RPS, now,
				      s->plan->gates.max_age_ms, &rps);

	if (measured && rps <= s->plan->rollback.verify_max_istio_rps) {
		s->verify = VERIFY_DONE;
		s->verify_took_ms = now - s->verify_since_mono;
		snprintf(why, sizeof(why), "rollback verified: Istio at %.3g "
			 "req/s after %llds", rps,
			 (long long)(s->verify_took_ms / 1000));
		session_log(s, EVLOG_NOTE, "%s", why);
		decided(s, EVLOG_NOTE, why);
		audit(s, "rollback_verified", why, "ok", st->stage, st->applied,
		      st->stage, st->applied);
		return;
	}
	if (s->verify == VERIFY_WATCHING &&
	    now - s->verify_since_mono > s->plan->rollback.verify_timeout_ms) {
		s->verify = VERIFY_LATE;
		/* Blind is not the same as "still reaching Istio". */
		if (measured)
			snprintf(why, sizeof(why), "traffic still reaching "
				 "Istio after %lld min (%.3g req/s)",
				 (long long)((now - s->verify_since_mono) /
					     60000), rps);
		else
			snprintf(why, sizeof(why), "rollback not verified: no "
				 "Istio request rate for %lld min",
				 (long long)((now - s->verify_since_mono) /
					     60000));
		session_log(s, EVLOG_CRIT, "%s", why);
		audit(s, "rollback_unverified", why, "warning", st->stage,
		      st->applied, st->stage, st->applied);
		snprintf(s->verify_why, sizeof(s->verify_why), "%s", why);
		decided(s, EVLOG_CRIT, why);
		s->bell = true;
		s->verify_bell_mono = now;
		changed(s, SESSION_DIRTY_ALARM);
	}
}

/*
 * Judge the round just ended.  `late`: its deadline passed with answers
 * still out; a query that has not answered since the round began is no
 * data in what is judged (and shown), never the last round's value.
 */
static void
evaluate(struct session *s, bool late)
{
	int64_t now = clock_mono(s->clock);
	struct event ev = { .type = EV_VERDICT, .now_ms = now };
	char buf[256];

	bool verifying = (s->verify == VERIFY_WATCHING ||
			  s->verify == VERIFY_LATE) && s->verify_stage > 0;

	s->seen = s->metrics;
	s->seen_mono = now;
	s->evaluated_once = true;
	for (int i = 0; late && s->prom != NULL && i < Q_COUNT; i++) {
		struct series *q = &s->seen.q[i];

		if (q->state == SOURCE_OK &&
		    q->fetched_mono_ms < s->round_start_mono) {
			q->state = SOURCE_ERROR;
			snprintf(q->error, sizeof(q->error), "no answer before "
				 "the next refresh");
		}
	}
	/* While a rollback is verified Istio is judged by the limits of the
	 * stage it was rolled back from: shown, never acted on. */
	gate_evaluate(s->plan, verifying ? s->verify_stage :
		      s->rec.state.stage, &s->seen, s->groups, now, &s->gates);
	if (s->gates.verdict != s->shown_verdict) {
		s->shown_verdict = s->gates.verdict;
		if (s->gates.verdict != VERDICT_NONE)
			session_log(s, s->gates.verdict == VERDICT_FAIL ?
				    EVLOG_CRIT : s->gates.verdict ==
				    VERDICT_PASS ? EVLOG_INFO : EVLOG_WARN,
				    "gates: %s",
				    gate_summary(&s->gates, buf, sizeof(buf)));
	}
	ev.verdict = s->gates.verdict;
	if (ev.verdict != VERDICT_NONE && !verifying)
		feed(s, &ev);
	if (s->rec.state.stage == 0)
		session_preflight(s);
	watch_split(s, now);
	watch_rollback(s, now);
	changed(s, SESSION_DIRTY_METRICS);
}

/*
 * A refresh round: refresh_fire asks the gates' sources (Prometheus, the
 * pods) and the round is judged once, when their answers are all in, or
 * at its deadline, the next refresh, whatever is still out then.  So the
 * verdict and the values beside it are the latest the sources gave, and
 * the consecutive-breach count moves once per round however many answers
 * arrive.  The probes keep their own schedule; each round judges their
 * latest results.
 */
static bool
round_busy(const struct session *s)
{
	return (s->prom != NULL && s->metrics.in_flight) ||
	       (s->kube != NULL && kube_busy(s->kube));
}

static void
round_check(struct session *s)
{
	if (s->round_open && !round_busy(s)) {
		s->round_open = false;
		evaluate(s, false);
	}
}

static void
prom_updated(void *arg)
{
	changed(arg, SESSION_DIRTY_METRICS);
	round_check(arg);
}

static void
kube_updated(void *arg)
{
	struct session *s = arg;

	changed(s, SESSION_DIRTY_PODS);
	round_check(s);
	if (s->cl.logs == CL_LOGS_WAITING && !kube_busy(s->kube))
		checklist_logs(s);
}

static void
preflight_updated(void *arg)
{
	changed(arg, SESSION_DIRTY_STATE | SESSION_DIRTY_METRICS);
}

static void
fetch(struct session *s)
{
	if (s->demo != NULL) {
		demo_observe(s->demo, &s->metrics, s->groups);
		changed(s, SESSION_DIRTY_METRICS | SESSION_DIRTY_PODS);
	} else {
		if (s->prom != NULL)
			prom_refresh(s->prom);
		/* The running session keeps its pods by watching: a
		 * refresh reads the caches (one-shot commands list once). */
		if (s->kube != NULL) {
			kube_set_watch(s->kube, true);
			kube_refresh(s->kube);
		}
		if (s->rec.state.stage == 0)
			preflight_refresh(&s->pf);
	}
}

static void
demo_autopilot(struct session *s)
{
	const struct cutover_state *st = &s->rec.state;

	if (s->demo == NULL || !s->opt.autopilot || s->driver_busy)
		return;
	if (st->phase == PHASE_READY && st->stage < st->nstages &&
	    (st->stage == 0 || st->last_verdict == VERDICT_PASS)) {
		session_log(s, EVLOG_NOTE, "demo autopilot: advancing (press "
			    "n yourself with --no-autopilot)");
		session_act(s, EV_ADVANCE, false, "demo autopilot", NULL);
	}
}

static void
refresh_fire(void *arg)
{
	struct session *s = arg;

	s->refresh_timer = NULL;
	/* The last round's deadline: judged on what came. */
	if (s->round_open) {
		s->round_open = false;
		evaluate(s, true);
	}
	s->round_start_mono = clock_mono(s->clock);
	fetch(s);
	/* The demo, and pods read from the watch's caches, answer at once. */
	s->round_open = true;
	round_check(s);
	demo_autopilot(s);
	s->refresh_timer = loop_timer_at(s->loop, clock_mono(s->clock) +
					 s->plan->refresh_ms, refresh_fire, s);
}

static void
tick_fire(void *arg)
{
	struct session *s = arg;
	int64_t now = clock_mono(s->clock);
	struct event ev = { .type = EV_TICK, .now_ms = now };
	int64_t left = cutover_hold_left(&s->rec.state, s->plan);

	s->tick_timer = NULL;
	feed(s, &ev);
	/* Keep the observed hold on disk so a restart resumes it exactly. */
	if (s->rec.state.phase == PHASE_HOLDING &&
	    now - s->last_save_mono >= SAVE_EVERY_MS)
		save(s);
	(void)left;
	/*
	 * The clock and the hold countdown move every second; the metrics'
	 * ages only need to be redrawn every second once data is late (a
	 * fresh screen then sends a few bytes a second, not a full pane).
	 */
	changed(s, SESSION_DIRTY_CLOCK);
	/* An unverified rollback rings until someone acknowledges it. */
	if (s->verify == VERIFY_LATE && !s->verify_acked &&
	    now - s->verify_bell_mono >= 60000) {
		s->verify_bell_mono = now;
		s->bell = true;
		changed(s, SESSION_DIRTY_ALARM);
	}
	for (int i = 0; i < Q_COUNT; i++) {
		int64_t age = metrics_age_ms(&s->metrics, (enum query_id)i, now);

		if (s->metrics.q[i].state != SOURCE_UNKNOWN &&
		    age > s->plan->refresh_ms) {
			changed(s, SESSION_DIRTY_METRICS);
			break;
		}
	}
	s->tick_timer = loop_timer_at(s->loop, now + TICK_MS, tick_fire, s);
}

/* --- lifecycle -------------------------------------------------------------- */

static void
probes_updated(void *arg)
{
	changed(arg, SESSION_DIRTY_METRICS);
}

/*
 * The probes need the gateway's address: configured, or read from its
 * Service through the Kubernetes client (opened for that alone when the
 * plan watches no pods).
 */
static void
session_probes_open(struct session *s)
{
	const struct plan *p = s->plan;
	struct err pe;

	if (s->kube == NULL && p->probes.istio_address == NULL &&
	    p->ngroups == 0) {
		s->kube = kube_new(p, s->loop, NULL, &pe);
		if (s->kube == NULL) {
			size_t n = strlen(s->source_note);

			snprintf(s->source_note + n,
				 sizeof(s->source_note) - n,
				 "%sprobes: no Istio address: kubernetes: %s",
				 n > 0 ? "; " : "", pe.msg);
		}
	}
	s->probes = probe_new(p, s->loop, &s->metrics, s->kube, &pe);
	if (s->probes != NULL)
		probe_on_update(s->probes, probes_updated, s);
}

/* The notify: targets; Events go through the pods' Kubernetes client,
 * or one of their own. */
static void
notify_start(struct session *s)
{
	const struct plan *p = s->plan;
	struct kube *k = s->kube;
	struct err e;
	bool events = false;

	err_clear(&e);
	for (int i = 0; i < p->nnotify; i++)
		if (strcmp(p->notify[i].type, "kubernetes-events") == 0)
			events = true;
	if (events && k == NULL && !s->opt.demo) {
		s->notify_kube = kube_new(p, s->loop, NULL, &e);
		k = s->notify_kube;
		text_scrub(e.msg, sizeof(e.msg));
	}
	s->notify = notify_new(p, s->loop, k, s->opt.demo ?
			       "the demo has no cluster" : e.msg);
	notify_on_fail(s->notify, notify_failed, s);
}

/*
 * Give the notifications still queued a few seconds to go (a one-shot
 * command ends right after its action); what is left is given up,
 * audited.
 */
static void
notify_stop(struct session *s)
{
	int64_t end = clock_mono(&clock_system) + NOTIFY_DRAIN_MS;

	for (int i = 0; i < 100000 && notify_pending(s->notify) > 0 &&
	     clock_mono(&clock_system) < end; i++)
		loop_run_once(s->loop, 50);
	notify_abandon(s->notify, "not sent before cutover exited");
	notify_free(s->notify);
	s->notify = NULL;
	if (s->notify_kube != NULL)
		kube_free(s->notify_kube);
	s->notify_kube = NULL;
}

/*
 * An action refused because another cutover holds the plan's lock: on
 * the record too (best effort; the holder's own lines stay whole, every
 * line being one append).  The state file is not read: no stage.
 */
static void
lock_refused(struct session *s, const char *why)
{
	struct audit_entry en = {
		.wall_ms = clock_wall(s->clock),
		.action = "lock_refused",
		.stage_from = -1,
		.stage_to = -1,
		.reason = why,
		.result = "refused",
	};
	struct err e;

	if (s->plan->audit_log != NULL &&
	    audit_append(s->plan->audit_log, &s->actor, &en, &e) != 0)
		session_log(s, EVLOG_WARN, "%s", e.msg);
}

int
session_open(struct session *s, const struct plan *p, const struct clock *c,
	     struct loop *l, const struct session_options *opt,
	     bool allow_read_only, struct err *e)
{
	char fp[17];
	int rc;

	memset(s, 0, sizeof(*s));
	s->plan = p;
	s->clock = c;
	s->loop = l;
	s->opt = *opt;
	s->shown_verdict = VERDICT_NONE;
	evlog_init(&s->log);
	metrics_init(&s->metrics);
	metrics_init(&s->seen);
	audit_actor_current(&s->actor);
	s->groups = xcalloc((size_t)(p->ngroups > 0 ? p->ngroups : 1),
			    sizeof(*s->groups));
	for (int i = 0; i < p->ngroups; i++)
		group_health_init(&s->groups[i], p->groups[i].min_ready);

	if (store_open(&s->store, p->state_file, e) != 0)
		goto fail;
	if (opt->read_only) {
		s->read_only = true;
	} else if (store_lock(&s->store, &s->holder, e) != 0) {
		if (!allow_read_only) {
			/* Held by another cutover: a refusal for the
			 * record.  Any other failure (a link, a
			 * permission) writes nothing. */
			if (s->holder.pid > 0)
				lock_refused(s, e->msg);
			goto fail_store;
		}
		s->read_only = true;
		session_log(s, EVLOG_WARN, "read-only: %s", e->msg);
	}
	s->store.read_only = s->read_only;
	rc = store_load(&s->store, &s->rec, e);
	if (rc < 0)
		goto fail_store;
	plan_fingerprint(p, fp);
	if (rc == 1 && opt->demo && !s->read_only) {
		/* Every demo starts from the beginning. */
		session_log(s, EVLOG_NOTE, "demo: starting from stage 0");
		memset(&s->rec, 0, sizeof(s->rec));
		rc = 0;
	}
	if (rc == 0) {
		cutover_init(&s->rec.state, p);
		snprintf(s->rec.fingerprint, sizeof(s->rec.fingerprint), "%s",
			 fp);
	} else if (strcmp(fp, s->rec.fingerprint) != 0 &&
		   (s->rec.state.stage != 0 ||
		    s->rec.state.phase != PHASE_READY) &&
		   s->rec.state.phase != PHASE_ROLLED_BACK) {
		err_set(e, "the plan's stages changed during a cutover (state "
			"file %s is at stage %d of the old plan): finish or "
			"roll back with the old plan, or move the state file "
			"aside", p->state_file, s->rec.state.stage);
		goto fail_store;
	} else if (strcmp(fp, s->rec.fingerprint) == 0 &&
		   store_check_plan(&s->store, &s->rec, p, e) != 0) {
		goto fail_store;
	} else {
		s->rec.state.nstages = p->nstages;
		snprintf(s->rec.fingerprint, sizeof(s->rec.fingerprint), "%s",
			 fp);
		/* A verdict from an earlier run is not an observation now: the
		 * hold counts again only after a fresh passing evaluation. */
		s->rec.state.last_verdict = VERDICT_NONE;
	}

	if (opt->demo) {
		s->demo = demo_new(p, l);
		demo_attach_driver(s->demo, &s->driver);
		s->driver.plan = p;
		s->driver.loop = l;
		s->driver.log = driver_line;
		s->driver.log_arg = s;
	} else if (driver_init(&s->driver, p, l, driver_line, s, e) != 0) {
		err_prefix(e, "traffic driver");
		goto fail_store;
	}
	if (driver_present(&s->driver))
		s->driver.ops->describe(&s->driver, s->driver_desc,
					sizeof(s->driver_desc));
	else
		snprintf(s->driver_desc, sizeof(s->driver_desc),
			 "none (watch only)");

	if (!opt->demo) {
		struct err pe;

		if (p->prometheus.url == NULL) {
			snprintf(s->source_note, sizeof(s->source_note),
				 "no prometheus.url in the plan: no metrics");
		} else {
			s->prom = prom_new(p, l, &s->metrics, &pe);
			if (s->prom == NULL)
				snprintf(s->source_note, sizeof(s->source_note),
					 "prometheus: %s", pe.msg);
			else
				prom_on_update(s->prom, prom_updated, s);
		}
		if (p->ngroups > 0) {
			s->kube = kube_new(p, l, s->groups, &pe);
			if (s->kube == NULL) {
				size_t n = strlen(s->source_note);

				snprintf(s->source_note + n,
					 sizeof(s->source_note) - n,
					 "%skubernetes: %s", n > 0 ? "; " : "",
					 pe.msg);
			} else {
				kube_on_update(s->kube, kube_updated, s);
			}
		}
		if (p->probes.n > 0)
			session_probes_open(s);
		/* A kubeconfig's or a token file's error may quote it. */
		text_scrub(s->source_note, sizeof(s->source_note));
		if (s->source_note[0] != '\0')
			session_log(s, EVLOG_WARN, "%s", s->source_note);
	}
	/* The preflight asks through the pods' client when there is one. */
	preflight_init(&s->pf, p, l, opt->demo, s->kube);
	s->pf.on_update = preflight_updated;
	s->pf.on_update_arg = s;
	if (p->nnotify > 0 && !s->read_only)
		notify_start(s);
	return 0;

fail_store:
	store_close(&s->store);
fail:
	for (int i = 0; i < p->ngroups; i++)
		group_health_done(&s->groups[i]);
	free(s->groups);
	evlog_done(&s->log);
	return -1;
}

void
session_start(struct session *s, bool live)
{
	int64_t now = clock_mono(s->clock);

	s->live = live;
	s->stage_since_mono = now;
	s->measured_istio = NAN;
	/*
	 * Read the weights back (and settle an interrupted apply).  A
	 * read-only session only looks: reading is safe next to the
	 * process that owns the driver.
	 */
	if (!s->read_only || (driver_present(&s->driver) &&
			      driver_can_read_back(&s->driver) &&
			      !s->rec.apply_in_flight))
		reconcile(s);
	if (!live)
		return;
	if (s->prom != NULL)
		prom_backfill(s->prom, 30 * 60 * 1000, s->plan->refresh_ms);
	if (s->probes != NULL)
		probe_start(s->probes);
	s->last_save_mono = now;
	s->refresh_timer = loop_timer_at(s->loop, now, refresh_fire, s);
	s->tick_timer = loop_timer_at(s->loop, now + TICK_MS, tick_fire, s);
}

void
session_close(struct session *s)
{
	if (s->plan == NULL)
		return;
	if (s->remote != NULL) {
		session_remote_close(s);
		return;
	}
	loop_timer_cancel(s->loop, s->refresh_timer);
	loop_timer_cancel(s->loop, s->tick_timer);
	s->refresh_timer = s->tick_timer = NULL;
	if (s->notify != NULL)
		notify_stop(s);
	/*
	 * A driver step still running is abandoned, not undone: the state
	 * file says an apply is in flight and the next start reads back.
	 */
	if (s->driver_busy && !s->reading_back)
		s->rec.apply_in_flight = true;
	save(s);
	probe_free(s->probes);
	s->probes = NULL;
	/* Their requests go through the sources' clients: stopped first. */
	preflight_done(&s->pf);
	checklist_cancel(&s->cl);
	if (s->prom != NULL)
		prom_free(s->prom);
	if (s->kube != NULL)
		kube_free(s->kube);
	driver_done(&s->driver);
	if (s->demo != NULL)
		demo_free(s->demo);
	store_close(&s->store);
	for (int i = 0; i < s->plan->ngroups; i++)
		group_health_done(&s->groups[i]);
	free(s->groups);
	evlog_done(&s->log);
	s->plan = NULL;
}

int
session_record(struct session *s, const char *action, const char *why,
	       const char *result)
{
	const struct cutover_state *st = &s->rec.state;

	/* Attached to a guard: the guard keeps the record (and keeps
	 * watching); this process knows neither the state nor the log. */
	if (s->remote != NULL)
		return 0;
	return audit(s, action, why, result, st->stage, st->applied,
		     st->stage, st->applied);
}

int
session_acknowledge(struct session *s)
{
	const struct cutover_state *st = &s->rec.state;

	if (s->remote != NULL)
		return session_remote_acknowledge(s);
	if (s->verify != VERIFY_LATE || s->verify_acked)
		return -1;
	s->verify_acked = true;
	audit(s, "alarm_acknowledged", s->verify_why, "ok", st->stage,
	      st->applied, st->stage, st->applied);
	session_log(s, EVLOG_NOTE, "the operator acknowledged: %s",
		    s->verify_why);
	changed(s, SESSION_DIRTY_ALARM | SESSION_DIRTY_STATE);
	return 0;
}

void
session_read_back(struct session *s)
{
	if (s->read_only || session_busy(s) || s->checking ||
	    !driver_present(&s->driver) || !driver_can_read_back(&s->driver))
		return;
	reconcile(s);
}

bool
session_busy(const struct session *s)
{
	return s->driver_busy;
}

int
session_wait(struct session *s, int64_t timeout_ms)
{
	int64_t end = clock_mono(s->clock) + timeout_ms;

	while (s->driver_busy) {
		int64_t left = end - clock_mono(s->clock);

		if (timeout_ms >= 0 && left <= 0)
			return -1;
		loop_run_once(s->loop, left > 200 || timeout_ms < 0 ? 200 :
				       (int)left);
	}
	return 0;
}

static void
session_on_signal(int signo, void *arg)
{
	struct session *s = arg;

	if (signo == SIGCHLD)
		proc_sigchld(s->loop);
	else if (s->on_signal != NULL)
		s->on_signal(signo, s->on_signal_arg);
}

int
session_signals(struct session *s, loop_signal_cb cb, void *arg,
		struct err *e)
{
	s->on_signal = cb;
	s->on_signal_arg = arg;
	return loop_signals(s->loop, session_on_signal, s, e);
}

void
session_refresh_once(struct session *s)
{
	int64_t end;

	if (s->demo != NULL) {
		demo_observe(s->demo, &s->metrics, s->groups);
	} else {
		int64_t kt = s->plan->kubernetes.timeout_ms * 4 + 60000;
		int64_t pt = s->plan->prometheus.timeout_ms + 1000;

		/* Pages and an exec credential plugin take longer than one
		 * request; both sources run at once. */
		end = clock_mono(s->clock) + (s->kube != NULL && kt > pt ? kt :
					      pt);
		if (s->probes != NULL) {
			int64_t qt = 0;

			/* Discovery first, then each probe with its own
			 * deadline: wait for the longest. */
			for (int i = 0; i < s->plan->probes.n; i++)
				if (s->plan->probes.items[i].timeout_ms > qt)
					qt = s->plan->probes.items[i].timeout_ms;
			qt += s->plan->kubernetes.timeout_ms + 1000;
			if (clock_mono(s->clock) + qt > end)
				end = clock_mono(s->clock) + qt;
		}
		if (s->prom != NULL)
			prom_refresh(s->prom);
		if (s->kube != NULL)
			kube_refresh(s->kube);
		if (s->probes != NULL)
			probe_run_once(s->probes);
		if (s->rec.state.stage == 0)
			preflight_refresh(&s->pf);
		while (((s->prom != NULL && prom_busy(s->prom)) ||
			(s->kube != NULL && kube_busy(s->kube)) ||
			(s->probes != NULL && probe_busy(s->probes)) ||
			preflight_busy(&s->pf)) &&
		       clock_mono(s->clock) < end)
			loop_run_once(s->loop, 100);
	}
	s->seen = s->metrics;
	s->seen_mono = clock_mono(s->clock);
	s->evaluated_once = true;
	gate_evaluate(s->plan, s->rec.state.stage, &s->seen, s->groups,
		      s->seen_mono, &s->gates);
	/*
	 * A one-shot command judges on this fresh verdict, not on whatever
	 * the dashboard saw last (which may be hours old).
	 */
	s->rec.state.last_verdict = s->gates.verdict;
	if (s->rec.state.stage == 0)
		session_preflight(s);
	{
		double pct;
		double total;

		s->measured_istio = session_measured_split(s,
			clock_mono(s->clock), &pct, &total) ? pct : NAN;
	}
	/* The split is judged as the dashboard judges it. */
	watch_split(s, s->seen_mono);
}

/* --- the rollback checklist ------------------------------------------------ */

static void
checklist_done(struct checklist *cl, void *arg)
{
	struct session *s = arg;
	const struct cutover_state *st = &s->rec.state;
	char why[800];

	snprintf(why, sizeof(why), "collected %d log%s of %d pod%s into %s "
		 "(%d capped at %d bytes, %d failed)", cl->files,
		 cl->files == 1 ? "" : "s", cl->pods, cl->pods == 1 ? "" : "s",
		 cl->dir, cl->capped, s->plan->rollback.log_max_bytes,
		 cl->failed);
	session_log(s, cl->failed > 0 ? EVLOG_WARN : EVLOG_NOTE,
		    "rollback checklist: %s", why);
	audit(s, "rollback_logs", why, cl->failed > 0 || cl->files == 0 ?
	      "failed" : "ok", st->stage, st->applied, st->stage,
	      st->applied);
	changed(s, SESSION_DIRTY_STATE);
}

/* The root-cause summary answered: to the audit log with the cause. */
static void
checklist_summary_done(struct checklist *cl, void *arg)
{
	struct session *s = arg;
	const struct cutover_state *st = &s->rec.state;
	char why[1024];

	snprintf(why, sizeof(why), "%s; Istio requests by response code "
		 "over the stage: %s; 5xx rate by destination service: %s",
		 cl->cause, cl->rca_text[CL_RCA_CODE],
		 cl->rca_text[CL_RCA_SERVICE]);
	session_log(s, EVLOG_NOTE, "rollback summary: %s", why);
	audit(s, "rollback_summary", why, "ok", st->stage, st->applied,
	      st->stage, st->applied);
	changed(s, SESSION_DIRTY_STATE);
}

/* Fetch the Istio logs, once the pods of its groups are listed. */
static void
checklist_logs(struct session *s)
{
	const struct cutover_state *st = &s->rec.state;
	bool listed = true;

	if (s->kube == NULL || s->demo != NULL) {
		snprintf(s->cl.logs_error, sizeof(s->cl.logs_error), "%s",
			 s->demo != NULL ? "simulated (demo): no logs" :
			 "no Kubernetes API to fetch them from");
		s->cl.logs = CL_LOGS_DONE;
		return;
	}
	for (int i = 0; i < s->plan->ngroups; i++)
		if (checklist_collects(s->plan, i) &&
		    s->groups[i].state != SOURCE_OK)
			listed = false;
	if (!listed && s->cl.logs != CL_LOGS_WAITING) {
		s->cl.logs = CL_LOGS_WAITING;
		kube_refresh(s->kube);
		if (kube_busy(s->kube))
			return;
	}
	s->cl.on_done = checklist_done;
	s->cl.on_done_arg = s;
	if (checklist_fetch_logs(&s->cl, s->plan, s->kube, s->groups) != 0) {
		session_log(s, EVLOG_WARN, "rollback checklist: no logs: %s",
			    s->cl.logs_error);
		audit(s, "rollback_logs", s->cl.logs_error, "failed",
		      st->stage, st->applied, st->stage, st->applied);
		s->cl.logs = CL_LOGS_DONE;
	}
}

void
session_wait_checklist(struct session *s, int64_t timeout_ms)
{
	int64_t end = clock_mono(s->clock) + timeout_ms;

	while (checklist_busy(&s->cl) && clock_mono(s->clock) < end) {
		loop_run_once(s->loop, 100);
		if (s->cl.logs == CL_LOGS_WAITING && !kube_busy(s->kube))
			checklist_logs(s);
	}
}

static void
item(struct checklist_item *it, enum checklist_mark m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
item(struct checklist_item *it, enum checklist_mark m, const char *fmt, ...)
{
	va_list ap;

	it->mark = m;
	va_start(ap, fmt);
	vsnprintf(it->text, sizeof(it->text), fmt, ap);
	va_end(ap);
	text_sanitise(it->text);
}

bool
session_checklist(struct session *s, struct checklist_item out[CL_COUNT])
{
	const struct cutover_state *st = &s->rec.state;
	const struct checklist *cl = &s->cl;
	int64_t now = clock_mono(s->clock);
	double rps;

	if (!cl->active && st->phase != PHASE_ROLLED_BACK)
		return false;
	/* 1. The weights, as read back. */
	if (s->read_back_now && s->rec.read_back.istio == 0 &&
	    s->rec.read_back.apisix == 100)
		item(&out[CL_WEIGHTS], CL_MARK_DONE, "istio 0%% / apisix 100%% "
		     "read back");
	else if (s->read_back_now)
		item(&out[CL_WEIGHTS], CL_MARK_FAILED, "istio %d%% / apisix "
		     "%d%% read back", s->rec.read_back.istio,
		     s->rec.read_back.apisix);
	else
		item(&out[CL_WEIGHTS], CL_MARK_UNKNOWN, "not read back%s%s",
		     s->read_back_error[0] ? ": " : "", s->read_back_error);
	/* 2. Traffic recovered: the rollback verification. */
	switch (s->verify) {
	case VERIFY_DONE:
		item(&out[CL_TRAFFIC], CL_MARK_DONE, "Istio below %.3g req/s "
		     "after %llds", s->plan->rollback.verify_max_istio_rps,
		     (long long)(s->verify_took_ms / 1000));
		break;
	case VERIFY_LATE:
		item(&out[CL_TRAFFIC], CL_MARK_FAILED, "Istio still has "
		     "traffic after %lld min",
		     (long long)(s->plan->rollback.verify_timeout_ms / 60000));
		break;
	case VERIFY_WATCHING:
		item(&out[CL_TRAFFIC], CL_MARK_UNKNOWN, "waiting for Istio to "
		     "fall below %.3g req/s",
		     s->plan->rollback.verify_max_istio_rps);
		break;
	case VERIFY_NONE:
		if (metrics_value(&s->metrics, s->plan, Q_ISTIO_RPS, now,
				  s->plan->gates.max_age_ms, &rps) &&
		    rps <= s->plan->rollback.verify_max_istio_rps)
			item(&out[CL_TRAFFIC], CL_MARK_DONE, "Istio at %.3g "
			     "req/s now", rps);
		else
			item(&out[CL_TRAFFIC], CL_MARK_UNKNOWN, "not verified "
			     "in this run");
		break;
	}
	/* 3. The logs. */
	if (s->demo != NULL)
		item(&out[CL_LOGS], CL_MARK_UNKNOWN, "simulated (demo): no "
		     "pods to fetch logs from");
	else if (!cl->active)
		item(&out[CL_LOGS], CL_MARK_UNKNOWN, "collected by the run "
		     "that rolled back: see `cutover log` (rollback_logs)");
	else if (cl->logs == CL_LOGS_FETCHING || cl->logs == CL_LOGS_WAITING)
		item(&out[CL_LOGS], CL_MARK_UNKNOWN, "fetching (%d of %d "
		     "pods' logs written)", cl->files, cl->pods);
	else if (cl->files > 0)
		item(&out[CL_LOGS], cl->failed > 0 ? CL_MARK_FAILED :
		     CL_MARK_DONE, "%d log%s of %d pod%s in %s%s", cl->files,
		     cl->files == 1 ? "" : "s", cl->pods,
		     cl->pods == 1 ? "" : "s", cl->dir, cl->failed > 0 ?
		     " (some failed)" : "");
	else
		item(&out[CL_LOGS], CL_MARK_FAILED, "none: %s",
		     cl->logs_error[0] ? cl->logs_error : "no answer");
	/* 4. What caused it, for the analysis; 5. the retry. */
	if (cl->active)
		item(&out[CL_ROOT_CAUSE], CL_MARK_OPERATOR, "yours; %s; by "
		     "response code: %s; 5xx by service: %s", cl->cause,
		     cl->rca_pending > 0 ? "asking Prometheus" :
		     cl->rca_text[CL_RCA_CODE], cl->rca_pending > 0 ? "-" :
		     cl->rca_text[CL_RCA_SERVICE]);
	else
		item(&out[CL_ROOT_CAUSE], CL_MARK_OPERATOR, "yours; the gates "
		     "that caused it are in the audit log");
	item(&out[CL_RETRY], CL_MARK_OPERATOR, "yours: after the fix, "
	     "`cutover advance --force` starts again at stage 1");
	return true;
}

static const char *
checklist_mark_name(enum checklist_mark m)
{
	switch (m) {
	case CL_MARK_DONE:
		return "done";
	case CL_MARK_FAILED:
		return "failed";
	case CL_MARK_OPERATOR:
		return "operator";
	case CL_MARK_UNKNOWN:
		break;
	}
	return "unknown";
}

/* The checklist's items as JSON, with where its logs went ("" none). */
static json_t *
checklist_json(const struct checklist_item it[CL_COUNT], const char *dir)
{
	json_t *items = json_array();
	json_t *o;

	for (int i = 0; i < CL_COUNT; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}",
		    "item", checklist_name((enum checklist_id)i), "label",
		    checklist_label((enum checklist_id)i), "state",
		    checklist_mark_name(it[i].mark), "text", it[i].text));
	o = json_pack("{s:o}", "items", items);
	if (dir != NULL && dir[0] != '\0')
		json_object_set_new(o, "logs_dir", json_string(dir));
	return o;
}

json_t *
session_checklist_json(struct session *s)
{
	struct checklist_item it[CL_COUNT];

	if (!session_checklist(s, it))
		return NULL;
	return checklist_json(it, s->cl.active ? s->cl.dir : "");
}

bool
session_preflight(struct session *s)
{
	struct preflight_input in = {
		.plan = s->plan,
		.metrics = &s->metrics,
		.groups = s->groups,
		.prom_configured = s->plan->prometheus.url != NULL,
		.demo = s->demo != NULL,
		.context = s->kube != NULL ? kube_context(s->kube) :
			   s->pf.kube != NULL ? kube_context(s->pf.kube) :
			   NULL,
		.driver_present = driver_present(&s->driver),
		.can_read_back = driver_present(&s->driver) &&
				 driver_can_read_back(&s->driver),
		.driver_name = driver_present(&s->driver) ?
			       s->driver.ops->name : "none",
		.have_read_back = s->read_back_now,
		.read_back_istio = s->rec.read_back.istio,
		.read_back_apisix = s->rec.read_back.apisix,
		.read_back_error = s->read_back_error,
		.now_mono = clock_mono(s->clock),
	};
	char buf[sizeof(s->pf_why) - 16];
	unsigned failing = 0;
	bool blocks;


	preflight_evaluate(&s->pf, &in);
	blocks = preflight_blocks(&s->pf, buf, sizeof(buf));
	snprintf(s->pf_why, sizeof(s->pf_why), "preflight: %s", blocks ? buf :
		 "every check passes");
	/* The event log hears of a check failing or of all passing, not of
	 * the answers still due at the start. */
	for (int i = 0; i < PF_COUNT; i++)
		if (s->pf.c[i].state == PREFLIGHT_FAIL)
			failing |= 1u << i;
	if (s->live && (failing != s->pf_failing ||
			(!blocks && s->pf_blocked)) &&
	    (failing != 0 || !blocks))
		session_log(s, blocks ? EVLOG_WARN : EVLOG_NOTE, "%s",
			    s->pf_why);
	/* A check that starts failing is on the record (and told): once
	 * per change of the failing set, never for answers still due. */
	if (s->live && !s->read_only && failing != 0 &&
	    (failing & ~s->pf_failing) != 0) {
		const struct cutover_state *st = &s->rec.state;

		audit(s, "preflight_failing", s->pf_why, "warning", st->stage,
		      st->applied, st->stage, st->applied);
	}
	s->pf_failing = failing;
	if (blocks != s->pf_blocked) {
		s->pf_blocked = blocks;
		changed(s, SESSION_DIRTY_STATE);
	}
	return blocks;
}

int64_t
session_hold_left(const struct session *s)
{
	return cutover_hold_left(&s->rec.state, s->plan);
}

/* --- status ------------------------------------------------------------------ */

static json_t *
series_json(const struct plan *p, const struct metrics *m, enum query_id id,
	    int64_t now)
{
	const struct series *q = &m->q[id];
	int64_t age = metrics_age_ms(m, id, now);
	double v;
	json_t *o;
	bool have = metrics_value(m, p, id, now, p->gates.max_age_ms, &v);

	o = json_pack("{s:s}", "source", q->state == SOURCE_OK ? "ok" :
		      q->state == SOURCE_ERROR ? "error" : "unknown");
	json_object_set_new(o, "value", have ? json_real(v) : json_null());
	json_object_set_new(o, "age_ms", age == INT64_MAX ? json_null() :
			    json_integer(age));
	if (q->error[0] != '\0')
		json_object_set_new(o, "error", json_string(q->error));
	if (q->partial)
		json_object_set_new(o, "warning", json_string(q->warning));
	return o;
}

static json_t *
probe_side_json(const struct probe_series *ps, int64_t now)
{
	double ratio = metrics_probe_ratio(ps);
	json_t *o = json_pack("{s:s}", "result",
			      ps->state == SOURCE_UNKNOWN ? "none" :
			      ps->last_ok ? "ok" : "fail");

	json_object_set_new(o, "failures_in_a_row",
			    json_integer(ps->failures));
	json_object_set_new(o, "success_ratio", isnan(ratio) ? json_null() :
			    json_real(ratio));
	json_object_set_new(o, "results", json_integer(ps->nhistory));
	json_object_set_new(o, "latency_ms", isnan(ps->last_ms) ?
			    json_null() : json_real(ps->last_ms));
	json_object_set_new(o, "status", ps->last_status > 0 ?
			    json_integer(ps->last_status) : json_null());
	json_object_set_new(o, "age_ms", ps->state == SOURCE_UNKNOWN ?
			    json_null() :
			    json_integer(now - ps->last_mono_ms));
	if (ps->why[0] != '\0')
		json_object_set_new(o, "why", json_string(ps->why));
	return o;
}

/*
 * The probes from the plan, the series and the addresses discovered
 * (ia NULL: no probe runner, so no addresses to say).
 */
static json_t *
probes_json(const struct plan *p, const struct metrics *m, int64_t now,
	    const char *ia, const char *aa, const char *aerr)
{
	json_t *o = json_object(), *list = json_array();
	char why[200];
	enum verdict v = probe_verdict(p, m, now, why, sizeof(why), NULL);

	json_object_set_new(o, "verdict",
			    json_string(cutover_verdict_name(v)));
	json_object_set_new(o, "why", json_string(why));
	if (ia != NULL) {
		json_object_set_new(o, "istio_address", ia[0] ? json_string(ia) :
				    json_null());
		json_object_set_new(o, "apisix_address", aa != NULL && aa[0] ?
				    json_string(aa) : json_null());
		if (aerr != NULL && aerr[0] != '\0')
			json_object_set_new(o, "address_error",
					    json_string(aerr));
	}
	for (int i = 0; i < p->probes.n; i++) {
		const struct plan_probe *pp = &p->probes.items[i];
		json_t *e = json_pack("{s:s, s:s, s:s}", "name", pp->name,
				      "kind", pp->kind, "url", pp->url);

		json_object_set_new(e, "istio", probe_side_json(
		    &m->probe[i][PROBE_ISTIO], now));
		if (p->probes.apisix_address != NULL)
			json_object_set_new(e, "apisix", probe_side_json(
			    &m->probe[i][PROBE_APISIX], now));
		json_array_append_new(list, e);
	}
	json_object_set_new(o, "checks", list);
	return o;
}

/* The probes: where they go, the verdict, each probe per gateway. */
json_t *
session_probes_json(const struct session *s, int64_t now)
{
	if (s->probes == NULL)
		return probes_json(s->plan, &s->metrics, now, NULL, NULL,
				   NULL);
	return probes_json(s->plan, &s->metrics, now,
			   probe_address(s->probes, PROBE_ISTIO),
			   probe_address(s->probes, PROBE_APISIX),
			   probe_address_error(s->probes));
}

/* The Grafana board's latency distribution and connections, by gateway. */
static json_t *
board_json(const struct plan *p, const struct metrics *m, int64_t now)
{
	static const struct {
		const char *side, *what;
		enum query_id q;
	} rows[] = {
		{ "istio", "p50_ms", Q_ISTIO_P50 },
		{ "istio", "p95_ms", Q_ISTIO_P95 },
		{ "istio", "p99_ms", Q_ISTIO_P99 },
		{ "istio", "connections", Q_ISTIO_CONNECTIONS },
		{ "apisix", "p50_ms", Q_APISIX_P50 },
		{ "apisix", "p95_ms", Q_APISIX_P95 },
		{ "apisix", "p99_ms", Q_APISIX_P99 },
		{ "apisix", "connections", Q_APISIX_CONNECTIONS },
	};
	json_t *o = json_object();

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *side = json_object_get(o, rows[i].side);
		double v;
		bool have = metrics_value(m, p, rows[i].q, now,
					  p->gates.max_age_ms, &v);

		if (side == NULL) {
			side = json_object();
			json_object_set_new(o, rows[i].side, side);
		}
		json_object_set_new(side, rows[i].what, have ? json_real(v) :
				    json_null());
	}
	return o;
}

json_t *
session_status_json(const struct session_view *v)
{
	const struct plan *p = v->plan;
	const struct cutover_state *st = &v->state;
	int64_t now = v->now_mono;
	struct store_record rec;
	json_t *root;
	json_t *metrics = json_object();
	json_t *pods = json_array();

	/* The store's record, as the view carries it. */
	memset(&rec, 0, sizeof(rec));
	rec.state = v->state;
	plan_fingerprint(p, rec.fingerprint);
	rec.apply_in_flight = v->apply_in_flight;
	rec.saved_wall_ms = v->saved_wall_ms;
	rec.have_read_back = v->have_read_back;
	rec.read_back = v->read_back;
	rec.read_back_wall_ms = v->read_back_wall_ms;
	rec.applied_wall_ms = v->applied_wall_ms;
	root = store_record_json(&rec);

	json_object_set_new(root, "plan", json_string(p->name));
	json_object_set_new(root, "state_file", json_string(p->state_file));
	json_object_set_new(root, "audit_log", json_string(p->audit_log));
	json_object_set_new(root, "driver", json_string(v->driver_desc));
	json_object_set_new(root, "hold_left_ms", v->hold_left_ms < 0 ?
			    json_null() : json_integer(v->hold_left_ms));
	json_object_set_new(root, "read_only", json_boolean(v->read_only));
	if (v->read_only && v->holder.pid > 0)
		json_object_set_new(root, "lock_holder",
				    json_pack("{s:I, s:s, s:s, s:s}",
					      "pid", (json_int_t)v->holder.pid,
					      "user", v->holder.user,
					      "tty", v->holder.tty,
					      "since", v->holder.since));
	json_object_set_new(root, "guard", v->guard_pid > 0 ?
			    json_pack("{s:I}", "pid",
				      (json_int_t)v->guard_pid) :
			    json_null());
	json_object_set_new(root, "gates", gate_result_json(v->gates));
	if (st->stage == 0 && v->preflight != NULL)
		json_object_set_new(root, "preflight",
				    preflight_json(v->preflight));
	if (v->have_checklist)
		json_object_set_new(root, "rollback_checklist",
				    checklist_json(v->checklist,
						   v->checklist_dir));
	for (int i = 0; i < Q_COUNT; i++)
		json_object_set_new(metrics, plan_query_key((enum query_id)i),
				    series_json(p, v->metrics,
						(enum query_id)i, now));
	json_object_set_new(root, "metrics", metrics);
	json_object_set_new(root, "board", board_json(p, v->metrics, now));
	if (p->probes.n > 0)
		json_object_set_new(root, "probes", probes_json(p, v->metrics,
		    now, v->probe_istio_address, v->probe_apisix_address,
		    v->probe_address_error));
	if (v->source_note[0] != '\0')
		json_object_set_new(root, "source_note",
				    json_string(v->source_note));
	for (int i = 0; i < p->ngroups; i++) {
		const struct group_health *g = &v->groups[i];
		json_t *o = json_pack("{s:s, s:s, s:i}",
				      "name", p->groups[i].name,
				      "source", g->state == SOURCE_OK ? "ok" :
				      g->state == SOURCE_ERROR ? "error" :
				      "unknown", "min_ready", g->min_ready);

		if (g->state == SOURCE_OK) {
			json_object_set_new(o, "ready", json_integer(g->ready));
			json_object_set_new(o, "total", json_integer(g->total));
			json_object_set_new(o, "restarts",
					    json_integer(g->restarts));
			json_object_set_new(o, "with_sidecar",
					    json_integer(g->with_sidecar));
			json_object_set_new(o, "sidecar_ready",
					    json_integer(g->sidecar_ready));
			json_object_set_new(o, "verdict", json_string(
				group_health_ok(g, p->groups[i]
						.sidecar_required) ?
				"pass" : "fail"));
			json_object_set_new(o, "worst_reason",
					    json_string(g->worst_reason));
		}
		if (g->error[0] != '\0')
			json_object_set_new(o, "error", json_string(g->error));
		json_array_append_new(pods, o);
	}
	json_object_set_new(root, "pods", pods);
	{
		static const char *const verify[] = {
			[VERIFY_NONE] = "none", [VERIFY_WATCHING] = "watching",
			[VERIFY_DONE] = "verified", [VERIFY_LATE] = "late",
		};

		json_object_set_new(root, "rollback_verification",
				    json_string(verify[v->verify]));
		json_object_set_new(root, "measured_istio_percent",
				    v->have_measured ?
				    json_real(v->measured_istio) :
				    json_null());
		json_object_set_new(root, "split_mismatch",
				    json_boolean(v->split_mismatch));
		json_object_set_new(root, "drift", json_boolean(v->drift));
	}
	return root;
}
