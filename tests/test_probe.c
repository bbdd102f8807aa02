/*
 * test_probe — the synthetic probes against local servers on 127.0.0.1:
 * tests/probed.py (a gateway that answers 421 unless the Host header and
 * the TLS SNI carry the real host name, with a certificate from a CA this
 * test makes with openssl; a WebSocket upgrade; a Service read for the
 * load-balancer address) and tests/grpchealthd.py (a real gRPC health
 * server over HTTP/2, python3-grpcio).  Every probe goes to the address,
 * never to the host name, which does not resolve.  Waits are loops with a
 * fixed number of turns.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "gate.h"
#include "kube.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "probe.h"
#include "testsrv.h"
#include "xmalloc.h"

#define TOKEN "s3cr3t-probe-token"
#define PASSWORD "hunter2-probe"
#define INLINE_SECRET "inline-secret-value"

static char dir[64];
static pid_t servers[4];
static int nservers;

static const char *
top(void)
{
	const char *t = getenv("top_srcdir");

	return t != NULL ? t : ".";
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cutover-probe.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	setenv("XDG_STATE_HOME", dir, 1);
	nservers = 0;
}

static void
teardown(void)
{
	char cmd[128];

	for (int i = 0; i < nservers; i++) {
		kill(servers[i], SIGKILL);
		waitpid(servers[i], NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", dir);
}

TestSuite(probe, .init = setup, .fini = teardown, .timeout = 60);

static char *
path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
write_file(const char *name, const char *text)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	free(p);
}

static int
server(const char *script, const char *const *args)
{
	int port;

	servers[nservers++] = testsrv_start(top(), script, args, NULL, 15000,
					    NULL, &port);
	return port;
}

/* A CA, and a certificate for shop.example.com signed by it. */
static void
make_certs(void)
{
	char cmd[1024];

	write_file("san.ext", "subjectAltName=DNS:shop.example.com\n");
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && (openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
		 "-subj /CN=cutover-probe-test-ca -keyout ca.key -out ca.crt "
		 "&& openssl req -newkey rsa:2048 -nodes "
		 "-subj /CN=shop.example.com -keyout srv.key -out srv.csr "
		 "&& openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key "
		 "-CAcreateserial -days 2 -extfile san.ext -out srv.crt) "
		 ">/dev/null 2>&1", dir);
	if (system(cmd) != 0)
		testsrv_skip("cannot run openssl");
}

struct rig {
	struct plan plan;
	struct loop *loop;
	struct metrics m;
	struct kube *kube;
	struct probe_runner *r;
};

static void
rig_load(struct rig *g, const char *yaml)
{
	struct err e;

	memset(g, 0, sizeof(*g));
	err_clear(&e);
	cr_assert_eq(plan_load_buffer(&g->plan, yaml, strlen(yaml), "probe",
				      &e), 0, "%s", e.msg);
	metrics_init(&g->m);
	g->loop = loop_new(&clock_system);
	cr_assert_not_null(g->loop);
}

static void
rig_start(struct rig *g)
{
	struct err e;

	err_clear(&e);
	g->r = probe_new(&g->plan, g->loop, &g->m, g->kube, &e);
	cr_assert_not_null(g->r, "%s", e.msg);
}

/* Send every probe once and wait for the answers; bounded. */
static void
rig_run(struct rig *g)
{
	int i;

	probe_run_once(g->r);
	for (i = 0; i < 400 && probe_busy(g->r); i++)
		loop_run_once(g->loop, 50);
	cr_assert_not(probe_busy(g->r), "the probes did not end");
}

static void
rig_done(struct rig *g)
{
	probe_free(g->r);
	kube_free(g->kube);
	loop_free(g->loop);
	plan_done(&g->plan);
}

static const struct probe_series *
res(const struct rig *g, int i)
{
	return &g->m.probe[i][PROBE_ISTIO];
}

