/*
 * session — one cutover run wired together: the plan, the state file and
 * its lock, the audit log, the traffic driver, the data sources (or the
 * demo), the gates and the state machine.  The dashboard and the one-shot
 * commands (`cutover advance`, ...) both drive a session; neither touches
 * the store, the driver or the audit log directly.
 *
 * Order of effects for a transition that moves traffic: audit line
 * ("advance", result "started"), the state file written with the apply
 * marked in flight, then the driver is started.  So after a crash at any
 * point the state file says an apply may have happened, and the next start
 * reconciles by reading the weights back — it never applies twice.  A step
 * forward whose audit line or state file cannot be written (fsync) is not
 * started at all; a rollback is, and says that its record was lost.
 *
 * Weights read back that differ from the state file's (changed outside
 * cutover: another operator, a GitOps revert) are drift: an advance is
 * refused until the operator reconciles (the state adopts the stage in
 * force) or forces it.  No traffic driver (a watch-only plan): nothing that
 * moves traffic is accepted.
 *
 * Gates are evaluated exactly once per refresh round, when the round's
 * answers (Prometheus, the pods) are all in, or at the latest when the
 * next refresh is due: a query that has not answered by then is no data,
 * never the last round's value, and a request that failed is no data.
 * What an evaluation judged is kept (`seen`), so that what is shown
 * beside a verdict is what it was reached on, and is the newest there is.
 */
#ifndef CUTOVER_SRC_SESSION_H
#define CUTOVER_SRC_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "checklist.h"
#include "cutover.h"
#include "driver.h"
#include "err.h"
#include "evlog.h"
#include "gate.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "podhealth.h"
#include "preflight.h"
#include "store.h"

struct prom;
struct kube;
struct demo;
struct probe_runner;
struct session_remote;
struct session_view;

struct session_options {
	bool read_only;		/* never take the lock, never act */
	bool demo;		/* simulated world and driver */
	double demo_speed;	/* demo time compression (>= 1) */
	bool autopilot;		/* demo only: advance when a hold is over */
	bool echo_warnings;	/* one-shot: warnings also to stderr */
};

/* What changed since the UI last drew (dirty bits). */
enum {
	SESSION_DIRTY_STATE = 1 << 0,
	SESSION_DIRTY_METRICS = 1 << 1,
	SESSION_DIRTY_PODS = 1 << 2,
	SESSION_DIRTY_LOG = 1 << 3,
	SESSION_DIRTY_ALARM = 1 << 4,
	SESSION_DIRTY_CLOCK = 1 << 5,	/* a second passed: clock, countdown */
	SESSION_DIRTY_ALL = 0xffff,
};

/* How the last driver step ended (for exit codes). */
enum session_outcome {
	SESSION_OUTCOME_NONE,
	SESSION_OUTCOME_OK,
	SESSION_OUTCOME_DRIVER_FAILED,
	SESSION_OUTCOME_NOT_RECORDED,	/* refused: no record could be written */
};

struct session {
	const struct plan *plan;	/* borrowed */
	const struct clock *clock;	/* borrowed */
	struct loop *loop;		/* borrowed */
	struct session_options opt;

	struct store store;
	struct store_record rec;
	struct store_holder holder;	/* lock holder when read-only */
	bool read_only;
	char save_error[256];	/* last failed save, "" if fine */
	char audit_error[1024];	/* why an advance was refused: no record */
	bool record_lost;	/* since the last action: a record failed */
	char record_error[512];	/* what failed to be written */
	bool checking;		/* live: reading back before an advance */
	bool checked;		/* ... and now advancing on what was read */
	bool check_force;
	char check_reason[256];
	struct audit_actor check_actor;	/* who asked (a guard's client) */
	bool drift;		/* read back != applied, changed outside */
	struct weights drift_weights;	/* what was read back */
	char drift_why[320];

	struct driver driver;
	bool driver_busy;	/* an apply or a read-back is in flight */
	bool reading_back;
	uint32_t apply_seq;	/* the apply the driver is working on */
	char driver_desc[160];
	enum session_outcome outcome;
	char last_failure[512];

