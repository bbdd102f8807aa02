/*
 * test_http — requests against tests/httpd.py on 127.0.0.1: bodies and
 * headers arrive intact, the bearer token is sent but never described,
 * deadlines fire while the loop keeps running timers, transport and HTTP
 * errors read well, bodies are bounded, transfers run side by side and a
 * cancelled request never calls back.
 *
 * Each test starts its own server (criterion runs tests in separate
 * processes) on a free port and kills it at the end.  Waits are bounded
 * loops on the real clock; nothing sleeps.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "http.h"
#include "loop.h"
#include "testsrv.h"

#include "testsrv.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

extern char **environ;

static pid_t server_pid = -1;
static pid_t others[4];		/* more servers of a test, killed at its end */
static int nothers;
static int port;
static struct loop *l;

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port nothing listens on right now. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), p;

	cr_assert_geq(s, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	p = ntohs(sa.sin_port);
	close(s);
	return p;
}

static bool
can_connect(int p)
{
	struct sockaddr_in sa;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)p);
	ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(s);
	return ok;
}

static void
start_server(void)
{
	const char *py = getenv("PYTHON3");
	const char *top = getenv("top_srcdir");
	char script[1024], portarg[16], line[64];
	char *argv[4];
	posix_spawn_file_actions_t fa;
	int p[2], rc;
	size_t got = 0;
	int64_t give_up;

	if (py == NULL || *py == '\0')
		py = "python3";
	if (top == NULL || *top == '\0')
		top = TOP_SRCDIR;
	snprintf(script, sizeof(script), "%s/tests/httpd.py", top);
	port = free_port();
	snprintf(portarg, sizeof(portarg), "%d", port);
	argv[0] = (char *)py;
	argv[1] = script;
	argv[2] = portarg;
	argv[3] = NULL;

	cr_assert_eq(pipe(p), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	rc = posix_spawnp(&server_pid, py, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc == ENOENT) {
		close(p[0]);
		testsrv_skip("%s not found", py);
	}
	cr_assert_eq(rc, 0, "cannot run %s: %s", py, strerror(rc));

	/* The server says "ready PORT" once it listens; wait at most 10 s. */
	give_up = real_ms() + 10000;
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = give_up - real_ms();
		ssize_t n;

		cr_assert_gt(left, 0, "httpd.py did not start");
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(p[0], line + got, sizeof(line) - 1 - got);
		cr_assert_gt(n, 0, "httpd.py exited");
		got += (size_t)n;
	}
	close(p[0]);
	line[got] = '\0';
	cr_assert(strncmp(line, "ready ", 6) == 0, "httpd.py said %s", line);
	for (int i = 0; i < 100 && !can_connect(port); i++)
		poll(NULL, 0, 10);
	cr_assert(can_connect(port));

	l = loop_new(&clock_system);
	cr_assert_not_null(l);
}

static void
stop_server(void)
{
	loop_free(l);
	l = NULL;
	http_set_body_max(0);
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	while (nothers > 0) {
		kill(others[--nothers], SIGKILL);
		waitpid(others[nothers], NULL, 0);
	}
}

TestSuite(http, .init = start_server, .fini = stop_server);

struct got {
	int calls;
	long status;
	int curl_code;
	char error[256];
	char content_type[128];
	char *body;
	size_t body_len;
	bool truncated;
	int64_t elapsed_ms;
	double retry_after_s;
	char describe[512];
};

static void
got_cb(const struct http_response *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->status = r->status;
	g->curl_code = r->curl_code;
	snprintf(g->error, sizeof(g->error), "%s", r->error);
	snprintf(g->content_type, sizeof(g->content_type), "%s",
		 r->content_type);
	cr_assert_not_null(r->body);
	cr_assert_eq(r->body[r->body_len], '\0');
	free(g->body);
	g->body = malloc(r->body_len + 1);
	memcpy(g->body, r->body, r->body_len + 1);
	g->body_len = r->body_len;
	g->truncated = r->truncated;
	g->elapsed_ms = r->elapsed_ms;
	g->retry_after_s = r->retry_after_s;
	http_describe(r, g->describe, sizeof(g->describe));
}

