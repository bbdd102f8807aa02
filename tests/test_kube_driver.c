/*
 * test_kube_driver — the kubernetes traffic driver against tests/kubeapi.py
 * on 127.0.0.1, with the route fixtures of tests/fixtures/kube/routes:
 * a VirtualService and an HTTPRoute applied and read back (the server's
 * object checked, not just the driver's word), weights in force not sent
 * again, a write race that only bumped the resourceVersion retried once,
 * a race that moved the weights (a GitOps revert) refused as drift with
 * nothing overwritten, a real server's 422 for a failed `test` (which
 * does not say a test failed) handled as a conflict: patched again after
 * an unrelated edit, refused as drift when the weights moved, at most 3
 * re-reads for edits that never stop, and an admission webhook's 422 (the
 * object unchanged) reported, not retried; 404 and 403 Status messages, a
 * route lacking one backend, a bearer token sent but never quoted, cancel
 * and busy.
 *
 * Each test starts its own server (criterion runs tests in separate
 * processes).  Waits are bounded loops on the loop; nothing sleeps.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "driver.h"
#include "drivers/driver_kube.h"
#include "loop.h"
#include "plan.h"

#include "testsrv.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define ISTIO_HOST "istio-ingressgateway.istio-system.svc.cluster.local"
#define APISIX_HOST "apisix-gateway.apisix.svc.cluster.local"
#define VS_Q "plural=virtualservices&namespace=edge&name=storefront"
#define HR_Q "plural=httproutes&namespace=edge&name=storefront"

static pid_t server_pid = -1;
static int port;
static char top[1024];
static char tmp[] = "/tmp/test_kube_driver.XXXXXX";
static struct loop *l;
static struct plan plan;
static struct driver drv;
static bool drv_up;
static char logbuf[16384];

/* The last answer of the driver. */
static int answers;
static struct driver_result last;

/* Start kubeapi.py with the route fixtures and extra arguments. */
static void
start_server(const char *const *extra)
{
	char routes[1200];
	const char *args[] = { "--routes", routes, NULL };

	snprintf(routes, sizeof(routes), "%s/tests/fixtures/kube/routes", top);
	server_pid = testsrv_start(top, "kubeapi.py", args, extra, 10000, NULL,
				   &port);
}

