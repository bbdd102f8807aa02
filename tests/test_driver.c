/*
 * test_driver — what every driver shares (driver.c): the one rule that
 * turns two backend weights into a percent, the same for every driver,
 * and the table.  A toy driver, written here as HACKING.md's recipe says
 * (one driver_ops with a driver_job in its priv and its own plan section,
 * registered in the table), is read from a plan file's traffic.toy, runs
 * apply and read back through the generic driver_* API and gives one-shot
 * commands its deadline, with no edit to the plan's files.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "driver.h"
#include "drivers/driver_cloudflare.h"
#include "drivers/driver_kube.h"
#include "drivers/driver_route53.h"
#include "err.h"
#include "loop.h"
#include "plan.h"
#include "plan_schema.h"
#include "xmalloc.h"

/* --- driver_percent -------------------------------------------------- */

Test(driver, percent_is_whole_or_an_error)
{
	static const struct {
		double wi, wa;
		int istio;	/* -1: refused */
		const char *why;
	} cases[] = {
		{ 25, 75, 25, NULL },
		{ 20, 180, 10, NULL },
		{ 1, 9, 10, NULL },
		{ 0, 1, 0, NULL },
		{ 255, 0, 100, NULL },
		{ 0.2, 0.2, 50, NULL },
		{ 0.25, 0.75, 25, NULL },
		{ 2147483647, 2147483647, 50, NULL },
		{ 1, 2, -1, "weights istio=1 apisix=2 are not a whole-percent "
		    "split (istio 33.33%)" },
		{ 0.1, 0.2, -1, "not a whole-percent split" },
		/* One part in 4e9 from 50%: integers are never rounded. */
		{ 2147483647, 2147483646, -1, "not a whole-percent split" },
		{ 1000000, 999999, -1, "not a whole-percent split" },
		{ 0, 0, -1, "both weights are 0" },
		{ -1, 101, -1, "out of range" },
		{ 1e308, 1e308, -1, "out of range" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct weights w = { -7, -7 };
		char why[160] = "";
		int rc = driver_percent(cases[i].wi, cases[i].wa, &w, why,
		    sizeof(why));

		if (cases[i].istio < 0) {
			cr_expect_eq(rc, -1, "%g/%g read as %d/%d",
			    cases[i].wi, cases[i].wa, w.istio, w.apisix);
			cr_expect_not_null(strstr(why, cases[i].why),
			    "%g/%g: %s", cases[i].wi, cases[i].wa, why);
		} else {
			cr_expect_eq(rc, 0, "%g/%g: %s", cases[i].wi,
			    cases[i].wa, why);
			cr_expect_eq(w.istio, cases[i].istio, "%g/%g",
			    cases[i].wi, cases[i].wa);
			cr_expect_eq(w.apisix, 100 - cases[i].istio);
		}
	}
}

/* The same rule, read through each driver's own parser. */
static void
expect_not_whole(int rc, const struct weights *w, const struct err *e,
		 const char *driver)
{
	cr_expect_eq(rc, -1, "%s read 1:2 as %d/%d", driver, w->istio,
	    w->apisix);
	cr_expect_not_null(strstr(e->msg, "not a whole-percent split"),
	    "%s: %s", driver, e->msg);
}

Test(driver, route53_refuses_a_split_that_is_not_a_whole_percent)
{
	static const struct plan_route53 cfg = {
		.hosted_zone_id = "Z0TEST", .record_name = "www.example.com",
		.record_type = "A", .istio_set_id = "istio",
		.apisix_set_id = "apisix",
	};
	static const char body[] = "<ListResourceRecordSetsResponse>"
	    "<ResourceRecordSets><ResourceRecordSet><Name>www.example.com."
	    "</Name><Type>A</Type><SetIdentifier>istio</SetIdentifier>"
	    "<Weight>1</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord>"
	    "<Value>192.0.2.1</Value></ResourceRecord></ResourceRecords>"
	    "</ResourceRecordSet><ResourceRecordSet><Name>www.example.com."
	    "</Name><Type>A</Type><SetIdentifier>apisix</SetIdentifier>"
	    "<Weight>2</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord>"
	    "<Value>192.0.2.2</Value></ResourceRecord></ResourceRecords>"
	    "</ResourceRecordSet></ResourceRecordSets><IsTruncated>false"
	    "</IsTruncated></ListResourceRecordSetsResponse>";
	struct weights w = { 0, 0 };
	struct err e;

	err_clear(&e);
	expect_not_whole(driver_route53_parse(&cfg, body, sizeof(body) - 1,
	    &w, &e), &w, &e, "route53");
}

/* An InvalidChangeBatch names every reason, joined, none lost. */
Test(driver, route53_invalid_change_batch_gives_every_message)
{
	static const struct plan_route53 cfg = {
		.hosted_zone_id = "Z0TEST", .record_name = "www.example.com",
		.record_type = "A", .istio_set_id = "istio",
		.apisix_set_id = "apisix",
	};
	static const char body[] = "<InvalidChangeBatch><Messages><Message>"
	    "</Message><Message>first</Message><Message>second</Message>"
	    "</Messages></InvalidChangeBatch>";
	struct weights w;
	struct err e;

	err_clear(&e);
	cr_assert_eq(driver_route53_parse(&cfg, body, sizeof(body) - 1, &w,
	    &e), -1);
	cr_assert_not_null(strstr(e.msg, "InvalidChangeBatch"), "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "first; second"), "%s", e.msg);
	cr_assert_null(strstr(e.msg, "; first"), "%s", e.msg);
}

Test(driver, cloudflare_refuses_a_split_that_is_not_a_whole_percent)
{
	static const struct plan_cloudflare cfg = {
		.account_id = "acc1", .pool_id = "pool1",
		.istio_origin = "istio", .apisix_origin = "apisix",
	};
	static const char body[] = "{\"success\": true, \"errors\": [], "
	    "\"result\": {\"id\": \"pool1\", \"origins\": [{\"name\": "
	    "\"istio\", \"weight\": 0.1}, {\"name\": \"apisix\", \"weight\": "
	    "0.2}]}}";
	struct weights w = { 0, 0 };
	struct err e;

	err_clear(&e);
	expect_not_whole(driver_cloudflare_parse(&cfg, body, sizeof(body) - 1,
	    200, &w, &e), &w, &e, "cloudflare");
}

/* It once rounded: shares 1 and 2 read back as 33/67, a split not in
 * force. */
Test(driver, kubernetes_refuses_a_split_that_is_not_a_whole_percent)
{
	static const struct plan_kube_route cfg = {
		.kind = "HTTPRoute", .namespace = "edge", .name = "storefront",
		.istio_backend = "istio-ingressgateway",
		.apisix_backend = "apisix-gateway",
	};
	static const char body[] = "{\"kind\": \"HTTPRoute\", \"metadata\": "
	    "{\"name\": \"storefront\", \"namespace\": \"edge\", "
	    "\"resourceVersion\": \"7\"}, \"spec\": {\"rules\": "
	    "[{\"backendRefs\": [{\"name\": \"istio-ingressgateway\", "
	    "\"weight\": 1}, {\"name\": \"apisix-gateway\", "
	    "\"weight\": 2}]}]}}";
	struct weights w = { 0, 0 };
	struct err e;

	err_clear(&e);
	expect_not_whole(driver_kube_parse(&cfg, body, sizeof(body) - 1, &w,
	    &e), &w, &e, "kubernetes");
}

/* --- the table -------------------------------------------------------- */

/* Every kind a plan can name has a driver, under the plan's name for it,
 * complete. */
Test(driver, the_table_covers_the_plan)
{
	static const enum driver_kind kinds[] = {
		DRIVER_EXEC, DRIVER_ROUTE53, DRIVER_CLOUDFLARE,
		DRIVER_KUBERNETES,
	};

	cr_assert_null(driver_find(DRIVER_NONE));
	cr_assert_null(driver_find(DRIVER_DEMO));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct driver_ops *ops = driver_find(kinds[i]);

		cr_assert_not_null(ops, "kind %d", (int)kinds[i]);
		cr_expect_str_eq(ops->name, plan_driver_name(kinds[i]));
		cr_expect_not_null(ops->init, "%s", ops->name);
		cr_expect_not_null(ops->apply, "%s", ops->name);
		cr_expect_not_null(ops->read_back, "%s", ops->name);
		cr_expect_not_null(ops->describe, "%s", ops->name);
		cr_expect_not_null(ops->deadline, "%s", ops->name);
		cr_expect_not_null(ops->plan_fields, "%s", ops->name);
		cr_expect_gt(ops->plan_size, 0, "%s", ops->name);
	}
	/* Kinds and names differ; each is found by its name. */
	for (size_t i = 0; driver_at(i) != NULL; i++) {
		const struct driver_ops *a = driver_at(i);

		cr_expect_eq(driver_find_name(a->name), a);
		for (size_t j = 0; j < i; j++) {
			cr_expect_neq(driver_at(j)->kind, a->kind);
			cr_expect_str_neq(driver_at(j)->name, a->name);
		}
	}
}

/* --- a toy driver through the table ---------------------------------- */

#define TOY_KIND ((enum driver_kind)(DRIVER_OWN + 1))

/* Its section of the plan, traffic.toy. */
struct toy_settings {
	char *backend;		/* required, and not "apisix" */
	int start;		/* Istio's percent in force at init */
	int64_t deadline_ms;
};

enum toy_op {
	TOY_IDLE,
	TOY_APPLY,
	TOY_READ,
};

struct toy_priv {
	struct driver_job job;	/* op: enum toy_op */
	struct weights in_force;
	struct weights want;
	int ends, cancels;
};

static void
toy_end(void *arg, bool cancelled)
{
	struct toy_priv *x = arg;

	x->ends++;
	x->cancels += cancelled;
}

static int
toy_init(struct driver *d, struct err *e)
{
	struct toy_priv *x = xcalloc(1, sizeof(*x));

	const struct toy_settings *t = d->plan->traffic.settings;

	(void)e;
	x->in_force = (struct weights){ t->start, 100 - t->start };
	driver_job_init(&x->job, d, toy_end, x);
	d->priv = x;
	return 0;
}

/* The "backend" answers on the next turn of the loop. */
static void
toy_fire(void *arg)
{
	struct toy_priv *x = arg;
	struct driver_result r;

	x->job.timer = NULL;
	memset(&r, 0, sizeof(r));
	if (x->job.op == TOY_APPLY)
		x->in_force = x->want;
	r.ok = true;
	r.have_weights = true;
	r.weights = x->in_force;
	snprintf(r.message, sizeof(r.message), "toy: %d/%d\x1b[2J",
	    r.weights.istio, r.weights.apisix);
	driver_job_answer(&x->job, &r);
}

static int
toy_begin(struct driver *d, int op, struct weights w, driver_cb cb,
	  void *arg, struct err *e)
{
	struct toy_priv *x = d->priv;

	if (driver_job_busy(&x->job))
		return err_set(e, "the toy driver is busy");
	x->want = w;
	driver_job_begin(&x->job, op, cb, arg);
	driver_job_after(&x->job, 0, toy_fire, x);
	return 0;
}

static int
toy_apply(struct driver *d, struct weights w, int stage, driver_cb cb,
	  void *arg, struct err *e)
{
	(void)stage;
	if (driver_weights_check(w, e) == -1)
		return -1;
	return toy_begin(d, TOY_APPLY, w, cb, arg, e);
}

static int
toy_read_back(struct driver *d, driver_cb cb, void *arg, struct err *e)
{
	return toy_begin(d, TOY_READ, (struct weights){ 0, 0 }, cb, arg, e);
}

static void
toy_describe(const struct driver *d, char *buf, size_t len)
{
	(void)d;
	snprintf(buf, len, "toy");
}

static const struct field toy_fields[] = {
	FLD("backend", F_STR, struct toy_settings, backend),
	FLDBD("start", F_INT, struct toy_settings, start, 0, 100, 0),
	FLDBD("deadline", F_DUR, struct toy_settings, deadline_ms, TIMEOUT_LO,
	      TIMEOUT_HI, 4321),
	FEND
};

static int
toy_plan_check(const struct plan_check *pc, const void *settings)
{
	static const char *const req[] = { "backend", NULL };
	const struct toy_settings *t = settings;

	if (plan_check_require(pc, req, NULL) == -1)
		return -1;
	if (strcmp(t->backend, "apisix") == 0)
		return plan_check_fail(pc, "backend", "the toy cannot send "
				       "Istio's share to apisix");
	return 0;
}

static int64_t
toy_deadline(const struct plan *p)
{
	const struct toy_settings *t = p->traffic.settings;

	return t->deadline_ms;
}

static const struct driver_ops toy_driver = {
	.name = "toy",
	.kind = TOY_KIND,
	.deadline = toy_deadline,
	.init = toy_init,
	.apply = toy_apply,
	.read_back = toy_read_back,
	.describe = toy_describe,
	.plan_fields = toy_fields,
	.plan_size = sizeof(struct toy_settings),
	.plan_check = toy_plan_check,
};

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

/* Turn the loop until the answer comes, a bounded number of times. */
static void
wait_answer(struct loop *l, const struct got *g)
{
	for (int i = 0; i < 100 && g->calls == 0; i++)
		loop_run_once(l, 10);
	cr_assert_eq(g->calls, 1);
}

#define TOY_PLAN "traffic:\n  driver: toy\n  toy:\n    backend: mesh\n" \
	"    start: 20\n"

static int
load(struct plan *p, const char *text, struct err *e)
{
	err_clear(e);
	return plan_load_buffer(p, text, strlen(text), "t.yaml", e);
}

Test(driver, a_toy_driver_registered_in_the_table_works_end_to_end)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct loop *l = loop_new(&clock_system);
	struct driver d;
	struct got g = { 0 };
	struct err e;
	struct toy_priv *x;

	setenv("HOME", "/nonexistent-home", 1);

	err_clear(&e);
	/* Unknown until registered; registered once. */
	cr_assert_eq(load(p, TOY_PLAN, &e), -1);
	cr_assert_str_eq(e.msg, "unknown key 'toy' in traffic (expected one "
	    "of: driver, readback_interval, exec, route53, cloudflare, kubernetes)");
	cr_assert_eq(driver_register(&toy_driver, &e), 0, "%s", e.msg);
	cr_assert_eq(driver_register(&toy_driver, &e), -1);
	cr_assert_eq(driver_register(&exec_driver, &e), -1);
	cr_assert_eq(driver_find(TOY_KIND), &toy_driver);
	cr_assert_eq(driver_find(DRIVER_ROUTE53), &route53_driver);

	/* The plan file names it and fills its settings. */
	cr_assert_eq(load(p, TOY_PLAN, &e), 0, "%s", e.msg);
	cr_assert_eq(p->traffic.driver, TOY_KIND);
	cr_assert_str_eq(plan_driver_name(p->traffic.driver), "toy");
	cr_assert_eq(cmd_deadline(p), 4321 + 5000);

	err_clear(&e);
	cr_assert_eq(driver_init(&d, p, l, NULL, NULL, &e), 0, "%s", e.msg);
	cr_assert(driver_present(&d));
	cr_assert(driver_can_read_back(&d));
	x = d.priv;
	cr_assert_eq(x->in_force.istio, 20, "start: 20 from the plan");

	cr_assert_eq(driver_apply(&d, (struct weights){ 30, 70 }, 1, got_cb,
	    &g, &e), 0, "%s", e.msg);
	/* One step at a time; the refusal keeps the caller's slot. */
	cr_assert_eq(driver_read_back(&d, got_cb, NULL, &e), -1);
	cr_assert_not_null(strstr(e.msg, "busy"));
	wait_answer(l, &g);
	cr_assert(g.r.ok);
	cr_assert_eq(g.r.weights.istio, 30);
	/* driver_answer scrubbed what the backend said. */
	cr_assert_null(strchr(g.r.message, '\x1b'), "%s", g.r.message);
	cr_assert_eq(x->ends, 1);
	cr_assert_eq(x->cancels, 0);
	cr_assert_not(driver_job_busy(&x->job));

	memset(&g, 0, sizeof(g));
	cr_assert_eq(driver_read_back(&d, got_cb, &g, &e), 0, "%s", e.msg);
	wait_answer(l, &g);
	cr_assert(g.r.have_weights);
	cr_assert_eq(g.r.weights.istio, 30);
	cr_assert_eq(g.r.weights.apisix, 70);

	/* Refused weights never reach the backend. */
	cr_assert_eq(driver_apply(&d, (struct weights){ 60, 60 }, 2, got_cb,
	    &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "sum to 100"), "%s", e.msg);

	/* Cancelled (the driver has no cancel of its own: its job is
	 * cancelled): no answer follows, the timer is gone. */
	memset(&g, 0, sizeof(g));
	cr_assert_eq(driver_apply(&d, (struct weights){ 50, 50 }, 2, got_cb,
	    &g, &e), 0);
	driver_cancel(&d);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 1);
	cr_assert_eq(g.calls, 0);
	cr_assert_null(x->job.timer);
	cr_assert_eq(x->cancels, 1);
	cr_assert_not(driver_job_busy(&x->job));

	driver_done(&d);	/* no done: driver.c frees the priv */
	loop_free(l);
	plan_done(p);
	free(p);
}