static enum verdict
verdict(const struct rig *g, char *why, size_t len)
{
	return probe_verdict(&g->plan, &g->m, loop_now(g->loop), why, len,
			     NULL);
}

/* ------------------------------------------------------------ HTTP(S) */

Test(probe, https_carries_host_sni_and_secrets_from_files)
{
	struct rig g;
	char yaml[2048], why[200], *out = NULL;
	size_t outlen = 0;
	FILE *f;
	int port;

	make_certs();
	write_file("token", TOKEN "\n");
	write_file("auth", "Bearer " TOKEN "\n");
	write_file("body.json", "{\"user\":\"probe\",\"password\":\""
		   PASSWORD "\"}");
	{
		char *crt = path_in("srv.crt"), *key = path_in("srv.key");
		char *tok = path_in("token"), *body = path_in("body.json");
		const char *args[] = { "--host", "shop.example.com",
				       "--tls-cert", crt, "--tls-key", key,
				       "--token-file", tok, "--body-file",
				       body, NULL };

		port = server("probed.py", args);
		free(crt);
		free(key);
		free(tok);
		free(body);
	}
	snprintf(yaml, sizeof(yaml),
		 "probes:\n"
		 "  istio_address: 127.0.0.1:%d\n"
		 "  ca_file: %s/ca.crt\n"
		 "  checks:\n"
		 "    - name: login\n"
		 "      url: https://shop.example.com/api/v1/auth/login\n"
		 "      method: POST\n"
		 "      headers: { Content-Type: application/json,"
		 " X-Api-Key: " INLINE_SECRET " }\n"
		 "      header_files: { Authorization: %s/auth }\n"
		 "      body_file: %s/body.json\n"
		 "    - name: nobody\n"
		 "      url: https://shop.example.com/api/v1/auth/login\n"
		 "      method: POST\n"
		 "      header_files: { Authorization: %s/auth }\n"
		 "    - name: othername\n"
		 "      url: https://other.example.com/status?code=200\n"
		 "    - name: plainhost\n"
		 "      url: https://127.0.0.1:%d/status?code=200\n",
		 port, dir, dir, dir, dir, port);
	rig_load(&g, yaml);
	rig_start(&g);
	rig_run(&g);

	/* Host and SNI were the real name, the token and the body the
	 * files': anything else gets 421 or 401 from the server. */
	cr_assert_eq(res(&g, 0)->state, SOURCE_OK, "%s", res(&g, 0)->why);
	cr_assert_eq(res(&g, 0)->last_status, 200);
	cr_assert(res(&g, 0)->last_ms >= 0);
	/* Without the body the server refuses: the file's body was sent. */
	cr_assert_eq(res(&g, 1)->state, SOURCE_ERROR);
	cr_assert_str_eq(res(&g, 1)->why, "HTTP 401, expected 200");
	/* Another name: the certificate is checked against it. */
	cr_assert_eq(res(&g, 2)->state, SOURCE_ERROR);
	cr_assert(strstr(res(&g, 2)->why, "other.example.com") != NULL, "%s",
		  res(&g, 2)->why);
	/* The address as host: the server sees Host 127.0.0.1, no SNI. */
	cr_assert_eq(res(&g, 3)->state, SOURCE_ERROR);

	/* Nothing of the secrets anywhere the probes write or print. */
	f = open_memstream(&out, &outlen);
	plan_print(&g.plan, f);
	fclose(f);
	cr_assert_null(strstr(out, TOKEN));
	cr_assert_null(strstr(out, PASSWORD));
	cr_assert_null(strstr(out, INLINE_SECRET), "%s", out);
	cr_assert_not_null(strstr(out, "probes.checks.1.header_files."
				  "Authorization: "));
	free(out);
	for (int i = 0; i < 4; i++) {
		cr_assert_null(strstr(res(&g, i)->why, TOKEN));
		cr_assert_null(strstr(res(&g, i)->why, PASSWORD));
	}
	verdict(&g, why, sizeof(why));
	cr_assert_null(strstr(why, TOKEN));
	rig_done(&g);
}