static void
got_done(struct got *g)
{
	free(g->body);
	g->body = NULL;
}

static char *
url(const char *path)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d%s", port, path);
	return buf;
}

/* Run the loop until *calls reaches want, for at most max_ms. */
static void
run_until(int *calls, int want, int64_t max_ms)
{
	int64_t give_up = real_ms() + max_ms;

	while (*calls < want && real_ms() < give_up)
		loop_run_once(l, 50);
}

static void
fetch(const struct http_request *rq, struct got *g)
{
	struct err e;

	err_clear(&e);
	memset(g, 0, sizeof(*g));
	cr_assert_not_null(http_start(l, rq, got_cb, g, &e), "%s", e.msg);
	run_until(&g->calls, 1, 10000);
	cr_assert_eq(g->calls, 1);
	cr_assert_eq(loop_transfers(l), 0);
}

static json_t *
echo_json(const struct got *g)
{
	json_error_t je;
	json_t *j = json_loadb(g->body, g->body_len, 0, &je);

	cr_assert_not_null(j, "echo body not JSON: %s", je.text);
	return j;
}

static const char *
echo_header(json_t *j, const char *name)
{
	return json_string_value(json_object_get(json_object_get(j,
						"headers"), name));
}

Test(http, get_json)
{
	struct http_request rq = { .url = url("/json"), .timeout_ms = 5000 };
	struct got g;
	json_t *j;

	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_OK, "%s", g.error);
	cr_assert_eq(g.status, 200);
	cr_assert_str_eq(g.error, "");
	cr_assert_str_eq(g.content_type, "application/json");
	cr_assert(!g.truncated);
	cr_assert_geq(g.elapsed_ms, 0);
	j = echo_json(&g);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j,
			"data"), "answer")), 42);
	json_decref(j);
	cr_assert_str_eq(g.describe, "HTTP 200 OK");
	got_done(&g);
}

Test(http, post_form_body_arrives_intact)
{
	static const char body[] = "query=sum(rate(x%5B5m%5D))&time=1700000000"
				   "&note=a+b%26c";
	const char *hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL
	};
	struct http_request rq = {
		.method = "POST", .url = url("/echo"), .headers = hdrs,
		.body = body, .body_len = strlen(body), .timeout_ms = 5000,
	};
	struct got g;
	json_t *j;

	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%s", g.error);
	j = echo_json(&g);
	cr_assert_str_eq(json_string_value(json_object_get(j, "method")),
			 "POST");
	cr_assert_str_eq(json_string_value(json_object_get(j, "body")), body);
	cr_assert_str_eq(echo_header(j, "content-type"),
			 "application/x-www-form-urlencoded");
	json_decref(j);
	got_done(&g);
}

Test(http, patch_with_body_and_custom_method)
{
	static const char body[] = "{\"spec\":{\"weight\":25}}";
	const char *hdrs[] = {
		"Content-Type: application/merge-patch+json", NULL
	};
	struct http_request rq = {
		.method = "PATCH", .url = url("/echo"), .headers = hdrs,
		.body = body, .body_len = strlen(body), .timeout_ms = 5000,
	};
	struct got g;
	json_t *j;

	fetch(&rq, &g);
	j = echo_json(&g);
	cr_assert_str_eq(json_string_value(json_object_get(j, "method")),
			 "PATCH");
	cr_assert_str_eq(json_string_value(json_object_get(j, "body")), body);
	json_decref(j);
	got_done(&g);
}