/* One request to the server's test controls; returns the body (free). */
static char *
ctl(const char *method, const char *path)
{
	struct sockaddr_in sa;
	char req[1024], *buf = NULL, *body;
	size_t len = 0, cap = 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
		 "Content-Length: 0\r\n\r\n", method, path);
	cr_assert_eq(write(s, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		n = read(s, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(s);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(body);
	body = strdup(body + 4);
	free(buf);
	return body;
}

static void
ctl_post(const char *path)
{
	free(ctl("POST", path));
}

/* Requests of the log with this method whose line holds `sub`. */
static int
requests(const char *method, const char *sub)
{
	char *log = ctl("GET", "/_test/requests");
	char *line, *save = NULL, m[64];
	int n = 0;

	snprintf(m, sizeof(m), "\"method\": \"%s\"", method);
	for (line = strtok_r(log, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, m) != NULL &&
		    (sub == NULL || strstr(line, sub) != NULL))
			n++;
	free(log);
	return n;
}

/* Weights of backend `a` and `b` in rule `rule` of the server's object. */
static void
server_weights(const char *q, int rule, json_int_t *istio,
	       json_int_t *apisix)
{
	char path[256], *body;
	json_t *o, *dests, *d;
	size_t i;
	bool vs = strstr(q, "virtualservices") != NULL;

	snprintf(path, sizeof(path), "/_test/object?%s", q);
	body = ctl("GET", path);
	o = json_loads(body, 0, NULL);
	free(body);
	cr_assert_not_null(o);
	dests = json_object_get(json_array_get(json_object_get(
	    json_object_get(o, "spec"), vs ? "http" : "rules"), (size_t)rule),
	    vs ? "route" : "backendRefs");
	cr_assert(json_is_array(dests));
	*istio = *apisix = -1;
	json_array_foreach(dests, i, d) {
		const char *name = vs ? json_string_value(json_object_get(
		    json_object_get(d, "destination"), "host")) :
		    json_string_value(json_object_get(d, "name"));
		json_int_t w = json_integer_value(json_object_get(d,
		    "weight"));

		if (strcmp(name, vs ? ISTIO_HOST : "istio-ingressgateway") ==
		    0)
			*istio = w;
		else if (strcmp(name, vs ? APISIX_HOST : "apisix-gateway") ==
		    0)
			*apisix = w;
	}
	json_decref(o);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
	cr_assert_eq(chmod(path, mode), 0);
}

/* A kubeconfig for the server with `user` as the user mapping's body. */
static void
kubeconfig(const char *user)
{
	char path[1200], *text = NULL;

	snprintf(path, sizeof(path), "%s/kubeconfig", tmp);
	cr_assert_gt(asprintf(&text,
		"apiVersion: v1\n"
		"kind: Config\n"
		"current-context: test\n"
		"clusters:\n"
		"- name: local\n"
		"  cluster:\n"
		"    server: http://127.0.0.1:%d\n"
		"contexts:\n"
		"- name: test\n"
		"  context: {cluster: local, user: tester}\n"
		"users:\n"
		"- name: tester\n"
		"  user:\n%s", port, user), 0);
	write_file(path, text, 0600);
	free(text);
	free(plan.kubernetes.kubeconfig);
	plan.kubernetes.kubeconfig = strdup(path);
}

static void
on_log(const char *line, void *arg)
{
	size_t n = strlen(logbuf);

	(void)arg;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", line);
}

static void
on_result(const struct driver_result *r, void *arg)
{
	(void)arg;
	last = *r;
	answers++;
}

/* Configure the driver for `kind` `name` in namespace edge and init it. */
static void
driver_for(const char *kind, const char *name)
{
	struct plan_kube_route *k = plan_traffic_use(&plan, DRIVER_KUBERNETES);
	bool vs = strcmp(kind, "VirtualService") == 0;
	struct err e;

	k->kind = strdup(kind);
	k->namespace = strdup("edge");
	k->name = strdup(name);
	k->istio_backend = strdup(vs ? ISTIO_HOST : "istio-ingressgateway");
	k->apisix_backend = strdup(vs ? APISIX_HOST : "apisix-gateway");
	k->timeout_ms = 5000;
	cr_assert_eq(driver_init(&drv, &plan, l, on_log, NULL, &e), 0, "%s",
		     e.msg);
	drv_up = true;
}

/* Wait (at most 20 s) for the answer number `n`. */
static void
wait_answer(int n)
{
	int64_t give_up = testsrv_real_ms() + 20000;

	while (answers < n) {
		cr_assert_lt(testsrv_real_ms(), give_up, "the driver did not answer");
		loop_run_once(l, 100);
	}
	cr_assert_eq(answers, n, "answered more than once");
}

static void
apply(int istio)
{
	struct weights w = { istio, 100 - istio };
	struct err e;
	int n = answers;

	cr_assert_eq(driver_apply(&drv, w, 1, on_result, NULL, &e), 0, "%s",
		     e.msg);
	wait_answer(n + 1);
}

static void
read_back(void)
{
	struct err e;
	int n = answers;

	cr_assert_eq(driver_read_back(&drv, on_result, NULL, &e), 0, "%s",
		     e.msg);
	wait_answer(n + 1);
}

static void
setup(void)
{
	const char *t = getenv("top_srcdir");

	snprintf(top, sizeof(top), "%s", t && *t ? t : TOP_SRCDIR);
	cr_assert_not_null(mkdtemp(tmp));
	unsetenv("KUBECONFIG");
	plan_defaults(&plan);
	plan.kubernetes.timeout_ms = 5000;
	l = loop_new(&clock_system);
	answers = 0;
	logbuf[0] = '\0';
	memset(&last, 0, sizeof(last));
}

static void
teardown(void)
{
	char cmd[1300];

	if (drv_up)
		driver_done(&drv);
	drv_up = false;
	plan_done(&plan);
	loop_free(l);
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
}

TestSuite(kube_driver, .init = setup, .fini = teardown);

Test(kube_driver, describes_itself)
{
	char buf[128];

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	drv.ops->describe(&drv, buf, sizeof(buf));
	cr_assert_str_eq(buf, "kubernetes: VirtualService edge/storefront");
	cr_assert(driver_can_read_back(&drv));
}

Test(kube_driver, virtualservice_apply_and_read_back)
{
	json_int_t wi, wa;
	char *log;

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");

	read_back();
	cr_assert(last.ok, "%s", last.message);
	cr_assert(last.have_weights);
	cr_assert_eq(last.weights.istio, 0);
	cr_assert_eq(last.weights.apisix, 100);

	apply(10);
	cr_assert(last.ok, "%s", last.message);
	cr_assert(last.have_weights);
	cr_assert_eq(last.weights.istio, 10);
	cr_assert_eq(last.weights.apisix, 90);
	/* The server holds it, in the split route (rule 1), and the other
	 * route (rule 0, healthz to APISIX only) is untouched. */
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 10);
	cr_assert_eq(wa, 90);
	server_weights(VS_Q, 0, &wi, &wa);
	cr_assert_eq(wi, -1);
	cr_assert_eq(requests("PATCH", NULL), 1);
	/* A JSON patch guarded by resourceVersion and destination tests. */
	cr_assert_eq(requests("PATCH", "application/json-patch+json"), 1);
	cr_assert_eq(requests("PATCH", "\\\"path\\\":\\\"/metadata/"
				       "resourceVersion\\\""), 1);
	cr_assert_eq(requests("PATCH", "/spec/http/1/route/0/destination/"
				       "host"), 1);
	/* Every request carried the token. */
	cr_assert_eq(requests("GET", "bearer:any"), requests("GET", NULL));
	log = ctl("GET", "/_test/requests");
	cr_assert_null(strstr(log, "/pods"));
	free(log);

	read_back();
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(last.weights.istio, 10);

	apply(100);
	cr_assert(last.ok, "%s", last.message);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 100);
	cr_assert_eq(wa, 0);
	cr_assert_not_null(strstr(logbuf, "patching VirtualService "
					  "edge/storefront"), "%s", logbuf);
}

