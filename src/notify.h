/*
 * notify — telling the team: each audit line the plan's notify: targets
 * asked for becomes a message to Slack (incoming webhook), a generic
 * webhook (the audit record as JSON), Grafana (an annotation) or the
 * Kubernetes API (an events.k8s.io/v1 Event on the Istio gateway).
 *
 * A message is built from the audit line and nothing else, so a
 * notification never carries what the audit log would not.  Sending is a
 * request on the loop: nothing waits for it, and no action waits for a
 * notification.  Each target sends one message at a time, in order; a
 * failure is retried with backoff (1 s, 2 s, 4 s ... at most a minute, or
 * the answer's Retry-After up to five minutes) and given up after the
 * target's retries; a target keeps at most NOTIFY_QUEUE_MAX messages (the
 * oldest is given up first).  The first failure of a message and its
 * giving up are reported through the failure hook (the session shows the
 * first and audits the second, once).
 *
 * Secrets: a URL from url_file and a token from token_file are read when
 * the notifier starts, kept in memory only, wiped when it ends, and never
 * reach an error text (a failure names the target, never its URL).
 */
#ifndef CUTOVER_SRC_NOTIFY_H
#define CUTOVER_SRC_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "loop.h"
#include "plan.h"

#define NOTIFY_QUEUE_MAX 64

/*
 * The events a target can ask for: name (the plan's), the audit action it
 * is sent for, whether it is in the default set, the Kubernetes Event's
 * type and reason, and a few words for the message.
 */
#define NOTIFY_EVENT_LIST(X)                                                  \
	X(NOTIFY_EV_ADVANCE, "advance", "advance", false, "Normal",           \
	  "Advance", "advance asked")                                         \
	X(NOTIFY_EV_STAGE_ENTERED, "stage_entered", "stage_entered", true,    \
	  "Normal", "StageEntered", "stage entered")                          \
	X(NOTIFY_EV_HOLD_DONE, "hold_done", "hold_done", false, "Normal",     \
	  "HoldDone", "hold over")                                            \
	X(NOTIFY_EV_PAUSE, "pause", "pause", false, "Normal", "Paused",       \
	  "paused")                                                           \
	X(NOTIFY_EV_RESUME, "resume", "resume", false, "Normal", "Resumed",   \
	  "resumed")                                                          \
	X(NOTIFY_EV_BREACH, "breach", "breach", true, "Warning",              \
	  "GateBreach", "gate failing")                                       \
	X(NOTIFY_EV_BREACH_CLEARED, "breach_cleared", "breach_cleared",       \
	  true, "Normal", "GateClear", "gates pass again")                    \
	X(NOTIFY_EV_ALARM, "alarm", "alarm", true, "Warning", "GateAlarm",    \
	  "gate failing, no automatic rollback")                              \
	X(NOTIFY_EV_AUTO_ROLLBACK, "auto_rollback", "auto_rollback", true,    \
	  "Warning", "AutomaticRollback", "automatic rollback")               \
	X(NOTIFY_EV_ROLLBACK, "rollback", "rollback", true, "Warning",        \
	  "Rollback", "rollback asked")                                       \
	X(NOTIFY_EV_ROLLED_BACK, "rolled_back", "rolled_back", true,          \
	  "Warning", "RolledBack", "rolled back")                             \
	X(NOTIFY_EV_ROLLBACK_VERIFIED, "rollback_verified",                   \
	  "rollback_verified", true, "Normal", "RollbackVerified",            \
	  "rollback verified")                                                \
	X(NOTIFY_EV_ROLLBACK_UNVERIFIED, "rollback_unverified",               \
	  "rollback_unverified", true, "Warning", "RollbackNotVerified",      \
	  "rollback NOT verified")                                            \
	X(NOTIFY_EV_SHIFT_FAILED, "shift_failed", "shift_failed", true,       \
	  "Warning", "ShiftFailed", "shift failed")                           \
	X(NOTIFY_EV_ROLLBACK_FAILED, "rollback_failed", "rollback_failed",    \
	  true, "Warning", "RollbackFailed", "rollback FAILED")               \
	X(NOTIFY_EV_DRIFT, "drift", "reconcile_mismatch", true, "Warning",    \
	  "Drift", "weights changed outside cutover")                         \
	X(NOTIFY_EV_SPLIT_MISMATCH, "split_mismatch", "split_mismatch",       \
	  false, "Warning", "SplitMismatch", "measured split differs")        \
	X(NOTIFY_EV_PREFLIGHT_FAILING, "preflight_failing",                   \
	  "preflight_failing", true, "Warning", "PreflightFailing",           \
	  "preflight failing")                                                \
	X(NOTIFY_EV_GUARD_STARTED, "guard_started", "guard_start", true,      \
	  "Normal", "GuardStarted", "guard started")                          \
	X(NOTIFY_EV_GUARD_STOPPED, "guard_stopped", "guard_stop", true,       \
	  "Warning", "GuardStopped", "guard stopped: gates not watched")

enum notify_event {
#define X(id, name, action, dflt, ktype, kreason, words) id,
	NOTIFY_EVENT_LIST(X)
#undef X
	NOTIFY_EV_COUNT
};

/* The event named `name` (the plan's), or -1. */
int notify_event_find(const char *name);
/* The event an audit action is sent as, or -1 (none). */
int notify_event_of_action(const char *action);
/* The event names, comma-separated, for an error or the man page. */
void notify_event_names(char *buf, size_t len);
const char *notify_event_name(int ev);

struct notify;
struct kube;

/*
 * A target's failure: `given_up` false for the first failure of a
 * message (it will be retried), true when it is given up.  `why` names
 * the target and what went wrong, never a secret.
 */
typedef void (*notify_fail_cb)(void *arg, const char *target,
			       const char *event, const char *why,
			       bool given_up);

/*
 * A notifier for the plan's targets on loop `l`; `k` is the Kubernetes
 * client for kubernetes-events targets (may be NULL: they then fail with
 * the reason `kube_why`).  A target whose files cannot be read reports
 * that through the hook on its first message.  Never fails.
 */
struct notify *notify_new(const struct plan *p, struct loop *l,
			  struct kube *k, const char *kube_why);
void notify_on_fail(struct notify *n, notify_fail_cb cb, void *arg);
/* Cancel everything in flight, wipe the secrets, free. */
void notify_free(struct notify *n);

/*
 * One audit line was written: `line` is the audit record (audit_line()),
 * borrowed.  Refused actions are not sent.
 */
void notify_audit(struct notify *n, json_t *line);

/* Messages queued or in flight, over all targets. */
int notify_pending(const struct notify *n);
/* Give up every message still queued (at exit), each reported. */
void notify_abandon(struct notify *n, const char *why);

/* The bodies, as sent (tests).  Caller frees. */
char *notify_body(const struct plan *p, const struct plan_notify *t,
		  int ev, json_t *line);
/* One line saying what happened, from the audit record. */
void notify_text(const struct plan *p, int ev, json_t *line, char *buf,
		 size_t len);

#endif
