/*
 * test_cloudflare — the cloudflare traffic driver, in pool and
 * load-balancer mode, against tests/cloudflared.py on 127.0.0.1 (bearer
 * auth, error envelopes, stored pools and load balancers).  The loop runs
 * on a fake clock that jumps while nothing is in flight (429 back-off), so
 * nothing sleeps; every wait is a bounded number of loop passes.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "driver.h"
#include "drivers/driver_cloudflare.h"
#include "err.h"
#include "loop.h"
#include "plan.h"

#include "testsrv.h"

#define SECRET "cf-test-token"

static struct plan plan;

/* The plan's driver settings (plan_traffic_use in setup). */
static struct plan_cloudflare *
cf(void)
{
	return driver_cloudflare_settings(&plan);
}
static struct testsrv_drv t;

/* Start cloudflared.py with extra arguments; sets port. */
static void
start_server(const char *const *extra)
{
	static const char *const args[] = { "--token", SECRET, NULL };

	testsrv_drv_serve(&t, "cloudflared.py", args, extra, NULL);
}

/* The server's stored object "pool" or "lb" (a new reference). */
static json_t *
server_obj(const char *which)
{
	json_t *s = testsrv_ctl(t.port, "/_state", NULL);
	json_t *o = json_incref(json_object_get(s, which));

	json_decref(s);
	return o;
}

static double
origin_weight(const char *name)
{
	json_t *p = server_obj("pool"), *o;
	size_t i;
	double w = -1;

	json_array_foreach(json_object_get(p, "origins"), i, o) {
		if (strcmp(json_string_value(json_object_get(o, "name")),
			   name) == 0)
			w = json_number_value(json_object_get(o, "weight"));
	}
	json_decref(p);
	return w;
}

static double
pool_weight(const char *pool)
{
	json_t *lb = server_obj("lb");
	double w = json_number_value(json_object_get(json_object_get(
	    json_object_get(lb, "random_steering"), "pool_weights"), pool));

	json_decref(lb);
	return w;
}

static void
setup(void)
{
	testsrv_drv_init(&t, "cf", SECRET);
	plan_defaults(&plan);
	plan_traffic_use(&plan, DRIVER_CLOUDFLARE);
	cf()->timeout_ms = 5000;
	setenv("CLOUDFLARE_API_TOKEN", SECRET, 1);
}

static void
teardown(void)
{
	testsrv_drv_done(&t);
	plan_done(&plan);
}

TestSuite(cloudflare, .init = setup, .fini = teardown, .timeout = 60);

static void
pool_mode(void)
{
	testsrv_set_str(&cf()->account_id, "acc1");
	testsrv_set_str(&cf()->pool_id, "pool1");
	testsrv_set_str(&cf()->istio_origin, "istio");
	testsrv_set_str(&cf()->apisix_origin, "apisix");
}

static void
lb_mode(void)
{
	testsrv_set_str(&cf()->zone_id, "zone1");
	testsrv_set_str(&cf()->load_balancer_id, "lb1");
	testsrv_set_str(&cf()->istio_pool, "pool-istio");
	testsrv_set_str(&cf()->apisix_pool, "pool-apisix");
}

/* Point the plan at the server and init the driver. */
static void
init_driver(void)
{
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/client/v4", t.port);
	testsrv_set_str(&cf()->endpoint, url);
	testsrv_drv_start(&t, &plan);
}

static bool
near(double a, double b)
{
	return a > b - 1e-9 && a < b + 1e-9;
}

/* --- pool mode ----------------------------------------------------------------- */