Test(probe, failing_probe_breaches_after_n_in_a_row)
{
	const char *args[] = { "--host", "shop.example.com", NULL };
	struct rig g;
	struct gate_result r;
	char yaml[1024], why[200];
	int port = server("probed.py", args);

	snprintf(yaml, sizeof(yaml),
		 "probes:\n"
		 "  istio_address: 127.0.0.1:%d\n"
		 "  failures: 3\n"
		 "  checks:\n"
		 "    - name: api\n"
		 "      url: http://shop.example.com/status?code=204\n"
		 "      expect_status: 204\n", port);
	rig_load(&g, yaml);
	rig_start(&g);

	/* No result yet: no data, never a pass. */
	cr_assert_eq(verdict(&g, why, sizeof(why)), VERDICT_NO_DATA);
	cr_assert_str_eq(why, "no data: api not run yet");
	gate_evaluate(&g.plan, 1, &g.m, NULL, loop_now(g.loop), &r);
	cr_assert_eq(r.g[G_PROBES].verdict, VERDICT_NO_DATA);

	rig_run(&g);
	cr_assert_eq(verdict(&g, why, sizeof(why)), VERDICT_PASS, "%s", why);
	cr_assert_str_eq(why, "1 probe pass");

	/* The gateway starts answering 503. */
	free(g.plan.probes.items[0].url);
	g.plan.probes.items[0].url =
		xstrdup("http://shop.example.com/status?code=503");
	for (int n = 1; n <= 3; n++) {
		rig_run(&g);
		cr_assert_eq(res(&g, 0)->failures, n);
		cr_assert_str_eq(res(&g, 0)->why, "HTTP 503, expected 204");
		cr_assert_eq(verdict(&g, why, sizeof(why)),
			     n < 3 ? VERDICT_PASS : VERDICT_FAIL, "%d: %s", n,
			     why);
	}
	cr_assert_str_eq(why, "api failed 3 in a row: HTTP 503, expected 204");
	cr_assert_float_eq(metrics_probe_ratio(res(&g, 0)), 0.25, 1e-9);

	/* A gate like any other: it fails the stage, and quiet traffic (no
	 * request rate at all here) does not turn it into no data. */
	gate_evaluate(&g.plan, 1, &g.m, NULL, loop_now(g.loop), &r);
	cr_assert_eq(r.g[G_PROBES].verdict, VERDICT_FAIL);
	cr_assert_eq(r.verdict, VERDICT_FAIL);
	cr_assert_eq(r.decided_by, G_PROBES);
	gate_summary(&r, why, sizeof(why));
	cr_assert_str_eq(why, "fail: probes api failed 3 in a row: HTTP 503, "
			 "expected 204");

	/* One success resets the count. */
	free(g.plan.probes.items[0].url);
	g.plan.probes.items[0].url =
		xstrdup("http://shop.example.com/status?code=204");
	rig_run(&g);
	cr_assert_eq(res(&g, 0)->failures, 0);
	cr_assert_eq(verdict(&g, why, sizeof(why)), VERDICT_PASS);
	rig_done(&g);
}