Test(kube_driver, weights_in_force_are_not_sent_again)
{
	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	apply(25);
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(requests("PATCH", NULL), 1);
	apply(25);
	cr_assert(last.ok, "%s", last.message);
	cr_assert(last.have_weights);
	cr_assert_eq(last.weights.istio, 25);
	cr_assert_not_null(strstr(last.message, "nothing sent"), "%s",
			   last.message);
	cr_assert_eq(requests("PATCH", NULL), 1);
	/* Rolling back from the start state is idempotent as well. */
	apply(0);
	apply(0);
	cr_assert_eq(requests("PATCH", NULL), 2);
}

Test(kube_driver, httproute_apply_and_read_back)
{
	json_int_t wi, wa;

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("HTTPRoute", "storefront");

	/* Shares 1 and 9 read as percentages. */
	read_back();
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(last.weights.istio, 10);
	cr_assert_eq(last.weights.apisix, 90);

	apply(25);
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(last.weights.istio, 25);
	server_weights(HR_Q, 0, &wi, &wa);
	cr_assert_eq(wi, 25);
	cr_assert_eq(wa, 75);
	cr_assert_eq(requests("PATCH", "/spec/rules/0/backendRefs/1/name"),
		     1);
	cr_assert_eq(requests("PATCH", "/apis/gateway.networking.k8s.io/v1/"
				       "namespaces/edge/httproutes/storefront"),
		     1);

	/* Shares equal to the percentages: nothing to send. */
	apply(25);
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(requests("PATCH", NULL), 1);

	apply(0);
	cr_assert(last.ok, "%s", last.message);
	server_weights(HR_Q, 0, &wi, &wa);
	cr_assert_eq(wi, 0);
	cr_assert_eq(wa, 100);
	read_back();
	cr_assert_eq(last.weights.istio, 0);
}

