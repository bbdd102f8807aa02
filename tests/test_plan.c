/*
 * test_plan — the plan file: value parsers, defaults, every key read back,
 * the driver sections, and the data-driven bad cases under
 * tests/fixtures/plans/bad/<case>/{cutover.yaml,expected}.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drivers/driver_cloudflare.h"
#include "drivers/driver_exec.h"
#include "drivers/driver_kube.h"
#include "drivers/driver_route53.h"
#include "plan.h"
#include "xmalloc.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static const char *
srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s != NULL && s[0] != '\0' ? s : TOP_SRCDIR;
}

static char *
fixture(const char *rel)
{
	return xasprintf("%s/tests/fixtures/plans/%s", srcdir(), rel);
}

/* Load a plan from a string; asserts success. */
static void
load_ok(struct plan *p, const char *text)
{
	struct err e;
	char buf[1024];

	err_clear(&e);
	if (plan_load_buffer(p, text, strlen(text), "t.yaml", &e) != 0)
		cr_assert_fail("plan did not load: %s",
			       err_str(&e, buf, sizeof(buf)));
}

/* Load a plan that must fail; returns "t.yaml:L:C: msg" in buf. */
static const char *
load_bad(const char *text, char *buf, size_t len)
{
	struct plan p;
	struct err e;

	err_clear(&e);
	cr_assert_eq(plan_load_buffer(&p, text, strlen(text), "t.yaml", &e),
		     -1, "plan loaded but should not: %s", text);
	/* A failed load leaves nothing to free, and plan_done is harmless. */
	cr_assert_null(p.name);
	cr_assert_null(p.groups);
	plan_done(&p);
	return err_str(&e, buf, len);
}

static void
setup_env(void)
{
	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	setenv("HOME", "/home/op", 1);
}

/* ---------------------------------------------------------------- values */

Test(plan_values, durations)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
		{ "0", 0 },
		{ "250ms", 250 },
		{ "30s", 30000 },
		{ "5m", 300000 },
		{ "1h", 3600000 },
		{ "1h30m", 5400000 },
		{ "2h3m4s5ms", 7384005 },
		{ "0s", 0 },
		{ "90s", 90000 },
	};
	static const char *const bad[] = {
		"", "30", "5x", "-1m", "1h30", "1.5h", "h", "m5", " 5m", "5m ",
		"5 m", "+5m", "99999999999999999999h", "9223372036854775807h",
		"1d", "5M", "0x10s", "ms",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t ms = -1;

		cr_assert_eq(plan_parse_duration(good[i].s, &ms), 0, "%s",
			     good[i].s);
		cr_assert_eq(ms, good[i].ms, "%s: %lld", good[i].s,
			     (long long)ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = 42;

		cr_assert_eq(plan_parse_duration(bad[i], &ms), -1, "'%s'",
			     bad[i]);
		cr_assert_eq(ms, 42, "output touched on failure: '%s'", bad[i]);
	}
	cr_assert_eq(plan_parse_duration(NULL, &(int64_t){ 0 }), -1);
}

Test(plan_values, percents)
{
	static const struct {
		const char *s;
		double frac;
	} good[] = {
		{ "0%", 0.0 },   { "0.5%", 0.005 }, { "1%", 0.01 },
		{ "99.9%", 0.999 }, { "100%", 1.0 }, { ".5%", 0.005 },
		{ "10.%", 0.10 },
	};
	static const char *const bad[] = {
		"", "1", "0.5", "-1%", "101%", "100.01%", "%", "1%%", "1 %",
		"abc%", "1e2%", "nan%", "inf%", "+1%", " 1%", "1%x",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		double f = -1;

		cr_assert_eq(plan_parse_percent(good[i].s, &f), 0, "%s",
			     good[i].s);
		cr_assert_float_eq(f, good[i].frac, 1e-12, "%s", good[i].s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double f = 42;

		cr_assert_eq(plan_parse_percent(bad[i], &f), -1, "'%s'", bad[i]);
		cr_assert_eq(f, 42);
	}
}

Test(plan_values, driver_names)
{
	cr_assert_str_eq(plan_driver_name(DRIVER_NONE), "none");
	cr_assert_str_eq(plan_driver_name(DRIVER_EXEC), "exec");
	cr_assert_str_eq(plan_driver_name(DRIVER_ROUTE53), "route53");
	cr_assert_str_eq(plan_driver_name(DRIVER_CLOUDFLARE), "cloudflare");
	cr_assert_str_eq(plan_driver_name(DRIVER_KUBERNETES), "kubernetes");
	cr_assert_str_eq(plan_driver_name(DRIVER_DEMO), "demo");
	cr_assert_str_eq(plan_query_key(Q_ISTIO_ERROR_RATE),
			 "istio_error_rate");
	cr_assert_str_eq(plan_query_key(Q_APISIX_RPS), "apisix_request_rate");
}

/* -------------------------------------------------------------- defaults */

Test(plan_defaults, guide_table, .init = setup_env)
{
	static const int w[] = { 10, 25, 50, 75, 100 };
	static const int64_t hold[] = { 1800000, 1800000, 3600000, 3600000, 0 };
	static const double err[] = { 0.01, 0.01, 0.005, 0.005, 0.001 };
	struct plan p;

	plan_defaults(&p);
	cr_assert_null(p.path);
	cr_assert_str_eq(p.name, "cutover");
	cr_assert_str_eq(p.namespace, "default");
	cr_assert_null(p.host);
	cr_assert_str_eq(p.istio_workload, "istio-ingressgateway");
	cr_assert_str_eq(p.istio_namespace, "istio-system");
	cr_assert_str_eq(p.window, "1m");
	cr_assert_eq(p.refresh_ms, 15000);
	cr_assert_eq(p.nstages, 5);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(p.stages[i].istio, w[i]);
		cr_assert_eq(p.stages[i].hold_ms, hold[i]);
		cr_assert_float_eq(p.stages[i].max_error_rate, err[i], 1e-12);
		cr_assert_float_eq(p.stages[i].max_p95_ms, 2000, 1e-9);
		cr_assert_float_eq(p.stages[i].min_availability, 0.999, 1e-12);
		cr_assert(isnan(p.stages[i].min_mtls));
		cr_assert(isnan(p.stages[i].max_error_delta));
	}
	cr_assert_eq(p.traffic.driver, DRIVER_NONE);
	cr_assert_null(p.traffic.settings);
	/* A driver's settings take their built-in values when chosen. */
	cr_assert_not_null(plan_traffic_use(&p, DRIVER_EXEC));
	cr_assert_eq(p.traffic.driver, DRIVER_EXEC);
	cr_assert_eq(driver_exec_settings(&p)->timeout_ms, 120000);
	cr_assert_null(p.prometheus.url);
	cr_assert_eq(p.prometheus.timeout_ms, 10000);
	cr_assert_eq(p.kubernetes.timeout_ms, 10000);
	cr_assert_eq(p.rollback.automatic, true);
	cr_assert_eq(p.rollback.consecutive, 3);
	cr_assert_eq(p.rollback.on_no_data, NO_DATA_HOLD);
	cr_assert_eq(p.rollback.verify_timeout_ms, 300000);
	cr_assert_float_eq(p.rollback.verify_max_istio_rps, 0.5, 1e-12);
	cr_assert_float_eq(p.gates.min_request_rate, 0.1, 1e-12);
	cr_assert_eq(p.gates.max_age_ms, 30000);
	cr_assert_eq(p.gates.settle_ms, 300000);
	cr_assert_float_eq(p.gates.max_split_diff, 0.10, 1e-12);

	cr_assert_eq(p.ngroups, 3);
	cr_assert_str_eq(p.groups[0].name, "istio-ingressgateway");
	cr_assert_str_eq(p.groups[0].namespace, "istio-system");
	cr_assert_str_eq(p.groups[0].selector, "app=istio-ingressgateway");
	cr_assert_eq(p.groups[0].min_ready, 3);
	cr_assert_eq(p.groups[0].side, SIDE_ISTIO);
	cr_assert_str_eq(p.groups[1].namespace, "apisix");
	cr_assert_str_eq(p.groups[1].selector, "app.kubernetes.io/name=apisix");
	cr_assert_eq(p.groups[1].min_ready, 1);
	cr_assert_eq(p.groups[1].side, SIDE_APISIX);
	cr_assert_str_eq(p.groups[2].namespace, "default");
	cr_assert_str_eq(p.groups[2].selector, "");
	cr_assert_eq(p.groups[2].sidecar_required, true);
	cr_assert_eq(p.groups[2].side, SIDE_NONE);

	cr_assert_str_eq(p.state_file, "/xdg/state/cutover/cutover.state.json");
	cr_assert_str_eq(p.audit_log, "/xdg/state/cutover/cutover.audit.jsonl");
	plan_done(&p);
	plan_done(&p);	/* twice is harmless */
}