Test(cloudflare, pool_apply_changes_only_the_two_weights)
{
	struct driver_result r;
	json_t *p, *o;

	start_server(NULL);
	pool_mode();
	init_driver();
	r = testsrv_apply(&t, 25);
	cr_assert(r.ok, "%s", r.message);
	cr_assert(r.have_weights);
	cr_assert_eq(r.weights.istio, 25);
	cr_assert(near(origin_weight("istio"), 0.25));
	cr_assert(near(origin_weight("apisix"), 0.75));
	cr_assert(near(origin_weight("spare"), 0.5), "other origin changed");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	/* Every origin was sent back with all its fields. */
	p = server_obj("pool");
	cr_assert_eq(json_array_size(json_object_get(p, "origins")), 3);
	o = json_array_get(json_object_get(p, "origins"), 0);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    json_object_get(o, "header"), "Host"), 0)), "www.example.com");
	o = json_array_get(json_object_get(p, "origins"), 2);
	cr_assert_str_eq(json_string_value(json_object_get(o,
	    "virtual_network_id")), "vn-1");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	json_decref(p);
}

Test(cloudflare, pool_read_back_and_idempotence)
{
	struct driver_result r;

	start_server(NULL);
	pool_mode();
	init_driver();
	r = testsrv_read_back(&t);
	cr_assert(r.ok, "%s", r.message);
	cr_assert_eq(r.weights.istio, 0);
	cr_assert_eq(r.weights.apisix, 100);
	r = testsrv_apply(&t, 0);
	cr_assert(r.ok, "%s", r.message);
	cr_assert_not_null(strstr(r.message, "already in force"));
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
	cr_assert(testsrv_apply(&t, 50).ok);
	cr_assert(testsrv_apply(&t, 50).ok);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	r = testsrv_read_back(&t);
	cr_assert_eq(r.weights.istio, 50);
}

Test(cloudflare, weight_mapping_table)
{
	static const int pct[] = { 1, 10, 25, 33, 50, 67, 75, 99, 100, 0 };

	start_server(NULL);
	pool_mode();
	init_driver();
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		struct driver_result r = testsrv_apply(&t, pct[i]);

		cr_assert(r.ok, "%d: %s", pct[i], r.message);
		cr_assert(near(origin_weight("istio"), pct[i] / 100.0),
			  "%d: %g", pct[i], origin_weight("istio"));
		cr_assert(near(origin_weight("apisix"),
			       (100 - pct[i]) / 100.0));
		r = testsrv_read_back(&t);
		cr_assert_eq(r.weights.istio, pct[i]);
		cr_assert_eq(r.weights.apisix, 100 - pct[i]);
	}
}

static void
foreign_pool(const char *wi, const char *wa)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"pool\": {\"id\": \"pool1\", "
		 "\"origins\": [{\"name\": \"istio\", \"address\": \"i\"%s%s},"
		 "{\"name\": \"apisix\", \"address\": \"a\"%s%s}]}}",
		 wi ? ", \"weight\": " : "", wi ? wi : "",
		 wa ? ", \"weight\": " : "", wa ? wa : "");
	testsrv_control(t.port, buf);
}

Test(cloudflare, foreign_weights_map_by_ratio_or_are_refused)
{
	static const struct {
		const char *wi, *wa;
		int pct;
		const char *why;
	} table[] = {
		{ "0.2", "0.2", 50, NULL }, { NULL, NULL, 50, NULL },
		{ "0.1", "0.3", 25, NULL }, { "1", "0", 100, NULL },
		{ "0.1", "0.2", -1, "not a whole-percent split" },
		{ "0", "0", -1, "both weights are 0" },
		{ "\"x\"", "1", -1, "not a number" },
		/* Cloudflare's range is 0..1: nothing else is a weight. */
		{ "1e308", "1e308", -1, "not numbers in 0..1" },
		{ "2", "2", -1, "not numbers in 0..1" },
		{ "1.5", "0.5", -1, "not numbers in 0..1" },
		{ "-0.5", "1", -1, "not numbers in 0..1" },
		{ "1e0", "0", 100, NULL }, { "5e-1", "0.5", 50, NULL },
	};

	start_server(NULL);
	pool_mode();
	init_driver();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct driver_result r;

		foreign_pool(table[i].wi, table[i].wa);
		r = testsrv_read_back(&t);
		if (table[i].pct < 0) {
			testsrv_expect_fail(&t, r, table[i].why);
			continue;
		}
		cr_assert(r.ok, "%zu: %s", i, r.message);
		cr_assert_eq(r.weights.istio, table[i].pct, "%zu", i);
	}
}