Test(kube_driver, unrelated_edit_is_retried_once)
{
	json_int_t wi, wa;

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	/* Someone edits the object (not its weights) just before our
	 * patch lands: 409, read again, weights as we saw them, retry. */
	ctl_post("/_test/race?" VS_Q);
	apply(10);
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(requests("PATCH", NULL), 2);
	cr_assert_eq(requests("GET", "virtualservices"), 2);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 10);
	cr_assert_eq(wa, 90);
	cr_assert_not_null(strstr(logbuf, "reading it again"), "%s", logbuf);
}

Test(kube_driver, drift_is_refused_not_overwritten)
{
	json_int_t wi, wa;

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	apply(10);
	cr_assert(last.ok, "%s", last.message);
	/* A GitOps revert lands between our GET and our PATCH. */
	ctl_post("/_test/race?" VS_Q "&set=" ISTIO_HOST ":0&set="
		 APISIX_HOST ":100");
	apply(25);
	cr_assert_not(last.ok);
	cr_assert_not_null(strstr(last.message, "weights were changed by "
					       "someone else: found 0/100"),
			   "%s", last.message);
	cr_assert(last.drift, "%s", last.message);
	cr_assert(last.have_weights);
	cr_assert_eq(last.weights.istio, 0);
	/* One PATCH tried (409), none applied: the revert stands. */
	cr_assert_eq(requests("PATCH", NULL), 2);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 0);
	cr_assert_eq(wa, 100);
}

/* A step forward that finds other weights than the caller holds in force
 * (changed after the caller's last read) writes nothing. */
Test(kube_driver, step_from_other_weights_than_expected_is_drift)
{
	json_int_t wi, wa;

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	apply(10);
	cr_assert(last.ok, "%s", last.message);
	/* Someone puts 0/100 back after cutover last read 10/90. */
	ctl_post("/_test/weights?" VS_Q "&set=" ISTIO_HOST ":0&set="
		 APISIX_HOST ":100");
	drv.have_expect = true;
	drv.expect = (struct weights){ 10, 90 };
	apply(25);
	cr_assert_not(last.ok);
	cr_assert(last.drift, "%s", last.message);
	cr_assert_not_null(strstr(last.message, "found 0/100 (istio/apisix), "
					       "cutover had 10/90"),
			   "%s", last.message);
	cr_assert_eq(requests("PATCH", NULL), 1, "only the first step's");
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 0);
	cr_assert_eq(wa, 100);
	/* What the caller expects, it may step from. */
	drv.expect = (struct weights){ 0, 100 };
	apply(25);
	cr_assert(last.ok, "%s", last.message);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 25);
	drv.have_expect = false;
}

Test(kube_driver, real_server_422_for_failed_test_is_a_conflict)
{
	static const char *const extra[] = { "--test-fail-code", "422",
					     NULL };

	start_server(extra);
	kubeconfig("    token: any\n");
	driver_for("HTTPRoute", "storefront");
	ctl_post("/_test/race?" HR_Q "&set=istio-ingressgateway:50"
		 "&set=apisix-gateway:50");
	apply(25);
	cr_assert_not(last.ok);
	cr_assert_not_null(strstr(last.message, "found 50/50"), "%s",
			   last.message);
	cr_assert(last.drift, "%s", last.message);
	cr_assert(last.have_weights);
	cr_assert_eq(last.weights.istio, 50);
	cr_assert_eq(requests("PATCH", NULL), 1);
	cr_assert_eq(requests("GET", "httproutes"), 2);
}