Test(plan_defaults, queries, .init = setup_env)
{
	struct plan p;
	char *q;

	plan_defaults(&p);
	for (int i = 0; i < Q_COUNT; i++) {
		cr_assert_not_null(p.queries[i].promql);
		cr_assert(strstr(p.queries[i].promql, "{window}") != NULL);
	}
	cr_assert_eq(p.queries[Q_ISTIO_ERROR_RATE].side, SIDE_ISTIO);
	cr_assert_eq(p.queries[Q_ISTIO_ERROR_RATE].ratio, true);
	cr_assert_eq(p.queries[Q_ISTIO_P95].ratio, false);
	cr_assert_eq(p.queries[Q_APISIX_ERROR_RATE].side, SIDE_APISIX);

	q = plan_query_text(&p, Q_ISTIO_ERROR_RATE);
	cr_assert_str_eq(q,
	    "(sum(rate(istio_requests_total{reporter=\"source\","
	    "source_workload=\"istio-ingressgateway\","
	    "source_workload_namespace=\"istio-system\","
	    "response_code=~\"5..\"}[1m])) or vector(0)) / "
	    "sum(rate(istio_requests_total{reporter=\"source\","
	    "source_workload=\"istio-ingressgateway\","
	    "source_workload_namespace=\"istio-system\"}[1m]))");
	free(q);
	q = plan_query_text(&p, Q_ISTIO_P95);
	cr_assert(strstr(q, "histogram_quantile(0.95, sum by (le)(rate("
			    "istio_request_duration_milliseconds_bucket{") ==
		  q);
	free(q);
	q = plan_query_text(&p, Q_MTLS_COVERAGE);
	cr_assert(strstr(q, "connection_security_policy=\"mutual_tls\"") != NULL);
	cr_assert(strstr(q, "reporter=\"destination\"") != NULL);
	cr_assert(strstr(q, "destination_workload_namespace=\"default\"") !=
		  NULL);
	cr_assert(strstr(q, "or vector(0)") != NULL);
	free(q);
	q = plan_query_text(&p, Q_APISIX_ERROR_RATE);
	cr_assert_str_eq(q, "(sum(rate(apisix_http_status{code=~\"5..\"}[1m]))"
			    " or vector(0)) / sum(rate(apisix_http_status[1m]))");
	free(q);
	q = plan_query_text(&p, Q_APISIX_P95);
	cr_assert(strstr(q, "apisix_http_latency_bucket{type=\"request\"}[1m]") !=
		  NULL);
	free(q);
	q = plan_query_text(&p, Q_ISTIO_AVAILABILITY);
	cr_assert(strstr(q, "response_code!~\"5..\"") != NULL);
	free(q);
	/* No placeholder survives expansion. */
	for (int i = 0; i < Q_COUNT; i++) {
		q = plan_query_text(&p, (enum query_id)i);
		cr_assert(strstr(q, "{window}") == NULL);
		cr_assert(strstr(q, "{namespace}") == NULL);
		cr_assert(strstr(q, "{istio_workload}") == NULL);
		cr_assert(strstr(q, "{istio_namespace}") == NULL);
		free(q);
	}
	plan_done(&p);
}

Test(plan_defaults, query_text_placeholders, .init = setup_env)
{
	struct plan p;
	char *q;

	load_ok(&p, "namespace: shop\nistio_workload: gw\n"
		    "istio_namespace: gws\nqueries:\n  window: 5m\n"
		    "  istio_request_rate: 'x{namespace}{istio_workload}"
		    "{istio_namespace}[{window}]{le}{'\n");
	q = plan_query_text(&p, Q_ISTIO_RPS);
	cr_assert_str_eq(q, "xshopgwgws[5m]{le}{");
	free(q);
	plan_done(&p);
}

