/*
 * test_cutover — the state machine, checked for every (phase, event) pair
 * from a table of expected outcomes, then through whole scenarios.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "cutover.h"
#include "plan.h"

#define MIN (60 * 1000)

static struct plan P;

/* A plan built by hand, so these tests do not depend on the parser. */
static void
plan_five(struct plan *p)
{
	static const int istio[] = { 10, 25, 50, 75, 100 };
	static const int64_t hold[] = { 30 * MIN, 30 * MIN, 60 * MIN,
					60 * MIN, 0 };

	memset(p, 0, sizeof(*p));
	p->nstages = 5;
	for (int i = 0; i < 5; i++) {
		p->stages[i].istio = istio[i];
		p->stages[i].hold_ms = hold[i];
		p->stages[i].max_error_rate = 0.01;
		p->stages[i].max_p95_ms = 2000;
		p->stages[i].min_availability = 0.999;
		p->stages[i].min_mtls = NAN;
		p->stages[i].max_error_delta = NAN;
	}
	p->rollback.automatic = true;
	p->rollback.consecutive = 3;
	p->rollback.on_no_data = NO_DATA_HOLD;
}

static void
setup(void)
{
	plan_five(&P);
}

/* A state sitting in `ph`, built the way the machine would have left it. */
static struct cutover_state
state_in(enum phase ph)
{
	struct cutover_state s;

	cutover_init(&s, &P);
	s.stage = 2;
	s.applied = cutover_stage_weights(&P, 2);
	s.pending = s.applied;
	s.seq = 5;
	s.last_verdict = VERDICT_PASS;
	s.last_tick_ms = 1000;
	s.phase = ph;
	switch (ph) {
	case PHASE_READY:
		s.hold_ms = 30 * MIN;
		break;
	case PHASE_SHIFTING:
		s.target = 3;
		s.pending = cutover_stage_weights(&P, 3);
		break;
	case PHASE_HOLDING:
		s.hold_ms = 10 * MIN;
		break;
	case PHASE_PAUSED:
		s.hold_ms = 10 * MIN;
		s.resume_to = PHASE_HOLDING;
		break;
	case PHASE_BREACH:
		s.hold_ms = 10 * MIN;
		s.breaches = 1;
		s.last_verdict = VERDICT_FAIL;
		s.resume_to = PHASE_HOLDING;
		break;
	case PHASE_ROLLING_BACK:
		s.target = 0;
		s.pending = cutover_stage_weights(&P, 0);
		s.retry_rollback = true;
		break;
	case PHASE_ROLLED_BACK:
		s.stage = 0;
		s.applied = cutover_stage_weights(&P, 0);
		s.pending = s.applied;
		s.last_verdict = VERDICT_NONE;
		break;
	case PHASE_COMPLETE:
		s.stage = 5;
		s.applied = cutover_stage_weights(&P, 5);
		s.pending = s.applied;
		break;
	case PHASE_ERROR:
		s.target = 3;
		s.pending = cutover_stage_weights(&P, 3);
		s.uncertain = true;
		break;
	case PHASE_COUNT:
		break;
	}
	return s;
}

enum ev_kind {
	K_ADVANCE, K_ADVANCE_FORCE, K_PAUSE, K_RESUME, K_ROLLBACK,
	K_ROLLBACK_AUTO, K_RETRY, K_DONE, K_DONE_STALE, K_FAILED,
	K_FAILED_STALE, K_PASS, K_FAIL, K_NODATA, K_TICK, K_COUNT
};

static const char *const kind_names[K_COUNT] = {
	"advance", "advance --force", "pause", "resume", "rollback",
	"auto rollback", "retry", "driver done", "driver done (stale)",
	"driver failed", "driver failed (stale)", "verdict pass",
	"verdict fail", "verdict no data", "tick",
};