Test(kube_driver, real_server_422_after_an_unrelated_edit_patches_again)
{
	static const char *const extra[] = { "--test-fail-code", "422",
					     NULL };
	json_int_t wi, wa;

	start_server(extra);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	/* Only an annotation changes between our GET and our PATCH: the
	 * resourceVersion test fails, and the API server says no more than
	 * "the server rejected our request" (422). */
	ctl_post("/_test/race?" VS_Q);
	apply(10);
	cr_assert(last.ok, "%s", last.message);
	cr_assert_not(last.drift);
	cr_assert_eq(requests("PATCH", NULL), 2);
	cr_assert_eq(requests("GET", "virtualservices"), 2);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 10);
	cr_assert_eq(wa, 90);
	cr_assert_not_null(strstr(logbuf, "weights did not: patching again"),
			   "%s", logbuf);
}

Test(kube_driver, edits_that_stop_within_three_rereads_are_patched)
{
	static const char *const extra[] = { "--test-fail-code", "422",
					     NULL };
	json_int_t wi, wa;

	start_server(extra);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	/* Three PATCHes in a row race an unrelated edit; the fourth lands. */
	ctl_post("/_test/race?" VS_Q "&times=3");
	apply(25);
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(requests("PATCH", NULL), 4);
	cr_assert_eq(requests("GET", "virtualservices"), 4);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 25);
	cr_assert_eq(wa, 75);
}

Test(kube_driver, edits_that_never_stop_give_up_after_three_rereads)
{
	static const char *const extra[] = { "--test-fail-code", "422",
					     NULL };
	json_int_t wi, wa;

	start_server(extra);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	ctl_post("/_test/race?" VS_Q "&times=10");
	apply(25);
	cr_assert_not(last.ok);
	cr_assert_not(last.drift, "the weights never moved: not drift");
	cr_assert_not_null(strstr(last.message, "gave up after 3 re-reads"),
			   "%s", last.message);
	cr_assert_eq(requests("PATCH", NULL), 4);
	cr_assert_eq(requests("GET", "virtualservices"), 4);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 0);
	cr_assert_eq(wa, 100);
}

Test(kube_driver, webhook_422_on_an_unchanged_object_is_not_retried)
{
	json_int_t wi, wa;

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	/* A 422 that is not a failed test: the object did not change, so
	 * patching again would only be refused again. */
	ctl_post("/_test/patchfail?n=5");
	apply(10);
	cr_assert_not(last.ok);
	cr_assert_not(last.drift);
	cr_assert_not_null(strstr(last.message, "admission webhook "
	    "\"validation.example.com\" denied the request"), "%s",
			   last.message);
	cr_assert_eq(requests("PATCH", NULL), 1);
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 0);
	cr_assert_eq(wa, 100);
}

Test(kube_driver, missing_object_gives_the_status_message)
{
	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "nope");
	apply(10);
	cr_assert_not(last.ok);
	cr_assert_not_null(strstr(last.message, "404"), "%s", last.message);
	cr_assert_not_null(strstr(last.message, "virtualservices.networking."
					       "istio.io \"nope\" not found"),
			   "%s", last.message);
	cr_assert_eq(requests("PATCH", NULL), 0);
	read_back();
	cr_assert_not(last.ok);
	cr_assert_not(last.have_weights);
}

