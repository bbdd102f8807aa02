/*
 * cmd_action — the commands that act: advance, pause, resume, rollback,
 * retry.  Through the plan's guard when one runs (cmd_guard_act; an
 * advance starts it when none runs); otherwise (--no-guard, which says
 * what it gives up) each takes the lock, settles an interrupted apply, refreshes the
 * sources before an advance so the gates judge fresh data, asks for
 * confirmation (or --yes) of a weight change the guards would let
 * through, acts, and waits for the driver within its deadline.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>

#include "cli.h"
#include "cutover.h"
#include "plan.h"
#include "session.h"

static enum proto_action
cmd_action_of(enum event_type type)
{
	switch (type) {
	case EV_ADVANCE:
		return PROTO_ACT_ADVANCE;
	case EV_PAUSE:
		return PROTO_ACT_PAUSE;
	case EV_RESUME:
		return PROTO_ACT_RESUME;
	case EV_RETRY:
		return PROTO_ACT_RETRY;
	default:
		return PROTO_ACT_ROLLBACK;
	}
}

static int
cmd_action(const struct cmd_options *c, const struct plan *p,
	   struct loop *l, enum event_type type)
{
	struct session s;
	const char *why = NULL;
	const char *reason = c->reason;
	char question[256];
	int64_t deadline = cmd_deadline(p);
	int rc;

	/* A rollback never waits, not even for a reason the plan wants
	 * (through the guard too: its session records the lack). */
	if (type == EV_ROLLBACK && p->require_reason &&
	    (reason == NULL || reason[0] == '\0')) {
		fprintf(stderr, "cutover: the plan requires a reason "
			"(--reason); rolling back without one\n");
		reason = "no reason given (the plan requires one)";
	}
	rc = cmd_guard_act(c, p, cmd_action_of(type));
	if (rc != CMD_NO_GUARD)
		return rc;
	rc = cmd_open_session(c, &s, p, l, false);
	if (rc != CLI_OK)
		return rc;
	if (!cmd_start_settled(&s, deadline)) {
		session_close(&s);
		return CLI_DRIVER_FAILED;
	}
	/* Every action records the values it was taken on; a rollback (and
	 * a retry, which may be one) never waits for the sources. */
	if (type == EV_ADVANCE || type == EV_PAUSE || type == EV_RESUME)
		session_refresh_once(&s);

	if (type == EV_ADVANCE || type == EV_ROLLBACK || type == EV_RETRY) {
		struct weights to;

		/* Ask only about what the guards would let through. */
		if (!session_can(&s, type, c->force, &why)) {
			session_act(&s, type, c->force, reason, &why);
			fprintf(stderr, "cutover: %s refused: %s\n",
				cutover_event_name(type), why);
			rc = s.outcome == SESSION_OUTCOME_NOT_RECORDED ?
			     CLI_IO : CLI_REFUSED;
			session_close(&s);
			return rc;
		}
		to = type == EV_ROLLBACK ? cutover_stage_weights(p, 0) :
		     type == EV_RETRY && s.rec.state.retry_rollback ?
		     cutover_stage_weights(p, 0) :
		     cutover_stage_weights(p, type == EV_RETRY ?
					   s.rec.state.target :
					   s.rec.state.phase ==
					   PHASE_ROLLED_BACK ? 1 :
					   s.rec.state.stage + 1);
		if (s.drift)
			snprintf(question, sizeof(question), "%s: istio %d%% "
				 "in force (the state file says %d%%) -> %d%%?",
				 cutover_event_name(type),
				 s.drift_weights.istio,
				 s.rec.state.applied.istio, to.istio);
		else
			snprintf(question, sizeof(question), "%s: istio %d%% "
				 "-> %d%%?", cutover_event_name(type),
				 s.rec.state.applied.istio, to.istio);
		if (!cmd_confirm(c, question)) {
			fprintf(stderr, "cutover: not confirmed; nothing "
				"changed\n");
			session_close(&s);
			return CLI_REFUSED;
		}
	}
	if (session_act(&s, type, c->force, reason, &why) != 0) {
		fprintf(stderr, "cutover: %s refused: %s\n",
			cutover_event_name(type), why);
		rc = s.outcome == SESSION_OUTCOME_NOT_RECORDED ? CLI_IO :
		     CLI_REFUSED;
		session_close(&s);
		return rc;
	}
	if (session_wait(&s, deadline) != 0) {
		fprintf(stderr, "cutover: the driver did not answer within "
			"%llds; the state file marks the step as in flight\n",
			(long long)(deadline / 1000));
		session_close(&s);
		return CLI_DRIVER_FAILED;
	}
	/* The rollback checklist's logs: fetched before the session ends. */
	session_wait_checklist(&s, p->kubernetes.timeout_ms * 2 + 30000);
	rc = CLI_OK;
	if (s.outcome == SESSION_OUTCOME_DRIVER_FAILED) {
		fprintf(stderr, "cutover: driver failed: %s\n",
			s.last_failure);
		rc = CLI_DRIVER_FAILED;
	}
	if (s.record_lost) {
		/* A rollback goes ahead without its record: say so. */
		fprintf(stderr, "cutover: %s went ahead, but its record was "
			"lost: %s\n", cutover_event_name(type),
			s.record_error);
		if (rc == CLI_OK)
			rc = CLI_IO;
	}
	/* --no-guard: say what it gives up while traffic is on Istio. */
	if (c->no_guard && type != EV_PAUSE && type != EV_ROLLBACK &&
	    (s.rec.state.stage >= 1 || s.rec.state.applied.istio > 0))
		fprintf(stderr, "cutover: --no-guard: nothing watches the "
			"gates once this command exits: no hold timer, no "
			"automatic rollback, until a dashboard or `cutover "
			"guard` runs\n");
	cmd_print_session(&s, stdout);
	session_close(&s);
	return rc;
}

