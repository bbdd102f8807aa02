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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "clock.h"
#include "driver.h"
#include "drivers/driver_cloudflare.h"
#include "err.h"
#include "loop.h"
#include "plan.h"
#include "xmalloc.h"

#include "testsrv.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define ITER_CAP 3000
#define LOG_MAX 256
#define SECRET "cf-test-token"

static char top[1024];
static char tmpdir[64];
static pid_t server_pid;
static int port;
static struct clock_fake fc;
static struct plan plan;

/* The plan's driver settings (plan_traffic_use in setup). */
static struct plan_cloudflare *
cf(void)
{
	return driver_cloudflare_settings(&plan);
}
static struct loop *loop;
static struct driver drv;
static bool drv_ready;
static char *logs[LOG_MAX];
static int nlogs;

struct got {
	int calls;
	struct driver_result r;
};

static void
got_cb(const struct driver_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->r = *r;
}

static void
log_cb(const char *line, void *arg)
{
	(void)arg;
	if (nlogs < LOG_MAX)
		logs[nlogs++] = strdup(line);
}

static int
log_count(const char *needle)
{
	int n = 0;

	for (int i = 0; i < nlogs; i++)
		if (strstr(logs[i], needle) != NULL)
			n++;
	return n;
}

/* Start cloudflared.py with extra arguments; sets port. */
static void
start_server(const char *const *extra)
{
	static const char *const args[] = { "--token", SECRET, NULL };

	server_pid = testsrv_start(top, "cloudflared.py", args, extra, 15000,
				   NULL, &port);
}

static size_t
ctl_write(char *data, size_t size, size_t n, void *arg)
{
	json_t **out = arg;
	json_error_t je;

	json_decref(*out);
	*out = json_loadb(data, size * n, 0, &je);
	return size * n;
}