Test(http, headers_are_sent)
{
	const char *hdrs[] = {
		"X-Scope-OrgID: tenant-1", "Accept: application/json", NULL
	};
	struct http_request rq = {
		.url = url("/echo"), .headers = hdrs, .timeout_ms = 5000,
	};
	struct got g;
	json_t *j;

	fetch(&rq, &g);
	j = echo_json(&g);
	cr_assert_str_eq(json_string_value(json_object_get(j, "method")),
			 "GET");
	cr_assert_str_eq(echo_header(j, "x-scope-orgid"), "tenant-1");
	cr_assert_str_eq(echo_header(j, "accept"), "application/json");
	cr_assert_null(echo_header(j, "authorization"));
	json_decref(j);
	got_done(&g);
}

Test(http, bearer_token_sent_but_never_described)
{
	static const char token[] = "s3cr3t-T0KEN-value";
	struct http_request rq = {
		.url = url("/echo"), .bearer_token = token, .timeout_ms = 5000,
	};
	struct got g;
	json_t *j;

	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%s", g.error);
	j = echo_json(&g);
	cr_assert_str_eq(echo_header(j, "authorization"),
			 "Bearer s3cr3t-T0KEN-value");
	json_decref(j);
	cr_assert_null(strstr(g.describe, token));
	cr_assert_null(strstr(g.error, token));
	got_done(&g);

	/* Even a server that echoes the header in its error body. */
	rq.url = url("/echo?status=401");
	fetch(&rq, &g);
	cr_assert_eq(g.status, 401);
	cr_assert_not_null(strstr(g.body, token));
	cr_assert(strncmp(g.describe, "HTTP 401 Unauthorized: ", 23) == 0,
		  "%s", g.describe);
	cr_assert_null(strstr(g.describe, token), "%s", g.describe);
	cr_assert_null(strstr(g.describe, "s3cr3t"), "%s", g.describe);
	got_done(&g);
}

Test(http, basic_auth_sent)
{
	struct http_request rq = {
		.url = url("/echo"), .userpwd = "alice:pw", .timeout_ms = 5000,
	};
	struct got g;
	json_t *j;

	fetch(&rq, &g);
	j = echo_json(&g);
	/* base64("alice:pw") */
	cr_assert_str_eq(echo_header(j, "authorization"), "Basic YWxpY2U6cHc=");
	json_decref(j);
	got_done(&g);
}

Test(http, aws_sigv4_signs_request)
{
	static const char body[] = "<ChangeResourceRecordSetsRequest/>";
	struct http_request rq = {
		.method = "POST", .url = url("/echo?maxitems=1&name=a"),
		.body = body, .body_len = strlen(body),
		.userpwd = "AKIDEXAMPLE:wJalrXUtnFEMI-secret",
		.aws_sigv4 = "aws:amz:us-east-1:route53", .timeout_ms = 5000,
	};
	struct got g;
	const char *auth;
	json_t *j;

	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%s", g.error);
	j = echo_json(&g);
	auth = echo_header(j, "authorization");
	cr_assert_not_null(auth);
	cr_assert(strncmp(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/",
			  40) == 0, "%s", auth);
	cr_assert_not_null(strstr(auth, "/us-east-1/route53/aws4_request"));
	cr_assert_null(strstr(auth, "secret"));
	cr_assert_not_null(echo_header(j, "x-amz-date"));
	cr_assert_null(echo_header(j, "expect"));
	cr_assert_str_eq(json_string_value(json_object_get(j, "body")), body);
	json_decref(j);
	got_done(&g);
}

struct ticker {
	int ticks;
	struct loop_timer *t;
};

static void
tick(void *arg)
{
	struct ticker *k = arg;

	k->ticks++;
	k->t = loop_timer_at(l, loop_now(l) + 50, tick, k);
}

