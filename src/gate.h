/*
 * gate — the verdict of a stage's gates from what is known now.
 *
 * Each gate (error rate, P95, availability, mTLS coverage, error-rate
 * difference against APISIX, pod groups, minimum traffic) is pass, fail or
 * no data on its own; the stage's verdict is fail when any gate fails (a
 * measured failure is a failure even if another gate is blind), else no
 * data when any gate has no data, else pass.  No data is never a pass:
 * an empty answer, NaN, a stale sample, a source in error, traffic below
 * the minimum request rate or an unknown pod group all make it no data.
 */
#ifndef CUTOVER_SRC_GATE_H
#define CUTOVER_SRC_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "cutover.h"
#include "metrics.h"
#include "plan.h"
#include "podhealth.h"

#define GATE_LIST(X)                                                          \
	X(G_TRAFFIC, "traffic")                                               \
	X(G_ERROR_RATE, "error_rate")                                         \
	X(G_P95, "p95")                                                       \
	X(G_AVAILABILITY, "availability")                                     \
	X(G_MTLS, "mtls")                                                     \
	X(G_ERROR_DELTA, "error_delta")                                       \
	X(G_PODS, "pods")

enum gate_id {
#define X(id, name) id,
	GATE_LIST(X)
#undef X
	GATE_COUNT
};

struct gate_check {
	bool enabled;		/* optional gates may be off (NAN limit) */
	enum verdict verdict;
	bool have_value;
	double value;		/* as measured (fractions, ms, req/s) */
	double limit;
	char why[96];		/* "no data: stale 45s", "3/3 ready", ... */
};

struct gate_result {
	int stage;
	enum verdict verdict;
	enum gate_id decided_by;	/* the gate that decided a fail/no data */
	struct gate_check g[GATE_COUNT];
};

const char *gate_name(enum gate_id id);

/*
 * Evaluate stage `stage` (1..nstages) at monotonic time now.  `groups` has
 * p->ngroups entries (NULL: pod health unknown).  Stage 0 gives
 * VERDICT_NONE: nothing is on Istio yet.
 */
void gate_evaluate(const struct plan *p, int stage, const struct metrics *m,
		   const struct group_health *groups, int64_t now_mono_ms,
		   struct gate_result *r);

/* "fail: error_rate 1.20% > 1.00%" — one line saying what decided. */
const char *gate_summary(const struct gate_result *r, char *buf,
			 size_t len);

/* The values seen, for the audit log (new reference). */
json_t *gate_result_json(const struct gate_result *r);

#endif
