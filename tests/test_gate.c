/*
 * test_gate — verdicts from the model: pass, fail and every kind of no
 * data, which gate decided, quiet traffic, the APISIX baseline, pods.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "gate.h"
#include "prom.h"

#define NOW 1000000
#define WALL 1764000000000

static struct plan p;
static struct metrics m;
static struct group_health groups[2];

static void
set(enum query_id q, double v)
{
	metrics_set(&m, q, false, v, WALL, NOW);
}

static void
setup(void)
{
	plan_defaults(&p);
	cr_assert_eq(plan_finish(&p, &(struct err){ 0 }), 0);
	cr_assert_geq(p.ngroups, 2);
	p.ngroups = 2;	/* the first two default groups */
	p.groups[0].sidecar_required = false;
	p.groups[1].sidecar_required = false;
	metrics_init(&m);
	set(Q_ISTIO_RPS, 50);
	set(Q_APISIX_RPS, 450);
	set(Q_ISTIO_ERROR_RATE, 0.002);
	set(Q_APISIX_ERROR_RATE, 0.001);
	set(Q_ISTIO_P95, 300);
	set(Q_APISIX_P95, 280);
	set(Q_ISTIO_AVAILABILITY, 0.9995);
	set(Q_MTLS_COVERAGE, 0.99);
	for (int i = 0; i < 2; i++) {
		group_health_init(&groups[i], p.groups[i].min_ready);
		groups[i].state = SOURCE_OK;
		groups[i].total = groups[i].ready = p.groups[i].min_ready;
	}
}

static void
teardown(void)
{
	p.ngroups = 3;
	plan_done(&p);
}

static struct gate_result
eval(int stage)
{
	struct gate_result r;

	gate_evaluate(&p, stage, &m, groups, NOW, &r);
	return r;
}

TestSuite(gate, .init = setup, .fini = teardown);

Test(gate, healthy_stage_passes)
{
	struct gate_result r = eval(1);
	char buf[160];

	cr_expect_eq(r.verdict, VERDICT_PASS, "%s",
		     gate_summary(&r, buf, sizeof(buf)));
}

Test(gate, stage_zero_is_not_judged)
{
	cr_expect_eq(eval(0).verdict, VERDICT_NONE);
}

Test(gate, error_rate_over_the_stage_limit_fails)
{
	struct gate_result r;
	char buf[160];

	set(Q_ISTIO_ERROR_RATE, 0.012);		/* stage 1 allows 1% */
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_FAIL);
	cr_expect_eq(r.decided_by, G_ERROR_RATE);
	cr_expect_str_eq(gate_summary(&r, buf, sizeof(buf)),
			 "fail: error_rate 1.20% > 1.00%");
	set(Q_ISTIO_ERROR_RATE, 0.004);		/* stage 3 allows 0.5% */
	cr_expect_eq(eval(3).verdict, VERDICT_PASS);
	set(Q_ISTIO_ERROR_RATE, 0.006);
	cr_expect_eq(eval(3).verdict, VERDICT_FAIL);
}

Test(gate, latency_and_availability)
{
	set(Q_ISTIO_P95, 2100);
	cr_expect_eq(eval(1).decided_by, G_P95);
	set(Q_ISTIO_P95, 300);
	set(Q_ISTIO_AVAILABILITY, 0.998);
	cr_expect_eq(eval(1).verdict, VERDICT_FAIL);
	cr_expect_eq(eval(1).decided_by, G_AVAILABILITY);
}