	struct metrics metrics;
	struct group_health *groups;	/* plan->ngroups */
	struct prom *prom;
	struct kube *kube;
	struct probe_runner *probes;	/* NULL: no probes: in the plan */
	struct notify *notify;	/* NULL: no notify: targets */
	struct kube *notify_kube;	/* for Events when no pod groups */
	char source_note[256];	/* why a source is missing, "" if none */
	struct demo *demo;
	bool round_open;	/* a refresh's answers are awaited */
	int64_t round_start_mono;	/* when it asked */
	bool evaluated_once;	/* the first answers were judged */
	/*
	 * The metrics as the gates last saw them, and when: the screen
	 * draws the values and the verdict of that one evaluation together.
	 */
	struct metrics seen;
	int64_t seen_mono;
	struct gate_result gates;
	enum verdict shown_verdict;

	/* After a rollback: the guide's checklist (checklist.h). */
	struct checklist cl;

	/* At stage 0: the guide's preflight (preflight.h). */
	struct preflight pf;
	char pf_why[640];	/* which checks block an advance, and why */
	bool pf_blocked;	/* ... as last judged */
	unsigned pf_failing;	/* the failing checks (bits), logged on change */
	bool read_back_now;	/* the weights were read back in this run */
	char read_back_error[200];	/* the last read-back's failure, or "" */

	/* After a rollback: is the Istio gateway really losing its traffic? */
	enum session_verify {
		VERIFY_NONE,
		VERIFY_WATCHING,	/* rolled back, Istio still has traffic */
		VERIFY_DONE,		/* Istio below verify_max_istio_rps */
		VERIFY_LATE,		/* still above after verify_timeout */
	} verify;
	int64_t verify_since_mono;
	int64_t verify_took_ms;
	int verify_stage;	/* the stage rolled back from (its limits) */
	bool verify_acked;	/* VERIFY_LATE seen by the operator */
	int64_t verify_bell_mono;	/* the alarm's bell, again each minute */
	char verify_why[160];	/* why it is late */
	/* Measured split against the applied weights, after the settle time. */
	int64_t stage_since_mono;
	bool split_mismatch;
	double measured_istio;	/* percent, NAN when unknown */

	struct evlog log;
	/* The last decision (advance, breach, rollback, drift, verification)
	 * with the values it was taken on: pinned on the screen until the
	 * next one. */
	char decision[320];
	int64_t decision_wall_ms;
	enum evlog_level decision_level;
	struct audit_actor actor;
	struct loop_timer *refresh_timer;
	struct loop_timer *tick_timer;
	int64_t last_save_mono;
	bool live;

	unsigned dirty;
	bool bell;		/* ring once at the next draw */
	void (*on_change)(void *arg);
	void *on_change_arg;
	loop_signal_cb on_signal;	/* the dashboard's, for all but SIGCHLD */
	void *on_signal_arg;
	struct session_remote *remote;	/* attached to the guard, or NULL */
};

/*
 * Open the session: plan checks, store and lock (another holder makes it
 * read-only when opt->read_only or `allow_read_only`), load or initialise
 * the state, start the driver and the sources.  Nothing moves traffic.
 */
int session_open(struct session *s, const struct plan *p,
		 const struct clock *c, struct loop *l,
		 const struct session_options *opt, bool allow_read_only,
		 struct err *e);

/*
 * Attach to the plan's guard instead (session_remote.c): the session's
 * model is the guard's, its view the one the guard pushes, its actions
 * sent to the guard.  1: attached; 0: no guard runs; -1: e says why.
 */
int session_attach(struct session *s, const struct plan *p,
		   const struct clock *c, struct loop *l, struct err *e);
/*
 * The same, starting the plan's guard when none runs (the demo's, with
 * opt's demo options; guard_conn_start): 1 attached; 0 none runs and a
 * cutover that is not a guard holds the lock (e says who); -1 e says why.
 * A guard that dies later is started again with the same options.
 */
int session_attach_start(struct session *s, const struct plan *p,
			 const struct clock *c, struct loop *l,
			 const struct session_options *opt, struct err *e);
/* For session.c and session_view.c: the attached session's side. */
void session_remote_close(struct session *s);
void session_remote_fill(struct session *s, struct session_view *v);
int session_remote_act(struct session *s, enum event_type type, bool force,
		       const char *reason, const char **why);
struct evlog *session_remote_log(struct session *s);
int session_remote_acknowledge(struct session *s);

