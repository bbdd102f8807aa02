/*
 * view_json — a session's view (struct session_view) as JSON and back:
 * what the guard sends an attached dashboard.  Everything the dashboard
 * draws is in it (the plan's name and host, the context, the lock, the
 * state and its clocks, the split, the rollback's verification and its
 * alarm, the checklist, what each action would do, the metric series and
 * the synthetic probes, the gate results, the preflight's checks, the pod
 * groups, the pinned decision and the event log; beside it, what changed
 * since the client's last view and the bell), except the plan itself:
 * both ends read the same plan file, and the view carries the plan's
 * fingerprint so that a client with another plan is refused.  The guard's
 * pid and whether it is down are the client's to say (session_remote.c).
 *
 * The decoded view owns its memory (struct view_json); its session_view
 * points into it and into the client's plan, and a dashboard draws from
 * it exactly as from a local view.  The event log is sent from a line
 * number on, so that a view pushed every second does not carry the whole
 * log; decoding into the same view_json appends the new lines.
 *
 * Decoding trusts nothing: every field is type- and range-checked, every
 * string bounded and sanitised, and a view that does not fit the plan
 * (another fingerprint, stage count or number of pod groups) is refused.
 * Non-finite numbers travel as null (NaN), "inf" and "-inf".
 */
#ifndef CUTOVER_SRC_VIEW_JSON_H
#define CUTOVER_SRC_VIEW_JSON_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "evlog.h"
#include "gate.h"
#include "metrics.h"
#include "plan.h"
#include "podhealth.h"
#include "preflight.h"
#include "session_view.h"

/* Pods of one group that a view may carry. */
#define VIEW_JSON_PODS_MAX 4096

enum view_json_str {
	VIEW_JSON_PLAN_NAME,
	VIEW_JSON_HOST,
	VIEW_JSON_CONTEXT,
	VIEW_JSON_DRIVER_DESC,
	VIEW_JSON_SOURCE_NOTE,
	VIEW_JSON_SAVE_ERROR,
	VIEW_JSON_LAST_FAILURE,
	VIEW_JSON_VERIFY_WHY,
	VIEW_JSON_DECISION,
	VIEW_JSON_PROBE_ISTIO,
	VIEW_JSON_PROBE_APISIX,
	VIEW_JSON_PROBE_ERROR,
	VIEW_JSON_CHECKLIST_DIR,
	VIEW_JSON_NSTR
};

/* A decoded view and the memory it points into. */
struct view_json {
	struct session_view v;
	char *str[VIEW_JSON_NSTR];
	char *why[SESSION_VIEW_KEYS];
	struct metrics metrics;
	struct gate_result gates;
	struct preflight pf;	/* only its checks (c[]) are carried */
	struct group_health *groups;	/* plan->ngroups */
	int ngroups;
	struct evlog log;	/* the guard's lines, and the client's own */
	uint64_t log_total;	/* the guard's lines seen, by its numbers */
	/* What the guard says this view changed (SESSION_DIRTY_*; all when
	 * it does not say, or says out of range) and whether its bell rang. */
	unsigned changed;
	bool bell;
};

/*
 * The view as JSON (new reference), with the event log's lines from
 * number `log_from` on (0: every line kept).
 */
json_t *view_json_encode(const struct session_view *v, uint64_t log_from);

/* An empty decoded view for plan p (borrowed, must outlive it). */
void view_json_init(struct view_json *vj, const struct plan *p);
void view_json_done(struct view_json *vj);

/*
 * Decode j into vj (initialised with view_json_init for the same plan),
 * replacing all but the log, to which the lines it has not seen are
 * appended.  -1 (e set, vj unchanged but for the log) when j is not a
 * view of this plan.
 */
int view_json_decode(struct view_json *vj, const json_t *j, struct err *e);

#endif
