/*
 * cutover — the state machine of a staged shift.  Pure: no I/O, no clock
 * reads, no allocation.  An event goes in, the state changes (or the event
 * is refused with a reason), and effects come out for the caller to carry
 * out: apply weights through the driver, write an audit line, ring the
 * alarm.  Every transition is therefore unit-testable from a table.
 *
 * Stages are numbered 1..nstages; stage 0 means "nothing shifted yet"
 * (Istio 0%, APISIX 100%).  `stage` is the stage whose weights are in force
 * (or were last asked for); during `shifting` the target is stage `target`.
 *
 * Phases:
 *   ready        waiting for the operator (stage 0, or a stage whose hold
 *                is over)
 *   shifting     the driver is applying the weights of `target`
 *   holding      weights applied; the hold timer runs on observed time
 *   paused       hold frozen; gates still evaluated (protection stays on)
 *   breach       a gate failed; `breaches` counts consecutive failures;
 *                at rollback.consecutive it rolls back (auto) or alarms
 *   rolling_back the driver is applying 0/100
 *   rolled_back  100% APISIX; Istio kept running
 *   complete     last stage held (or has no hold): watch on
 *   error        a driver step failed: weights uncertain until a retry or
 *                a rollback succeeds
 *
 * Driver results carry the sequence number of the apply they answer; a
 * result for an older apply (one cancelled by a rollback) is ignored.
 */
#ifndef CUTOVER_SRC_CUTOVER_H
#define CUTOVER_SRC_CUTOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

#define PHASE_LIST(X)                                                         \
	X(PHASE_READY, "ready")                                               \
	X(PHASE_SHIFTING, "shifting")                                         \
	X(PHASE_HOLDING, "holding")                                           \
	X(PHASE_PAUSED, "paused")                                             \
	X(PHASE_BREACH, "breach")                                             \
	X(PHASE_ROLLING_BACK, "rolling_back")                                 \
	X(PHASE_ROLLED_BACK, "rolled_back")                                   \
	X(PHASE_COMPLETE, "complete")                                         \
	X(PHASE_ERROR, "error")

enum phase {
#define X(id, name) id,
	PHASE_LIST(X)
#undef X
	PHASE_COUNT
};

struct weights {
	int istio;		/* percent 0..100 */
	int apisix;		/* percent 0..100, istio + apisix == 100 */
};

enum verdict {
	VERDICT_NONE,		/* not evaluated yet */
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_NO_DATA,
};

#define EVENT_LIST(X)                                                         \
	X(EV_ADVANCE, "advance")                                              \
	X(EV_PAUSE, "pause")                                                  \
	X(EV_RESUME, "resume")                                                \
	X(EV_ROLLBACK, "rollback")                                            \
	X(EV_RETRY, "retry")                                                  \
	X(EV_DRIVER_DONE, "driver_done")                                      \
	X(EV_DRIVER_FAILED, "driver_failed")                                  \
	X(EV_VERDICT, "verdict")                                              \
	X(EV_TICK, "tick")

enum event_type {
#define X(id, name) id,
	EVENT_LIST(X)
#undef X
	EVENT_COUNT
};

struct event {
	enum event_type type;
	bool force;		/* EV_ADVANCE: before the hold ends / no data /
				 * failing gate, confirmed by the operator */
	bool automatic;		/* EV_ROLLBACK: decided by a rule, not a key */
	uint32_t seq;		/* EV_DRIVER_*: the apply this answers */
	enum verdict verdict;	/* EV_VERDICT */
	int64_t now_ms;		/* EV_TICK (monotonic); others may set it */
};

struct cutover_state {
	int nstages;		/* copied from the plan at init */
	int stage;		/* 0..nstages: weights in force / last asked */
	int target;		/* during shifting: stage being applied */
	enum phase phase;
	enum phase resume_to;	/* paused/breach: phase to go back to */
	struct weights applied;	/* last weights the driver confirmed */
	struct weights pending;	/* weights of the apply in flight */
	bool uncertain;		/* a driver step failed: applied is a guess */
	bool retry_rollback;	/* in error: retry means retry the rollback */
	uint32_t seq;		/* sequence number of the last apply */
	int64_t hold_ms;	/* observed hold time accumulated this stage */
	int64_t last_tick_ms;	/* monotonic time of the last tick, 0 = none */
	enum verdict last_verdict;
	int breaches;		/* consecutive failing evaluations */
	int blind;		/* consecutive no-data evaluations */
	bool alarm;		/* breach reached the limit, not auto: alarm */
};

#define EFFECT_LIST(X)                                                        \
	X(EFF_APPLY, "apply")                                                 \
	X(EFF_CANCEL, "cancel")                                               \
	X(EFF_AUDIT, "audit")                                                 \
	X(EFF_ALARM, "alarm")                                                 \
	X(EFF_SAVE, "save")

enum effect_type {
#define X(id, name) id,
	EFFECT_LIST(X)
#undef X
};

struct effect {
	enum effect_type type;
	struct weights weights;	/* EFF_APPLY: weights to apply */
	int stage;		/* EFF_APPLY: stage they belong to */
	uint32_t seq;		/* EFF_APPLY / EFF_CANCEL */
	const char *action;	/* EFF_AUDIT: "advance", "auto_rollback", ... */
	const char *reason;	/* EFF_AUDIT / EFF_ALARM: static text */
	struct weights from;	/* EFF_AUDIT */
	struct weights to;	/* EFF_AUDIT */
	int stage_from;		/* EFF_AUDIT */
	int stage_to;		/* EFF_AUDIT */
};

#define CUTOVER_EFFECTS_MAX 8

struct cutover_effects {
	struct effect e[CUTOVER_EFFECTS_MAX];
	int n;
};

/* Start state: stage 0, ready, weights 0/100. */
void cutover_init(struct cutover_state *s, const struct plan *p);

/*
 * Feed one event.  Returns 0 when accepted (effects filled, possibly none)
 * and -1 when refused (state unchanged, `why` set to a static sentence the
 * operator can read, e.g. "the hold is not over: advance needs --force").
 */
int cutover_step(struct cutover_state *s, const struct plan *p,
		 const struct event *ev, struct cutover_effects *fx,
		 const char **why);

/*
 * The weights of `stage` were found in force (read back after a change
 * made outside cutover): enter that stage as if it had been applied, its
 * hold starting afresh.  Refused while a driver step runs or failed.
 */
int cutover_adopt(struct cutover_state *s, const struct plan *p, int stage,
		  struct cutover_effects *fx, const char **why);

/* Can this event be taken now, without changing anything? (for key hints) */
bool cutover_can(const struct cutover_state *s, const struct plan *p,
		 const struct event *ev, const char **why);

/* Weights of stage k (0 = all APISIX). */
struct weights cutover_stage_weights(const struct plan *p, int stage);

/* Hold left on the current stage in ms (0 when over, -1 when no hold). */
int64_t cutover_hold_left(const struct cutover_state *s, const struct plan *p);

const char *cutover_phase_name(enum phase ph);
int cutover_phase_parse(const char *name, enum phase *ph);
const char *cutover_event_name(enum event_type t);
const char *cutover_verdict_name(enum verdict v);

#endif