Test(probe, a_slow_gateway_times_out_on_its_deadline)
{
	const char *args[] = { NULL };
	struct rig g;
	char yaml[1024];
	int port = server("probed.py", args);
	int64_t t0;

	snprintf(yaml, sizeof(yaml),
		 "probes:\n"
		 "  istio_address: 127.0.0.1:%d\n"
		 "  apisix_address: 127.0.0.1:1\n"
		 "  checks:\n"
		 "    - name: slow\n"
		 "      url: http://shop.example.com/slow?s=20\n"
		 "      timeout: 300ms\n", port);
	rig_load(&g, yaml);
	rig_start(&g);
	t0 = testsrv_real_ms();
	rig_run(&g);
	cr_assert_lt(testsrv_real_ms() - t0, 5000);
	cr_assert_str_eq(res(&g, 0)->why, "timed out after 300 ms");
	cr_assert(isnan(res(&g, 0)->last_ms));
	/* Through APISIX too, for comparison: nothing listens there. */
	cr_assert_eq(g.m.probe[0][PROBE_APISIX].state, SOURCE_ERROR);
	cr_assert_str_eq(g.m.probe[0][PROBE_APISIX].why,
			 "cannot connect to 127.0.0.1:1");
	rig_done(&g);
}

/* A body or header file that is too large, or a header file of two
 * lines (a header injected), is not sent: no data, not a failure. */
Test(probe, hostile_files_are_not_sent)
{
	struct rig g;
	char yaml[1024], why[200], *big = xmalloc(70001);

	memset(big, 'x', 70000);
	big[70000] = '\0';
	write_file("big.json", big);
	free(big);
	write_file("twolines", "Bearer a\r\nX-Injected: yes\n");
	snprintf(yaml, sizeof(yaml),
		 "probes:\n"
		 "  istio_address: 127.0.0.1:1\n"
		 "  checks:\n"
		 "    - name: big\n"
		 "      url: http://shop.example.com/\n"
		 "      method: POST\n"
		 "      body_file: %s/big.json\n"
		 "    - name: inject\n"
		 "      url: http://shop.example.com/\n"
		 "      header_files: { Authorization: %s/twolines }\n"
		 "    - name: missing\n"
		 "      url: http://shop.example.com/\n"
		 "      body_file: %s/nosuch\n"
		 "      method: PUT\n", dir, dir, dir);
	rig_load(&g, yaml);
	rig_start(&g);
	rig_run(&g);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(res(&g, i)->state, SOURCE_UNKNOWN, "%d", i);
	cr_assert(strstr(res(&g, 0)->why, "larger than 65536 bytes") != NULL,
		  "%s", res(&g, 0)->why);
	cr_assert(strstr(res(&g, 1)->why, "more than one line") != NULL, "%s",
		  res(&g, 1)->why);
	cr_assert(strstr(res(&g, 2)->why, "No such file") != NULL, "%s",
		  res(&g, 2)->why);
	cr_assert_eq(verdict(&g, why, sizeof(why)), VERDICT_NO_DATA);
	rig_done(&g);
}

/* ---------------------------------------------------------- WebSocket */

Test(probe, websocket_upgrade_is_answered_101)
{
	const char *args[] = { "--host", "shop.example.com", NULL };
	struct rig g;
	char yaml[1024];
	int port = server("probed.py", args);

	snprintf(yaml, sizeof(yaml),
		 "probes:\n"
		 "  istio_address: 127.0.0.1:%d\n"
		 "  checks:\n"
		 "    - name: ws\n"
		 "      kind: websocket\n"
		 "      url: http://shop.example.com/ws\n"
		 "    - name: notws\n"
		 "      kind: websocket\n"
		 "      url: http://shop.example.com/status?code=200\n",
		 port);
	rig_load(&g, yaml);
	rig_start(&g);
	rig_run(&g);
	cr_assert_eq(res(&g, 0)->state, SOURCE_OK, "%s", res(&g, 0)->why);
	cr_assert_eq(res(&g, 0)->last_status, 101);
	cr_assert_eq(res(&g, 1)->state, SOURCE_ERROR);
	cr_assert_str_eq(res(&g, 1)->why, "HTTP 200, expected 101");
	rig_done(&g);
}

/* --------------------------------------------------------------- gRPC */

/* Debian's python3-grpcio (.ci/packages); skipped without it, except
 * in CI. */