Test(gate, every_kind_of_no_data)
{
	struct gate_result r;

	/* NaN (no traffic on the query's window) */
	set(Q_ISTIO_P95, NAN);
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect_eq(r.decided_by, G_P95);
	cr_expect(strstr(r.g[G_P95].why, "NaN") != NULL, "%s", r.g[G_P95].why);
	/* empty result of a non-ratio query */
	metrics_set(&m, Q_ISTIO_P95, true, 0, WALL, NOW);
	cr_expect_eq(eval(1).verdict, VERDICT_NO_DATA);
	/* a source in error */
	set(Q_ISTIO_P95, 300);
	metrics_set_error(&m, Q_ISTIO_P95, "HTTP 502: bad gateway", NOW);
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect(strstr(r.g[G_P95].why, "502") != NULL, "%s", r.g[G_P95].why);
	/* stale: older than max_age */
	set(Q_ISTIO_P95, 300);
	metrics_set(&m, Q_ISTIO_P95, false, 300, WALL,
		    NOW - p.gates.max_age_ms - 1);
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect(strstr(r.g[G_P95].why, "stale") != NULL, "%s",
		  r.g[G_P95].why);
}

Test(gate, healthy_empty_error_ratio_reads_zero)
{
	metrics_set(&m, Q_ISTIO_ERROR_RATE, true, 0, WALL, NOW);
	cr_expect_eq(eval(1).verdict, VERDICT_PASS);
}

Test(gate, quiet_traffic_is_no_data_even_when_failing)
{
	struct gate_result r;

	set(Q_ISTIO_RPS, 0.05);		/* below min_request_rate 0.1 */
	set(Q_ISTIO_ERROR_RATE, 0.5);	/* one error in two requests */
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect_eq(r.decided_by, G_TRAFFIC);
}

/* A failing pod group does not depend on the traffic: a failing ratio
 * judged before it is noise, the pods still fail the stage. */
Test(gate, quiet_traffic_does_not_hide_failing_pods)
{
	struct gate_result r;

	set(Q_ISTIO_RPS, 0.05);
	set(Q_ISTIO_ERROR_RATE, 0.5);
	groups[0].ready = groups[0].min_ready - 1;
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_FAIL);
	cr_expect_eq(r.decided_by, G_PODS);
}

Test(gate, apisix_baseline_delta)
{
	struct gate_result r;

	p.stages[0].max_error_delta = 0.002;	/* 0.2 points */
	set(Q_APISIX_ERROR_RATE, 0.001);
	set(Q_ISTIO_ERROR_RATE, 0.004);		/* under 1%, but +0.3 pts */
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_FAIL);
	cr_expect_eq(r.decided_by, G_ERROR_DELTA);
	cr_expect_float_eq(r.g[G_ERROR_DELTA].value, 0.003, 1e-12);
	set(Q_ISTIO_ERROR_RATE, 0.0025);
	cr_expect_eq(eval(1).verdict, VERDICT_PASS);
	metrics_set(&m, Q_APISIX_ERROR_RATE, false, NAN, WALL, NOW);
	cr_expect_eq(eval(1).verdict, VERDICT_NO_DATA, "no baseline");
}

Test(gate, optional_mtls_gate)
{
	set(Q_MTLS_COVERAGE, 0.5);
	cr_expect_eq(eval(1).verdict, VERDICT_PASS, "off by default");
	p.stages[0].min_mtls = 0.95;
	cr_expect_eq(eval(1).decided_by, G_MTLS);
	cr_expect_eq(eval(1).verdict, VERDICT_FAIL);
}

Test(gate, pods)
{
	groups[0].ready = groups[0].min_ready - 1;
	cr_expect_eq(eval(1).verdict, VERDICT_FAIL);
	cr_expect_eq(eval(1).decided_by, G_PODS);
	groups[0].ready = groups[0].min_ready;
	groups[1].state = SOURCE_ERROR;
	cr_expect_eq(eval(1).verdict, VERDICT_NO_DATA);
	cr_expect_eq(eval(1).decided_by, G_PODS);
}

Test(gate, fail_wins_over_no_data)
{
	set(Q_ISTIO_P95, NAN);
	set(Q_ISTIO_ERROR_RATE, 0.02);
	cr_expect_eq(eval(1).verdict, VERDICT_FAIL);
	cr_expect_eq(eval(1).decided_by, G_ERROR_RATE);
}