/* ------------------------------------------------------------ read back */

Test(plan_load, full_plan_every_key, .init = setup_env)
{
	struct plan p;
	struct err e;
	char buf[1024], *path = fixture("good/full.yaml");
	char *q;

	err_clear(&e);
	if (plan_load(&p, path, &e) != 0)
		cr_assert_fail("%s", err_str(&e, buf, sizeof(buf)));
	cr_assert_str_eq(p.path, path);
	free(path);
	cr_assert_str_eq(p.name, "shop-eu.1");
	cr_assert_str_eq(p.namespace, "shop");
	cr_assert_str_eq(p.host, "shop.example.com");
	cr_assert_str_eq(p.istio_workload, "edge-gw");
	cr_assert_str_eq(p.istio_namespace, "gw-system");
	cr_assert_eq(p.refresh_ms, 20000);
	cr_assert_str_eq(p.state_file, "/var/lib/cutover/shop.state.json");
	cr_assert_str_eq(p.audit_log, "/var/log/cutover/shop.audit.jsonl");

	cr_assert_str_eq(p.prometheus.url,
			 "https://mimir.example.com/prometheus");
	cr_assert_eq(p.prometheus.nheaders, 1);
	cr_assert_str_eq(p.prometheus.headers[0].name, "X-Scope-OrgID");
	cr_assert_str_eq(p.prometheus.headers[0].value, "shop");
	cr_assert_str_eq(p.prometheus.bearer_token_file,
			 "/run/secrets/prom-token");
	cr_assert_null(p.prometheus.basic_user);
	cr_assert_str_eq(p.prometheus.ca_file, "/etc/ssl/mimir-ca.pem");
	cr_assert_eq(p.prometheus.insecure, true);
	cr_assert_eq(p.prometheus.timeout_ms, 7000);
	cr_assert_str_eq(p.kubernetes.kubeconfig, "/etc/cutover/kubeconfig");
	cr_assert_str_eq(p.kubernetes.context, "prod");
	cr_assert_eq(p.kubernetes.timeout_ms, 3000);

	cr_assert_eq(p.traffic.driver, DRIVER_EXEC);
	cr_assert_eq(driver_exec_settings(&p)->set.argc, 5);
	cr_assert_str_eq(driver_exec_settings(&p)->set.argv[0], "./shift.sh");
	cr_assert_str_eq(driver_exec_settings(&p)->set.argv[2], "{istio}");
	cr_assert_str_eq(driver_exec_settings(&p)->set.argv[4], "{stage}");
	cr_assert_null(driver_exec_settings(&p)->set.argv[5]);
	cr_assert_eq(driver_exec_settings(&p)->get.argc, 2);
	cr_assert_str_eq(driver_exec_settings(&p)->get.argv[1], "weights");
	cr_assert_null(driver_exec_settings(&p)->get.argv[2]);
	cr_assert_eq(driver_exec_settings(&p)->timeout_ms, 90000);

	cr_assert_str_eq(p.window, "2m");
	q = plan_query_text(&p, Q_ISTIO_ERROR_RATE);
	cr_assert_str_eq(q, "sum(rate(my_errors{ns=\"shop\"}[2m])) or vector(0)");
	free(q);
	cr_assert_str_eq(p.queries[Q_APISIX_P95].promql, "my_apisix_p95");
	cr_assert_eq(p.queries[Q_APISIX_P95].side, SIDE_APISIX);
	q = plan_query_text(&p, Q_ISTIO_RPS);
	cr_assert(strstr(q, "source_workload=\"edge-gw\","
			    "source_workload_namespace=\"gw-system\"") != NULL);
	cr_assert(strstr(q, "[2m]") != NULL);
	free(q);

	cr_assert_eq(p.ngroups, 2);
	cr_assert_str_eq(p.groups[0].name, "gw");
	cr_assert_str_eq(p.groups[0].namespace, "gw-system");
	cr_assert_str_eq(p.groups[0].selector, "app=edge-gw");
	cr_assert_eq(p.groups[0].min_ready, 4);
	cr_assert_eq(p.groups[0].side, SIDE_ISTIO);
	cr_assert_eq(p.groups[0].sidecar_required, false);
	cr_assert_str_eq(p.groups[1].name, "app");
	cr_assert_str_eq(p.groups[1].namespace, "shop");
	cr_assert_str_eq(p.groups[1].selector, "");
	cr_assert_eq(p.groups[1].min_ready, 0);
	cr_assert_eq(p.groups[1].sidecar_required, true);
	cr_assert_eq(p.groups[1].side, SIDE_NONE);

	cr_assert_eq(p.nstages, 3);
	cr_assert_eq(p.stages[0].istio, 5);
	cr_assert_eq(p.stages[0].hold_ms, 5400000);
	cr_assert_float_eq(p.stages[0].max_error_rate, 0.02, 1e-12);
	cr_assert_float_eq(p.stages[0].max_p95_ms, 1500, 1e-9);
	cr_assert_float_eq(p.stages[0].min_availability, 0.995, 1e-12);
	cr_assert_float_eq(p.stages[0].min_mtls, 0.90, 1e-12);
	cr_assert_float_eq(p.stages[0].max_error_delta, 0.005, 1e-12);
	cr_assert_eq(p.stages[1].istio, 20);
	cr_assert_eq(p.stages[1].hold_ms, 600000);
	cr_assert_float_eq(p.stages[1].max_error_rate, 0.0025, 1e-12);
	cr_assert_float_eq(p.stages[1].max_p95_ms, 800, 1e-9);
	cr_assert_float_eq(p.stages[1].min_mtls, 0.90, 1e-12);
	cr_assert_eq(p.stages[2].istio, 100);
	cr_assert_eq(p.stages[2].hold_ms, 0, "the last stage watches on");
	cr_assert_float_eq(p.stages[2].max_error_rate, 0.02, 1e-12);

	cr_assert_float_eq(p.gates.min_request_rate, 2.5, 1e-12);
	cr_assert_eq(p.gates.max_age_ms, 60000);
	cr_assert_eq(p.gates.settle_ms, 120000);
	cr_assert_float_eq(p.gates.max_split_diff, 0.05, 1e-12);
	cr_assert_eq(p.rollback.automatic, false);
	cr_assert_eq(p.rollback.consecutive, 5);
	cr_assert_eq(p.rollback.on_no_data, NO_DATA_ROLLBACK);
	cr_assert_eq(p.rollback.verify_timeout_ms, 900000);
	cr_assert_float_eq(p.rollback.verify_max_istio_rps, 1.5, 1e-12);

	/* A changed refresh does not move a max_age the file gave. */
	p.refresh_ms = 60000;
	cr_assert_eq(plan_finish(&p, &e), 0);
	cr_assert_eq(p.gates.max_age_ms, 60000);
	cr_assert_str_eq(p.state_file, "/var/lib/cutover/shop.state.json");
	plan_done(&p);
}

