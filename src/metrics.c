/*
 * metrics — the last known answer of every query (see metrics.h).
 *
 * Invariants:
 * - has_value implies the last good answer carried a sample (it may be NAN);
 *   empty implies the last good answer was [] (then has_value is false).
 *   Neither set means no good answer ever arrived: the age is INT64_MAX.
 * - fetched_mono_ms is the arrival of the last *good* answer.  A failed
 *   request (metrics_set_error) changes only state and error: the old value
 *   stays, with its age, so a pane can still show "0.4% (45 s old)".
 *   The error text is outside text: it is scrubbed (text.h) on the way in.
 * - A failed refresh keeps the old value and its age for display, but
 *   metrics_value() reports no value while the source is in error: a gate
 *   never passes on a number its source can no longer confirm ("a source
 *   in error is no data").  The next good answer clears the error.  Values
 *   older than max_age_ms are no data too; a query that never answered
 *   well has no value at all.
 * - A sample's age counts from its timestamp, not only from the arrival
 *   of its answer: sample_lag_ms (the time the query asked for minus the
 *   sample's time) is added when positive, so a day-old sample from a
 *   cache is stale at once; a sample more than max_age_ms ahead of the
 *   time asked for (clock skew, a broken server) is no data too.
 * - history holds at most METRICS_HISTORY points, oldest first; pushing
 *   onto a full history drops the oldest point.
 */
#include "config.h"

#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

void
metrics_init(struct metrics *m)
{
	int i, j;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < Q_COUNT; i++) {
		m->q[i].value = NAN;
		m->q[i].state = SOURCE_UNKNOWN;
		for (j = 0; j < METRICS_HISTORY; j++)
			m->q[i].history[j] = NAN;
	}
	for (i = 0; i < PLAN_PROBES_MAX; i++)
		for (j = 0; j < PROBE_SIDES; j++)
			m->probe[i][j].last_ms = NAN;
}

void
metrics_probe_record(struct metrics *m, int probe, enum probe_side side,
		     bool ok, long status, double ms, const char *why,
		     int64_t now_mono_ms)
{
	struct probe_series *ps;

	if (probe < 0 || probe >= PLAN_PROBES_MAX || (int)side < 0 ||
	    side >= PROBE_SIDES)
		return;
	ps = &m->probe[probe][side];
	ps->state = ok ? SOURCE_OK : SOURCE_ERROR;
	ps->last_ok = ok;
	ps->failures = ok ? 0 : ps->failures < 1000000 ? ps->failures + 1 :
		       ps->failures;
	ps->last_status = status;
	ps->last_ms = ms;
	ps->last_mono_ms = now_mono_ms;
	snprintf(ps->why, sizeof(ps->why), "%s", ok || why == NULL ? "" : why);
	text_scrub(ps->why, sizeof(ps->why));
	if (ps->nhistory == PROBE_HISTORY) {
		memmove(ps->ok_history, ps->ok_history + 1,
			(PROBE_HISTORY - 1) * sizeof(double));
		memmove(ps->ms_history, ps->ms_history + 1,
			(PROBE_HISTORY - 1) * sizeof(double));
		ps->nhistory--;
	}
	ps->ok_history[ps->nhistory] = ok ? 1 : 0;
	ps->ms_history[ps->nhistory] = ms;
	ps->nhistory++;
}

double
metrics_probe_ratio(const struct probe_series *ps)
{
	int ok = 0;

	if (ps->nhistory == 0)
		return NAN;
	for (int i = 0; i < ps->nhistory; i++)
		ok += ps->ok_history[i] > 0;
	return (double)ok / ps->nhistory;
}

void
metrics_set(struct metrics *m, enum query_id id, bool empty, double value,
	    int64_t sample_wall_ms, int64_t now_mono_ms)
{
	struct series *s;

	if ((int)id < 0 || id >= Q_COUNT)
		return;
	s = &m->q[id];
	s->empty = empty;
	s->has_value = !empty;
	s->value = empty ? NAN : value;
	s->sample_wall_ms = sample_wall_ms;
	s->fetched_mono_ms = now_mono_ms;
	s->sample_lag_ms = 0;
	s->partial = false;
	s->state = SOURCE_OK;
	s->error[0] = '\0';
	s->warning[0] = '\0';
}

