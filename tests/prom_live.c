/*
 * prom_live — the Prometheus client against a real Prometheus server.
 *
 * The test writes an OpenMetrics file with Istio- and APISIX-like series
 * (40 minutes at 15 s, counters growing by fixed amounts per step), turns it
 * into TSDB blocks with `promtool tsdb create-blocks-from openmetrics`,
 * starts `prometheus` on 127.0.0.1:<free port> over that data directory,
 * and runs the plan's default queries through prom_refresh on the event
 * loop (the server itself is handled by promtest.c).  The loop's wall
 * clock is pinned to a moment inside the data, so every answer is known in
 * advance (see expect_*), whatever the time the test takes.  Then it kills the server and checks the failure path.
 *
 * $PROMETHEUS / $PROMTOOL name the binaries (default /usr/bin/...); when
 * either is missing the tests are skipped.  Everything is bounded: waits
 * for readiness and for answers are loops with a fixed number of turns.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "prom.h"
#include "promtest.h"
#include "xmalloc.h"

#define STEP_S 15
#define SPAN_S (40 * 60)
#define NSTEPS (SPAN_S / STEP_S)
#define MAX_AGE 30000

/* Increments per 15 s step. */
#define GW_OK_INC 149.25	/* response_code 200 */
#define GW_ERR_INC 0.75		/* response_code 503: 0.75/150 = 0.5% */
#define DST_MTLS_INC 120.0	/* reporter=destination, mutual_tls */
#define DST_PLAIN_INC 30.0	/* reporter=destination, none, code 500 */
#define APISIX_OK_INC 75.0
#define APISIX_404_INC 3.0

static const char *const le_names[] = {
	"0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000",
	"2500", "5000", "10000", "30000", "60000", "300000", "600000",
	"1800000", "3600000", "+Inf",
};
/* cumulative bucket increments per step (150 requests a step) */
static const double le_inc[] = {
	0, 0, 15, 30, 60, 90, 120, 141, 147, 150,
	150, 150, 150, 150, 150, 150, 150, 150, 150, 150,
};
#define NLE ((int)(sizeof(le_inc) / sizeof(le_inc[0])))

/* APISIX's own buckets (type="request"), 78 requests a step */
static const char *const ax_le_names[] = {
	"1", "2", "5", "10", "20", "50", "100", "200", "500", "1000",
	"2000", "5000", "10000", "30000", "60000", "+Inf",
};
static const double ax_le_inc[] = {
	0, 2, 10, 30, 50, 70, 76, 77, 78, 78, 78, 78, 78, 78, 78, 78,
};
#define AX_NLE ((int)(sizeof(ax_le_inc) / sizeof(ax_le_inc[0])))

/* connections (gauges): two gateway pods, and what must not count */
#define GW_POD1_CONNS 40.0
#define GW_POD2_CONNS 2.0
#define AX_ACTIVE_CONNS 17.0

#define GW_LABELS "reporter=\"source\"," \
	"source_workload=\"istio-ingressgateway\"," \
	"source_workload_namespace=\"istio-system\""

static struct promtest pt = { .server = -1 };
static int64_t end_s;		/* last sample, seconds */
static int64_t pinned_wall_ms;	/* the loop's "now" on the wall */

/* ----------------------------------------------------------- the clock */