Test(plan_load, driver_route53, .init = setup_env)
{
	struct plan p;
	struct err e;
	char *path = fixture("good/route53.yaml");
	const struct plan_route53 *r;

	err_clear(&e);
	cr_assert_eq(plan_load(&p, path, &e), 0, "%s", e.msg);
	free(path);
	cr_assert_eq(p.traffic.driver, DRIVER_ROUTE53);
	r = driver_route53_settings(&p);
	cr_assert_str_eq(r->hosted_zone_id, "Z0123456789ABC");
	cr_assert_str_eq(r->record_name, "api.example.com");
	cr_assert_str_eq(r->record_type, "AAAA");
	cr_assert_str_eq(r->istio_set_id, "istio");
	cr_assert_str_eq(r->apisix_set_id, "apisix");
	cr_assert_str_eq(r->istio_alias_dns,
			 "istio-lb-1.elb.eu-west-1.amazonaws.com");
	cr_assert_str_eq(r->istio_alias_zone, "Z32O12XQLNTSW2");
	cr_assert_str_eq(r->apisix_alias_dns,
			 "apisix-lb-1.elb.eu-west-1.amazonaws.com");
	cr_assert_str_eq(r->apisix_alias_zone, "Z32O12XQLNTSW2");
	cr_assert_eq(r->evaluate_target_health, true);
	cr_assert_str_eq(r->endpoint, "http://127.0.0.1:9999");
	cr_assert_str_eq(r->profile, "prod");
	cr_assert_eq(r->timeout_ms, 20000);
	cr_assert_eq(r->insync_timeout_ms, 180000);
	plan_done(&p);

	load_ok(&p, "traffic:\n  driver: route53\n  route53:\n"
		    "    hosted_zone_id: Z1\n    record_name: a.example.com\n"
		    "    istio_set_identifier: i\n"
		    "    apisix_set_identifier: a\n");
	r = driver_route53_settings(&p);
	cr_assert_str_eq(r->record_type, "A");
	cr_assert_str_eq(r->endpoint, "https://route53.amazonaws.com");
	cr_assert_str_eq(r->profile, "default");
	cr_assert_eq(r->evaluate_target_health, false);
	cr_assert_null(r->istio_alias_dns);
	plan_done(&p);
}

Test(plan_load, driver_cloudflare, .init = setup_env)
{
	struct plan p;
	struct err e;
	char *path = fixture("good/cloudflare-pool.yaml");
	const struct plan_cloudflare *c;

	err_clear(&e);
	cr_assert_eq(plan_load(&p, path, &e), 0, "%s", e.msg);
	free(path);
	cr_assert_eq(p.traffic.driver, DRIVER_CLOUDFLARE);
	c = driver_cloudflare_settings(&p);
	cr_assert_str_eq(c->account_id, "0123abcd");
	cr_assert_str_eq(c->pool_id, "pool-1");
	cr_assert_str_eq(c->istio_origin, "istio");
	cr_assert_str_eq(c->apisix_origin, "apisix");
	cr_assert_null(c->zone_id);
	cr_assert_str_eq(c->token_file, "/home/op/.config/cutover/cf-token",
			 "~/ is expanded");
	cr_assert_str_eq(c->endpoint, "https://api.cloudflare.com/client/v4");
	cr_assert_eq(c->timeout_ms, 10000);
	plan_done(&p);

	path = fixture("good/cloudflare-lb.yaml");
	cr_assert_eq(plan_load(&p, path, &e), 0, "%s", e.msg);
	free(path);
	c = driver_cloudflare_settings(&p);
	cr_assert_str_eq(c->zone_id, "zone-1");
	cr_assert_str_eq(c->load_balancer_id, "lb-1");
	cr_assert_str_eq(c->istio_pool, "pool-istio");
	cr_assert_str_eq(c->apisix_pool, "pool-apisix");
	cr_assert_null(c->pool_id);
	cr_assert_null(c->token_file);
	cr_assert_str_eq(c->endpoint, "https://cf.example.com/client/v4");
	cr_assert_eq(c->timeout_ms, 5000);
	plan_done(&p);
}

Test(plan_load, driver_kubernetes, .init = setup_env)
{
	struct plan p;
	struct err e;
	char *path = fixture("good/kubernetes.yaml");
	const struct plan_kube_route *k;

	err_clear(&e);
	cr_assert_eq(plan_load(&p, path, &e), 0, "%s", e.msg);
	free(path);
	cr_assert_eq(p.traffic.driver, DRIVER_KUBERNETES);
	k = driver_kube_settings(&p);
	cr_assert_str_eq(k->kind, "HTTPRoute");
	cr_assert_str_eq(k->namespace, "edge");
	cr_assert_str_eq(k->name, "api");
	cr_assert_str_eq(k->istio_backend, "istio-ingressgateway");
	cr_assert_str_eq(k->apisix_backend, "apisix-gateway");
	cr_assert_eq(k->timeout_ms, 4000);
	plan_done(&p);
}

Test(plan_load, driver_exec_minimal, .init = setup_env)
{
	struct plan p;

	load_ok(&p, "traffic:\n  exec: {set: [a, '{istio}']}\n  driver: exec\n");
	cr_assert_eq(p.traffic.driver, DRIVER_EXEC);
	cr_assert_eq(driver_exec_settings(&p)->set.argc, 2);
	cr_assert_eq(driver_exec_settings(&p)->get.argc, 0);
	cr_assert_null(driver_exec_settings(&p)->get.argv);
	cr_assert_eq(driver_exec_settings(&p)->timeout_ms, 120000);
	plan_done(&p);
}

