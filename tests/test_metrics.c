/*
 * test_metrics — what a gate may read: the ratio rule (an empty error-rate
 * answer is 0 only while its side has fresh traffic), staleness by age
 * against a fixed "now", what a failed request does to the last value, and
 * the sparkline history ring.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "metrics.h"
#include "plan.h"

#define MAX_AGE 30000
#define T0 1000000		/* a fixed monotonic "now" */

static struct plan plan;
static struct metrics m;

/* The plan fields metrics reads, by hand (no plan.c needed). */
static void
setup(void)
{
	static const struct {
		enum side side;
		bool ratio;
	} q[Q_COUNT] = {
#define X(id, key, side, ratio) [id] = { side, ratio },
		QUERY_LIST(X)
#undef X
	};
	int i;

	memset(&plan, 0, sizeof(plan));
	for (i = 0; i < Q_COUNT; i++) {
		plan.queries[i].side = q[i].side;
		plan.queries[i].ratio = q[i].ratio;
	}
	plan.gates.max_age_ms = MAX_AGE;
	plan.refresh_ms = 15000;
	metrics_init(&m);
}

static bool
value(enum query_id id, int64_t now, double *v)
{
	return metrics_value(&m, &plan, id, now, MAX_AGE, v);
}

TestSuite(metrics, .init = setup);

Test(metrics, never_fetched_has_no_value)
{
	double v = 7;

	cr_assert_not(value(Q_ISTIO_ERROR_RATE, T0, &v));
	cr_assert_not(value(Q_ISTIO_RPS, T0, &v));
	cr_assert(v == 7, "out untouched");
	cr_assert_eq(metrics_age_ms(&m, Q_ISTIO_RPS, T0), INT64_MAX);
	cr_assert_eq(m.q[Q_ISTIO_RPS].state, SOURCE_UNKNOWN);
	cr_assert_eq(m.q[Q_ISTIO_RPS].nhistory, 0);
}

Test(metrics, plain_value_and_age)
{
	double v;

	metrics_set(&m, Q_ISTIO_P95, false, 182.5, 1754400000000, T0);
	cr_assert_eq(m.q[Q_ISTIO_P95].state, SOURCE_OK);
	cr_assert(value(Q_ISTIO_P95, T0, &v));
	cr_assert(v == 182.5);
	cr_assert_eq(metrics_age_ms(&m, Q_ISTIO_P95, T0 + 1234), 1234);
	cr_assert(value(Q_ISTIO_P95, T0 + MAX_AGE, &v), "age == max: fresh");
	cr_assert_not(value(Q_ISTIO_P95, T0 + MAX_AGE + 1, &v), "stale");
	cr_assert_eq(m.q[Q_ISTIO_P95].sample_wall_ms, 1754400000000);
}

Test(metrics, nan_is_no_value)
{
	double v;

	/* histogram_quantile over zero traffic */
	metrics_set(&m, Q_ISTIO_P95, false, NAN, 1, T0);
	cr_assert(m.q[Q_ISTIO_P95].has_value);
	cr_assert_not(value(Q_ISTIO_P95, T0, &v));
}

Test(metrics, zero_is_a_value)
{
	double v = -1;

	metrics_set(&m, Q_ISTIO_ERROR_RATE, false, 0, 1, T0);
	cr_assert(value(Q_ISTIO_ERROR_RATE, T0, &v));
	cr_assert(v == 0);
}

Test(metrics, empty_non_ratio_is_no_value)
{
	double v;

	metrics_set(&m, Q_ISTIO_RPS, false, 50, 1, T0);
	metrics_set(&m, Q_ISTIO_P95, true, 0, 0, T0);
	cr_assert(m.q[Q_ISTIO_P95].empty);
	cr_assert_not(m.q[Q_ISTIO_P95].has_value);
	cr_assert_not(value(Q_ISTIO_P95, T0, &v));
	cr_assert_eq(metrics_age_ms(&m, Q_ISTIO_P95, T0 + 5), 5,
		     "an empty answer is an answer: it has an age");
}

/* The ratio rule, one row per case. */
struct ratio_case {
	const char *what;
	enum query_id id;	/* the empty ratio query */
	bool set_rate;
	enum query_id rate_id;
	bool rate_empty;
	double rate;
	int64_t rate_at;	/* when the rate arrived */
	bool rate_error;	/* then its next request failed */
	int64_t now;
	bool want;		/* value 0 expected */
};

