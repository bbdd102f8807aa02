/*
 * cutover — the state machine of a staged shift (see cutover.h for the
 * phases).  One function per event; each checks its guards first and
 * returns a refusal with a sentence for the operator, or changes the state
 * and appends effects.  Nothing here reads a clock or touches a file.
 *
 * Invariants kept by every transition:
 *   - applied.istio + applied.apisix == 100, same for pending;
 *   - phase SHIFTING or ROLLING_BACK <=> an apply with number `seq` is in
 *     flight (and its result is the only one that counts);
 *   - hold_ms only grows while HOLDING with a passing verdict, and is reset
 *     when a new stage's weights take effect.
 */
#include "config.h"

#include "cutover.h"

#include <stddef.h>
#include <string.h>

static const char *const phase_names[] = {
#define X(id, name) [id] = name,
	PHASE_LIST(X)
#undef X
};

static const char *const event_names[] = {
#define X(id, name) [id] = name,
	EVENT_LIST(X)
#undef X
};

const char *
cutover_phase_name(enum phase ph)
{
	if ((int)ph < 0 || ph >= PHASE_COUNT)
		return "?";
	return phase_names[ph];
}

int
cutover_phase_parse(const char *name, enum phase *ph)
{
	for (int i = 0; i < PHASE_COUNT; i++) {
		if (strcmp(name, phase_names[i]) == 0) {
			*ph = (enum phase)i;
			return 0;
		}
	}
	return -1;
}

const char *
cutover_event_name(enum event_type t)
{
	if ((int)t < 0 || t >= EVENT_COUNT)
		return "?";
	return event_names[t];
}

const char *
cutover_verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_FAIL:
		return "fail";
	case VERDICT_NO_DATA:
		return "no data";
	case VERDICT_NONE:
		break;
	}
	return "not evaluated";
}

struct weights
cutover_stage_weights(const struct plan *p, int stage)
{
	struct weights w = { .istio = 0, .apisix = 100 };

	if (stage >= 1 && stage <= p->nstages) {
		w.istio = p->stages[stage - 1].istio;
		w.apisix = 100 - w.istio;
	}
	return w;
}

void
cutover_init(struct cutover_state *s, const struct plan *p)
{
	memset(s, 0, sizeof(*s));
	s->nstages = p->nstages;
	s->phase = PHASE_READY;
	s->resume_to = PHASE_READY;
	s->applied = cutover_stage_weights(p, 0);
	s->pending = s->applied;
	s->last_verdict = VERDICT_NONE;
}

int64_t
cutover_hold_left(const struct cutover_state *s, const struct plan *p)
{
	int64_t hold;

	if (s->stage < 1 || s->stage > p->nstages)
		return -1;
	hold = p->stages[s->stage - 1].hold_ms;
	if (hold <= 0)
		return -1;
	return s->hold_ms >= hold ? 0 : hold - s->hold_ms;
}

/* --- effects --------------------------------------------------------------- */