Test(plan_load, prometheus_basic_auth, .init = setup_env)
{
	struct plan p;
	char buf[1024];

	load_ok(&p, "prometheus:\n  url: http://127.0.0.1:9090/\n"
		    "  basic_auth:\n    username: '123'\n"
		    "    password_file: ~/pw\n");
	cr_assert_str_eq(p.prometheus.basic_user, "123");
	cr_assert_str_eq(p.prometheus.basic_password_file, "/home/op/pw");
	plan_done(&p);
	cr_assert(strstr(load_bad("prometheus:\n  basic_auth:\n"
				  "    username: u\n", buf, sizeof(buf)),
			 "t.yaml:2:3: missing required key 'password_file'") ==
		  buf, "%s", buf);
}

Test(plan_load, example_file_loads, .init = setup_env)
{
	struct plan p;
	struct err e;
	char buf[1024];
	char *path = xasprintf("%s/examples/cutover.yaml", srcdir());

	err_clear(&e);
	if (plan_load(&p, path, &e) != 0)
		cr_assert_fail("%s", err_str(&e, buf, sizeof(buf)));
	free(path);
	cr_assert_str_eq(p.name, "voiceassistant-prod");
	cr_assert_str_eq(p.namespace, "voiceassistant-prod");
	cr_assert_str_eq(p.host, "api.voiceassistant.com");
	cr_assert_str_eq(p.prometheus.url,
			 "http://prometheus.monitoring.svc:9090");
	cr_assert_eq(p.traffic.driver, DRIVER_EXEC);
	cr_assert_str_eq(driver_exec_settings(&p)->set.argv[0],
			 "./migrate-apisix-to-istio.sh");
	cr_assert_str_eq(driver_exec_settings(&p)->set.argv[1], "canary");
	cr_assert_str_eq(driver_exec_settings(&p)->set.argv[2], "{istio}");
	cr_assert_eq(p.nstages, 5);
	cr_assert_eq(p.stages[2].istio, 50);
	cr_assert_eq(p.stages[2].hold_ms, 3600000);
	cr_assert_float_eq(p.stages[4].max_error_rate, 0.001, 1e-12);
	cr_assert_eq(p.stages[4].hold_ms, 0);
	cr_assert_str_eq(p.state_file,
			 "/xdg/state/cutover/voiceassistant-prod.state.json");
	plan_done(&p);
}

Test(plan_load, good_fixtures_load, .init = setup_env)
{
	char *dir = fixture("good");
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct plan p;
		struct err e;
		char buf[1024], *path;

		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		err_clear(&e);
		if (plan_load(&p, path, &e) != 0)
			cr_assert_fail("%s", err_str(&e, buf, sizeof(buf)));
		plan_done(&p);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	cr_assert_geq(n, 5);
}

/* --------------------------------------------------------------- stages */

Test(plan_stages, defaults_over_guide_table, .init = setup_env)
{
	struct plan p;

	load_ok(&p, "stage_defaults:\n  hold: 5m\n  min_mtls: 95%\n");
	cr_assert_eq(p.nstages, 5);
	cr_assert_eq(p.stages[0].hold_ms, 300000);
	cr_assert_eq(p.stages[3].hold_ms, 300000);
	cr_assert_eq(p.stages[4].hold_ms, 0, "last stage keeps no hold");
	cr_assert_float_eq(p.stages[2].max_error_rate, 0.005, 1e-12);
	cr_assert_float_eq(p.stages[0].min_mtls, 0.95, 1e-12);
	cr_assert(isnan(p.stages[0].max_error_delta));
	plan_done(&p);
}

Test(plan_stages, user_stages_built_in_thresholds, .init = setup_env)
{
	struct plan p;

	load_ok(&p, "stages:\n  - istio: 1\n  - istio: 2\n    hold: 1s\n"
		    "  - {istio: 3, hold: 2h}\n");
	cr_assert_eq(p.nstages, 3);
	cr_assert_eq(p.stages[0].hold_ms, 1800000);
	cr_assert_float_eq(p.stages[0].max_error_rate, 0.01, 1e-12);
	cr_assert_float_eq(p.stages[0].max_p95_ms, 2000, 1e-9);
	cr_assert_float_eq(p.stages[0].min_availability, 0.999, 1e-12);
	cr_assert(isnan(p.stages[0].min_mtls));
	cr_assert_eq(p.stages[1].hold_ms, 1000);
	cr_assert_eq(p.stages[2].hold_ms, 7200000, "explicit hold is kept");
	plan_done(&p);
}

Test(plan_stages, limits, .init = setup_env)
{
	struct plan p;
	char text[4096], buf[1024];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "stages:\n");
	for (int i = 1; i <= PLAN_STAGES_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "  - istio: %d\n", i * 3);
	load_ok(&p, text);
	cr_assert_eq(p.nstages, PLAN_STAGES_MAX);
	cr_assert_eq(p.stages[PLAN_STAGES_MAX - 1].istio, 96);
	plan_done(&p);
	snprintf(text + n, sizeof(text) - n, "  - istio: 99\n");
	cr_assert(strstr(load_bad(text, buf, sizeof(buf)),
			 "too many stages (33; at most 32)") != NULL, "%s", buf);
	load_ok(&p, "stages: [{istio: 100}]\n");
	cr_assert_eq(p.nstages, 1);
	cr_assert_eq(p.stages[0].hold_ms, 0);
	plan_done(&p);
}