static struct event
event_of(enum ev_kind k)
{
	struct event ev = { 0 };

	switch (k) {
	case K_ADVANCE:
		ev.type = EV_ADVANCE;
		break;
	case K_ADVANCE_FORCE:
		ev.type = EV_ADVANCE;
		ev.force = true;
		break;
	case K_PAUSE:
		ev.type = EV_PAUSE;
		break;
	case K_RESUME:
		ev.type = EV_RESUME;
		break;
	case K_ROLLBACK:
		ev.type = EV_ROLLBACK;
		break;
	case K_ROLLBACK_AUTO:
		ev.type = EV_ROLLBACK;
		ev.automatic = true;
		break;
	case K_RETRY:
		ev.type = EV_RETRY;
		break;
	case K_DONE:
	case K_DONE_STALE:
		ev.type = EV_DRIVER_DONE;
		ev.seq = k == K_DONE ? 5 : 4;
		break;
	case K_FAILED:
	case K_FAILED_STALE:
		ev.type = EV_DRIVER_FAILED;
		ev.seq = k == K_FAILED ? 5 : 4;
		break;
	case K_PASS:
	case K_FAIL:
	case K_NODATA:
		ev.type = EV_VERDICT;
		ev.verdict = k == K_PASS ? VERDICT_PASS :
			     k == K_FAIL ? VERDICT_FAIL : VERDICT_NO_DATA;
		break;
	case K_TICK:
		ev.type = EV_TICK;
		ev.now_ms = 1000 + MIN;
		break;
	case K_COUNT:
		break;
	}
	return ev;
}

#define NO (-1)		/* refused */
#define R PHASE_READY
#define S PHASE_SHIFTING
#define H PHASE_HOLDING
#define PA PHASE_PAUSED
#define B PHASE_BREACH
#define RB PHASE_ROLLING_BACK
#define RD PHASE_ROLLED_BACK
#define C PHASE_COMPLETE
#define E PHASE_ERROR

/* Expected phase after each event (NO = refused, state unchanged). */
static const int expect_phase[PHASE_COUNT][K_COUNT] = {
	/*            adv f-adv pause resume rb  arb retry done dstl fail fstl pass fail nodt tick */
	[R]  = { S,  S,  PA, NO, RB, RB, NO, R,  R,  R,  R,  R,  B,  R,  R },
	[S]  = { NO, NO, NO, NO, RB, RB, NO, H,  S,  E,  S,  S,  S,  S,  S },
	[H]  = { NO, S,  PA, NO, RB, RB, NO, H,  H,  H,  H,  H,  B,  H,  H },
	[PA] = { NO, NO, NO, H,  RB, RB, NO, PA, PA, PA, PA, PA, PA, PA, PA },
	[B]  = { NO, NO, NO, NO, RB, RB, NO, B,  B,  B,  B,  H,  B,  B,  B },
	[RB] = { NO, NO, NO, NO, RB, RB, NO, RD, RB, E,  RB, RB, RB, RB, RB },
	[RD] = { NO, S,  NO, NO, RB, RB, NO, RD, RD, RD, RD, RD, RD, RD, RD },
	[C]  = { NO, NO, NO, NO, RB, RB, NO, C,  C,  C,  C,  C,  B,  C,  C },
	[E]  = { NO, NO, NO, NO, RB, RB, S,  E,  E,  E,  E,  E,  E,  E,  E },
};