static struct effect *
fx_add(struct cutover_effects *fx, enum effect_type type)
{
	struct effect *e;

	/* CUTOVER_EFFECTS_MAX is sized for the longest transition (4). */
	if (fx->n >= CUTOVER_EFFECTS_MAX)
		return &fx->e[CUTOVER_EFFECTS_MAX - 1];
	e = &fx->e[fx->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	return e;
}

static void
fx_audit(struct cutover_effects *fx, const char *action, const char *reason,
	 int stage_from, struct weights from, int stage_to, struct weights to)
{
	struct effect *e = fx_add(fx, EFF_AUDIT);

	e->action = action;
	e->reason = reason;
	e->stage_from = stage_from;
	e->stage_to = stage_to;
	e->from = from;
	e->to = to;
}

static void
fx_apply(struct cutover_state *s, struct cutover_effects *fx, int stage,
	 struct weights w)
{
	struct effect *e;

	s->seq++;
	s->pending = w;
	e = fx_add(fx, EFF_APPLY);
	e->weights = w;
	e->stage = stage;
	e->seq = s->seq;
}

static void
fx_simple(struct cutover_effects *fx, enum effect_type type,
	  const char *reason)
{
	fx_add(fx, type)->reason = reason;
}

/* --- guards ------------------------------------------------------------------ */

static bool
stage_is_last(const struct cutover_state *s)
{
	return s->stage >= s->nstages;
}

static bool
hold_over(const struct cutover_state *s, const struct plan *p)
{
	return cutover_hold_left(s, p) <= 0;
}

/* --- transitions ------------------------------------------------------------- */

static void
begin_shift(struct cutover_state *s, const struct plan *p,
	    struct cutover_effects *fx, const char *action, const char *reason)
{
	struct weights to = cutover_stage_weights(p, s->stage + 1);

	fx_audit(fx, action, reason, s->stage, s->applied, s->stage + 1, to);
	s->target = s->stage + 1;
	s->phase = PHASE_SHIFTING;
	s->retry_rollback = false;
	fx_apply(s, fx, s->target, to);
	fx_simple(fx, EFF_SAVE, NULL);
}

static void
begin_rollback(struct cutover_state *s, const struct plan *p,
	       struct cutover_effects *fx, bool automatic, const char *reason)
{
	struct weights to = cutover_stage_weights(p, 0);

	if (s->phase == PHASE_SHIFTING)
		fx_add(fx, EFF_CANCEL)->seq = s->seq;
	fx_audit(fx, automatic ? "auto_rollback" : "rollback", reason,
		 s->stage, s->applied, 0, to);
	s->target = 0;
	s->phase = PHASE_ROLLING_BACK;
	s->retry_rollback = true;
	s->alarm = false;
	fx_apply(s, fx, 0, to);
	fx_simple(fx, EFF_SAVE, NULL);
}

static int
refuse(const char **why, const char *text)
{
	*why = text;
	return -1;
}

static int
on_advance(struct cutover_state *s, const struct plan *p,
	   const struct event *ev, struct cutover_effects *fx,
	   const char **why)
{
	switch (s->phase) {
	case PHASE_READY:
		break;
	case PHASE_HOLDING:
		if (!hold_over(s, p) && !ev->force)
			return refuse(why, "the hold is not over: advancing "
				      "early needs --force");
		break;
	case PHASE_ROLLED_BACK:
		if (!ev->force)
			return refuse(why, "traffic was rolled back: starting "
				      "again from stage 1 needs --force");
		s->stage = 0;
		begin_shift(s, p, fx, "advance", "restart after rollback");
		return 0;
	case PHASE_SHIFTING:
	case PHASE_ROLLING_BACK:
		return refuse(why, "a driver step is running: wait for it");
	case PHASE_PAUSED:
		return refuse(why, "paused: resume first");
	case PHASE_BREACH:
		return refuse(why, "a gate is failing: roll back or wait "
			      "for it to pass");
	case PHASE_COMPLETE:
		return refuse(why, "already at the last stage");
	case PHASE_ERROR:
		return refuse(why, "the last driver step failed: retry or "
			      "roll back");
	case PHASE_COUNT:
		return refuse(why, "invalid phase");
	}
	if (stage_is_last(s))
		return refuse(why, "already at the last stage");
	if (s->stage >= 1 && s->last_verdict != VERDICT_PASS && !ev->force) {
		if (s->last_verdict == VERDICT_FAIL)
			return refuse(why, "a gate is failing: advancing "
				      "needs --force");
		return refuse(why, "no data for the gates: advancing blind "
			      "needs --force");
	}
	begin_shift(s, p, fx, "advance",
		    ev->force ? "forced by the operator" : NULL);
	return 0;
}

static int
on_pause(struct cutover_state *s, struct cutover_effects *fx,
	 const char **why)
{
	if (s->phase != PHASE_HOLDING && s->phase != PHASE_READY)
		return refuse(why, s->phase == PHASE_PAUSED ?
			      "already paused" :
			      "nothing to pause in this phase");
	if (s->phase == PHASE_READY && s->stage == 0)
		return refuse(why, "nothing to pause before the first stage");
	fx_audit(fx, "pause", NULL, s->stage, s->applied, s->stage,
		 s->applied);
	s->resume_to = s->phase;
	s->phase = PHASE_PAUSED;
	fx_simple(fx, EFF_SAVE, NULL);
	return 0;
}

static int
on_resume(struct cutover_state *s, struct cutover_effects *fx,
	  const char **why)
{
	if (s->phase != PHASE_PAUSED)
		return refuse(why, "not paused");
	fx_audit(fx, "resume", NULL, s->stage, s->applied, s->stage,
		 s->applied);
	s->phase = s->resume_to == PHASE_READY ? PHASE_READY : PHASE_HOLDING;
	if (s->breaches > 0 && s->last_verdict == VERDICT_FAIL) {
		s->resume_to = s->phase;
		s->phase = PHASE_BREACH;
	}
	fx_simple(fx, EFF_SAVE, NULL);
	return 0;
}

static int
on_rollback(struct cutover_state *s, const struct plan *p,
	    const struct event *ev, struct cutover_effects *fx)
{
	/* Already on its way: asking again changes nothing. */
	if (s->phase == PHASE_ROLLING_BACK)
		return 0;
	begin_rollback(s, p, fx, ev->automatic,
		       ev->automatic ? "automatic rule" : NULL);
	return 0;
}

static int
on_retry(struct cutover_state *s, const struct plan *p,
	 struct cutover_effects *fx, const char **why)
{
	if (s->phase != PHASE_ERROR)
		return refuse(why, "nothing to retry: no driver step failed");
	if (s->retry_rollback) {
		fx_audit(fx, "retry", "retry the rollback", s->stage,
			 s->applied, 0, cutover_stage_weights(p, 0));
		s->target = 0;
		s->phase = PHASE_ROLLING_BACK;
		fx_apply(s, fx, 0, cutover_stage_weights(p, 0));
	} else {
		struct weights to = cutover_stage_weights(p, s->target);

		fx_audit(fx, "retry", "retry the shift", s->stage, s->applied,
			 s->target, to);
		s->phase = PHASE_SHIFTING;
		fx_apply(s, fx, s->target, to);
	}
	fx_simple(fx, EFF_SAVE, NULL);
	return 0;
}

/* The weights of a new stage are in force: the stage starts afresh. */
static void
stage_entered(struct cutover_state *s, const struct plan *p)
{
	s->stage = s->target;
	s->applied = s->pending;
	s->uncertain = false;
	s->hold_ms = 0;
	s->breaches = 0;
	s->blind = 0;
	s->alarm = false;
	s->last_verdict = VERDICT_NONE;
	if (s->stage == 0)
		s->phase = PHASE_ROLLED_BACK;
	else if (cutover_hold_left(s, p) < 0)
		s->phase = stage_is_last(s) ? PHASE_COMPLETE : PHASE_READY;
	else
		s->phase = PHASE_HOLDING;
}

static int
on_driver(struct cutover_state *s, const struct plan *p,
	  const struct event *ev, struct cutover_effects *fx)
{
	bool rolling = s->phase == PHASE_ROLLING_BACK;

	/* A late answer to an apply that was cancelled or superseded. */
	if (ev->seq != s->seq ||
	    (s->phase != PHASE_SHIFTING && s->phase != PHASE_ROLLING_BACK))
		return 0;
	if (ev->type == EV_DRIVER_DONE) {
		int from = s->stage;
		struct weights wfrom = s->applied;

		stage_entered(s, p);
		fx_audit(fx, rolling ? "rolled_back" : "stage_entered", NULL,
			 from, wfrom, s->stage, s->applied);
	} else {
		fx_audit(fx, rolling ? "rollback_failed" : "shift_failed",
			 "driver step failed", s->stage, s->applied,
			 s->target, s->pending);
		s->phase = PHASE_ERROR;
		s->uncertain = true;
		s->retry_rollback = rolling;
		fx_simple(fx, EFF_ALARM, rolling ?
			  "rollback failed: traffic may still reach Istio" :
			  "traffic shift failed: weights uncertain");
	}
	fx_simple(fx, EFF_SAVE, NULL);
	return 0;
}

/* Phases in which gates protect traffic already on Istio. */
static bool
gates_watch(const struct cutover_state *s)
{
	switch (s->phase) {
	case PHASE_HOLDING:
	case PHASE_PAUSED:
	case PHASE_BREACH:
	case PHASE_COMPLETE:
		return true;
	case PHASE_READY:
		return s->stage >= 1;
	case PHASE_ERROR:
		return s->stage >= 1 || s->target >= 1;
	default:
		return false;
	}
}

static int
on_verdict(struct cutover_state *s, const struct plan *p,
	   const struct event *ev, struct cutover_effects *fx)
{
	enum verdict old = s->last_verdict;

	s->last_verdict = ev->verdict;
	if (!gates_watch(s))
		return 0;
	switch (ev->verdict) {
	case VERDICT_PASS:
		s->breaches = 0;
		s->blind = 0;
		if (s->alarm)
			s->alarm = false;
		if (s->phase == PHASE_BREACH) {
			s->phase = s->resume_to;
			fx_audit(fx, "breach_cleared", "gates pass again",
				 s->stage, s->applied, s->stage, s->applied);
			fx_simple(fx, EFF_SAVE, NULL);
		}
		return 0;
	case VERDICT_FAIL:
		s->breaches++;
		s->blind = 0;
		if (s->phase == PHASE_HOLDING || s->phase == PHASE_READY ||
		    s->phase == PHASE_COMPLETE) {
			s->resume_to = s->phase;
			s->phase = PHASE_BREACH;
			/* Recorded as breach_cleared is: with the values. */
			fx_audit(fx, "breach", "gate failed",
				 s->stage, s->applied, s->stage, s->applied);
		}
		if (s->breaches < p->rollback.consecutive) {
			if (old != VERDICT_FAIL || s->breaches == 1)
				fx_simple(fx, EFF_SAVE, NULL);
			return 0;
		}
		if (p->rollback.automatic) {
			begin_rollback(s, p, fx, true,
				       "gate failed on consecutive evaluations");
			return 0;
		}
		if (!s->alarm) {
			s->alarm = true;
			fx_audit(fx, "alarm", "gate failed on consecutive "
				 "evaluations; automatic rollback is off",
				 s->stage, s->applied, s->stage, s->applied);
			fx_simple(fx, EFF_ALARM, "gate failing: roll back?");
			fx_simple(fx, EFF_SAVE, NULL);
		}
		return 0;
	case VERDICT_NO_DATA:
		s->blind++;
		if (p->rollback.on_no_data == NO_DATA_ROLLBACK &&
		    s->blind >= p->rollback.consecutive) {
			if (p->rollback.automatic) {
				begin_rollback(s, p, fx, true,
					       "no data on consecutive "
					       "evaluations (on_no_data: "
					       "rollback)");
			} else if (!s->alarm) {
				s->alarm = true;
				fx_simple(fx, EFF_ALARM, "no data: roll back?");
			}
		}
		return 0;
	case VERDICT_NONE:
		return 0;
	}
	return 0;
}

static int
on_tick(struct cutover_state *s, const struct plan *p,
	const struct event *ev, struct cutover_effects *fx)
{
	int64_t delta = 0;

	if (s->last_tick_ms != 0 && ev->now_ms > s->last_tick_ms)
		delta = ev->now_ms - s->last_tick_ms;
	s->last_tick_ms = ev->now_ms;
	/* Observed time only: not paused, not blind, not breaching. */
	if (s->phase != PHASE_HOLDING || s->last_verdict != VERDICT_PASS)
		return 0;
	s->hold_ms += delta;
	if (!hold_over(s, p))
		return 0;
	s->hold_ms = p->stages[s->stage - 1].hold_ms;
	s->phase = stage_is_last(s) ? PHASE_COMPLETE : PHASE_READY;
	fx_audit(fx, "hold_done", NULL, s->stage, s->applied, s->stage,
		 s->applied);
	fx_simple(fx, EFF_SAVE, NULL);
	return 0;
}

int
cutover_step(struct cutover_state *s, const struct plan *p,
	     const struct event *ev, struct cutover_effects *fx,
	     const char **why)
{
	struct cutover_state before = *s;
	const char *dummy;
	int rc = -1;

	fx->n = 0;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	switch (ev->type) {
	case EV_ADVANCE:
		rc = on_advance(s, p, ev, fx, why);
		break;
	case EV_PAUSE:
		rc = on_pause(s, fx, why);
		break;
	case EV_RESUME:
		rc = on_resume(s, fx, why);
		break;
	case EV_ROLLBACK:
		rc = on_rollback(s, p, ev, fx);
		break;
	case EV_RETRY:
		rc = on_retry(s, p, fx, why);
		break;
	case EV_DRIVER_DONE:
	case EV_DRIVER_FAILED:
		rc = on_driver(s, p, ev, fx);
		break;
	case EV_VERDICT:
		rc = on_verdict(s, p, ev, fx);
		break;
	case EV_TICK:
		rc = on_tick(s, p, ev, fx);
		break;
	case EVENT_COUNT:
		rc = refuse(why, "unknown event");
		break;
	}
	if (rc != 0) {
		*s = before;
		fx->n = 0;
	}
	return rc;
}

int
cutover_adopt(struct cutover_state *s, const struct plan *p, int stage,
	      struct cutover_effects *fx, const char **why)
{
	int from = s->stage;
	struct weights wfrom = s->applied;
	const char *dummy;

	fx->n = 0;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (stage < 0 || stage > s->nstages)
		return refuse(why, "no such stage");
	if (s->phase == PHASE_SHIFTING || s->phase == PHASE_ROLLING_BACK)
		return refuse(why, "a driver step is running: wait for it");
	if (s->phase == PHASE_ERROR)
		return refuse(why, "the last driver step failed: retry or "
			      "roll back");
	s->target = stage;
	s->pending = cutover_stage_weights(p, stage);
	s->retry_rollback = false;
	stage_entered(s, p);
	fx_audit(fx, "reconcile", "adopted the weights in force", from, wfrom,
		 s->stage, s->applied);
	fx_simple(fx, EFF_SAVE, NULL);
	return 0;
}

bool
cutover_can(const struct cutover_state *s, const struct plan *p,
	    const struct event *ev, const char **why)
{
	struct cutover_state copy = *s;
	struct cutover_effects fx;

	return cutover_step(&copy, p, ev, &fx, why) == 0;
}
