/*
 * test_route53 — the route53 traffic driver against tests/route53d.py on
 * 127.0.0.1, which recomputes every request's SigV4 signature with
 * botocore, checks the ChangeBatch element order and stores the records.
 * The loop runs on a fake clock: when no transfer is in flight the clock
 * jumps to the next poll or back-off, so nothing sleeps; every wait is a
 * bounded number of loop passes.
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
#include "drivers/driver_route53.h"
#include "err.h"
#include "loop.h"
#include "plan.h"

#include "testsrv.h"

#define SECRET "test/secret+key"

static struct plan plan;

/* The plan's driver settings (plan_traffic_use in setup). */
static struct plan_route53 *
r53(void)
{
	return driver_route53_settings(&plan);
}
static struct testsrv_drv t;

/* Start route53d.py with extra arguments; sets port. */
static void
start_server(const char *const *extra)
{
	static const char *const args[] = { "--secret", SECRET, NULL };

	testsrv_drv_serve(&t, "route53d.py", args, extra,
			  " (botocore missing?)");
}

/* The stored record with SetIdentifier `id` (a new reference). */
static json_t *
server_record(const char *id)
{
	json_t *s = testsrv_ctl(t.port, "/_state", NULL), *r, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(s, "records"), i, r) {
		if (strcmp(json_string_value(json_object_get(r, "id")),
			   id) == 0)
			found = json_incref(r);
	}
	json_decref(s);
	cr_assert_not_null(found, "no record %s on the server", id);
	return found;
}

static int
server_weight(const char *id)
{
	json_t *r = server_record(id);
	int w = (int)json_integer_value(json_object_get(r, "weight"));

	json_decref(r);
	return w;
}

static void
server_no_problems(void)
{
	json_t *s = testsrv_ctl(t.port, "/_state", NULL);
	json_t *p = json_object_get(s, "problems");

	cr_expect_eq(json_array_size(p), 0, "server saw problems: %s",
		     json_array_size(p) ? json_string_value(
			 json_array_get(p, 0)) : "");
	json_decref(s);
}

static void
setup(void)
{
	testsrv_drv_init(&t, "r53", SECRET);
	plan_defaults(&plan);
	plan_traffic_use(&plan, DRIVER_ROUTE53);
	testsrv_set_str(&r53()->hosted_zone_id, "Z0TEST");
	testsrv_set_str(&r53()->record_name, "www.example.com");
	testsrv_set_str(&r53()->istio_set_id, "istio");
	testsrv_set_str(&r53()->apisix_set_id, "apisix");
	r53()->timeout_ms = 5000;
	r53()->insync_timeout_ms = 60000;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	setenv("HOME", t.tmpdir, 1);
}

static void
teardown(void)
{
	testsrv_drv_done(&t);
	plan_done(&plan);
}

TestSuite(route53, .init = setup, .fini = teardown, .timeout = 60);

/* Point the plan at the server and init the driver. */
static void
init_driver(void)
{
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", t.port);
	testsrv_set_str(&r53()->endpoint, url);
	testsrv_drv_start(&t, &plan);
}

/* --- applying -------------------------------------------------------------- */

Test(route53, apply_upserts_both_records_and_waits_for_insync)
{
	struct driver_result r;

	start_server((const char *[]){ "--pending", "2", NULL });
	init_driver();
	r = testsrv_apply(&t, 25);
	cr_assert(r.ok, "%s", r.message);
	cr_assert(r.have_weights);
	cr_assert_eq(r.weights.istio, 25);
	cr_assert_eq(r.weights.apisix, 75);
	cr_assert_eq(server_weight("istio"), 25);
	cr_assert_eq(server_weight("apisix"), 75);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1,
	    "one change batch for both");
	cr_assert_eq(testsrv_log_count(&t, "route53: PENDING"), 2);
	cr_assert_eq(testsrv_log_count(&t, "INSYNC"), 1);
	server_no_problems();
}