static void
require_grpc(void)
{
	const char *py = getenv("PYTHON3");
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "'%s' -c 'import grpc' >/dev/null 2>&1",
		 py != NULL && py[0] != '\0' ? py : "python3");
	if (system(cmd) != 0)
		testsrv_skip("python3 has no grpc module (python3-grpcio)");
}

Test(probe, grpc_health_over_http2)
{
	const char *args[] = { NULL };
	struct rig g;
	char yaml[1024];
	int port;

	require_grpc();
	port = server("grpchealthd.py", args);

	snprintf(yaml, sizeof(yaml),
		 "probes:\n"
		 "  istio_address: 127.0.0.1\n"
		 "  checks:\n"
		 "    - name: grpc\n"
		 "      kind: grpc\n"
		 "      url: http://grpc.example.com:%d/\n"
		 "    - name: down\n"
		 "      kind: grpc\n"
		 "      url: http://grpc.example.com:%d/\n"
		 "      grpc_service: down\n"
		 "    - name: nosuch\n"
		 "      kind: grpc\n"
		 "      url: http://grpc.example.com:%d/\n"
		 "      grpc_service: no.such.Service\n",
		 port, port, port);
	rig_load(&g, yaml);
	rig_start(&g);
	rig_run(&g);
	cr_assert_eq(res(&g, 0)->state, SOURCE_OK, "%s", res(&g, 0)->why);
	cr_assert_eq(res(&g, 0)->last_status, 200);
	cr_assert_str_eq(res(&g, 1)->why, "NOT_SERVING");
	cr_assert_str_eq(res(&g, 2)->why, "grpc-status 5 (NOT_FOUND)");
	rig_done(&g);
}

/* The same over TLS: HTTP/2 chosen by ALPN, the real name as SNI. */
Test(probe, grpc_health_over_tls)
{
	struct rig g;
	char yaml[1024], *crt, *key;
	int port;

	require_grpc();
	make_certs();
	crt = path_in("srv.crt");
	key = path_in("srv.key");
	{
		const char *args[] = { "--tls-cert", crt, "--tls-key", key,
				       NULL };

		port = server("grpchealthd.py", args);
	}
	free(crt);
	free(key);
	snprintf(yaml, sizeof(yaml),
		 "probes:\n"
		 "  istio_address: 127.0.0.1:%d\n"
		 "  ca_file: %s/ca.crt\n"
		 "  checks:\n"
		 "    - name: grpc\n"
		 "      kind: grpc\n"
		 "      url: https://shop.example.com/\n"
		 "    - name: wrongname\n"
		 "      kind: grpc\n"
		 "      url: https://grpc.example.com/\n",
		 port, dir);
	rig_load(&g, yaml);
	rig_start(&g);
	rig_run(&g);
	cr_assert_eq(res(&g, 0)->state, SOURCE_OK, "%s", res(&g, 0)->why);
	cr_assert_eq(res(&g, 1)->state, SOURCE_ERROR);
	cr_assert(strstr(res(&g, 1)->why, "grpc.example.com") != NULL, "%s",
		  res(&g, 1)->why);
	rig_done(&g);
}