Test(http, hung_request_times_out_while_timers_run)
{
	struct http_request rq = {
		.url = url("/slow?s=30"), .timeout_ms = 300,
		.connect_timeout_ms = 1000,
	};
	struct ticker k = { 0, NULL };
	struct got g;
	struct err e;
	int64_t t0;

	memset(&g, 0, sizeof(g));
	err_clear(&e);
	k.t = loop_timer_at(l, loop_now(l) + 50, tick, &k);
	t0 = real_ms();
	cr_assert_not_null(http_start(l, &rq, got_cb, &g, &e), "%s", e.msg);
	run_until(&g.calls, 1, 5000);
	cr_assert_eq(g.calls, 1);
	cr_assert_eq(g.curl_code, CURLE_OPERATION_TIMEDOUT, "%d %s",
		     g.curl_code, g.error);
	cr_assert_geq(real_ms() - t0, 290);
	cr_assert_lt(real_ms() - t0, 2000);
	cr_assert_geq(g.elapsed_ms, 290);
	/* ~6 ticks in 300 ms: the wait never blocked the timers. */
	cr_assert_geq(k.ticks, 3, "only %d ticks", k.ticks);
	cr_assert_eq(g.status, 0);
	cr_assert_not_null(strstr(g.describe, "timed out after 300 ms"), "%s",
			   g.describe);
	loop_timer_cancel(l, k.t);
	got_done(&g);
}

Test(http, connection_refused_reads_well)
{
	int closed = free_port();
	char want[64], u[64];
	struct http_request rq = { .timeout_ms = 5000 };
	struct got g;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/json", closed);
	rq.url = u;
	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_COULDNT_CONNECT);
	cr_assert_eq(g.status, 0);
	snprintf(want, sizeof(want), "connection refused to 127.0.0.1:%d",
		 closed);
	cr_assert_str_eq(g.describe, want);
	cr_assert_str_eq(g.error, want);
	got_done(&g);
}

Test(http, error_statuses_read_well)
{
	struct http_request rq = { .timeout_ms = 5000 };
	struct got g;

	rq.url = url("/401");
	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_OK);
	cr_assert_eq(g.status, 401);
	cr_assert_str_eq(g.describe, "HTTP 401 Unauthorized: no org id");
	got_done(&g);

	rq.url = url("/502");
	fetch(&rq, &g);
	cr_assert_eq(g.status, 502);
	cr_assert_str_eq(g.content_type, "text/html");
	cr_assert_str_eq(g.describe,
			 "HTTP 502 Bad Gateway: 502 Bad Gateway nginx");
	got_done(&g);

	rq.url = url("/jsonerr");
	fetch(&rq, &g);
	cr_assert_str_eq(g.describe,
			 "HTTP 400 Bad Request: parse error at char 4");
	got_done(&g);

	rq.url = url("/retry");
	fetch(&rq, &g);
	cr_assert_eq(g.status, 429);
	cr_assert_float_eq(g.retry_after_s, 7.0, 1e-9);
	cr_assert_str_eq(g.describe,
			 "HTTP 429 Too Many Requests: slow down "
			 "(retry after 7 s)");
	got_done(&g);

	rq.url = url("/nowhere");
	fetch(&rq, &g);
	cr_assert_str_eq(g.describe, "HTTP 404 Not Found: no such route");
	got_done(&g);
}

Test(http, body_over_limit_is_truncated)
{
	struct http_request rq = { .timeout_ms = 5000 };
	struct got g;

	http_set_body_max(1000);
	rq.url = url("/huge?n=100000");
	fetch(&rq, &g);
	cr_assert(g.truncated);
	cr_assert_eq(g.body_len, 1000);
	cr_assert_eq(strlen(g.body), 1000);
	cr_assert_eq(g.status, 200);
	cr_assert_neq(g.curl_code, CURLE_OK);
	cr_assert_not_null(strstr(g.describe, "larger than 1000 bytes"), "%s",
			   g.describe);
	got_done(&g);

	/* Exactly the limit is not truncated. */
	rq.url = url("/huge?n=1000");
	fetch(&rq, &g);
	cr_assert(!g.truncated);
	cr_assert_eq(g.curl_code, CURLE_OK, "%s", g.error);
	cr_assert_eq(g.body_len, 1000);
	got_done(&g);

	/* Back to the default: 1 MiB passes whole. */
	http_set_body_max(0);
	rq.url = url("/huge?n=1048576");
	fetch(&rq, &g);
	cr_assert(!g.truncated);
	cr_assert_eq(g.body_len, 1048576);
	got_done(&g);
}