Test(route53, alias_records_keep_their_targets)
{
	json_t *rec;

	start_server(NULL);
	init_driver();
	cr_assert(testsrv_apply(&t, 10).ok);
	rec = server_record("istio");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    rec, "alias"), "dns")), "istio-lb.elb.amazonaws.com.");
	cr_assert_null(json_object_get(rec, "ttl"), "alias with a TTL");
	cr_assert_null(json_object_get(rec, "values"));
	json_decref(rec);
	server_no_problems();
}

Test(route53, plan_alias_target_replaces_and_creates)
{
	json_t *rec;

	start_server(NULL);
	testsrv_control(t.port,
		"{\"records\": [{\"name\": \"www.example.com.\", \"type\": "
		"\"A\", \"id\": \"apisix\", \"weight\": 100, \"alias\": "
		"{\"zone\": \"Z2APISIX\", \"dns\": \"apisix-lb.\", \"eval\": "
		"false}}]}");
	testsrv_set_str(&r53()->istio_alias_dns, "new-istio.elb.com");
	testsrv_set_str(&r53()->istio_alias_zone, "Z9NEW");
	r53()->evaluate_target_health = true;
	init_driver();
	cr_assert(testsrv_apply(&t, 10).ok);
	rec = server_record("istio");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    rec, "alias"), "zone")), "Z9NEW");
	cr_assert(json_is_true(json_object_get(json_object_get(rec, "alias"),
					       "eval")));
	cr_assert_eq(json_integer_value(json_object_get(rec, "weight")), 10);
	json_decref(rec);
	/* The same again: nothing to change. */
	cr_assert(testsrv_apply(&t, 10).ok);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	server_no_problems();
}

Test(route53, plain_records_keep_ttl_and_values)
{
	json_t *rec, *vals;

	start_server(NULL);
	testsrv_control(t.port, "{\"records\": ["
		"{\"name\": \"www.example.com.\", \"type\": \"A\", \"id\": "
		"\"istio\", \"weight\": 0, \"ttl\": 60, \"values\": "
		"[\"192.0.2.10\", \"192.0.2.11\"], \"health_check\": \"hc-1\"},"
		"{\"name\": \"www.example.com.\", \"type\": \"A\", \"id\": "
		"\"apisix\", \"weight\": 100, \"ttl\": 30, \"values\": "
		"[\"198.51.100.7\"]}]}");
	init_driver();
	cr_assert(testsrv_apply(&t, 50).ok);
	rec = server_record("istio");
	cr_assert_eq(json_integer_value(json_object_get(rec, "ttl")), 60);
	vals = json_object_get(rec, "values");
	cr_assert_eq(json_array_size(vals), 2);
	cr_assert_str_eq(json_string_value(json_array_get(vals, 1)),
			 "192.0.2.11");
	cr_assert_str_eq(json_string_value(json_object_get(rec,
							   "health_check")),
			 "hc-1");
	cr_assert_eq(json_integer_value(json_object_get(rec, "weight")), 50);
	json_decref(rec);
	cr_assert_eq(server_weight("apisix"), 50);
	server_no_problems();
}

Test(route53, applying_the_weights_in_force_changes_nothing)
{
	struct driver_result r;

	start_server(NULL);
	init_driver();
	cr_assert(testsrv_apply(&t, 50).ok);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	r = testsrv_apply(&t, 50);
	cr_assert(r.ok, "%s", r.message);
	cr_assert_not_null(strstr(r.message, "already in force"), "%s",
			   r.message);
	cr_assert_eq(r.weights.istio, 50);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1,
	    "a second change was sent");
	/* The initial 0/100 is also in force already. */
	cr_assert(testsrv_apply(&t, 0).ok);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 2);
	cr_assert(testsrv_apply(&t, 0).ok);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 2);
}