static int64_t
live_mono(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
live_wall(void *arg)
{
	return *(const int64_t *)arg;
}

static const struct clock pinned = {
	.mono_ms = live_mono,
	.wall_ms = live_wall,
	.arg = &pinned_wall_ms,
};

/* ------------------------------------------------------------- helpers */

static void
series(FILE *f, const char *name, const char *labels, double base,
       double inc)
{
	int i;

	for (i = 0; i <= NSTEPS; i++)
		fprintf(f, "%s{%s} %.17g %lld\n", name, labels, base + inc * i,
			(long long)(end_s - SPAN_S + (int64_t)i * STEP_S));
}

static void
write_openmetrics(FILE *f, void *arg)
{
	char labels[512];
	int k;

	(void)arg;
	fprintf(f, "# TYPE istio_requests counter\n");
	series(f, "istio_requests_total", GW_LABELS ",response_code=\"200\","
	       "response_flags=\"-\",connection_security_policy=\"unknown\","
	       "destination_service_name=\"web\"", 5000, GW_OK_INC);
	series(f, "istio_requests_total", GW_LABELS ",response_code=\"503\","
	       "response_flags=\"UH\",connection_security_policy=\"unknown\","
	       "destination_service_name=\"web\"", 20, GW_ERR_INC);
	/* the same traffic seen by the backends' sidecars: must not be
	 * counted by the gateway queries (reporter), only by mTLS coverage */
	series(f, "istio_requests_total", "reporter=\"destination\","
	       "source_workload=\"istio-ingressgateway\","
	       "source_workload_namespace=\"istio-system\","
	       "destination_workload_namespace=\"default\","
	       "response_code=\"200\","
	       "connection_security_policy=\"mutual_tls\"",
	       4000, DST_MTLS_INC);
	series(f, "istio_requests_total", "reporter=\"destination\","
	       "source_workload=\"unknown\",source_workload_namespace="
	       "\"unknown\",destination_workload_namespace=\"default\","
	       "response_code=\"500\",connection_security_policy=\"none\"",
	       1000, DST_PLAIN_INC);
	fprintf(f, "# TYPE istio_request_duration_milliseconds histogram\n");
	for (k = 0; k < NLE; k++) {
		snprintf(labels, sizeof(labels), GW_LABELS ",le=\"%s\"",
			 le_names[k]);
		series(f, "istio_request_duration_milliseconds_bucket", labels,
		       le_inc[k] * 10, le_inc[k]);
	}
	series(f, "istio_request_duration_milliseconds_count", GW_LABELS,
	       1500, 150);
	series(f, "istio_request_duration_milliseconds_sum", GW_LABELS,
	       120000, 12000);
	fprintf(f, "# TYPE apisix_http_latency histogram\n");
	for (k = 0; k < AX_NLE; k++) {
		snprintf(labels, sizeof(labels), "type=\"request\",le=\"%s\"",
			 ax_le_names[k]);
		series(f, "apisix_http_latency_bucket", labels,
		       ax_le_inc[k] * 10, ax_le_inc[k]);
		/* another type, far slower: the queries must not read it */
		snprintf(labels, sizeof(labels), "type=\"upstream\",le=\"%s\"",
			 ax_le_names[k]);
		series(f, "apisix_http_latency_bucket", labels, 0,
		       k < AX_NLE - 2 ? 0 : 78);
	}
	series(f, "apisix_http_latency_count", "type=\"request\"", 780, 78);
	series(f, "apisix_http_latency_sum", "type=\"request\"", 9000, 900);
	series(f, "apisix_http_latency_count", "type=\"upstream\"", 0, 78);
	series(f, "apisix_http_latency_sum", "type=\"upstream\"", 0, 90000);
	fprintf(f, "# TYPE envoy_server_total_connections gauge\n");
	series(f, "envoy_server_total_connections", "namespace=\"istio-system\","
	       "pod=\"istio-ingressgateway-7d9f-abcde\"", GW_POD1_CONNS, 0);
	series(f, "envoy_server_total_connections", "namespace=\"istio-system\","
	       "pod=\"istio-ingressgateway-7d9f-fghij\"", GW_POD2_CONNS, 0);
	series(f, "envoy_server_total_connections", "namespace=\"istio-system\","
	       "pod=\"istiod-5c7b-klmno\"", 500, 0);
	series(f, "envoy_server_total_connections", "namespace=\"default\","
	       "pod=\"istio-ingressgateway-7d9f-pqrst\"", 900, 0);
	fprintf(f, "# TYPE apisix_nginx_http_current_connections gauge\n");
	series(f, "apisix_nginx_http_current_connections", "state=\"active\"",
	       AX_ACTIVE_CONNS, 0);
	series(f, "apisix_nginx_http_current_connections", "state=\"accepted\"",
	       123456, 0);
	fprintf(f, "# TYPE apisix_http_status unknown\n");
	series(f, "apisix_http_status", "code=\"200\",route=\"web\","
	       "matched_uri=\"/*\",matched_host=\"shop.example.com\","
	       "service=\"\",consumer=\"\",node=\"10.0.3.7\"", 9000,
	       APISIX_OK_INC);
	series(f, "apisix_http_status", "code=\"404\",route=\"\","
	       "matched_uri=\"\",matched_host=\"\",service=\"\","
	       "consumer=\"\",node=\"\"", 40, APISIX_404_INC);
}

static void
start_server(void)
{
	promtest_require();
	end_s = time(NULL);
	end_s -= end_s % STEP_S;
	/* between two samples, so rate() extrapolates: still exact */
	pinned_wall_ms = end_s * 1000 - 7000;
	promtest_start(&pt, write_openmetrics, NULL);
}

static void
stop_server(void)
{
	promtest_stop(&pt);
}

static void
start_server_auth(void)
{
	pt.auth = true;
	start_server();
}

TestSuite(prom_live, .init = start_server, .fini = stop_server,
	  .timeout = 120);
TestSuite(prom_auth, .init = start_server_auth, .fini = stop_server,
	  .timeout = 120);

/* ------------------------------------------------------------ the client */

struct live {
	struct plan plan;
	struct loop *loop;
	struct metrics m;
	struct prom *pr;
	int updates;
};

static void
count_update(void *arg)
{
	((struct live *)arg)->updates++;
}

static void
live_init(struct live *lv)
{
	memset(lv, 0, sizeof(*lv));
	plan_defaults(&lv->plan);
	free(lv->plan.prometheus.url);
	lv->plan.prometheus.url = promtest_url(&pt);
	lv->plan.prometheus.timeout_ms = 5000;
	lv->plan.gates.max_age_ms = MAX_AGE;
	metrics_init(&lv->m);
	lv->loop = loop_new(&pinned);
	cr_assert_not_null(lv->loop);
}

static void
live_start(struct live *lv)
{
	struct err e;

	err_clear(&e);
	lv->pr = prom_new(&lv->plan, lv->loop, &lv->m, &e);
	cr_assert_not_null(lv->pr, "%s", e.msg);
	prom_on_update(lv->pr, count_update, lv);
}

static void
live_done(struct live *lv)
{
	prom_free(lv->pr);
	loop_free(lv->loop);
	plan_done(&lv->plan);
}

static void
set_query(struct live *lv, enum query_id id, const char *promql)
{
	free(lv->plan.queries[id].promql);
	lv->plan.queries[id].promql = xstrdup(promql);
}

/* Drive the loop until the client is idle; bounded. */
static void
drain(struct live *lv)
{
	int i;

	for (i = 0; i < 400 && prom_busy(lv->pr); i++)
		loop_run_once(lv->loop, 50);
	cr_assert_not(prom_busy(lv->pr), "answers did not arrive");
}

static void
refresh(struct live *lv)
{
	cr_assert_eq(prom_refresh(lv->pr), 0);
	cr_assert(lv->m.in_flight);
	/* a refresh due while the last is out is not doubled */
	cr_assert_eq(prom_refresh(lv->pr), 0);
	cr_assert_eq(loop_transfers(lv->loop), Q_COUNT);
	drain(lv);
	cr_assert_not(lv->m.in_flight);
}

static double
expect_value(struct live *lv, enum query_id id)
{
	struct series *s = &lv->m.q[id];
	double v = NAN;

	cr_assert_eq(s->state, SOURCE_OK, "%s: %s", plan_query_key(id),
		     s->error);
	cr_assert(metrics_value(&lv->m, &lv->plan, id, loop_now(lv->loop),
				MAX_AGE, &v), "%s has no value",
		  plan_query_key(id));
	return v;
}

static void
assert_rel(double got, double want, const char *what)
{
	double tol = want == 0 ? 1e-12 : fabs(want) * 1e-9;

	cr_assert(fabs(got - want) <= tol, "%s: got %.17g, want %.17g", what,
		  got, want);
}

/* histogram_quantile over the per-step bucket increments */
static double
expect_quantile(double q, const char *const *names, const double *inc,
		int n)
{
	double rank = q * inc[n - 1] / STEP_S, lo, hi, below, in;
	int b;

	for (b = 0; b < n - 1 && inc[b] / STEP_S < rank; b++)
		;
	lo = b == 0 ? 0 : strtod(names[b - 1], NULL);
	hi = strtod(names[b], NULL);
	below = b == 0 ? 0 : inc[b - 1] / STEP_S;
	in = inc[b] / STEP_S - below;
	return lo + (hi - lo) * ((rank - below) / in);
}

static double
expect_p95(void)
{
	return expect_quantile(0.95, le_names, le_inc, NLE);
}

Test(prom_live, default_queries)
{
	struct live lv;
	const double gw_rps = (GW_OK_INC + GW_ERR_INC) / STEP_S;
	const double ax_rps = (APISIX_OK_INC + APISIX_404_INC) / STEP_S;
	int64_t sample_ms = pinned_wall_ms;
	int i;

	live_init(&lv);
	live_start(&lv);
	refresh(&lv);
	cr_assert_geq(lv.updates, 1);

	assert_rel(expect_value(&lv, Q_ISTIO_ERROR_RATE),
		   GW_ERR_INC / (GW_OK_INC + GW_ERR_INC), "error rate");
	assert_rel(expect_value(&lv, Q_ISTIO_ERROR_RATE), 0.005,
		   "error rate is 0.5%");
	assert_rel(expect_value(&lv, Q_ISTIO_RPS), gw_rps, "istio rps");
	assert_rel(expect_value(&lv, Q_ISTIO_AVAILABILITY), 0.995,
		   "availability");
	assert_rel(expect_value(&lv, Q_ISTIO_P95), expect_p95(), "p95");
	assert_rel(expect_value(&lv, Q_ISTIO_P95), 312.5, "p95 by hand");
	assert_rel(expect_value(&lv, Q_MTLS_COVERAGE),
		   DST_MTLS_INC / (DST_MTLS_INC + DST_PLAIN_INC), "mtls");
	/* `or vector(0)` numerator: 0, a real value */
	assert_rel(expect_value(&lv, Q_APISIX_ERROR_RATE), 0, "apisix err");
	cr_assert_not(lv.m.q[Q_APISIX_ERROR_RATE].empty);
	assert_rel(expect_value(&lv, Q_APISIX_RPS), ax_rps, "apisix rps");
	assert_rel(expect_value(&lv, Q_APISIX_P95),
		   expect_quantile(0.95, ax_le_names, ax_le_inc, AX_NLE),
		   "apisix p95");

	/* The Grafana board: the latency distribution of both gateways,
	 * each on its own buckets, and their connections. */
	assert_rel(expect_value(&lv, Q_ISTIO_P50),
		   expect_quantile(0.50, le_names, le_inc, NLE), "istio p50");
	assert_rel(expect_value(&lv, Q_ISTIO_P50), 37.5, "p50 by hand");
	assert_rel(expect_value(&lv, Q_ISTIO_P99),
		   expect_quantile(0.99, le_names, le_inc, NLE), "istio p99");
	assert_rel(expect_value(&lv, Q_ISTIO_P99), 750, "p99 by hand");
	assert_rel(expect_value(&lv, Q_APISIX_P50),
		   expect_quantile(0.50, ax_le_names, ax_le_inc, AX_NLE),
		   "apisix p50");
	assert_rel(expect_value(&lv, Q_APISIX_P50), 14.5, "apisix p50 by hand");
	assert_rel(expect_value(&lv, Q_APISIX_P99),
		   expect_quantile(0.99, ax_le_names, ax_le_inc, AX_NLE),
		   "apisix p99");
	assert_rel(expect_value(&lv, Q_ISTIO_CONNECTIONS),
		   GW_POD1_CONNS + GW_POD2_CONNS, "istio connections");
	assert_rel(expect_value(&lv, Q_APISIX_CONNECTIONS), AX_ACTIVE_CONNS,
		   "apisix connections");

	for (i = 0; i < Q_COUNT; i++) {
		/* A real Prometheus stamps the time asked for: no lag, so
		 * the sample-age rule never makes a live answer stale. */
		cr_assert_eq(lv.m.q[i].sample_wall_ms, sample_ms,
			     "%s sample time", plan_query_key(i));
		cr_assert_eq(lv.m.q[i].sample_lag_ms, 0, "%s lag",
			     plan_query_key(i));
		cr_assert_eq(lv.m.q[i].nhistory, 1);
		cr_assert_not(lv.m.q[i].partial);
	}
	cr_assert(lv.m.q[Q_ISTIO_RPS].history[0] == lv.m.q[Q_ISTIO_RPS].value);

	/* the sparklines: 30 minutes at 15 s, all inside the data */
	cr_assert_eq(prom_backfill(lv.pr, 30 * 60 * 1000, 15000), 0);
	drain(&lv);
	cr_assert_eq(lv.m.q[Q_ISTIO_RPS].nhistory, 120);
	cr_assert_eq(lv.m.q[Q_ISTIO_RPS].history_step_ms, 15000);
	for (i = 0; i < 120; i++) {
		assert_rel(lv.m.q[Q_ISTIO_RPS].history[i], gw_rps, "rps hist");
		assert_rel(lv.m.q[Q_ISTIO_ERROR_RATE].history[i], 0.005,
			   "error hist");
		assert_rel(lv.m.q[Q_ISTIO_CONNECTIONS].history[i],
			   GW_POD1_CONNS + GW_POD2_CONNS, "conns hist");
	}
	live_done(&lv);
}

Test(prom_live, user_queries_and_failures)
{
	struct live lv;
	struct series *s;
	double v = -1;
	int64_t now;
	int i;

	live_init(&lv);
	/* a user's ratio without `or vector(0)`: empty while healthy */
	set_query(&lv, Q_APISIX_ERROR_RATE,
		  "sum(rate(apisix_http_status{code=~\"5..\"}[{window}]))"
		  " / sum(rate(apisix_http_status[{window}]))");
	/* a typo */
	set_query(&lv, Q_MTLS_COVERAGE,
		  "sum(rate(istio_requests_total{reporter=\"destination\""
		  "[1m]))");
	/* a histogram that does not exist: empty, no data */
	set_query(&lv, Q_APISIX_P95, "histogram_quantile(0.95, sum by (le)"
		  "(rate(apisix_http_latency_bucket{type=\"nosuch\"}[1m])))");
	/* forgot the sum() */
	set_query(&lv, Q_ISTIO_P95, "rate(istio_requests_total{"
		  GW_LABELS "}[1m])");
	live_start(&lv);
	refresh(&lv);

	s = &lv.m.q[Q_APISIX_ERROR_RATE];
	cr_assert_eq(s->state, SOURCE_OK);
	cr_assert(s->empty);
	cr_assert(metrics_value(&lv.m, &lv.plan, Q_APISIX_ERROR_RATE,
				loop_now(lv.loop), MAX_AGE, &v));
	cr_assert(v == 0, "empty ratio with traffic reads 0, got %g", v);

	s = &lv.m.q[Q_MTLS_COVERAGE];
	cr_assert_eq(s->state, SOURCE_ERROR);
	cr_assert_eq(strncmp(s->error, "bad_data: ", 10), 0, "%s", s->error);
	cr_assert_not_null(strstr(s->error, "parse error"), "%s", s->error);
	cr_assert_not(metrics_value(&lv.m, &lv.plan, Q_MTLS_COVERAGE,
				    loop_now(lv.loop), MAX_AGE, &v));

	s = &lv.m.q[Q_APISIX_P95];
	cr_assert_eq(s->state, SOURCE_OK);
	cr_assert(s->empty);
	cr_assert_not(metrics_value(&lv.m, &lv.plan, Q_APISIX_P95,
				    loop_now(lv.loop), MAX_AGE, &v));
	cr_assert(isnan(s->history[0]));

	s = &lv.m.q[Q_ISTIO_P95];
	cr_assert_eq(s->state, SOURCE_ERROR);
	cr_assert_str_eq(s->error,
			 "query returned 2 series; expected one (use sum())");

	/* Prometheus dies: the next refresh fails readably */
	promtest_kill(&pt);
	pinned_wall_ms += 15000;
	refresh(&lv);
	now = loop_now(lv.loop);
	for (i = 0; i < Q_COUNT; i++) {
		s = &lv.m.q[i];
		cr_assert_eq(s->state, SOURCE_ERROR, "%s", plan_query_key(i));
		cr_assert_not_null(strstr(s->error, "connection refused"),
				   "%s: %s", plan_query_key(i), s->error);
		cr_assert_eq(lv.m.q[i].nhistory, 2);
	}
	/* the old value stays for display, but a source in error is no data */
	cr_assert(lv.m.q[Q_ISTIO_RPS].has_value);
	cr_assert_not(metrics_value(&lv.m, &lv.plan, Q_ISTIO_RPS, now, MAX_AGE,
				    &v));
	cr_assert_not(metrics_value(&lv.m, &lv.plan, Q_ISTIO_RPS,
				    now + MAX_AGE + 1, MAX_AGE, &v));
	cr_assert_not(metrics_value(&lv.m, &lv.plan, Q_APISIX_ERROR_RATE,
				    now + MAX_AGE + 1, MAX_AGE, &v));
	live_done(&lv);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* Basic auth, behind a path prefix like Mimir's /prometheus. */
Test(prom_auth, password_file_is_reread)
{
	struct live lv;
	char pw[128], tok[128];
	int i;

	snprintf(pw, sizeof(pw), "%s/password", pt.dir);
	snprintf(tok, sizeof(tok), "%s/no-such-token", pt.dir);
	write_file(pw, "wrong\n");	/* other size: seen as changed */
	live_init(&lv);
	lv.plan.prometheus.basic_user = xstrdup(PROMTEST_USER);
	lv.plan.prometheus.basic_password_file = xstrdup(pw);
	live_start(&lv);

	refresh(&lv);
	for (i = 0; i < Q_COUNT; i++) {
		cr_assert_eq(lv.m.q[i].state, SOURCE_ERROR);
		cr_assert_eq(strncmp(lv.m.q[i].error, "HTTP 401", 8), 0, "%s",
			     lv.m.q[i].error);
		cr_assert_null(strstr(lv.m.q[i].error, "wrong"));
	}

	/* rotated: the next refresh reads the new file (no restart) */
	write_file(pw, PROMTEST_PASSWORD "\r\n");
	refresh(&lv);
	cr_assert_eq(lv.m.q[Q_ISTIO_RPS].state, SOURCE_OK, "%s",
		     lv.m.q[Q_ISTIO_RPS].error);
	assert_rel(expect_value(&lv, Q_ISTIO_RPS),
		   (GW_OK_INC + GW_ERR_INC) / STEP_S, "rps with auth");

	/* a bearer token file that went away: every query says which */
	prom_free(lv.pr);
	lv.plan.prometheus.bearer_token_file = xstrdup(tok);
	live_start(&lv);
	cr_assert_eq(prom_refresh(lv.pr), -1);
	cr_assert_not(lv.m.in_flight);
	for (i = 0; i < Q_COUNT; i++) {
		cr_assert_eq(lv.m.q[i].state, SOURCE_ERROR);
		cr_assert_not_null(strstr(lv.m.q[i].error, tok), "%s",
				   lv.m.q[i].error);
		cr_assert_not_null(strstr(lv.m.q[i].error, "No such file"));
	}
	live_done(&lv);
}
