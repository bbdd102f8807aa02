/*
 * metrics — what is known now about each query: its last good value, when
 * that sample was taken, a short history for sparklines, and the state of
 * its source.  Written by the Prometheus client (or the demo), read by the
 * gates and the panes.  A value is only ever shown or used together with
 * its age: an old number is not a current number.
 */
#ifndef CUTOVER_SRC_METRICS_H
#define CUTOVER_SRC_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

#define METRICS_HISTORY 120

enum source_state {
	SOURCE_UNKNOWN,		/* never asked yet */
	SOURCE_OK,		/* last request answered */
	SOURCE_ERROR,		/* last request failed (error text set) */
};

struct series {
	bool has_value;		/* false: empty result / never a sample */
	double value;		/* may be NAN (no traffic) */
	int64_t sample_wall_ms;	/* timestamp of the sample (server time) */
	int64_t fetched_mono_ms;	/* when the answer arrived */
	int64_t sample_lag_ms;	/* time asked for minus sample time: > 0
				 * older, < 0 ahead (metrics_set_asked) */
	bool empty;		/* last answer was an empty vector */
	bool partial;		/* answer carried warnings */
	enum source_state state;
	char error[256];	/* last error, "" if none */
	char warning[256];	/* first warning of the last answer */
	double history[METRICS_HISTORY];	/* oldest first; NAN = gap */
	int nhistory;
	int64_t history_step_ms;
};

/*
 * One synthetic probe through one gateway (src/probe.c writes, the gate
 * and the panes read).  ok_history holds 1 (success) or 0, ms_history
 * the latency of each answer (NAN: none); oldest first.
 */
#define PROBE_HISTORY 60

enum probe_side {
	PROBE_ISTIO,
	PROBE_APISIX,
	PROBE_SIDES,
};

struct probe_series {
	enum source_state state;	/* UNKNOWN: no result yet */
	bool last_ok;
	int failures;		/* failed results in a row */
	long last_status;	/* HTTP status, 0 when none */
	double last_ms;		/* latency of the last answer, NAN if none */
	int64_t last_mono_ms;	/* when the last result came */
	char why[160];		/* the last failure, scrubbed, never a secret */
	double ok_history[PROBE_HISTORY];
	double ms_history[PROBE_HISTORY];
	int nhistory;
};

struct metrics {
	struct series q[Q_COUNT];
	struct probe_series probe[PLAN_PROBES_MAX][PROBE_SIDES];
	int64_t last_refresh_mono_ms;
	bool in_flight;
};

void metrics_init(struct metrics *m);

/* Record a good answer for query `id` (value may be NAN; empty = []). */
void metrics_set(struct metrics *m, enum query_id id, bool empty,
		 double value, int64_t sample_wall_ms, int64_t now_mono_ms);

/*
 * The answer just recorded for `id` was asked for evaluation time
 * asked_wall_ms (the local clock): how far its sample's timestamp lies
 * behind that counts in its age, and a sample more than max_age ahead of
 * it is no data.  Without this call the lag is 0.
 */
void metrics_set_asked(struct metrics *m, enum query_id id,
		       int64_t asked_wall_ms);

/* Record a failed request for `id`; the old value stays, with its age. */
void metrics_set_error(struct metrics *m, enum query_id id, const char *msg,
		       int64_t now_mono_ms);

/* Record one probe result (why: the failure, "" on success). */
void metrics_probe_record(struct metrics *m, int probe, enum probe_side side,
			  bool ok, long status, double ms, const char *why,
			  int64_t now_mono_ms);

/* Successes over the probe's history, 0..1 (NAN: no result yet). */
double metrics_probe_ratio(const struct probe_series *ps);

/* Append a point to the sparkline history (NAN = gap). */
void metrics_push_history(struct metrics *m, enum query_id id, double v);

/* Age of the last good sample, ms (INT64_MAX when none): since its answer
 * arrived, plus its lag behind the time asked for. */
int64_t metrics_age_ms(const struct metrics *m, enum query_id id,
		       int64_t now_mono_ms);

/*
 * The value to use for gates and display, or false when there is none:
 * empty ratio with traffic on its side -> 0; empty otherwise, NaN, a
 * source in error (the old value stays in the series for display),
 * older than max_age_ms or more than max_age_ms ahead -> no value.
 */
bool metrics_value(const struct metrics *m, const struct plan *p,
		   enum query_id id, int64_t now_mono_ms, int64_t max_age_ms,
		   double *out);

#endif