Test(route53, read_back_reports_the_split_in_force)
{
	struct driver_result r;

	start_server(NULL);
	init_driver();
	r = testsrv_read_back(&t);
	cr_assert(r.ok, "%s", r.message);
	cr_assert(r.have_weights);
	cr_assert_eq(r.weights.istio, 0);
	cr_assert_eq(r.weights.apisix, 100);
	cr_assert(testsrv_apply(&t, 75).ok);
	r = testsrv_read_back(&t);
	cr_assert_eq(r.weights.istio, 75);
	cr_assert_eq(r.weights.apisix, 25);
	server_no_problems();
}

/* Every percent written maps back to exactly the same percent. */
Test(route53, weight_mapping_table)
{
	static const int pct[] = { 1, 10, 25, 33, 50, 67, 75, 99, 100, 0 };

	start_server((const char *[]){ "--pending", "0", NULL });
	init_driver();
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		struct driver_result r = testsrv_apply(&t, pct[i]);

		cr_assert(r.ok, "%d: %s", pct[i], r.message);
		cr_assert_eq(server_weight("istio"), pct[i]);
		cr_assert_eq(server_weight("apisix"), 100 - pct[i]);
		cr_assert(server_weight("istio") + server_weight("apisix") > 0);
		r = testsrv_read_back(&t);
		cr_assert_eq(r.weights.istio, pct[i]);
		cr_assert_eq(r.weights.apisix, 100 - pct[i]);
	}
}

static void
foreign(int wi, int wa)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"records\": ["
		 "{\"name\": \"www.example.com.\", \"type\": \"A\", \"id\": "
		 "\"istio\", \"weight\": %d, \"alias\": {\"zone\": \"Z1\", "
		 "\"dns\": \"i.\", \"eval\": false}},"
		 "{\"name\": \"www.example.com.\", \"type\": \"A\", \"id\": "
		 "\"apisix\", \"weight\": %d, \"alias\": {\"zone\": \"Z2\", "
		 "\"dns\": \"a.\", \"eval\": false}}]}", wi, wa);
	testsrv_control(t.port, buf);
}

/* Weights set outside cutover: whole-percent ratios read, others not. */
Test(route53, foreign_weights_map_by_ratio_or_are_refused)
{
	static const struct {
		int wi, wa, pct;	/* pct -1: refused */
		const char *why;
	} table[] = {
		{ 20, 180, 10, NULL }, { 255, 0, 100, NULL },
		{ 0, 7, 0, NULL }, { 1, 1, 50, NULL }, { 3, 1, 75, NULL },
		{ 1, 2, -1, "not a whole-percent split" },
		{ 0, 0, -1, "both weights are 0" },
	};

	start_server(NULL);
	init_driver();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct driver_result r;

		foreign(table[i].wi, table[i].wa);
		r = testsrv_read_back(&t);
		if (table[i].pct < 0) {
			testsrv_expect_fail(&t, r, table[i].why);
			continue;
		}
		cr_assert(r.ok, "%d/%d: %s", table[i].wi, table[i].wa,
			  r.message);
		cr_assert_eq(r.weights.istio, table[i].pct, "%d/%d",
			     table[i].wi, table[i].wa);
	}
	/* 20/180 is 10% already: applying 10 sends nothing. */
	foreign(20, 180);
	cr_assert(testsrv_apply(&t, 10).ok);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
	/* 0/0 is replaced by a real split. */
	foreign(0, 0);
	cr_assert(testsrv_apply(&t, 0).ok);
	cr_assert_eq(server_weight("apisix"), 100);
}