/* Istio weight of the apply effect each event must produce (NO = none). */
static const int expect_apply[PHASE_COUNT][K_COUNT] = {
	/*            adv f-adv pause resume rb  arb retry done dstl fail fstl pass fail nodt tick */
	[R]  = { 50, 50, NO, NO, 0,  0,  NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[S]  = { NO, NO, NO, NO, 0,  0,  NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[H]  = { NO, 50, NO, NO, 0,  0,  NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[PA] = { NO, NO, NO, NO, 0,  0,  NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[B]  = { NO, NO, NO, NO, 0,  0,  NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[RB] = { NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[RD] = { NO, 10, NO, NO, 0,  0,  NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[C]  = { NO, NO, NO, NO, 0,  0,  NO, NO, NO, NO, NO, NO, NO, NO, NO },
	[E]  = { NO, NO, NO, NO, 0,  0,  50, NO, NO, NO, NO, NO, NO, NO, NO },
};

static int
find_effect(const struct cutover_effects *fx, enum effect_type t)
{
	for (int i = 0; i < fx->n; i++)
		if (fx->e[i].type == t)
			return i;
	return -1;
}

Test(cutover, every_phase_event_pair, .init = setup)
{
	for (int ph = 0; ph < PHASE_COUNT; ph++) {
		for (int k = 0; k < K_COUNT; k++) {
			struct cutover_state s = state_in((enum phase)ph);
			struct cutover_state before = s;
			struct event ev = event_of((enum ev_kind)k);
			struct cutover_effects fx;
			const char *why = NULL;
			int rc = cutover_step(&s, &P, &ev, &fx, &why);
			int want = expect_phase[ph][k];
			int ai = find_effect(&fx, EFF_APPLY);

			if (want == NO) {
				cr_expect_eq(rc, -1, "%s + %s: accepted",
					     cutover_phase_name(ph),
					     kind_names[k]);
				cr_expect(why != NULL && *why != '\0',
					  "%s + %s: refusal without reason",
					  cutover_phase_name(ph),
					  kind_names[k]);
				cr_expect(memcmp(&s, &before, sizeof(s)) == 0,
					  "%s + %s: refusal changed state",
					  cutover_phase_name(ph),
					  kind_names[k]);
				cr_expect_eq(fx.n, 0);
				continue;
			}
			cr_expect_eq(rc, 0, "%s + %s: refused (%s)",
				     cutover_phase_name(ph), kind_names[k],
				     why ? why : "");
			cr_expect_eq(s.phase, want, "%s + %s: -> %s, want %s",
				     cutover_phase_name(ph), kind_names[k],
				     cutover_phase_name(s.phase),
				     cutover_phase_name(want));
			if (expect_apply[ph][k] == NO) {
				cr_expect_eq(ai, -1, "%s + %s: unexpected apply",
					     cutover_phase_name(ph),
					     kind_names[k]);
			} else {
				cr_expect_neq(ai, -1, "%s + %s: no apply",
					      cutover_phase_name(ph),
					      kind_names[k]);
				if (ai >= 0) {
					cr_expect_eq(fx.e[ai].weights.istio,
						     expect_apply[ph][k]);
					cr_expect_eq(fx.e[ai].weights.istio +
						     fx.e[ai].weights.apisix,
						     100);
					cr_expect_eq(fx.e[ai].seq, s.seq);
					cr_expect_gt(s.seq, before.seq);
					cr_expect_neq(find_effect(&fx, EFF_AUDIT),
						      -1, "apply without audit");
					cr_expect_neq(find_effect(&fx, EFF_SAVE),
						      -1, "apply without save");
				}
			}
			cr_expect_eq(s.applied.istio + s.applied.apisix, 100);
		}
	}
}

static void
step_ok(struct cutover_state *s, struct event ev, struct cutover_effects *fx)
{
	const char *why = NULL;

	cr_assert_eq(cutover_step(s, &P, &ev, fx, &why), 0, "refused: %s",
		     why ? why : "");
}

static struct event
verdict(enum verdict v)
{
	struct event ev = { .type = EV_VERDICT, .verdict = v };

	return ev;
}

static struct event
tick(int64_t now)
{
	struct event ev = { .type = EV_TICK, .now_ms = now };

	return ev;
}

static struct event
done(uint32_t seq)
{
	struct event ev = { .type = EV_DRIVER_DONE, .seq = seq };

	return ev;
}

Test(cutover, cancel_on_rollback_while_shifting, .init = setup)
{
	struct cutover_state s = state_in(PHASE_SHIFTING);
	struct event ev = { .type = EV_ROLLBACK };
	struct cutover_effects fx;
	int ci;

	step_ok(&s, ev, &fx);
	ci = find_effect(&fx, EFF_CANCEL);
	cr_assert_neq(ci, -1);
	cr_expect_eq(fx.e[ci].seq, 5);
	/* The answer to the cancelled shift arrives late: ignored. */
	step_ok(&s, done(5), &fx);
	cr_expect_eq(s.phase, PHASE_ROLLING_BACK);
	step_ok(&s, done(6), &fx);
	cr_expect_eq(s.phase, PHASE_ROLLED_BACK);
	cr_expect_eq(s.applied.istio, 0);
	cr_expect_eq(s.applied.apisix, 100);
	cr_expect_eq(s.stage, 0);
}

Test(cutover, walk_all_stages, .init = setup)
{
	struct cutover_state s;
	struct cutover_effects fx;
	struct event adv = { .type = EV_ADVANCE };
	int64_t now = 1000;

	cutover_init(&s, &P);
	step_ok(&s, tick(now), &fx);
	for (int k = 1; k <= 5; k++) {
		step_ok(&s, adv, &fx);
		cr_assert_eq(s.phase, PHASE_SHIFTING);
		cr_assert_eq(s.target, k);
		step_ok(&s, done(s.seq), &fx);
		cr_assert_eq(s.stage, k);
		cr_assert_eq(s.applied.istio, P.stages[k - 1].istio);
		if (k == 5) {
			cr_assert_eq(s.phase, PHASE_COMPLETE);
			break;
		}
		cr_assert_eq(s.phase, PHASE_HOLDING);
		/* Not yet: the hold has not started counting. */
		cr_assert_eq(cutover_step(&s, &P, &adv, &fx, NULL), -1);
		step_ok(&s, verdict(VERDICT_PASS), &fx);
		now += P.stages[k - 1].hold_ms / 2;
		step_ok(&s, tick(now), &fx);
		cr_assert_eq(s.phase, PHASE_HOLDING);
		step_ok(&s, verdict(VERDICT_PASS), &fx);
		now += P.stages[k - 1].hold_ms / 2;
		step_ok(&s, tick(now), &fx);
		cr_assert_eq(s.phase, PHASE_READY, "stage %d", k);
		cr_assert_eq(cutover_hold_left(&s, &P), 0);
	}
	cr_expect_eq(cutover_hold_left(&s, &P), -1);
}

Test(cutover, breach_rolls_back_after_exactly_n, .init = setup)
{
	struct cutover_state s = state_in(PHASE_HOLDING);
	struct cutover_effects fx;
	int ai;

	step_ok(&s, verdict(VERDICT_FAIL), &fx);
	cr_expect_eq(s.phase, PHASE_BREACH);
	step_ok(&s, verdict(VERDICT_FAIL), &fx);
	cr_expect_eq(s.phase, PHASE_BREACH);
	cr_expect_eq(find_effect(&fx, EFF_APPLY), -1);
	step_ok(&s, verdict(VERDICT_FAIL), &fx);
	cr_expect_eq(s.phase, PHASE_ROLLING_BACK);
	ai = find_effect(&fx, EFF_APPLY);
	cr_assert_neq(ai, -1);
	cr_expect_eq(fx.e[ai].weights.istio, 0);
	cr_expect_str_eq(fx.e[find_effect(&fx, EFF_AUDIT)].action,
			 "auto_rollback");
}

Test(cutover, flapping_does_not_roll_back, .init = setup)
{
	struct cutover_state s = state_in(PHASE_HOLDING);
	struct cutover_effects fx;

	for (int i = 0; i < 10; i++) {
		step_ok(&s, verdict(VERDICT_FAIL), &fx);
		step_ok(&s, verdict(VERDICT_FAIL), &fx);
		cr_expect_eq(s.phase, PHASE_BREACH);
		step_ok(&s, verdict(VERDICT_PASS), &fx);
		cr_expect_eq(s.phase, PHASE_HOLDING);
		cr_expect_eq(s.breaches, 0);
	}
}

Test(cutover, no_data_holds_and_freezes, .init = setup)
{
	struct cutover_state s = state_in(PHASE_HOLDING);
	struct cutover_effects fx;
	int64_t held = s.hold_ms;

	for (int i = 0; i < 20; i++) {
		step_ok(&s, verdict(VERDICT_NO_DATA), &fx);
		step_ok(&s, tick(1000 + (i + 1) * MIN), &fx);
		cr_expect_eq(s.phase, PHASE_HOLDING);
		cr_expect_eq(find_effect(&fx, EFF_APPLY), -1);
	}
	cr_expect_eq(s.hold_ms, held, "blind time counted in the hold");
}

Test(cutover, no_data_rollback_when_asked, .init = setup)
{
	struct cutover_state s = state_in(PHASE_HOLDING);
	struct cutover_effects fx;

	P.rollback.on_no_data = NO_DATA_ROLLBACK;
	step_ok(&s, verdict(VERDICT_NO_DATA), &fx);
	step_ok(&s, verdict(VERDICT_NO_DATA), &fx);
	cr_expect_eq(s.phase, PHASE_HOLDING);
	step_ok(&s, verdict(VERDICT_NO_DATA), &fx);
	cr_expect_eq(s.phase, PHASE_ROLLING_BACK);
}

Test(cutover, alarm_when_auto_is_off, .init = setup)
{
	struct cutover_state s = state_in(PHASE_HOLDING);
	struct cutover_effects fx;

	P.rollback.automatic = false;
	for (int i = 0; i < 3; i++)
		step_ok(&s, verdict(VERDICT_FAIL), &fx);
	cr_expect_eq(s.phase, PHASE_BREACH);
	cr_expect(s.alarm);
	cr_expect_neq(find_effect(&fx, EFF_ALARM), -1);
	step_ok(&s, verdict(VERDICT_FAIL), &fx);
	cr_expect_eq(find_effect(&fx, EFF_ALARM), -1, "alarm repeated");
	cr_expect_eq(s.phase, PHASE_BREACH);
}

Test(cutover, paused_time_does_not_count, .init = setup)
{
	struct cutover_state s = state_in(PHASE_HOLDING);
	struct cutover_effects fx;
	struct event pause = { .type = EV_PAUSE };
	struct event resume = { .type = EV_RESUME };

	step_ok(&s, pause, &fx);
	step_ok(&s, tick(1000 + 25 * MIN), &fx);
	cr_expect_eq(s.hold_ms, 10 * MIN);
	step_ok(&s, resume, &fx);
	step_ok(&s, tick(1000 + 30 * MIN), &fx);
	cr_expect_eq(s.hold_ms, 15 * MIN);
	cr_expect_eq(cutover_hold_left(&s, &P), 15 * MIN);
}

Test(cutover, paused_breach_still_protects, .init = setup)
{
	struct cutover_state s = state_in(PHASE_PAUSED);
	struct cutover_effects fx;

	for (int i = 0; i < 3; i++)
		step_ok(&s, verdict(VERDICT_FAIL), &fx);
	cr_expect_eq(s.phase, PHASE_ROLLING_BACK);
}

Test(cutover, advance_guards_need_force, .init = setup)
{
	struct cutover_state s = state_in(PHASE_READY);
	struct event adv = { .type = EV_ADVANCE };
	struct event force = { .type = EV_ADVANCE, .force = true };
	struct cutover_effects fx;
	const char *why = NULL;

	s.last_verdict = VERDICT_NO_DATA;
	cr_expect_eq(cutover_step(&s, &P, &adv, &fx, &why), -1);
	cr_expect(strstr(why, "no data") != NULL, "%s", why);
	s.last_verdict = VERDICT_NONE;
	cr_expect_eq(cutover_step(&s, &P, &adv, &fx, &why), -1);
	cr_expect(cutover_can(&s, &P, &force, NULL));
	step_ok(&s, force, &fx);
	cr_expect_str_eq(fx.e[find_effect(&fx, EFF_AUDIT)].reason,
			 "forced by the operator");
}

Test(cutover, retry_after_failed_rollback, .init = setup)
{
	struct cutover_state s = state_in(PHASE_ROLLING_BACK);
	struct event failed = { .type = EV_DRIVER_FAILED, .seq = 5 };
	struct event retry = { .type = EV_RETRY };
	struct cutover_effects fx;
	int ai;

	step_ok(&s, failed, &fx);
	cr_expect_eq(s.phase, PHASE_ERROR);
	cr_expect(s.uncertain);
	cr_expect_neq(find_effect(&fx, EFF_ALARM), -1);
	step_ok(&s, retry, &fx);
	cr_expect_eq(s.phase, PHASE_ROLLING_BACK);
	ai = find_effect(&fx, EFF_APPLY);
	cr_assert_neq(ai, -1);
	cr_expect_eq(fx.e[ai].weights.istio, 0);
	step_ok(&s, done(s.seq), &fx);
	cr_expect_eq(s.phase, PHASE_ROLLED_BACK);
	cr_expect(!s.uncertain);
}

Test(cutover, names_round_trip)
{
	for (int i = 0; i < PHASE_COUNT; i++) {
		enum phase ph;

		cr_assert_eq(cutover_phase_parse(cutover_phase_name(i), &ph),
			     0);
		cr_expect_eq((int)ph, i);
	}
	cr_expect_eq(cutover_phase_parse("nonsense", &(enum phase){ 0 }), -1);
}

/* Weights found in force (drift) are adopted as a stage: every phase. */
Test(cutover, adopt_the_stage_in_force, .init = setup)
{
	static const struct {
		enum phase ph;
		bool ok;
	} rows[] = {
		{ PHASE_READY, true },	      { PHASE_SHIFTING, false },
		{ PHASE_HOLDING, true },      { PHASE_PAUSED, true },
		{ PHASE_BREACH, true },	      { PHASE_ROLLING_BACK, false },
		{ PHASE_ROLLED_BACK, true },  { PHASE_COMPLETE, true },
		{ PHASE_ERROR, false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cutover_state s = state_in(rows[i].ph);
		struct cutover_state before = s;
		struct cutover_effects fx;
		const char *why = NULL;
		int rc = cutover_adopt(&s, &P, 1, &fx, &why);

		if (!rows[i].ok) {
			cr_expect_eq(rc, -1, "%s", cutover_phase_name(rows[i].ph));
			cr_expect_not_null(why);
			cr_expect(memcmp(&s, &before, sizeof(s)) == 0);
			cr_expect_eq(fx.n, 0);
			continue;
		}
		cr_expect_eq(rc, 0, "%s: %s", cutover_phase_name(rows[i].ph),
			     why ? why : "");
		cr_expect_eq(s.stage, 1);
		cr_expect_eq(s.applied.istio, 10);
		cr_expect_eq(s.phase, PHASE_HOLDING);
		cr_expect_eq(s.hold_ms, 0);
		cr_expect_eq(s.breaches, 0);
		cr_expect_not(s.alarm);
		cr_expect_eq(s.seq, before.seq, "nothing is applied");
		cr_assert_eq(fx.n, 2);
		cr_expect_eq(fx.e[0].type, EFF_AUDIT);
		cr_expect_str_eq(fx.e[0].action, "reconcile");
		cr_expect_eq(fx.e[0].stage_from, before.stage);
		cr_expect_eq(fx.e[0].stage_to, 1);
		cr_expect_eq(fx.e[1].type, EFF_SAVE);
	}
	{
		struct cutover_state s = state_in(PHASE_HOLDING);
		struct cutover_effects fx;

		cr_expect_eq(cutover_adopt(&s, &P, 0, &fx, NULL), 0);
		cr_expect_eq(s.phase, PHASE_ROLLED_BACK);
		s = state_in(PHASE_HOLDING);
		cr_expect_eq(cutover_adopt(&s, &P, 5, &fx, NULL), 0);
		cr_expect_eq(s.phase, PHASE_COMPLETE);
		cr_expect_eq(cutover_adopt(&s, &P, 6, &fx, NULL), -1);
	}
}
