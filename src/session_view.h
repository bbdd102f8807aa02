/*
 * session_view — what a dashboard sees of a session: a read-only view,
 * filled from the session at the moment it is drawn, plus the few calls
 * by which a dashboard acknowledges what it saw (the change bits, the
 * bell).  The dashboard draws from this view and its own state only; it
 * changes the session through session_act() and these calls, never by
 * writing a field, and never asks the sources or the driver itself.
 *
 * The view is plain data (numbers, flags, strings) so that a remote
 * dashboard can be sent it as it is.  For now the bulky parts (the plan,
 * the metric series, the pod groups, the event log) are borrowed const
 * pointers into the session, valid until the session next runs its loop.
 */
#ifndef CUTOVER_SRC_SESSION_VIEW_H
#define CUTOVER_SRC_SESSION_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "cutover.h"
#include "evlog.h"
#include "gate.h"
#include "metrics.h"
#include "plan.h"
#include "podhealth.h"
#include "session.h"
#include "store.h"

/* The operator's actions, as the keys offer them. */
enum session_view_key {
	SESSION_VIEW_ADVANCE,		/* a step forward as the plan allows */
	SESSION_VIEW_FORCE,		/* a step forward, forced */
	SESSION_VIEW_PAUSE,		/* pause, or resume when paused */
	SESSION_VIEW_ROLLBACK,
	SESSION_VIEW_RETRY,
	SESSION_VIEW_KEYS
};

/* Would the session take this action now; if not, why. */
struct session_view_action {
	bool allowed;
	const char *why;		/* NULL when allowed */
};

struct session_view {
	/* Who and where. */
	const char *plan_name;
	const char *host;		/* NULL: none in the plan */
	const char *context;		/* Kubernetes context, NULL: none */
	bool tls_unverified;		/* the Kubernetes client skips TLS checks */
	bool read_only;
	bool autopilot;			/* demo: advances by itself */
	struct store_holder holder;	/* the lock's holder when read-only */
	long pid;			/* this process (holds the lock) */
	const char *driver_desc;	/* the traffic driver, described */
	const char *source_note;	/* why a source is missing, "" if none */
	const char *save_error;		/* last failed save, "" if fine */
	const char *last_failure;	/* last driver failure, "" if none */
	/* The rest of the store's record (the state is below). */
	bool apply_in_flight;		/* an apply sent, not answered */
	int64_t saved_wall_ms;
	int64_t applied_wall_ms;	/* 0: unknown */
	/* The probes' addresses as discovered (NULL: no probes run). */
	const char *probe_istio_address;	/* "" not known */
	const char *probe_apisix_address;
	const char *probe_address_error;	/* "" none */
	const char *checklist_dir;	/* the rollback's logs, "" none */

	/* The state machine and its clocks. */
	struct cutover_state state;
	int64_t now_mono;		/* when the view was filled */
	int64_t now_wall;
	int64_t hold_left_ms;		/* -1: no hold */
	bool busy;			/* a driver step is in flight */
	bool reading_back;		/* ... and it is a read-back */
	bool drift;			/* weights changed outside cutover */
	struct weights drift_weights;	/* ... as read back */

	/* The split: applied (in state), read back, measured. */
	bool have_read_back;
	struct weights read_back;
	int64_t read_back_wall_ms;
	bool can_read_back;		/* the driver can read weights back */
	int64_t judged_mono;		/* when the gates last judged */
	bool have_measured;
	double measured_istio;		/* percent */
	double measured_rps;		/* both gateways together */
	bool split_mismatch;		/* measured differs from applied */
	enum session_verify verify;	/* after a rollback */
	int64_t verify_since_mono;
	int64_t verify_took_ms;
	bool verify_alarm;		/* late and not acknowledged yet */
	const char *verify_why;		/* why it is late, "" if not */

	/* After a rollback: the guide's checklist, as far as proven. */
	bool have_checklist;
	struct checklist_item checklist[CL_COUNT];

	/* Attached to the plan's guard (session_remote.c); 0 / false else. */
	long guard_pid;
	bool guard_down;		/* it went: nothing watches the gates */

	/* What each key would do now. */
	struct session_view_action act[SESSION_VIEW_KEYS];

	/* Borrowed from the session. */
	const struct plan *plan;
	const struct metrics *metrics;	/* as the gates last judged them */
	const struct gate_result *gates;
	/* At stage 0, ready: the preflight's checks (NULL otherwise). */
	const struct preflight *preflight;
	const struct group_health *groups;	/* plan->ngroups */
	const struct evlog *log;

	/* The last decision, pinned until the next ("" and 0: none yet). */
	const char *decision;
	int64_t decision_wall_ms;
	enum evlog_level decision_level;
};

/* Fill `v` from the session as it is now. */
void session_view_fill(struct session *s, struct session_view *v);

/*
 * The change bits (SESSION_DIRTY_*) since the last call, cleared: what a
 * dashboard must draw again.
 */
unsigned session_view_take_dirty(struct session *s);

/* Whether the bell rang since the last call (it is then acknowledged). */
bool session_view_take_bell(struct session *s);

/* Call `fn(arg)` whenever the session changes (NULL: nobody). */
void session_view_on_change(struct session *s, void (*fn)(void *),
			    void *arg);

#endif