Test(probe_grpc, health_answers_decoded_by_hand)
{
	static const struct {
		const char *name;
		unsigned char b[16];
		size_t n;
		int rc, status;
	} cases[] = {
		{ "serving", { 0, 0, 0, 0, 2, 0x08, 0x01 }, 7, 0, 1 },
		{ "not serving", { 0, 0, 0, 0, 2, 0x08, 0x02 }, 7, 0, 2 },
		{ "empty message is UNKNOWN", { 0, 0, 0, 0, 0 }, 5, 0, 0 },
		{ "unknown fields skipped",
		  { 0, 0, 0, 0, 8, 0x12, 0x02, 'h', 'i', 0x08, 0x01, 0x18,
		    0x05 }, 13, 0, 1 },
		{ "compressed", { 1, 0, 0, 0, 2, 0x08, 0x01 }, 7, -1, 0 },
		{ "length past the end", { 0, 0, 0, 0, 9, 0x08, 0x01 }, 7, -1,
		  0 },
		{ "huge length", { 0, 0xff, 0xff, 0xff, 0xff, 0x08 }, 6, -1,
		  0 },
		{ "short header", { 0, 0, 0 }, 3, -1, 0 },
		{ "varint runs off", { 0, 0, 0, 0, 2, 0x08, 0x81 }, 7, -1, 0 },
		{ "string past the message",
		  { 0, 0, 0, 0, 3, 0x12, 0x05, 'x' }, 8, -1, 0 },
		{ "group wire type", { 0, 0, 0, 0, 1, 0x0b }, 6, -1, 0 },
		{ "endless varint",
		  { 0, 0, 0, 0, 11, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff }, 16, -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = -7;
		int rc = probe_grpc_parse(cases[i].b, cases[i].n, &status);

		cr_expect_eq(rc, cases[i].rc, "%s: rc %d", cases[i].name, rc);
		if (rc == 0)
			cr_expect_eq(status, cases[i].status, "%s: %d",
				     cases[i].name, status);
	}
	cr_assert_eq(probe_grpc_parse(NULL, 0, NULL), -1);
}

/* ------------------------------------------------ the gateway's address */

static void
kubeconfig_for(int port)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
		 "clusters:\n- name: local\n"
		 "  cluster: {server: \"http://127.0.0.1:%d\"}\n"
		 "contexts:\n- name: test\n"
		 "  context: {cluster: local, user: operator}\n"
		 "users:\n- name: operator\n  user: {token: \"kube-tok\"}\n",
		 port);
	write_file("kubeconfig", text);
}

static void
discovery(bool with_lb, const char *want_why)
{
	const char *lb[] = { "--host", "shop.example.com", "--lb-address",
			     "127.0.0.1", NULL };
	const char *nolb[] = { "--host", "shop.example.com", NULL };
	struct rig g;
	struct err e;
	char yaml[1024], why[200];
	int port = server("probed.py", with_lb ? lb : nolb);

	kubeconfig_for(port);
	snprintf(yaml, sizeof(yaml),
		 "kubernetes:\n  kubeconfig: %s/kubeconfig\n"
		 "probes:\n"
		 "  checks:\n"
		 "    - name: api\n"
		 "      url: http://shop.example.com:%d/status?code=200\n",
		 dir, port);
	rig_load(&g, yaml);
	cr_assert_str_eq(g.plan.probes.istio_service,
			 "istio-system/istio-ingressgateway");
	err_clear(&e);
	g.kube = kube_new(&g.plan, g.loop, NULL, &e);
	cr_assert_not_null(g.kube, "%s", e.msg);
	rig_start(&g);
	rig_run(&g);
	if (with_lb) {
		cr_assert_str_eq(probe_address(g.r, PROBE_ISTIO), "127.0.0.1");
		cr_assert_eq(res(&g, 0)->state, SOURCE_OK, "%s",
			     res(&g, 0)->why);
		cr_assert_eq(verdict(&g, why, sizeof(why)), VERDICT_PASS);
	} else {
		cr_assert_str_eq(probe_address(g.r, PROBE_ISTIO), "");
		cr_assert_str_eq(probe_address_error(g.r), want_why);
		/* Never sent: no data, not a failure of the gateway. */
		cr_assert_eq(res(&g, 0)->state, SOURCE_UNKNOWN);
		cr_assert_eq(verdict(&g, why, sizeof(why)), VERDICT_NO_DATA);
		cr_assert(strstr(why, want_why) != NULL, "%s", why);
	}
	rig_done(&g);
}

Test(probe, address_from_the_gateway_service)
{
	discovery(true, "");
}

Test(probe, no_load_balancer_address_is_no_data)
{
	discovery(false, "gateway Service istio-system/istio-ingressgateway "
		  "has no load-balancer address");
}