static int
cmd_advance_exec(const struct cmd_options *o, const struct plan *p,
		 struct loop *l)
{
	return cmd_action(o, p, l, EV_ADVANCE);
}

static int
cmd_pause_exec(const struct cmd_options *o, const struct plan *p,
	       struct loop *l)
{
	return cmd_action(o, p, l, EV_PAUSE);
}

static int
cmd_resume_exec(const struct cmd_options *o, const struct plan *p,
		struct loop *l)
{
	return cmd_action(o, p, l, EV_RESUME);
}

static int
cmd_rollback_exec(const struct cmd_options *o, const struct plan *p,
		  struct loop *l)
{
	return cmd_action(o, p, l, EV_ROLLBACK);
}

static int
cmd_retry_exec(const struct cmd_options *o, const struct plan *p,
	       struct loop *l)
{
	return cmd_action(o, p, l, EV_RETRY);
}

const struct cmd_entry cmd_advance_entry = {
	.name = "advance",
	.help = "shift to the next stage",
	.lock = true,
	.read_only = false,
	.exec = cmd_advance_exec,
};

const struct cmd_entry cmd_pause_entry = {
	.name = "pause",
	.help = "freeze the hold timer (gates stay on)",
	.lock = true,
	.read_only = false,
	.exec = cmd_pause_exec,
};

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.help = "let the hold timer run again",
	.lock = true,
	.read_only = false,
	.exec = cmd_resume_exec,
};

const struct cmd_entry cmd_rollback_entry = {
	.name = "rollback",
	.help = "send all traffic back to APISIX",
	.lock = true,
	.read_only = false,
	.exec = cmd_rollback_exec,
};

const struct cmd_entry cmd_retry_entry = {
	.name = "retry",
	.help = "retry the driver step that failed",
	.lock = true,
	.read_only = false,
	.exec = cmd_retry_exec,
};