Test(plan_stages, fingerprint, .init = setup_env)
{
	struct plan a, b;
	char fa[17], fb[17];

	plan_defaults(&a);
	plan_fingerprint(&a, fa);
	cr_assert_eq(strlen(fa), 16);
	for (int i = 0; i < 16; i++)
		cr_assert(strchr("0123456789abcdef", fa[i]) != NULL);
	load_ok(&b, "name: other\nstage_defaults: {max_error_rate: 5%}\n");
	plan_fingerprint(&b, fb);
	cr_assert_str_eq(fa, fb, "thresholds and names do not count");
	plan_done(&b);
	load_ok(&b, "stage_defaults: {hold: 31m}\n");
	plan_fingerprint(&b, fb);
	cr_assert_str_neq(fa, fb, "holds count");
	plan_done(&b);
	load_ok(&b, "stages: [{istio: 10}, {istio: 25}, {istio: 50}, "
		    "{istio: 75}]\n");
	plan_fingerprint(&b, fb);
	cr_assert_str_neq(fa, fb, "the stage list counts");
	plan_done(&b);
	/* FNV-1a 64 over little-endian u32 nstages, u32 istio, u64 hold. */
	b.nstages = 0;
	plan_fingerprint(&b, fb);
	cr_assert_str_eq(fb, "4d25767f9dce13f5");
	b.nstages = 1;
	b.stages[0].istio = 100;
	b.stages[0].hold_ms = 0;
	plan_fingerprint(&b, fb);
	cr_assert_str_eq(fb, "6ac29f4dd55c2700");
	plan_done(&a);
}

/* --------------------------------------------------------------- errors */

Test(plan_errors, unknown_key_position)
{
	char buf[1024];

	cr_assert_str_eq(load_bad("name: x\nstages:\n  - istio: 10\n"
				  "    holds: 30m\n", buf, sizeof(buf)),
			 "t.yaml:4:5: unknown key 'holds' in stage 1 (expected "
			 "one of: istio, hold, max_error_rate, max_p95, "
			 "min_availability, min_mtls, max_error_delta)");
	cr_assert_str_eq(load_bad("gates:\n  settle: 1m\n  max_agee: 1m\n", buf,
				  sizeof(buf)),
			 "t.yaml:3:3: unknown key 'max_agee' in gates (expected "
			 "one of: min_request_rate, max_age, settle, "
			 "max_split_diff)");
	cr_assert(strstr(load_bad("traffic: {driver: exec, exec: {set: [a]}, "
				  "exce: {}}\n", buf, sizeof(buf)),
			 "t.yaml:1:43: unknown key 'exce' in traffic") == buf,
		  "%s", buf);
}

Test(plan_errors, duplicate_key)
{
	char buf[1024];

	cr_assert_str_eq(load_bad("rollback:\n  consecutive: 2\n"
				  "  consecutive: 3\n", buf, sizeof(buf)),
			 "t.yaml:3:3: duplicate key 'consecutive' in rollback "
			 "(first given at line 2)");
	cr_assert(strstr(load_bad("name: a\n'name': b\n", buf, sizeof(buf)),
			 "t.yaml:2:1: duplicate key 'name'") == buf, "%s", buf);
	cr_assert(strstr(load_bad("prometheus:\n  headers:\n    A: x\n"
				  "    a: y\n", buf, sizeof(buf)),
			 "t.yaml:4:5: duplicate key 'a'") == buf, "%s", buf);
}

Test(plan_errors, wrong_types)
{
	char buf[1024];

	cr_assert(strstr(load_bad("stages: {istio: 10}\n", buf, sizeof(buf)),
			 "expected a list for 'stages', got a mapping") != NULL,
		  "%s", buf);
	cr_assert(strstr(load_bad("host: [a, b]\n", buf, sizeof(buf)),
			 "t.yaml:1:7: expected a string for 'host', got a list")
		  == buf, "%s", buf);
	cr_assert(strstr(load_bad("host:\n", buf, sizeof(buf)),
			 "expected a string for 'host', got nothing") != NULL,
		  "%s", buf);
	cr_assert(strstr(load_bad("refresh: {a: 1}\n", buf, sizeof(buf)),
			 "expected a duration") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("gates: {min_request_rate: lots}\n", buf,
				  sizeof(buf)),
			 "expected a number for 'min_request_rate'") != NULL,
		  "%s", buf);
	cr_assert(strstr(load_bad("prometheus: {insecure_skip_verify: 1}\n",
				  buf, sizeof(buf)),
			 "expected true or false") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("? [a]\n: b\n", buf, sizeof(buf)),
			 "expected a key name in top level") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("host: \"a\\0b\"\n", buf, sizeof(buf)),
			 "NUL") != NULL, "%s", buf);
}

Test(plan_errors, semantic)
{
	char buf[1024];

	cr_assert(strstr(load_bad("traffic:\n  driver: route53\n  route53:\n"
				  "    hosted_zone_id: Z1\n"
				  "    record_name: a\n"
				  "    istio_set_identifier: x\n"
				  "    apisix_set_identifier: x\n", buf,
				  sizeof(buf)),
			 "must differ") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("traffic:\n  driver: route53\n  route53:\n"
				  "    hosted_zone_id: Z1\n"
				  "    record_name: a\n"
				  "    istio_set_identifier: i\n"
				  "    apisix_set_identifier: a\n"
				  "    istio_alias_dns_name: lb\n", buf,
				  sizeof(buf)),
			 "missing 'istio_alias_zone_id'") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("pods:\n  - {name: a, selector: x}\n"
				  "  - {name: a, selector: y}\n", buf,
				  sizeof(buf)),
			 "t.yaml:3:12: pod group name 'a' is used twice") == buf,
		  "%s", buf);
	cr_assert(strstr(load_bad("namespace: Prod\n", buf, sizeof(buf)),
			 "invalid namespace 'Prod'") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("prometheus:\n  bearer_token_file: /t\n"
				  "  basic_auth: {username: u, password_file: "
				  "/p}\n", buf, sizeof(buf)),
			 "not both") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("prometheus:\n  headers: {X-A: \"a\\r\\nb\"}\n",
				  buf, sizeof(buf)),
			 "line break") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("queries: {window: 500ms}\n", buf,
				  sizeof(buf)),
			 "whole seconds") != NULL, "%s", buf);
	cr_assert(strstr(load_bad("queries: {istio_p95_ms: ''}\n", buf,
				  sizeof(buf)),
			 "must not be empty") != NULL, "%s", buf);
}

Test(plan_errors, header_value_never_in_message)
{
	char buf[1024];

	load_bad("prometheus:\n  headers:\n    Authorization: [Bearer s3cr3t]\n",
		 buf, sizeof(buf));
	cr_assert(strstr(buf, "s3cr3t") == NULL, "%s", buf);
	cr_assert(strstr(buf, "Authorization") != NULL, "%s", buf);
}