Test(route53, paging_through_many_records)
{
	char buf[32768];
	size_t n = 0;

	start_server(NULL);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"records\": [");
	/* 150 other sets of the same name sort before "istio". */
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"name\": "
		    "\"www.example.com.\", \"type\": \"A\", \"id\": \"a%03d\", "
		    "\"weight\": 0, \"alias\": {\"zone\": \"Z\", \"dns\": "
		    "\"x.\"}},", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"name\": "
	    "\"www.example.com.\", \"type\": \"A\", \"id\": \"istio\", "
	    "\"weight\": 3, \"alias\": {\"zone\": \"Z\", \"dns\": \"i.\"}},"
	    "{\"name\": \"www.example.com.\", \"type\": \"A\", \"id\": "
	    "\"apisix\", \"weight\": 1, \"alias\": {\"zone\": \"Z\", "
	    "\"dns\": \"a.\"}}]}");
	testsrv_control(t.port, buf);
	init_driver();
	{
		struct driver_result r = testsrv_read_back(&t);

		cr_assert(r.ok, "%s", r.message);
		cr_assert_eq(r.weights.istio, 75);
	}
	server_no_problems();
}

/* --- credentials ------------------------------------------------------------ */

Test(route53, session_token_is_sent_and_signed)
{
	start_server((const char *[]){ "--token", "tok/en==", NULL });
	init_driver();
	setenv("AWS_SESSION_TOKEN", "tok/en==", 1);
	cr_assert(testsrv_apply(&t, 10).ok);
	unsetenv("AWS_SESSION_TOKEN");
	testsrv_expect_fail(&t, testsrv_apply(&t, 25), "InvalidClientTokenId");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	for (int i = 0; i < t.nlogs; i++)
		cr_assert_null(strstr(t.logs[i], "tok/en"));
}

Test(route53, credentials_from_the_profile_file)
{
	char path[256];
	FILE *f;

	start_server(NULL);
	snprintf(path, sizeof(path), "%s/.aws", t.tmpdir);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/.aws/credentials", t.tmpdir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "[default]\naws_access_key_id = WRONG\n"
		"aws_secret_access_key = nope\n\n# prod\n[prod]\n"
		"aws_access_key_id=AKIDTEST\naws_secret_access_key = %s\n",
		SECRET);
	fclose(f);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	testsrv_set_str(&r53()->profile, "prod");
	init_driver();
	cr_assert(testsrv_apply(&t, 25).ok);
	testsrv_set_str(&r53()->profile, "default");
	testsrv_expect_fail(&t, testsrv_apply(&t, 50), "InvalidClientTokenId");
	testsrv_set_str(&r53()->profile, "staging");
	{
		struct testsrv_got g = { 0 };
		struct err e;

		err_clear(&e);
		cr_assert_eq(driver_apply(&t.drv, (struct weights){ 50, 50 }, 3,
					  testsrv_got_cb, &g, &e), -1);
		cr_assert_not_null(strstr(e.msg, "no profile [staging]"), "%s",
				   e.msg);
		cr_assert_eq(g.calls, 0);
	}
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
}

Test(route53, no_credentials_is_a_clear_error)
{
	struct testsrv_got g = { 0 };
	struct err e;

	start_server(NULL);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_read_back(&t.drv, testsrv_got_cb, &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "AWS_ACCESS_KEY_ID"), "%s", e.msg);
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	err_clear(&e);
	cr_assert_eq(driver_read_back(&t.drv, testsrv_got_cb, &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "is set but AWS_SECRET_ACCESS_KEY is not"),
			   "%s", e.msg);
	cr_assert_eq(g.calls, 0);
}

/* A wrong secret: the server's own botocore check refuses the signature. */
Test(route53, wrong_secret_fails_signature_check)
{
	start_server(NULL);
	setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
	init_driver();
	testsrv_expect_fail(&t, testsrv_apply(&t, 10), "SignatureDoesNotMatch");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}

/* --- failures ---------------------------------------------------------------- */

Test(route53, bad_credentials_verbatim)
{
	struct driver_result r;

	start_server((const char *[]){ "--fail", "badkey", NULL });
	init_driver();
	r = testsrv_apply(&t, 10);
	testsrv_expect_fail(&t, r,
	    "HTTP 403 InvalidClientTokenId: The security token "
		    "included in the request is invalid.");
	cr_assert_not_null(strstr(r.message, "nothing was changed"), "%s",
			   r.message);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
	testsrv_control(t.port, "{\"fail\": \"signature\"}");
	testsrv_expect_fail(&t, testsrv_read_back(&t),
	    "SignatureDoesNotMatch: The request "
		    "signature we calculated");
}