Test(http, several_transfers_in_flight)
{
	enum { N = 8 };
	struct got g[N];
	struct http_request rq = { .url = url("/slow?s=0.3"),
				   .timeout_ms = 10000 };
	struct err e;
	int calls = 0;
	int64_t t0 = real_ms(), give_up = t0 + 10000;

	memset(g, 0, sizeof(g));
	for (int i = 0; i < N; i++) {
		if (i % 2 == 1)
			rq.url = url(i == 3 ? "/echo" : "/slow?s=0.3");
		cr_assert_not_null(http_start(l, &rq, got_cb, &g[i], &e), "%s",
				   e.msg);
	}
	cr_assert_eq(loop_transfers(l), N);
	while (calls < N && real_ms() < give_up) {
		loop_run_once(l, 50);
		calls = 0;
		for (int i = 0; i < N; i++)
			calls += g[i].calls;
	}
	cr_assert_eq(calls, N);
	/* In series they would need 7 x 300 ms. */
	cr_assert_lt(real_ms() - t0, 1200);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(g[i].calls, 1);
		cr_assert_eq(g[i].status, 200, "%d: %s", i, g[i].error);
		got_done(&g[i]);
	}
	cr_assert_eq(loop_transfers(l), 0);
}

Test(http, cancel_never_calls_back)
{
	struct http_request rq = { .url = url("/slow?s=30"),
				   .timeout_ms = 10000 };
	struct got g, quick;
	struct http_xfer *x;
	struct err e;

	memset(&g, 0, sizeof(g));
	memset(&quick, 0, sizeof(quick));
	x = http_start(l, &rq, got_cb, &g, &e);
	cr_assert_not_null(x);
	/* Let it connect and send, then cancel while it waits. */
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 20);
	cr_assert_eq(loop_transfers(l), 1);
	http_cancel(x);
	cr_assert_eq(loop_transfers(l), 0);

	/* Cancelled before the loop ever ran it. */
	x = http_start(l, &rq, got_cb, &g, &e);
	http_cancel(x);
	http_cancel(NULL);

	/* The loop goes on; another request completes, nothing else. */
	rq.url = url("/json");
	cr_assert_not_null(http_start(l, &rq, got_cb, &quick, &e));
	run_until(&quick.calls, 1, 5000);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 10);
	cr_assert_eq(quick.calls, 1);
	cr_assert_eq(g.calls, 0);
	got_done(&quick);
}

Test(http, redirects_limited_to_three)
{
	struct http_request rq = { .timeout_ms = 5000 };
	struct got g;

	rq.url = url("/redirect?n=3");
	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%s", g.error);
	cr_assert_str_eq(g.content_type, "application/json");
	got_done(&g);

	rq.url = url("/redirect?n=4");
	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_TOO_MANY_REDIRECTS);
	got_done(&g);
}

/* The overflow of a short echoed credential, through a real server. */
Test(http, short_credentials_in_an_error_body)
{
	static const char body[] = "<>bearer $ basic a Bearer b \x1b]0;x\x07";
	struct http_request rq = {
		.method = "POST", .url = url("/say?status=502"),
		.body = body, .body_len = sizeof(body) - 1, .timeout_ms = 5000,
	};
	struct got g;

	fetch(&rq, &g);
	cr_assert_eq(g.status, 502, "%s", g.error);
	cr_assert_str_eq(g.describe, "HTTP 502 Bad Gateway: bearer *** "
			 "basic *** Bearer *** ]0;x");
	cr_assert_null(strchr(g.describe, '\x1b'), "%s", g.describe);
	got_done(&g);
}