Test(plan_errors, files)
{
	struct plan p;
	struct err e;
	char buf[1024];

	err_clear(&e);
	cr_assert_eq(plan_load(&p, "/nonexistent/cutover.yaml", &e), -1);
	cr_assert(strstr(err_str(&e, buf, sizeof(buf)),
			 "/nonexistent/cutover.yaml: cannot open plan file") ==
		  buf, "%s", buf);
	plan_done(&p);
	cr_assert_eq(plan_load(&p, "/", &e), -1);
	plan_done(&p);
}

Test(plan_errors, no_home)
{
	struct plan p;
	struct err e;
	const char *text;

	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	err_clear(&e);
	cr_assert_eq(plan_load_buffer(&p, "name: x\n", 8, "t.yaml", &e), -1);
	cr_assert(strstr(e.msg, "XDG_STATE_HOME") != NULL, "%s", e.msg);
	text = "name: x\nstate_file: /s\naudit_log: /a\n";
	cr_assert_eq(plan_load_buffer(&p, text, strlen(text), "t.yaml", &e), 0,
		     "%s", e.msg);
	cr_assert_str_eq(p.state_file, "/s");
	cr_assert_str_eq(p.audit_log, "/a");
	plan_done(&p);
}

/* ------------------------------------------------------------- finish */

Test(plan_finish, paths_and_max_age)
{
	struct plan p;
	struct err e;

	setenv("XDG_STATE_HOME", "relative/ignored", 1);
	setenv("HOME", "/home/op", 1);
	plan_defaults(&p);
	cr_assert_str_eq(p.state_file,
			 "/home/op/.local/state/cutover/cutover.state.json");
	cr_assert_str_eq(p.audit_log,
			 "/home/op/.local/state/cutover/cutover.audit.jsonl");
	free(p.name);
	p.name = xstrdup("renamed");
	p.refresh_ms = 5000;
	setenv("XDG_STATE_HOME", "/x", 1);
	err_clear(&e);
	cr_assert_eq(plan_finish(&p, &e), 0);
	cr_assert_str_eq(p.state_file, "/x/cutover/renamed.state.json");
	cr_assert_str_eq(p.audit_log, "/x/cutover/renamed.audit.jsonl");
	cr_assert_eq(p.gates.max_age_ms, 10000);
	plan_done(&p);
}

/* -------------------------------------------------------------- print */

Test(plan_print, settings_without_secrets, .init = setup_env)
{
	struct plan p;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	load_ok(&p, "name: pr\nprometheus:\n  url: http://127.0.0.1:9090\n"
		    "  headers: {Authorization: Bearer s3cr3t}\n"
		    "  bearer_token_file: /run/token\n"
		    "traffic:\n  driver: exec\n  exec:\n"
		    "    set: [./s, '{istio}']\n");
	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	plan_print(&p, f);
	fclose(f);
	cr_assert(strstr(text, "s3cr3t") == NULL, "%s", text);
	cr_assert(strstr(text, "\nprometheus.headers.Authorization: (set, not "
			       "shown)\n") != NULL);
	cr_assert(strstr(text, "\nprometheus.bearer_token_file: /run/token\n")
		  != NULL);
	cr_assert(strstr(text, "\nname: pr\n") != NULL);
	cr_assert(strstr(text, "\ntraffic.driver: exec\n") != NULL);
	cr_assert(strstr(text, "\ntraffic.exec.set: [\"./s\", \"{istio}\"]\n")
		  != NULL);
	cr_assert(strstr(text, "\nstages.1.istio: 10\n") != NULL);
	cr_assert(strstr(text, "\nstages.3.hold: 1h\n") != NULL);
	cr_assert(strstr(text, "\nstages.5.max_error_rate: 0.1%\n") != NULL);
	cr_assert(strstr(text, "\nstages.1.min_mtls: off\n") != NULL);
	cr_assert(strstr(text, "\ngates.max_age: 30s\n") != NULL);
	cr_assert(strstr(text, "\nrollback.on_no_data: hold\n") != NULL);
	cr_assert(strstr(text, "\nstate_file: /xdg/state/cutover/pr.state.json\n")
		  != NULL);
	/* One "key: value" per line. */
	for (char *line = text; *line != '\0';) {
		char *nl = strchr(line, '\n');

		cr_assert_not_null(nl);
		*nl = '\0';
		cr_assert(strstr(line, ": ") != NULL, "line '%s'", line);
		line = nl + 1;
	}
	free(text);
	plan_done(&p);
}

/* ---------------------------------------------------- bad fixtures */

static char *
read_line(const char *path)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return xstrdup(buf);
}

Test(plan_fixtures, bad_cases, .init = setup_env)
{
	char *dir = fixture("bad");
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d, "cannot open %s (set top_srcdir)", dir);
	while ((de = readdir(d)) != NULL) {
		char *yaml, *exp_path, *expected, got[1200], buf[1024];
		const char *base;
		struct plan p;
		struct err e;
		int rc;

		if (de->d_name[0] == '.')
			continue;
		yaml = xasprintf("%s/%s/cutover.yaml", dir, de->d_name);
		exp_path = xasprintf("%s/%s/expected", dir, de->d_name);
		expected = read_line(exp_path);
		cr_assert_not_null(expected, "%s: no expected file", de->d_name);
		cr_assert(expected[0] != '\0', "%s: empty expected", de->d_name);
		err_clear(&e);
		rc = plan_load(&p, yaml, &e);
		if (rc == 0)
			plan_done(&p);
		cr_assert_eq(rc, -1, "%s: loaded but should not", de->d_name);
		cr_assert_null(p.name, "%s: plan not emptied", de->d_name);
		base = strrchr(e.file, '/');
		base = base != NULL ? base + 1 : e.file;
		if (e.line > 0)
			snprintf(got, sizeof(got), "%s:%d:%d: %s", base, e.line,
				 e.column, e.msg);
		else
			snprintf(got, sizeof(got), "%s: %s", base, e.msg);
		cr_assert(strstr(got, expected) != NULL,
			  "%s:\n  got:      %s\n  expected: %s\n  err_str:  %s",
			  de->d_name, got, expected,
			  err_str(&e, buf, sizeof(buf)));
		cr_assert(strchr(e.msg, '\n') == NULL, "%s: multi-line message",
			  de->d_name);
		free(yaml);
		free(exp_path);
		free(expected);
		n++;
	}
	closedir(d);
	free(dir);
	cr_assert_geq(n, 28, "only %d bad cases", n);
}