static const struct ratio_case ratio_cases[] = {
	{ "istio traffic, no 5xx", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS,
	  false, 12.5, T0, false, T0, true },
	{ "availability is a ratio too", Q_ISTIO_AVAILABILITY, true,
	  Q_ISTIO_RPS, false, 12.5, T0, false, T0, true },
	{ "mtls coverage is a ratio too", Q_MTLS_COVERAGE, true, Q_ISTIO_RPS,
	  false, 0.2, T0, false, T0, true },
	{ "apisix side reads apisix rate", Q_APISIX_ERROR_RATE, true,
	  Q_APISIX_RPS, false, 3, T0, false, T0, true },
	{ "other side's rate does not count", Q_APISIX_ERROR_RATE, true,
	  Q_ISTIO_RPS, false, 3, T0, false, T0, false },
	{ "rate unknown", Q_ISTIO_ERROR_RATE, false, Q_ISTIO_RPS, false, 0,
	  T0, false, T0, false },
	{ "rate zero", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS, false, 0, T0,
	  false, T0, false },
	{ "rate NaN", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS, false, NAN, T0,
	  false, T0, false },
	{ "rate empty", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS, true, 0, T0,
	  false, T0, false },
	{ "rate stale", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS, false, 5,
	  T0 - MAX_AGE - 1, false, T0, false },
	{ "rate errored but young", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS,
	  false, 5, T0 - 1000, true, T0, false },
	{ "rate errored and old", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS,
	  false, 5, T0 - MAX_AGE - 1, true, T0, false },
	{ "ratio itself stale", Q_ISTIO_ERROR_RATE, true, Q_ISTIO_RPS,
	  false, 5, T0 + MAX_AGE + 1, false, T0 + MAX_AGE + 1, false },
};

Test(metrics, ratio_rule)
{
	size_t i;

	for (i = 0; i < sizeof(ratio_cases) / sizeof(ratio_cases[0]); i++) {
		const struct ratio_case *c = &ratio_cases[i];
		double v = -1;
		bool got;

		metrics_init(&m);
		/* the ratio answered [] at T0 */
		metrics_set(&m, c->id, true, 0, 0, T0);
		if (c->set_rate) {
			metrics_set(&m, c->rate_id, c->rate_empty, c->rate,
				    1, c->rate_at);
			if (c->rate_error)
				metrics_set_error(&m, c->rate_id, "timeout",
						  c->now);
		}
		got = value(c->id, c->now, &v);
		cr_assert_eq(got, c->want, "%s", c->what);
		if (c->want)
			cr_assert(v == 0, "%s: %g", c->what, v);
	}
}

Test(metrics, non_ratio_never_reads_zero)
{
	double v;

	plan.queries[Q_ISTIO_ERROR_RATE].ratio = false;	/* user's plan */
	metrics_set(&m, Q_ISTIO_RPS, false, 10, 1, T0);
	metrics_set(&m, Q_ISTIO_ERROR_RATE, true, 0, 0, T0);
	cr_assert_not(value(Q_ISTIO_ERROR_RATE, T0, &v));
}

Test(metrics, side_none_ratio_has_no_rate)
{
	double v;

	plan.queries[Q_ISTIO_ERROR_RATE].side = SIDE_NONE;
	metrics_set(&m, Q_ISTIO_RPS, false, 10, 1, T0);
	metrics_set(&m, Q_ISTIO_ERROR_RATE, true, 0, 0, T0);
	cr_assert_not(value(Q_ISTIO_ERROR_RATE, T0, &v));
}

/*
 * A failed request keeps the last good value and its age for display, but
 * a source in error gives no value to the gates.
 */
Test(metrics, error_keeps_old_value_but_is_no_data)
{
	struct series *s = &m.q[Q_ISTIO_ERROR_RATE];
	double v;

	metrics_set(&m, Q_ISTIO_ERROR_RATE, false, 0.004, 1754400000000, T0);
	metrics_set_error(&m, Q_ISTIO_ERROR_RATE,
			  "Failed to connect: Connection refused", T0 + 15000);
	cr_assert_eq(s->state, SOURCE_ERROR);
	cr_assert_str_eq(s->error, "Failed to connect: Connection refused");
	cr_assert(s->has_value);
	cr_assert(s->value == 0.004);
	cr_assert_eq(s->sample_wall_ms, 1754400000000);
	cr_assert_eq(metrics_age_ms(&m, Q_ISTIO_ERROR_RATE, T0 + 15000),
		     15000, "age counts from the last good answer");
	cr_assert_not(value(Q_ISTIO_ERROR_RATE, T0 + 15000, &v));
	cr_assert_not(value(Q_ISTIO_ERROR_RATE, T0 + MAX_AGE + 1, &v));

	/* the next good answer clears the error */
	metrics_set(&m, Q_ISTIO_ERROR_RATE, false, 0.002, 1754400045000,
		    T0 + 45000);
	cr_assert_eq(s->state, SOURCE_OK);
	cr_assert_str_eq(s->error, "");
	cr_assert(value(Q_ISTIO_ERROR_RATE, T0 + 45000, &v));
	cr_assert(v == 0.002);
}