Test(cloudflare, pool_without_the_origin)
{
	start_server(NULL);
	pool_mode();
	testsrv_set_str(&cf()->istio_origin, "mesh");
	init_driver();
	testsrv_expect_fail(&t, testsrv_apply(&t, 10),
	    "no origin named \"mesh\" (nothing was "
		    "changed)");
	testsrv_expect_fail(&t, testsrv_read_back(&t),
	    "no origin named \"mesh\"");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}

/* --- load balancer mode ---------------------------------------------------------- */

Test(cloudflare, lb_apply_sets_pool_weights)
{
	struct driver_result r;
	json_t *lb;

	start_server(NULL);
	lb_mode();
	init_driver();
	r = testsrv_read_back(&t);
	cr_assert(r.ok, "%s", r.message);
	cr_assert_eq(r.weights.istio, 0);
	r = testsrv_apply(&t, 75);
	cr_assert(r.ok, "%s", r.message);
	cr_assert_eq(r.weights.istio, 75);
	cr_assert(near(pool_weight("pool-istio"), 0.75));
	cr_assert(near(pool_weight("pool-apisix"), 0.25));
	cr_assert(near(pool_weight("pool-other"), 0.3), "other pool changed");
	lb = server_obj("lb");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(lb,
	    "random_steering"), "default_weight")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(lb,
	    "fallback_pool")), "pool-apisix");
	json_decref(lb);
	cr_assert(testsrv_apply(&t, 75).ok);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	r = testsrv_read_back(&t);
	cr_assert_eq(r.weights.istio, 75);
	cr_assert_eq(r.weights.apisix, 25);
}

Test(cloudflare, lb_refuses_other_steering_policies)
{
	start_server(NULL);
	lb_mode();
	testsrv_control(t.port,
		"{\"lb\": {\"id\": \"lb1\", \"steering_policy\": \"off\", "
		"\"random_steering\": {\"pool_weights\": {}}}}");
	init_driver();
	testsrv_expect_fail(&t, testsrv_apply(&t, 10),
	    "steering_policy is \"off\"");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
	/* Missing pool weights fall back to default_weight (1 each). */
	{
		struct driver_result r = testsrv_read_back(&t);

		cr_assert(r.ok, "%s", r.message);
		cr_assert_eq(r.weights.istio, 50);
	}
}

/* --- token and failures ------------------------------------------------------------ */

Test(cloudflare, token_from_file_and_wrong_token)
{
	char path[256];
	FILE *f;
	struct driver_result r;

	start_server(NULL);
	pool_mode();
	snprintf(path, sizeof(path), "%s/token", t.tmpdir);
	f = fopen(path, "w");
	fprintf(f, "  %s\n", SECRET);
	fclose(f);
	unsetenv("CLOUDFLARE_API_TOKEN");
	testsrv_set_str(&cf()->token_file, path);
	init_driver();
	cr_assert(testsrv_apply(&t, 10).ok);
	f = fopen(path, "w");
	fprintf(f, "wrong-token\n");
	fclose(f);
	r = testsrv_apply(&t, 25);
	testsrv_expect_fail(&t, r,
	    "HTTP 403: code 10000: Authentication error (nothing "
		    "was changed)");
	cr_assert_null(strstr(r.message, "wrong-token"));
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	for (int i = 0; i < t.nlogs; i++)
		cr_assert_null(strstr(t.logs[i], "wrong-token"));
}