Test(http, only_http_and_https)
{
	struct http_request rq = { .url = "file:///etc/passwd",
				   .timeout_ms = 5000 };
	struct got g;

	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_UNSUPPORTED_PROTOCOL);
	cr_assert_eq(g.body_len, 0);
	got_done(&g);
}

/* --- no server needed ------------------------------------------------ */

static const char *
describe(long status, const char *ctype, const char *body)
{
	static char buf[512];
	struct http_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	snprintf(r.content_type, sizeof(r.content_type), "%s", ctype);
	r.body = (char *)body;
	r.body_len = strlen(body);
	return http_describe(&r, buf, sizeof(buf));
}

Test(http_text, describe_bodies)
{
	char longer[400];
	const char *d;

	cr_assert_str_eq(describe(503, "text/plain", ""),
			 "HTTP 503 Service Unavailable");
	cr_assert_str_eq(describe(599, "text/plain", "odd\n"),
			 "HTTP 599: odd");
	cr_assert_str_eq(describe(404, "application/json",
				  "{\"kind\":\"Status\",\"message\":"
				  "\"pods \\\"x\\\" not found\"}"),
			 "HTTP 404 Not Found: pods \"x\" not found");
	cr_assert_str_eq(describe(403, "application/json",
				  "{\"success\":false,\"errors\":[{\"code\":"
				  "10000,\"message\":"
				  "\"Authentication error\"}]}"),
			 "HTTP 403 Forbidden: Authentication error");
	cr_assert_str_eq(describe(500, "text/html",
				  "<html><head><style>p{}</style></head>"
				  "<body><script>x()</script><p>a &amp; b"
				  "</p>\n\t<p>c</p></body></html>"),
			 "HTTP 500 Internal Server Error: a & b c");
	/* Control characters never reach the screen. */
	cr_assert_str_eq(describe(400, "text/plain", "bad\x1b[2Jinput\r\n"),
			 "HTTP 400 Bad Request: bad [2Jinput");

	memset(longer, 'y', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	d = describe(502, "text/plain", longer);
	cr_assert_eq(strlen(d), strlen("HTTP 502 Bad Gateway: ") + 120 + 3,
		     "%s", d);

	d = describe(401, "text/plain", "bad header Authorization: Bearer "
		     "abc.def.ghi");
	cr_assert_null(strstr(d, "abc"), "%s", d);
	cr_assert_str_eq(d, "HTTP 401 Unauthorized: bad header "
			 "Authorization: Bearer ***");
}

/*
 * A 1-2 byte credential after "bearer "/"basic " becomes the longer "***":
 * the text grows.  The smallest body that did it is 10 bytes; a page of
 * short tokens in a row grows it many times over (ASan catches an
 * overflow, a plain build a corrupt heap).
 */
Test(http_text, redact_grows_the_text)
{
	char body[4096];
	const char *d;
	size_t n = 0;

	d = describe(502, "text/html", "<>bearer $");
	cr_assert_str_eq(d, "HTTP 502 Bad Gateway: bearer ***");
	d = describe(401, "text/plain", "basic a");
	cr_assert_str_eq(d, "HTTP 401 Unauthorized: basic ***");
	while (n + 12 < sizeof(body)) {
		memcpy(body + n, "Bearer x ", 9);
		n += 9;
	}
	body[n] = '\0';
	d = describe(500, "text/plain", body);
	cr_assert(strncmp(d, "HTTP 500 Internal Server Error: Bearer *** "
			  "Bearer ***", 53) == 0, "%s", d);
	cr_assert_null(strstr(d, " x"), "%s", d);
	cr_assert_eq(strlen(d), strlen("HTTP 500 Internal Server Error: ") +
		     120 + 3, "%s", d);
}

Test(http_text, describe_transport_error)
{
	struct http_response r;
	char buf[128];

	memset(&r, 0, sizeof(r));
	r.curl_code = CURLE_COULDNT_RESOLVE_HOST;
	cr_assert_str_eq(http_describe(&r, buf, sizeof(buf)),
			 curl_easy_strerror(CURLE_COULDNT_RESOLVE_HOST));
	snprintf(r.error, sizeof(r.error), "cannot resolve host of x:443");
	cr_assert_str_eq(http_describe(&r, buf, sizeof(buf)),
			 "cannot resolve host of x:443");
	/* A short buffer is still a string. */
	cr_assert_eq(strlen(http_describe(&r, buf, 8)), 7);
}

Test(http_text, escape_rfc3986)
{
	char *s = http_escape("a b&c=d/\xc3\xa9~-._Z9");

	cr_assert_str_eq(s, "a%20b%26c%3Dd%2F%C3%A9~-._Z9");
	free(s);
	s = http_escape("");
	cr_assert_str_eq(s, "");
	free(s);
	s = http_escape("sum(rate(x{a=\"b\"}[5m]))");
	cr_assert_str_eq(s, "sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29");
	free(s);
}

/* --- redirects: within the origin only ------------------------------------ */

static const char *
top_dir(void)
{
	const char *top = getenv("top_srcdir");

	return top != NULL && *top != '\0' ? top : TOP_SRCDIR;
}

/* A second httpd.py (another port), killed when the test ends. */
static void
other_server(const char *const *extra, int *p)
{
	cr_assert_lt(nothers, 4);
	others[nothers++] = testsrv_start(top_dir(), "httpd.py", NULL, extra,
					  10000, NULL, p);
}

/* The requests the server on port p has seen (its /_seen list). */
static json_t *
seen_by(int p)
{
	struct http_request rq = { .timeout_ms = 5000 };
	char u[128];
	struct got g;
	json_t *j;

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/_seen", p);
	rq.url = u;
	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%s", g.error);
	j = echo_json(&g);
	cr_assert(json_is_array(j));
	got_done(&g);
	return j;
}

static const char *const tenant_headers[] = {
	"X-Scope-OrgID: tenant-7", "Accept: application/json", NULL
};

/*
 * A redirect to another origin is not followed: the tenant header and
 * the token never reach the other server, and the error says why.
 */
Test(http, redirect_to_another_origin_is_not_followed)
{
	struct http_request rq = { .timeout_ms = 5000,
				   .headers = tenant_headers,
				   .bearer_token = "s3cret-token" };
	char path[160], where[64];
	struct got g;
	int oport;
	json_t *seen;

	other_server(NULL, &oport);
	snprintf(path, sizeof(path), "/goto?to=http://127.0.0.1:%d/echo",
		 oport);
	rq.url = url(path);
	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_REMOTE_ACCESS_DENIED, "%d %ld %s",
		     g.curl_code, g.status, g.body);
	cr_assert_eq(g.status, 302);
	snprintf(where, sizeof(where), "http://127.0.0.1:%d, not followed",
		 oport);
	cr_assert(strstr(g.error, where) != NULL, "%s", g.error);
	cr_assert(strstr(g.describe, "configured origin") != NULL, "%s",
		  g.describe);
	cr_assert(strstr(g.error, "s3cret") == NULL);
	got_done(&g);

	/* 307 keeps the method: a POST is not followed either. */
	snprintf(path, sizeof(path),
		 "/goto?status=307&to=http://localhost:%d/echo", oport);
	rq.url = url(path);
	rq.method = "POST";
	rq.body = "query=up";
	rq.body_len = strlen(rq.body);
	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_REMOTE_ACCESS_DENIED, "%s", g.body);
	got_done(&g);

	seen = seen_by(oport);
	cr_assert_eq(json_array_size(seen), 0, "the other server was asked");
	json_decref(seen);
}