Test(route53, throttling_is_retried_then_succeeds)
{
	struct driver_result r;

	start_server((const char *[]){ "--fail", "throttle", "--fail-count",
				       "2", NULL });
	init_driver();
	r = testsrv_apply(&t, 25);
	cr_assert(r.ok, "%s", r.message);
	cr_assert_eq(testsrv_log_count(&t, "Throttling: Rate exceeded; "
				       "retry"), 2);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
	testsrv_control(t.port, "{\"fail\": \"prior\", \"fail_count\": 1}");
	cr_assert(testsrv_apply(&t, 50).ok);
	cr_assert_eq(testsrv_log_count(&t, "PriorRequestNotComplete"), 1);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 2);
}

Test(route53, throttling_gives_up_after_bounded_retries)
{
	start_server((const char *[]){ "--fail", "throttle", NULL });
	init_driver();
	testsrv_expect_fail(&t, testsrv_apply(&t, 25),
	    "HTTP 400 Throttling: Rate exceeded (after "
		    "retries)");
	cr_assert_eq(testsrv_log_count(&t, "retry"), 5);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}

Test(route53, change_stuck_pending_times_out)
{
	struct driver_result r;

	start_server((const char *[]){ "--fail", "stuck", NULL });
	r53()->insync_timeout_ms = 10000;
	init_driver();
	r = testsrv_apply(&t, 25);
	testsrv_expect_fail(&t, r, "still PENDING after 10 s (insync_timeout)");
	cr_assert_not_null(strstr(r.message, "weights may be in force"));
	cr_assert_geq(testsrv_log_count(&t, "route53: PENDING"), 3);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 1);
}

Test(route53, malformed_answers)
{
	start_server((const char *[]){ "--fail", "malformed", "--fail-count",
				       "1", NULL });
	init_driver();
	testsrv_expect_fail(&t, testsrv_apply(&t, 25), "malformed answer");
	testsrv_control(t.port,
	    "{\"fail\": \"malformed_list\", \"fail_count\": -1}");
	testsrv_expect_fail(&t, testsrv_read_back(&t),
	    "malformed answer (no <ResourceRecordSets>)");
	testsrv_expect_fail(&t, testsrv_apply(&t, 50), "malformed answer");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}

Test(route53, missing_zone_and_records)
{
	start_server((const char *[]){ "--fail", "nozone", NULL });
	init_driver();
	testsrv_expect_fail(&t, testsrv_apply(&t, 25),
	    "HTTP 404 NoSuchHostedZone: No hosted zone "
		    "found with ID: Z0TEST");
	testsrv_control(t.port, "{\"fail\": \"\", \"records\": []}");
	testsrv_expect_fail(&t, testsrv_apply(&t, 25),
	    "no A record www.example.com with "
		    "SetIdentifier \"istio\" and no istio_alias_dns_name");
	testsrv_expect_fail(&t, testsrv_read_back(&t),
	    "no A record www.example.com");
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}

Test(route53, refuses_bad_weights_and_a_second_operation)
{
	struct testsrv_got g = { 0 }, g2 = { 0 };
	struct err e;

	start_server(NULL);
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_apply(&t.drv, (struct weights){ 60, 60 }, 1,
	    testsrv_got_cb,
				  &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "sum to 100"));
	cr_assert_eq(driver_apply(&t.drv, (struct weights){ 10, 90 }, 1,
	    testsrv_got_cb,
				  &g, &e), 0);
	cr_assert_eq(driver_read_back(&t.drv, testsrv_got_cb, &g2, &e), -1);
	cr_assert_not_null(strstr(e.msg, "busy"));
	testsrv_run(&t, &g);
	cr_assert(g.r.ok, "%s", g.r.message);
	cr_assert_eq(g2.calls, 0);
}

