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

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cutover.h"
#include "metrics.h"
#include "plan.h"
#include "podhealth.h"

/*
 * The gates, one entry each, in the order they are judged (the first
 * failing gate decides):
 *
 *   X(id, name, label, eval, query, baseline, dir, unit,
 *     limit, field, key, default, row)
 *
 * name      its key in the audit log's JSON and in the summary
 * label     its row title in the metrics pane
 * eval      how it is judged: QUERY compares `query` with the limit; FLOOR
 *           makes traffic below the limit no data for every query gate;
 *           DELTA compares query minus baseline; PODS reads pod health
 *           (each group against its own min_ready); PROBES reads the
 *           synthetic probes through Istio (probe_verdict: probes.failures
 *           in a row fail it)
 * query     enum query_id of the Istio value (-1: none)
 * baseline  enum query_id of the APISIX value beside it (-1: none)
 * dir       MAX: the value must stay at or under the limit; MIN: at or over
 * unit      how values and limits read (enum gate_unit), and for a STAGE
 *           limit how the plan file writes it (RATE, SHARE, POINTS: a
 *           percentage; MS: a duration)
 * limit     where the limit lives: STAGE (struct plan_stage `field`, the
 *           stage's plan key `key`), GATES (struct plan_gates `field`,
 *           the key under gates:), NONE (the gate brings its own, e.g.
 *           pods' min_ready); plan_defaults sets `default` (NAN: off)
 * row       its row in the metrics pane (0 first), -1: none (shown
 *           elsewhere: the delta reads off the error-rate row, pods have
 *           their own pane)
 *
 * A test build may append entries by defining GATE_LIST_EXTRA before
 * including this header (tests/test_gate_toy.c).
 */
#define GATE_LIST(X)                                                          \
	X(G_TRAFFIC, "traffic", "requests", FLOOR, Q_ISTIO_RPS,               \
	  Q_APISIX_RPS, MIN, RPS, GATES, min_request_rate, "min_request_rate", \
	  0.1, 4)                                                             \
	X(G_ERROR_RATE, "error_rate", "error rate", QUERY,                    \
	  Q_ISTIO_ERROR_RATE, Q_APISIX_ERROR_RATE, MAX, RATE, STAGE,          \
	  max_error_rate, "max_error_rate", 0.01, 0)                          \
	X(G_P95, "p95", "P95 latency", QUERY, Q_ISTIO_P95, Q_APISIX_P95,      \
	  MAX, MS, STAGE, max_p95_ms, "max_p95", 2000, 1)                     \
	X(G_AVAILABILITY, "availability", "availability", QUERY,              \
	  Q_ISTIO_AVAILABILITY, -1, MIN, SHARE, STAGE, min_availability,      \
	  "min_availability", 0.999, 2)                                       \
	X(G_MTLS, "mtls", "mTLS", QUERY, Q_MTLS_COVERAGE, -1, MIN, SHARE,     \
	  STAGE, min_mtls, "min_mtls", NAN, 3)                                \
	X(G_ERROR_DELTA, "error_delta", "error delta", DELTA,                 \
	  Q_ISTIO_ERROR_RATE, Q_APISIX_ERROR_RATE, MAX, POINTS, STAGE,        \
	  max_error_delta, "max_error_delta", NAN, -1)                        \
	X(G_PODS, "pods", "pods", PODS, -1, -1, MAX, GROUPS, NONE, min_ready, \
	  "", 0, -1)                                                          \
	X(G_PROBES, "probes", "probes", PROBES, -1, -1, MAX, PROBES, NONE,    \
	  failures, "", 0, -1)                                                \
	GATE_LIST_EXTRA(X)

#ifndef GATE_LIST_EXTRA
#define GATE_LIST_EXTRA(X)
#endif

enum gate_id {
#define X(id, name, label, eval, q, base, dir, unit, limit, field, key,      \
	  def, row) id,
	GATE_LIST(X)
#undef X
	GATE_COUNT
};

enum gate_eval {
	GATE_EVAL_QUERY,
	GATE_EVAL_FLOOR,
	GATE_EVAL_DELTA,
	GATE_EVAL_PODS,
	GATE_EVAL_PROBES,	/* the probes through Istio (probe_verdict) */
};

enum gate_dir {
	GATE_DIR_MAX,		/* fails above the limit */
	GATE_DIR_MIN,		/* fails below the limit */
};

enum gate_unit {
	GATE_UNIT_RATE,		/* fraction, "1.20%" */
	GATE_UNIT_SHARE,	/* fraction near 1, "99.95%" */
	GATE_UNIT_MS,		/* milliseconds */
	GATE_UNIT_RPS,		/* requests per second */
	GATE_UNIT_POINTS,	/* difference of fractions, "+0.30 pts" */
	GATE_UNIT_GROUPS,	/* a count of pod groups */
	GATE_UNIT_PROBES,	/* a count of failing probes */
};

enum gate_limit {
	GATE_LIMIT_NONE,
	GATE_LIMIT_STAGE,	/* a double in struct plan_stage */
	GATE_LIMIT_GATES,	/* a double in struct plan_gates */
};

/* One gate, as GATE_LIST describes it. */
struct gate_def {
	enum gate_id id;
	const char *name;
	const char *label;
	enum gate_eval eval;
	int query;		/* enum query_id, or -1 */
	int baseline;		/* enum query_id, or -1 */
	enum gate_dir dir;
	enum gate_unit unit;
	enum gate_limit limit;
	size_t limit_off;	/* offset in its struct (STAGE, GATES) */
	const char *key;	/* plan key of the limit, "" for NONE */
	double limit_default;	/* its built-in value (NAN: off) */
	int row;		/* metrics pane row, -1: none */
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

/* The description of gate id (NULL when out of range). */
const struct gate_def *gate_def(enum gate_id id);

const char *gate_name(enum gate_id id);

/* The gate whose query or baseline is q (NULL: none). */
const struct gate_def *gate_def_of_query(int q);

/* Rows the gates want in the metrics pane (the highest row + 1). */
int gate_rows(void);

/* The limit of gate d for stage st of plan p (NAN: the gate is off). */
double gate_limit(const struct gate_def *d, const struct plan *p,
		  const struct plan_stage *st);

/*
 * A value in its unit: "1.20%", "300 ms", "12.5 req/s", "+0.30 pts".
 * `cell` gives the short form of a table cell ("1.2%", "12/s").
 */
const char *gate_format(enum gate_unit u, double v, bool cell, char *buf,
			size_t len);

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