Test(cloudflare, no_token_is_a_clear_error)
{
	struct testsrv_got g = { 0 };
	struct err e;

	start_server(NULL);
	pool_mode();
	unsetenv("CLOUDFLARE_API_TOKEN");
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_apply(&t.drv, (struct weights){ 10, 90 }, 1,
	    testsrv_got_cb,
				  &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "CLOUDFLARE_API_TOKEN"), "%s", e.msg);
	testsrv_set_str(&cf()->token_file, "/nonexistent/tok");
	err_clear(&e);
	cr_assert_eq(driver_read_back(&t.drv, testsrv_got_cb, &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "/nonexistent/tok"), "%s", e.msg);
	cr_assert_eq(g.calls, 0);
}

Test(cloudflare, error_envelope_verbatim)
{
	start_server(NULL);
	pool_mode();
	init_driver();
	testsrv_control(t.port, "{\"fail\": \"error\", \"fail_count\": 1}");
	testsrv_expect_fail(&t, testsrv_apply(&t, 10),
	    "cloudflare GET pool: HTTP 400: code 1002: "
		    "origins: weight must be between 0 and 1");
	testsrv_control(t.port, "{\"fail\": \"nosuccess\", \"fail_count\": 1}");
	testsrv_expect_fail(&t, testsrv_read_back(&t), "success is not true");
	testsrv_control(t.port, "{\"fail\": \"html\", \"fail_count\": 1}");
	testsrv_expect_fail(&t, testsrv_read_back(&t),
	    "HTTP 502 Bad Gateway: 502 Bad Gateway");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}

Test(cloudflare, malformed_answer)
{
	start_server((const char *[]){ "--fail", "malformed", NULL });
	lb_mode();
	init_driver();
	testsrv_expect_fail(&t, testsrv_apply(&t, 10),
	    "malformed answer (not a JSON object");
	testsrv_control(t.port, "{\"fail\": \"\", \"lb\": {\"id\": \"lb1\", "
		"\"random_steering\": \"weird\"}}");
	testsrv_expect_fail(&t, testsrv_read_back(&t),
	    "random_steering is not an object");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}

Test(cloudflare, rate_limit_is_retried_a_bounded_number_of_times)
{
	start_server((const char *[]){ "--fail", "ratelimit", "--fail-count",
				       "2", NULL });
	pool_mode();
	init_driver();
	cr_assert(testsrv_apply(&t, 10).ok);
	cr_assert_eq(testsrv_log_count(&t, "rate limited"), 2);
	testsrv_control(t.port,
	    "{\"fail\": \"ratelimit\", \"fail_count\": -1}");
	testsrv_expect_fail(&t, testsrv_apply(&t, 25), "code 971: Please wait");
	cr_assert_eq(testsrv_log_count(&t, "rate limited"), 5);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
}

Test(cloudflare, cancel_and_busy)
{
	struct testsrv_got g = { 0 }, g2 = { 0 };
	struct err e;

	start_server(NULL);
	pool_mode();
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_apply(&t.drv, (struct weights){ 10, 90 }, 1,
	    testsrv_got_cb,
				  &g, &e), 0);
	cr_assert_eq(driver_apply(&t.drv, (struct weights){ 20, 80 }, 1,
	    testsrv_got_cb,
				  &g2, &e), -1);
	cr_assert_not_null(strstr(e.msg, "busy"));
	driver_cancel(&t.drv);
	for (int i = 0; i < 20; i++)
		loop_run_once(t.loop, 10);
	cr_assert_eq(g.calls, 0);
	cr_assert_eq(g2.calls, 0);
	cr_assert(testsrv_read_back(&t).ok);
}

Test(cloudflare, describe_names_the_mode)
{
	char buf[256];

	start_server(NULL);
	lb_mode();
	init_driver();
	t.drv.ops->describe(&t.drv, buf, sizeof(buf));
	cr_assert_str_eq(buf, "cloudflare: load balancer lb1 (pools "
			 "pool-istio / pool-apisix)");
}