Test(route53, cancel_stops_without_a_callback)
{
	struct testsrv_got g = { 0 };
	struct err e;

	start_server((const char *[]){ "--fail", "stuck", NULL });
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_apply(&t.drv, (struct weights){ 10, 90 }, 1,
	    testsrv_got_cb,
				  &g, &e), 0);
	for (int i = 0; i < 3000 && testsrv_log_count(&t, "PENDING") == 0;
	     i++) {
		loop_run_once(t.loop, 20);
		if (loop_transfers(t.loop) == 0)
			clock_fake_advance(&t.fc, 250);
	}
	cr_assert_geq(testsrv_log_count(&t, "PENDING"), 1);
	driver_cancel(&t.drv);
	for (int i = 0; i < 50; i++) {
		loop_run_once(t.loop, 10);
		clock_fake_advance(&t.fc, 1000);
	}
	cr_assert_eq(g.calls, 0);
	/* The driver is usable again. */
	testsrv_control(t.port, "{\"fail\": \"\"}");
	cr_assert(testsrv_read_back(&t).ok);
}

Test(route53, describe_names_the_record)
{
	char buf[256];

	start_server(NULL);
	init_driver();
	t.drv.ops->describe(&t.drv, buf, sizeof(buf));
	cr_assert_str_eq(buf, "route53: www.example.com A in zone Z0TEST "
			 "(istio / apisix)");
}

/* Records whose Weight and TTL texts are `w` and `ttl` (raw XML text). */
static void
records_with(const char *w, const char *ttl)
{
	char json[1024];

	snprintf(json, sizeof(json), "{\"records\": ["
		 "{\"name\": \"www.example.com.\", \"type\": \"A\", \"id\": "
		 "\"istio\", \"weight\": \"%s\", \"ttl\": \"%s\", \"values\": "
		 "[\"192.0.2.10\"]},"
		 "{\"name\": \"www.example.com.\", \"type\": \"A\", \"id\": "
		 "\"apisix\", \"weight\": 100, \"ttl\": 30, \"values\": "
		 "[\"198.51.100.7\"]}]}", w, ttl);
	testsrv_control(t.port, json);
}

/*
 * Weight (0..255) and TTL (0..2147483647) are whole numbers in Route53's
 * range: anything else is an error, never a clamped or wrapped number
 * that a later UPSERT would send back.
 */
Test(route53, weight_and_ttl_out_of_range_are_errors)
{
	static const char *const bad[] = {
		"256", "-1", "+5", "1e2", "1.5", "0x10",
		"99999999999999999999",
	};
	static const char *const bad_ttl[] = {
		"2147483648", "-1", "1e3", "60.5", "99999999999999999999", "",
	};
	struct driver_result r;

	start_server(NULL);
	init_driver();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		records_with(bad[i], "60");
		r = testsrv_read_back(&t);
		cr_assert_not(r.ok, "weight %s accepted", bad[i]);
		cr_assert_not(r.have_weights);
		cr_assert_not_null(strstr(r.message, "is not 0..255"), "%s: %s",
				   bad[i], r.message);
	}
	for (size_t i = 0; i < sizeof(bad_ttl) / sizeof(bad_ttl[0]); i++) {
		records_with("0", bad_ttl[i]);
		r = testsrv_read_back(&t);
		cr_assert_not(r.ok, "TTL %s accepted", bad_ttl[i]);
		cr_assert_not_null(strstr(r.message, "is not 0..2147483647"),
				   "%s: %s", bad_ttl[i], r.message);
	}
	records_with("0", "2147483647");
	r = testsrv_read_back(&t);
	cr_assert(r.ok, "%s", r.message);
	cr_assert(r.have_weights);
	cr_assert_eq(r.weights.istio, 0);
	cr_assert_eq(testsrv_state_int(t.port, "changes"), 0);
}