/* A synchronous request to the server's controls; returns parsed JSON. */
static json_t *
ctl(const char *path, const char *json_body)
{
	CURL *c = curl_easy_init();
	char url[256];
	json_t *out = NULL;
	CURLcode rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	if (json_body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	cr_assert_eq(rc, CURLE_OK, "control %s: %s", path,
		     curl_easy_strerror(rc));
	return out;
}

static void
control(const char *json_body)
{
	json_decref(ctl("/_control", json_body));
}

static int
server_changes(void)
{
	json_t *s = ctl("/_state", NULL);
	int n = (int)json_integer_value(json_object_get(s, "changes"));

	json_decref(s);
	return n;
}

/* The server's stored object "pool" or "lb" (a new reference). */
static json_t *
server_obj(const char *which)
{
	json_t *s = ctl("/_state", NULL);
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
set_str(char **field, const char *v)
{
	free(*field);
	*field = v != NULL ? xstrdup(v) : NULL;
}

static void
setup(void)
{
	const char *t = getenv("top_srcdir");

	snprintf(top, sizeof(top), "%s", t && *t ? t : TOP_SRCDIR);
	strcpy(tmpdir, "/tmp/cutover-test-cf-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	plan_defaults(&plan);
	plan_traffic_use(&plan, DRIVER_CLOUDFLARE);
	cf()->timeout_ms = 5000;
	clock_fake_init(&fc, 1000000, 1700000000000);
	loop = loop_new(&fc.clock);
	setenv("CLOUDFLARE_API_TOKEN", SECRET, 1);
	nlogs = 0;
	drv_ready = false;
	server_pid = 0;
}

static void
teardown(void)
{
	char cmd[128];

	if (drv_ready)
		driver_done(&drv);
	loop_free(loop);
	plan_done(&plan);
	for (int i = 0; i < nlogs; i++) {
		cr_expect_null(strstr(logs[i], SECRET), "secret in log: %s",
			       logs[i]);
		free(logs[i]);
	}
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(cloudflare, .init = setup, .fini = teardown, .timeout = 60);

static void
pool_mode(void)
{
	set_str(&cf()->account_id, "acc1");
	set_str(&cf()->pool_id, "pool1");
	set_str(&cf()->istio_origin, "istio");
	set_str(&cf()->apisix_origin, "apisix");
}

static void
lb_mode(void)
{
	set_str(&cf()->zone_id, "zone1");
	set_str(&cf()->load_balancer_id, "lb1");
	set_str(&cf()->istio_pool, "pool-istio");
	set_str(&cf()->apisix_pool, "pool-apisix");
}

/* Point the plan at the server and init the driver. */
static void
init_driver(void)
{
	struct err e;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/client/v4", port);
	set_str(&cf()->endpoint, url);
	err_clear(&e);
	cr_assert_eq(driver_init(&drv, &plan, loop, log_cb, NULL, &e), 0,
		     "%s", e.msg);
	drv_ready = true;
}

/* Run the loop until the callback ran; time jumps while nothing is in
 * flight. */
static void
run(struct got *g)
{
	for (int i = 0; i < ITER_CAP && g->calls == 0; i++) {
		loop_run_once(loop, 20);
		if (g->calls == 0 && loop_transfers(loop) == 0)
			clock_fake_advance(&fc, 250);
	}
	cr_assert_eq(g->calls, 1, "no answer within the iteration cap");
}

static struct driver_result
apply(int istio)
{
	struct got g = { 0 };
	struct err e;

	err_clear(&e);
	cr_assert_eq(driver_apply(&drv, (struct weights){ istio, 100 - istio },
				  2, got_cb, &g, &e), 0, "%s", e.msg);
	run(&g);
	return g.r;
}

static struct driver_result
read_back(void)
{
	struct got g = { 0 };
	struct err e;

	err_clear(&e);
	cr_assert_eq(driver_read_back(&drv, got_cb, &g, &e), 0, "%s", e.msg);
	run(&g);
	return g.r;
}

static void
expect_fail(struct driver_result r, const char *needle)
{
	cr_assert_not(r.ok, "succeeded: %s", r.message);
	cr_assert_not_null(strstr(r.message, needle),
			   "message \"%s\" lacks \"%s\"", r.message, needle);
	cr_assert_null(strstr(r.message, SECRET));
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
	r = apply(25);
	cr_assert(r.ok, "%s", r.message);
	cr_assert(r.have_weights);
	cr_assert_eq(r.weights.istio, 25);
	cr_assert(near(origin_weight("istio"), 0.25));
	cr_assert(near(origin_weight("apisix"), 0.75));
	cr_assert(near(origin_weight("spare"), 0.5), "other origin changed");
	cr_assert_eq(server_changes(), 1);
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
	r = read_back();
	cr_assert(r.ok, "%s", r.message);
	cr_assert_eq(r.weights.istio, 0);
	cr_assert_eq(r.weights.apisix, 100);
	r = apply(0);
	cr_assert(r.ok, "%s", r.message);
	cr_assert_not_null(strstr(r.message, "already in force"));
	cr_assert_eq(server_changes(), 0);
	cr_assert(apply(50).ok);
	cr_assert(apply(50).ok);
	cr_assert_eq(server_changes(), 1);
	r = read_back();
	cr_assert_eq(r.weights.istio, 50);
}

Test(cloudflare, weight_mapping_table)
{
	static const int pct[] = { 1, 10, 25, 33, 50, 67, 75, 99, 100, 0 };

	start_server(NULL);
	pool_mode();
	init_driver();
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		struct driver_result r = apply(pct[i]);

		cr_assert(r.ok, "%d: %s", pct[i], r.message);
		cr_assert(near(origin_weight("istio"), pct[i] / 100.0),
			  "%d: %g", pct[i], origin_weight("istio"));
		cr_assert(near(origin_weight("apisix"),
			       (100 - pct[i]) / 100.0));
		r = read_back();
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
	control(buf);
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
		r = read_back();
		if (table[i].pct < 0) {
			expect_fail(r, table[i].why);
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
	set_str(&cf()->istio_origin, "mesh");
	init_driver();
	expect_fail(apply(10), "no origin named \"mesh\" (nothing was "
		    "changed)");
	expect_fail(read_back(), "no origin named \"mesh\"");
	cr_assert_eq(server_changes(), 0);
}

/* --- load balancer mode ---------------------------------------------------------- */

Test(cloudflare, lb_apply_sets_pool_weights)
{
	struct driver_result r;
	json_t *lb;

	start_server(NULL);
	lb_mode();
	init_driver();
	r = read_back();
	cr_assert(r.ok, "%s", r.message);
	cr_assert_eq(r.weights.istio, 0);
	r = apply(75);
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
	cr_assert(apply(75).ok);
	cr_assert_eq(server_changes(), 1);
	r = read_back();
	cr_assert_eq(r.weights.istio, 75);
	cr_assert_eq(r.weights.apisix, 25);
}

Test(cloudflare, lb_refuses_other_steering_policies)
{
	start_server(NULL);
	lb_mode();
	control("{\"lb\": {\"id\": \"lb1\", \"steering_policy\": \"off\", "
		"\"random_steering\": {\"pool_weights\": {}}}}");
	init_driver();
	expect_fail(apply(10), "steering_policy is \"off\"");
	cr_assert_eq(server_changes(), 0);
	/* Missing pool weights fall back to default_weight (1 each). */
	{
		struct driver_result r = read_back();

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
	snprintf(path, sizeof(path), "%s/token", tmpdir);
	f = fopen(path, "w");
	fprintf(f, "  %s\n", SECRET);
	fclose(f);
	unsetenv("CLOUDFLARE_API_TOKEN");
	set_str(&cf()->token_file, path);
	init_driver();
	cr_assert(apply(10).ok);
	f = fopen(path, "w");
	fprintf(f, "wrong-token\n");
	fclose(f);
	r = apply(25);
	expect_fail(r, "HTTP 403: code 10000: Authentication error (nothing "
		    "was changed)");
	cr_assert_null(strstr(r.message, "wrong-token"));
	cr_assert_eq(server_changes(), 1);
	for (int i = 0; i < nlogs; i++)
		cr_assert_null(strstr(logs[i], "wrong-token"));
}

Test(cloudflare, no_token_is_a_clear_error)
{
	struct got g = { 0 };
	struct err e;

	start_server(NULL);
	pool_mode();
	unsetenv("CLOUDFLARE_API_TOKEN");
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "CLOUDFLARE_API_TOKEN"), "%s", e.msg);
	set_str(&cf()->token_file, "/nonexistent/tok");
	err_clear(&e);
	cr_assert_eq(driver_read_back(&drv, got_cb, &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "/nonexistent/tok"), "%s", e.msg);
	cr_assert_eq(g.calls, 0);
}

Test(cloudflare, error_envelope_verbatim)
{
	start_server(NULL);
	pool_mode();
	init_driver();
	control("{\"fail\": \"error\", \"fail_count\": 1}");
	expect_fail(apply(10), "cloudflare GET pool: HTTP 400: code 1002: "
		    "origins: weight must be between 0 and 1");
	control("{\"fail\": \"nosuccess\", \"fail_count\": 1}");
	expect_fail(read_back(), "success is not true");
	control("{\"fail\": \"html\", \"fail_count\": 1}");
	expect_fail(read_back(), "HTTP 502 Bad Gateway: 502 Bad Gateway");
	cr_assert_eq(server_changes(), 0);
}

Test(cloudflare, malformed_answer)
{
	start_server((const char *[]){ "--fail", "malformed", NULL });
	lb_mode();
	init_driver();
	expect_fail(apply(10), "malformed answer (not a JSON object");
	control("{\"fail\": \"\", \"lb\": {\"id\": \"lb1\", "
		"\"random_steering\": \"weird\"}}");
	expect_fail(read_back(), "random_steering is not an object");
	cr_assert_eq(server_changes(), 0);
}

Test(cloudflare, rate_limit_is_retried_a_bounded_number_of_times)
{
	start_server((const char *[]){ "--fail", "ratelimit", "--fail-count",
				       "2", NULL });
	pool_mode();
	init_driver();
	cr_assert(apply(10).ok);
	cr_assert_eq(log_count("rate limited"), 2);
	control("{\"fail\": \"ratelimit\", \"fail_count\": -1}");
	expect_fail(apply(25), "code 971: Please wait");
	cr_assert_eq(log_count("rate limited"), 5);
	cr_assert_eq(server_changes(), 1);
}

Test(cloudflare, cancel_and_busy)
{
	struct got g = { 0 }, g2 = { 0 };
	struct err e;

	start_server(NULL);
	pool_mode();
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  &g, &e), 0);
	cr_assert_eq(driver_apply(&drv, (struct weights){ 20, 80 }, 1, got_cb,
				  &g2, &e), -1);
	cr_assert_not_null(strstr(e.msg, "busy"));
	driver_cancel(&drv);
	for (int i = 0; i < 20; i++)
		loop_run_once(loop, 10);
	cr_assert_eq(g.calls, 0);
	cr_assert_eq(g2.calls, 0);
	cr_assert(read_back().ok);
}

Test(cloudflare, describe_names_the_mode)
{
	char buf[256];

	start_server(NULL);
	lb_mode();
	init_driver();
	drv.ops->describe(&drv, buf, sizeof(buf));
	cr_assert_str_eq(buf, "cloudflare: load balancer lb1 (pools "
			 "pool-istio / pool-apisix)");
}