/* Within the origin, a redirect is followed with headers, method, body. */
Test(http, redirect_within_the_origin_keeps_the_request)
{
	struct http_request rq = { .timeout_ms = 5000,
				   .headers = tenant_headers,
				   .method = "POST", .body = "query=up",
				   .body_len = 8 };
	char path[160];
	struct got g;
	json_t *j;

	snprintf(path, sizeof(path), "/goto?status=307&to=http://"
		 "127.0.0.1:%d/echo", port);
	rq.url = url(path);
	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%d %s", g.curl_code, g.error);
	j = echo_json(&g);
	cr_assert_str_eq(echo_header(j, "x-scope-orgid"), "tenant-7");
	cr_assert_str_eq(json_string_value(json_object_get(j, "method")),
			 "POST");
	cr_assert_str_eq(json_string_value(json_object_get(j, "body")),
			 "query=up");
	json_decref(j);
	got_done(&g);

	/* A relative Location is the same origin. */
	rq.url = url("/goto?to=/echo");
	rq.method = NULL;
	rq.body = NULL;
	rq.body_len = 0;
	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%s", g.error);
	j = echo_json(&g);
	cr_assert_str_eq(echo_header(j, "x-scope-orgid"), "tenant-7");
	json_decref(j);
	got_done(&g);
}