Test(kube_driver, forbidden_gives_the_status_message)
{
	json_int_t wi, wa;

	start_server(NULL);
	kubeconfig("    token: s3cret-tok3n\n");
	driver_for("VirtualService", "storefront");
	ctl_post("/_test/forbid?verb=patch&user=system:serviceaccount:ops:"
		 "cutover");
	apply(10);
	cr_assert_not(last.ok);
	cr_assert_not_null(strstr(last.message, "HTTP 403"), "%s",
			   last.message);
	cr_assert_not_null(strstr(last.message, "cannot patch resource "
					       "\"virtualservices\""), "%s",
			   last.message);
	cr_assert_not_null(strstr(last.message, "user tester, context test"),
			   "%s", last.message);
	cr_assert_null(strstr(last.message, "s3cret"));
	cr_assert_null(strstr(logbuf, "s3cret"));
	server_weights(VS_Q, 1, &wi, &wa);
	cr_assert_eq(wi, 0);
	/* Reading is still allowed. */
	read_back();
	cr_assert(last.ok, "%s", last.message);
}

Test(kube_driver, route_lacking_a_backend_is_refused)
{
	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "lopsided");
	apply(10);
	cr_assert_not(last.ok);
	cr_assert_not_null(strstr(last.message, "no route names both"), "%s",
			   last.message);
	cr_assert_not_null(strstr(last.message, "spec.http[0] names only "
					       APISIX_HOST), "%s",
			   last.message);
	cr_assert_eq(requests("PATCH", NULL), 0);
	read_back();
	cr_assert_not(last.ok);
}

Test(kube_driver, wrong_token_is_a_readable_401)
{
	static const char *const extra[] = { "--token", "right", NULL };

	start_server(extra);
	kubeconfig("    token: wr0ng-secret\n");
	driver_for("VirtualService", "storefront");
	read_back();
	cr_assert_not(last.ok);
	cr_assert_not_null(strstr(last.message, "401"), "%s", last.message);
	cr_assert_null(strstr(last.message, "wr0ng"));
	cr_assert_null(strstr(logbuf, "wr0ng"));
}

Test(kube_driver, unreachable_server_fails_within_the_timeout)
{
	int64_t t0;

	start_server(NULL);
	kubeconfig("    token: any\n");
	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
	server_pid = -1;
	driver_for("HTTPRoute", "storefront");
	t0 = testsrv_real_ms();
	apply(10);
	cr_assert_not(last.ok);
	cr_assert_lt(testsrv_real_ms() - t0, 6000);
	cr_assert_not_null(strstr(last.message, "HTTPRoute edge/storefront"),
			   "%s", last.message);
}

Test(kube_driver, busy_cancel_and_bad_weights)
{
	struct weights w = { 10, 90 }, bad = { 10, 80 };
	struct err e;

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	cr_assert_eq(driver_apply(&drv, bad, 1, on_result, NULL, &e), -1);
	cr_assert_not_null(strstr(e.msg, "sum to 100"), "%s", e.msg);
	cr_assert_eq(driver_apply(&drv, w, 1, on_result, NULL, &e), 0);
	cr_assert_eq(driver_read_back(&drv, on_result, NULL, &e), -1);
	cr_assert_not_null(strstr(e.msg, "busy"), "%s", e.msg);
	driver_cancel(&drv);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 50);
	cr_assert_eq(answers, 0);
	/* Usable again after a cancel. */
	read_back();
	cr_assert(last.ok, "%s", last.message);
}

static char *
read_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (fp != NULL) {
		size_t n = fread(buf, 1, 65535, fp);

		buf[n] = '\0';
		fclose(fp);
	}
	return buf;
}

/* An exec user running ./exec-cred.sh (token "tok-<run>"). */
static void
exec_kubeconfig(const char *fail)
{
	char src[1200], dst[1200], *script, *user = NULL;

	snprintf(src, sizeof(src), "%s/tests/fixtures/kube/exec-cred.sh",
		 top);
	snprintf(dst, sizeof(dst), "%s/exec-cred.sh", tmp);
	script = read_text(src);
	cr_assert(strlen(script) > 0);
	write_file(dst, script, 0755);
	free(script);
	cr_assert_gt(asprintf(&user,
		"    exec:\n"
		"      apiVersion: client.authentication.k8s.io/v1\n"
		"      command: ./exec-cred.sh\n"
		"      interactiveMode: Never\n"
		"      env:\n"
		"      - {name: EXEC_COUNT, value: %s/count}\n"
		"      - {name: EXEC_INFO_OUT, value: %s/info}\n"
		"      - {name: EXPIRY, value: \"2099-01-01T00:00:00Z\"}\n"
		"      - {name: EXEC_FAIL, value: \"%s\"}\n",
		tmp, tmp, fail ? fail : ""), 0);
	kubeconfig(user);
	free(user);
}