/*
 * The schema and cutover.yaml(5) list the same keys: each key of a section
 * is set in bold (.B/.BR) under the man page heading for that section, and
 * each key a .TP paragraph documents is in the schema.
 */
static const struct {
	const char *section;	/* plan_schema_keys() section */
	const char *heading;	/* .SH or .SS title in the man page */
} man_sections[] = {
	{ "", "TOP-LEVEL KEYS" },
	{ "prometheus", "PROMETHEUS" },
	{ "prometheus.basic_auth", "PROMETHEUS" },
	{ "kubernetes", "KUBERNETES" },
	{ "traffic", "TRAFFIC" },
	{ "traffic.exec", "traffic.exec" },
	{ "traffic.route53", "traffic.route53" },
	{ "traffic.cloudflare", "traffic.cloudflare" },
	{ "traffic.kubernetes", "traffic.kubernetes" },
	{ "queries", "QUERIES" },
	{ "pods", "PODS" },
	{ "stage_defaults", "STAGES" },
	{ "stages", "STAGES" },
	{ "gates", "GATES AND VERDICTS" },
	{ "rollback", "ROLLBACK" },
	{ "probes", "PROBES" },
	{ "probes.checks", "PROBES" },
	{ "preflight", "PREFLIGHT" },
	{ "guard", "GUARD" },
	{ "notify", "NOTIFY" },
};
#define NMAN_SECTIONS ((int)(sizeof(man_sections) / sizeof(man_sections[0])))

struct man_key {
	char heading[64];
	char key[64];
	bool tp;		/* the first line of a .TP paragraph */
};

struct man_keys {
	struct man_key k[1024];
	int n;
	int unknown;		/* schema sections with no heading */
	int missing;		/* schema keys not in the man page */
};

static const char *
man_heading(const char *section)
{
	for (int i = 0; i < NMAN_SECTIONS; i++)
		if (strcmp(man_sections[i].section, section) == 0)
			return man_sections[i].heading;
	return NULL;
}

static void
man_read(struct man_keys *m)
{
	char *path = xasprintf("%s/man/cutover.yaml.5", srcdir());
	FILE *f = fopen(path, "r");
	char line[512], heading[64] = "";
	bool after_tp = false;

	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *w, *end;
		bool tp = after_tp;

		line[strcspn(line, "\n")] = '\0';
		after_tp = strcmp(line, ".TP") == 0;
		if (strncmp(line, ".SH ", 4) == 0 ||
		    strncmp(line, ".SS ", 4) == 0) {
			w = line + 4;
			w += strspn(w, "\"");
			w[strcspn(w, "\"")] = '\0';
			snprintf(heading, sizeof(heading), "%s", w);
			continue;
		}
		if (strncmp(line, ".B ", 3) == 0)
			w = line + 3;
		else if (strncmp(line, ".BR ", 4) == 0)
			w = line + 4;
		else
			continue;
		/* The first word, and "key:" words after it (.BR a: ", " b:) */
		for (bool first = true; *w != '\0'; first = false, w = end) {
			w += strspn(w, " \",");
			end = w + strcspn(w, " :,\"");
			if (end == w)
				break;
			if (!first && *end != ':')
				continue;
			if (m->n == (int)(sizeof(m->k) / sizeof(m->k[0])))
				break;
			snprintf(m->k[m->n].heading,
				 sizeof(m->k[m->n].heading), "%s", heading);
			snprintf(m->k[m->n].key, sizeof(m->k[m->n].key),
				 "%.*s", (int)(end - w), w);
			m->k[m->n].tp = tp && first;
			m->n++;
			end += strspn(end, ":");
		}
	}
	fclose(f);
	free(path);
}

static void
man_check_key(const char *section, const char *key, void *arg)
{
	struct man_keys *m = arg;
	const char *h = man_heading(section);
	char full[128];

	if (h == NULL) {
		cr_log_error("schema section '%s' has no man page heading",
			     section);
		m->unknown++;
		return;
	}
	/* A section key is documented by its own heading. */
	snprintf(full, sizeof(full), "%s%s%s", section, section[0] ? "." : "",
		 key);
	if (man_heading(full) != NULL)
		return;
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->k[i].heading, h) == 0 &&
		    strcmp(m->k[i].key, key) == 0)
			return;
	cr_log_error("key '%s%s%s' is not in cutover.yaml(5) under %s",
		     section, section[0] ? "." : "", key, h);
	m->missing++;
}

struct man_find {
	const char *heading;
	const char *key;
	bool found;
};

static void
man_find_key(const char *section, const char *key, void *arg)
{
	struct man_find *mf = arg;
	const char *h = man_heading(section);

	if (h != NULL && strcmp(h, mf->heading) == 0 &&
	    strcmp(key, mf->key) == 0)
		mf->found = true;
}

Test(plan_schema, man_page_lists_every_key)
{
	static struct man_keys m;
	int extra = 0;

	man_read(&m);
	cr_assert_gt(m.n, 50, "too few keys read from cutover.yaml(5)");
	plan_schema_keys(man_check_key, &m);
	cr_expect_eq(m.unknown, 0);
	cr_expect_eq(m.missing, 0, "%d schema keys missing from the man page",
		     m.missing);

	/* Vice versa: a .TP paragraph on a key documents a schema key. */
	for (int i = 0; i < m.n; i++) {
		struct man_find mf = { m.k[i].heading, m.k[i].key, false };
		bool mapped = false;

		for (int j = 0; j < NMAN_SECTIONS; j++)
			if (strcmp(man_sections[j].heading,
				   m.k[i].heading) == 0)
				mapped = true;
		if (!m.k[i].tp || !mapped)
			continue;
		plan_schema_keys(man_find_key, &mf);
		if (!mf.found) {
			cr_log_error("cutover.yaml(5) documents '%s' under %s, "
				     "which the schema does not have",
				     m.k[i].key, m.k[i].heading);
			extra++;
		}
	}
	cr_expect_eq(extra, 0);
}