/* Save the state and release everything; traffic is never touched. */
void session_close(struct session *s);

/*
 * Reconcile an interrupted apply (read back), then, when live, start the
 * refresh and tick timers.  One-shot commands pass live = false.
 */
void session_start(struct session *s, bool live);

/*
 * An operator action (EV_ADVANCE, EV_PAUSE, EV_RESUME, EV_ROLLBACK,
 * EV_RETRY).  Returns 0 when accepted; -1 when refused, with `why` set and
 * the refusal written to the audit log.  In a live session an advance
 * first reads the weights back (`checking`, session_busy): it goes on, or
 * is refused and audited, when they answer.
 */
int session_act(struct session *s, enum event_type type, bool force,
		const char *reason, const char **why);

/*
 * Would session_act take this event now?  The state machine's guards plus
 * the session's: read-only, no traffic driver, drift.  `why` is set when
 * not.
 */
bool session_can(struct session *s, enum event_type type, bool force,
		 const char **why);

/*
 * `cutover reconcile` after drift: the state adopts the stage whose
 * weights are in force (audited).  -1 with `why` when no stage has them.
 */
int session_reconcile_drift(struct session *s, const char **why);

/*
 * The operator saw the alarm that a rollback is not verified: the banner
 * and the bell stop (audited).  -1 when there is nothing to acknowledge.
 */
int session_acknowledge(struct session *s);

/*
 * The attached dashboard's guard is down: start it now, whatever
 * guard.restart says, and attach as soon as it answers.  -1 (why set)
 * when no guard was attached or it is not down.
 */
int session_guard_restart(struct session *s, const char **why);

/*
 * Write an audit line for something that is no transition (a dashboard
 * leaving on a signal, a refusal of the lock): the state as it is, the
 * values as last seen.  Best effort; -1 when it could not be written.
 */
int session_record(struct session *s, const char *action, const char *why,
		   const char *result);

/*
 * Read the weights back now (the guard, every traffic.readback_interval):
 * weights changed outside cutover are drift, audited and alarmed once.
 * Nothing when a driver step runs or the driver cannot read back.
 */
void session_read_back(struct session *s);

/* Is a driver step in flight? */
bool session_busy(const struct session *s);

/* Run the loop until no driver step is in flight, or timeout (-1). */
int session_wait(struct session *s, int64_t timeout_ms);

/*
 * Take the loop's signals: the session reaps its driver's children on
 * SIGCHLD and passes every other signal to `cb` (the dashboard's).
 */
int session_signals(struct session *s, loop_signal_cb cb, void *arg,
		    struct err *e);

/*
 * One-shot commands: fetch every source once (bounded by the plan's
 * timeouts) and evaluate the gates, so an advance is judged on fresh data.
 */
void session_refresh_once(struct session *s);

/* Add a line to the event log and mark it dirty. */
void session_log(struct session *s, enum evlog_level lv, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/*
 * Everything `cutover status --json` prints, from a session's view (its
 * own, or its guard's).
 */
struct session_view;
json_t *session_status_json(const struct session_view *v);

/* The probes' part of it: addresses, verdict, each probe by gateway. */
json_t *session_probes_json(const struct session *s, int64_t now_mono_ms);

/*
 * Istio's share of the requests measured at both gateways (percent) and
 * the total request rate, as the last evaluation saw them at `now`; false
 * without fresh rates for both sides.
 */
bool session_measured_split(const struct session *s, int64_t now,
			    double *pct, double *total_rps);

/*
 * Judge the preflight now (stage 0) from what the session knows; true
 * when it blocks an advance (s->pf_why says why).
 */
bool session_preflight(struct session *s);

/*
 * The rollback checklist as the session can prove it now (after a
 * rollback in this run, or a state rolled back before it).  False when
 * there is none to show.
 */
bool session_checklist(struct session *s, struct checklist_item out[CL_COUNT]);

/* One-shot commands: wait (at most timeout_ms) for the logs to land. */
void session_wait_checklist(struct session *s, int64_t timeout_ms);

/* The checklist as JSON, NULL when there is none. */
json_t *session_checklist_json(struct session *s);

/* Hold left of the current stage in ms (-1: none). */
int64_t session_hold_left(const struct session *s);

#endif