Test(metrics, error_without_answer_has_no_value)
{
	double v;

	metrics_set_error(&m, Q_ISTIO_P95, "bad_data: parse error", T0);
	cr_assert_eq(m.q[Q_ISTIO_P95].state, SOURCE_ERROR);
	cr_assert_not(value(Q_ISTIO_P95, T0, &v));
	cr_assert_eq(metrics_age_ms(&m, Q_ISTIO_P95, T0), INT64_MAX);
	metrics_set_error(&m, Q_ISTIO_P95, NULL, T0);
	cr_assert_str_eq(m.q[Q_ISTIO_P95].error, "request failed");
}

Test(metrics, long_error_is_cut)
{
	char msg[1000];

	memset(msg, 'e', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	metrics_set_error(&m, Q_ISTIO_P95, msg, T0);
	cr_assert_eq(strlen(m.q[Q_ISTIO_P95].error),
		     sizeof(m.q[Q_ISTIO_P95].error) - 1);
}

/* Every Prometheus error text enters the model scrubbed. */
Test(metrics, error_text_is_scrubbed)
{
	char msg[300];

	metrics_set_error(&m, Q_ISTIO_P95, "HTTP 502: \x1b]0;x\x07 token="
			  "s3cr3t \xc2\x9b" "2J Bearer abc", T0);
	cr_assert_str_eq(m.q[Q_ISTIO_P95].error,
			 "HTTP 502: ?]0;x? token=*** ?2J Bearer ***");
	/* Cut mid-character by the fixed buffer: still valid UTF-8. */
	memset(msg, 'e', sizeof(msg) - 1);
	memcpy(msg + 254, "\xc3\xa9", 2);
	msg[sizeof(msg) - 1] = '\0';
	metrics_set_error(&m, Q_ISTIO_P95, msg, T0);
	cr_assert_eq(m.q[Q_ISTIO_P95].error[254], '?');
}

Test(metrics, set_clears_warning_and_partial)
{
	struct series *s = &m.q[Q_ISTIO_RPS];

	s->partial = true;
	strcpy(s->warning, "store down");
	metrics_set(&m, Q_ISTIO_RPS, false, 1, 1, T0);
	cr_assert_not(s->partial);
	cr_assert_str_eq(s->warning, "");
}

Test(metrics, history_ring_wraps)
{
	struct series *s = &m.q[Q_APISIX_RPS];
	int i;

	for (i = 0; i < 10; i++)
		metrics_push_history(&m, Q_APISIX_RPS, i);
	cr_assert_eq(s->nhistory, 10);
	cr_assert(s->history[0] == 0 && s->history[9] == 9);
	for (i = 10; i < METRICS_HISTORY + 25; i++)
		metrics_push_history(&m, Q_APISIX_RPS,
				     i == 100 ? NAN : (double)i);
	cr_assert_eq(s->nhistory, METRICS_HISTORY);
	/* oldest first: the first 25 points fell off */
	for (i = 0; i < METRICS_HISTORY; i++) {
		if (i + 25 == 100)
			cr_assert(isnan(s->history[i]), "gap kept");
		else
			cr_assert(s->history[i] == i + 25, "slot %d = %g", i,
				  s->history[i]);
	}
	/* the others are untouched */
	cr_assert_eq(m.q[Q_ISTIO_RPS].nhistory, 0);
}

Test(metrics, bad_ids_are_ignored)
{
	double v;

	metrics_set(&m, Q_COUNT, false, 1, 1, T0);
	metrics_set_error(&m, Q_COUNT, "x", T0);
	metrics_push_history(&m, Q_COUNT, 1);
	cr_assert_not(metrics_value(&m, &plan, Q_COUNT, T0, MAX_AGE, &v));
	cr_assert_eq(metrics_age_ms(&m, Q_COUNT, T0), INT64_MAX);
}