void
metrics_set_asked(struct metrics *m, enum query_id id, int64_t asked_wall_ms)
{
	struct series *s;

	if ((int)id < 0 || id >= Q_COUNT)
		return;
	s = &m->q[id];
	if (s->has_value)
		s->sample_lag_ms = asked_wall_ms - s->sample_wall_ms;
}

void
metrics_set_error(struct metrics *m, enum query_id id, const char *msg,
		  int64_t now_mono_ms)
{
	struct series *s;

	(void)now_mono_ms;	/* the age stays that of the last sample */
	if ((int)id < 0 || id >= Q_COUNT)
		return;
	s = &m->q[id];
	s->state = SOURCE_ERROR;
	snprintf(s->error, sizeof(s->error), "%s",
		 msg != NULL && msg[0] != '\0' ? msg : "request failed");
	text_scrub(s->error, sizeof(s->error));
}

void
metrics_push_history(struct metrics *m, enum query_id id, double v)
{
	struct series *s;

	if ((int)id < 0 || id >= Q_COUNT)
		return;
	s = &m->q[id];
	if (s->nhistory == METRICS_HISTORY) {
		memmove(s->history, s->history + 1,
			(METRICS_HISTORY - 1) * sizeof(s->history[0]));
		s->nhistory--;
	}
	s->history[s->nhistory++] = v;
}

static bool
metrics_answered(const struct series *s)
{
	return s->has_value || s->empty;
}

int64_t
metrics_age_ms(const struct metrics *m, enum query_id id, int64_t now_mono_ms)
{
	const struct series *s;
	int64_t age;

	if ((int)id < 0 || id >= Q_COUNT)
		return INT64_MAX;
	s = &m->q[id];
	if (!metrics_answered(s))
		return INT64_MAX;
	age = now_mono_ms - s->fetched_mono_ms;
	if (age < 0)
		age = 0;
	if (s->sample_lag_ms > 0)
		age = s->sample_lag_ms > INT64_MAX - 1 - age ? INT64_MAX - 1 :
		      age + s->sample_lag_ms;
	return age;
}

/* A fresh, real number for `id` as answered (no ratio rule). */
static bool
metrics_fresh(const struct metrics *m, enum query_id id, int64_t now_mono_ms,
	      int64_t max_age_ms, double *out)
{
	const struct series *s = &m->q[id];

	if (!s->has_value || isnan(s->value) || s->state == SOURCE_ERROR)
		return false;
	if (metrics_age_ms(m, id, now_mono_ms) > max_age_ms ||
	    s->sample_lag_ms < -max_age_ms)
		return false;
	*out = s->value;
	return true;
}

/* The request-rate query of a side, or -1. */
static int
metrics_rate_of(enum side side)
{
	switch (side) {
	case SIDE_ISTIO:
		return Q_ISTIO_RPS;
	case SIDE_APISIX:
		return Q_APISIX_RPS;
	default:
		return -1;
	}
}

bool
metrics_value(const struct metrics *m, const struct plan *p,
	      enum query_id id, int64_t now_mono_ms, int64_t max_age_ms,
	      double *out)
{
	const struct series *s;
	double rate;
	int rid;

	if ((int)id < 0 || id >= Q_COUNT)
		return false;
	s = &m->q[id];
	if (s->has_value)
		return metrics_fresh(m, id, now_mono_ms, max_age_ms, out);
	if (!s->empty || !p->queries[id].ratio)
		return false;
	if (metrics_age_ms(m, id, now_mono_ms) > max_age_ms)
		return false;
	rid = metrics_rate_of(p->queries[id].side);
	if (rid < 0 || rid == (int)id)
		return false;
	if (!metrics_fresh(m, (enum query_id)rid, now_mono_ms, max_age_ms,
			   &rate) || !(rate > 0))
		return false;
	*out = 0;
	return true;
}