Test(gate, json_names_the_values)
{
	struct gate_result r;
	json_t *j;

	set(Q_ISTIO_ERROR_RATE, 0.02);
	r = eval(1);
	j = gate_result_json(&r);
	cr_expect_str_eq(json_string_value(json_object_get(j, "verdict")),
			 "fail");
	cr_expect_str_eq(json_string_value(json_object_get(j, "decided_by")),
			 "error_rate");
	cr_expect_float_eq(json_real_value(json_object_get(json_object_get(
		json_object_get(j, "gates"), "error_rate"), "value")), 0.02,
		1e-12);
	json_decref(j);
}

/*
 * The error rate as Prometheus would answer it, sample at `ts_s` (Unix
 * seconds), arrived now and asked for at WALL.
 */
static void
answer_at(enum query_id q, const char *value, double ts_s)
{
	char body[256];
	struct prom_answer a;
	struct err e;

	snprintf(body, sizeof(body), "{\"status\":\"success\",\"data\":"
		 "{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
		 "\"value\":[%.3f,\"%s\"]}]}}", ts_s, value);
	err_clear(&e);
	cr_assert_eq(prom_decode(body, strlen(body), 200, "application/json",
				 &a, &e), 0, "%s", e.msg);
	metrics_set(&m, q, a.empty, a.value, a.sample_wall_ms, NOW);
	metrics_set_asked(&m, q, WALL);
}

/*
 * A sample's timestamp counts: a day-old answer that has just arrived
 * (a cache in front of Prometheus) is stale, never a pass; so is one
 * stamped far ahead of the time asked for.  A few seconds either way is
 * fine.
 */
Test(gate, stale_sample_timestamp_is_no_data)
{
	const double wall_s = WALL / 1000.0;
	struct gate_result r;
	double v;

	answer_at(Q_ISTIO_ERROR_RATE, "0.002", wall_s - 86400);
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect_eq(r.decided_by, G_ERROR_RATE);
	cr_expect(strstr(r.g[G_ERROR_RATE].why, "stale 86400s") != NULL,
		  "%s", r.g[G_ERROR_RATE].why);
	cr_expect_eq(metrics_age_ms(&m, Q_ISTIO_ERROR_RATE, NOW), 86400000);
	cr_expect_not(metrics_value(&m, &p, Q_ISTIO_ERROR_RATE, NOW,
				    p.gates.max_age_ms, &v));

	/* The request rate too: the traffic gate has no data. */
	answer_at(Q_ISTIO_ERROR_RATE, "0.002", wall_s);
	answer_at(Q_ISTIO_RPS, "50", wall_s - 86400);
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect_eq(r.g[G_TRAFFIC].verdict, VERDICT_NO_DATA);

	/* An hour ahead of the clock. */
	answer_at(Q_ISTIO_RPS, "50", wall_s);
	answer_at(Q_ISTIO_P95, "300", wall_s + 3600);
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect_eq(r.decided_by, G_P95);
	cr_expect(strstr(r.g[G_P95].why, "3600s ahead") != NULL, "%s",
		  r.g[G_P95].why);

	/* Within max_age either way: a pass. */
	answer_at(Q_ISTIO_P95, "300", wall_s + 5);
	answer_at(Q_ISTIO_RPS, "50", wall_s - 5);
	r = eval(1);
	cr_expect_eq(r.verdict, VERDICT_PASS, "%s", r.g[r.decided_by].why);
}

/* A why cut inside a character stays valid UTF-8, so it reaches JSON. */
Test(gate, why_cut_inside_a_character_is_kept)
{
	struct gate_result r;
	char msg[200];
	const char *why;
	json_t *j;

	/* "no data: " + 85 bytes puts the 2-byte e-acute across the cut. */
	memset(msg, 'e', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	memcpy(msg + 85, "\xc3\xa9", 2);
	metrics_set_error(&m, Q_ISTIO_ERROR_RATE, msg, NOW);
	r = eval(1);
	j = gate_result_json(&r);
	why = json_string_value(json_object_get(json_object_get(json_object_get(
		j, "gates"), "error_rate"), "why"));
	cr_assert_not_null(why);
	cr_assert(strncmp(why, "no data: eee", 12) == 0, "%s", why);
	json_decref(j);
}