/* https to http is refused, whatever the host. */
Test(http, https_to_http_redirect_is_refused)
{
	static char dir[] = "/tmp/test_http.XXXXXX";
	char cmd[1024], crt[256], key[256], path[160], u[256];
	const char *extra[] = { "--tls-cert", crt, "--tls-key", key, NULL };
	struct http_request rq = { .timeout_ms = 5000,
				   .headers = tenant_headers,
				   .insecure = true };
	struct got g;
	int tport, oport;
	json_t *seen;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(crt, sizeof(crt), "%s/server.crt", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes "
		 "-days 2 -subj /CN=127.0.0.1 -keyout %s -out %s "
		 ">/dev/null 2>&1", key, crt);
	if (system(cmd) != 0)
		cr_skip_test("cannot run openssl");
	other_server(extra, &tport);
	other_server(NULL, &oport);

	/* The TLS server answers over https. */
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/json", tport);
	rq.url = u;
	fetch(&rq, &g);
	cr_assert_eq(g.status, 200, "%s", g.error);
	got_done(&g);

	snprintf(path, sizeof(path), "/goto?to=http://127.0.0.1:%d/echo",
		 oport);
	snprintf(u, sizeof(u), "https://127.0.0.1:%d%s", tport, path);
	fetch(&rq, &g);
	cr_assert_eq(g.curl_code, CURLE_UNSUPPORTED_PROTOCOL, "%d %s",
		     g.curl_code, g.error);
	cr_assert(strstr(g.error, "from https to http://127.0.0.1") != NULL &&
		  strstr(g.error, "downgrade") != NULL, "%s", g.error);
	got_done(&g);
	seen = seen_by(oport);
	cr_assert_eq(json_array_size(seen), 0, "the http server was asked");
	json_decref(seen);

	unlink(crt);
	unlink(key);
	rmdir(dir);
}

/*
 * Retry-After is digits only: a fraction, an exponent, a sign or more
 * than 9 digits is ignored (no delay known), never read as some number.
 */
Test(http, retry_after_must_be_whole_seconds)
{
	static const struct {
		const char *value;
		double want;
	} cases[] = {
		{ "0", 0 }, { "120", 120 }, { "999999999", 999999999 },
		{ "1e3", 0 }, { "1.5", 0 }, { "-5", 0 }, { "%2B5", 0 },
		{ "0x10", 0 }, { "1000000000", 0 },
		{ "99999999999999999999999", 0 }, { "inf", 0 }, { "nan", 0 },
	};
	struct http_request rq = { .timeout_ms = 5000 };
	char path[128];
	struct got g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "/retry?after=%s", cases[i].value);
		rq.url = url(path);
		fetch(&rq, &g);
		cr_assert_eq(g.status, 429);
		cr_assert(g.retry_after_s == cases[i].want, "%s read as %g",
			  cases[i].value, g.retry_after_s);
		got_done(&g);
	}
}