static int
exec_runs(void)
{
	char path[1200], *s;
	int n;

	snprintf(path, sizeof(path), "%s/count", tmp);
	s = read_text(path);
	n = atoi(s);
	free(s);
	return n;
}

Test(kube_driver, exec_plugin_credential)
{
	static const char *const extra[] = { "--token", "tok-1", NULL };

	start_server(extra);
	exec_kubeconfig(NULL);
	driver_for("VirtualService", "storefront");
	apply(10);
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(exec_runs(), 1);
	cr_assert_eq(requests("PATCH", "bearer:tok-1"), 1);
	/* The token is rotated server-side: a 401, one more plugin run. */
	ctl_post("/_test/token?value=tok-2");
	read_back();
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(last.weights.istio, 10);
	cr_assert_eq(exec_runs(), 2);
	cr_assert_null(strstr(logbuf, "tok-"), "%s", logbuf);
}

Test(kube_driver, failing_exec_plugin_fails_the_apply)
{
	start_server(NULL);
	exec_kubeconfig("no SSO session: run aws sso login");
	driver_for("VirtualService", "storefront");
	apply(10);
	cr_assert_not(last.ok);
	cr_assert_not_null(strstr(last.message, "exec plugin"), "%s",
			   last.message);
	cr_assert_not_null(strstr(last.message, "aws sso login"), "%s",
			   last.message);
	cr_assert_eq(requests("GET", NULL), 0);
}

/*
 * Weights read back must be whole numbers in the API's range (Istio's
 * int32, the Gateway API's 0..1000000): a huge one once wrapped into
 * -83/183 and was saved.  Out of range is an error naming the field.
 */
static void
bad_weight(const char *q, const char *backend, const char *w,
	   const char *want)
{
	char path[512];

	snprintf(path, sizeof(path), "/_test/weights?%s&set=%s:%s", q,
		 backend, w);
	ctl_post(path);
	read_back();
	cr_assert_not(last.ok, "%s read back as %d/%d", w, last.weights.istio,
		      last.weights.apisix);
	cr_assert_not(last.have_weights, "%s", w);
	cr_assert_not_null(strstr(last.message, want), "%s: %s", w,
			   last.message);
}

Test(kube_driver, weights_out_of_range_are_an_error)
{
	static const char *const bad[] = {
		"9000000000000000000", "2147483648", "-1", "1.5", "1e3",
		"\"10\"", "true",
	};

	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("VirtualService", "storefront");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad_weight(VS_Q, ISTIO_HOST, bad[i],
			   ".weight is not a whole number in 0..2147483647");
	/* The largest Istio takes, on both sides: half and half. */
	ctl_post("/_test/weights?" VS_Q "&set=" ISTIO_HOST ":2147483647"
		 "&set=" APISIX_HOST ":2147483647");
	read_back();
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(last.weights.istio, 50);
	cr_assert_eq(last.weights.apisix, 50);
}

Test(kube_driver, httproute_weights_out_of_range_are_an_error)
{
	start_server(NULL);
	kubeconfig("    token: any\n");
	driver_for("HTTPRoute", "storefront");
	bad_weight(HR_Q, "apisix-gateway", "1000001",
		   ".weight is not a whole number in 0..1000000");
	ctl_post("/_test/weights?" HR_Q "&set=istio-ingressgateway:1000000"
		 "&set=apisix-gateway:0");
	read_back();
	cr_assert(last.ok, "%s", last.message);
	cr_assert_eq(last.weights.istio, 100);
}