static void
count_toy_key(const char *section, const char *key, void *arg)
{
	int *n = arg;

	if ((strcmp(section, "traffic") == 0 && strcmp(key, "toy") == 0) ||
	    (strcmp(section, "traffic.toy") == 0 &&
	     (strcmp(key, "backend") == 0 || strcmp(key, "start") == 0 ||
	      strcmp(key, "deadline") == 0)))
		(*n)++;
}

/* Its section is read, checked, defaulted, printed and listed through
 * the tables, like a built-in driver's. */
Test(driver, a_toy_driver_brings_its_plan_section)
{
	static const struct {
		const char *yaml, *msg;
	} bad[] = {
		{ "traffic:\n  driver: toy\n  toy:\n    start: 20\n",
		  "t.yaml:3:3: missing required key 'backend' in traffic.toy" },
		{ "traffic:\n  driver: toy\n  toy:\n    backend: apisix\n",
		  "t.yaml:4:14: the toy cannot send Istio's share to apisix" },
		{ "traffic:\n  driver: toy\n  toy:\n    backend: b\n"
		  "    nope: 1\n",
		  "t.yaml:5:5: unknown key 'nope' in traffic.toy (expected one "
		  "of: backend, start, deadline)" },
		{ "traffic:\n  driver: toy\n  toy:\n    backend: b\n"
		  "    start: 101\n",
		  "t.yaml:5:12: 'start' must be between 0 and 100, got 101" },
		{ "traffic:\n  driver: toy\n",
		  "t.yaml:2:11: driver toy needs a section 'toy' in traffic" },
		{ "traffic:\n  driver: exec\n  exec: {set: [a]}\n"
		  "  toy: {backend: b}\n",
		  "t.yaml:4:3: section 'toy' given but driver is exec" },
	};
	struct plan p;
	struct err e;
	char *text = NULL, buf[512];
	size_t len = 0;
	int n = 0;
	FILE *f;

	setenv("HOME", "/nonexistent-home", 1);
	cr_assert_eq(driver_register(&toy_driver, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(load(&p, bad[i].yaml, &e), -1, "%s", bad[i].yaml);
		cr_expect_str_eq(err_str(&e, buf, sizeof(buf)), bad[i].msg);
	}

	cr_assert_eq(load(&p, "traffic:\n  driver: toy\n  toy:\n"
	    "    backend: b\n    deadline: 2m\n", &e), 0, "%s", e.msg);
	cr_assert_eq(((struct toy_settings *)p.traffic.settings)->start, 0);
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	plan_print(&p, f);
	fclose(f);
	cr_expect_not_null(strstr(text, "\ntraffic.driver: toy\n"
	    "traffic.readback_interval: 1m\ntraffic.toy.backend: b\ntraffic.toy.start: 0\n"
	    "traffic.toy.deadline: 2m\nqueries."), "%s", text);
	free(text);
	plan_done(&p);

	/* The keys the man page check walks. */
	plan_schema_keys(count_toy_key, &n);
	cr_expect_eq(n, 4);
}
