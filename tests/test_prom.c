/*
 * test_prom — the Prometheus answer decoder over the bodies in
 * tests/fixtures/prom/ (written from the API format in REFERENCE.md §1):
 * numbers in every Go spelling, empty answers, warnings, error envelopes,
 * non-JSON error pages from proxies, truncated JSON and answers with more
 * series than a gate can use.  Then the client's own rules without a
 * server: a URL is required, a refused connection lands in every series,
 * and a refresh still in flight is not doubled.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "prom.h"
#include "xmalloc.h"

static char *
fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/prom/%s",
		 top != NULL ? top : ".", name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "fixture %s (set top_srcdir)", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

enum expect {
	OK_VALUE,		/* 0, value compared */
	OK_NAN,			/* 0, value is NaN */
	OK_EMPTY,		/* 0, empty */
	FAIL,			/* -1, message compared */
};

struct dcase {
	const char *file;
	long status;
	const char *ctype;
	enum expect expect;
	double value;
	int64_t wall_ms;
	const char *msg;	/* exact message (FAIL), or NULL */
	const char *contains;	/* substring of the message, or NULL */
	enum prom_result type;
	int nwarnings;
};

#define JSON "application/json"

static const struct dcase cases[] = {
	{ "vector_one.json", 200, JSON, OK_VALUE, 0.005, 1754400123456, NULL,
	  NULL, PROM_RESULT_VECTOR, 0 },
	{ "vector_empty.json", 200, JSON, OK_EMPTY, 0, 0, NULL, NULL,
	  PROM_RESULT_VECTOR, 0 },
	{ "scalar.json", 200, JSON, OK_VALUE, 42, 1754400000000, NULL, NULL,
	  PROM_RESULT_SCALAR, 0 },
	{ "vector_nan.json", 200, JSON, OK_NAN, 0, 1754400060000, NULL, NULL,
	  PROM_RESULT_VECTOR, 0 },
	{ "vector_pos_inf.json", 200, JSON, OK_VALUE, INFINITY,
	  1754400060100, NULL, NULL, PROM_RESULT_VECTOR, 0 },
	{ "vector_neg_inf.json", 200, JSON, OK_VALUE, -INFINITY,
	  1754400060010, NULL, NULL, PROM_RESULT_VECTOR, 0 },
	{ "vector_exp_small.json", 200, JSON, OK_VALUE, 1e-05, 1754400060000,
	  NULL, NULL, PROM_RESULT_VECTOR, 0 },
	{ "vector_exp_large.json", 200, JSON, OK_VALUE, 1.5e21,
	  1754400060000, NULL, NULL, PROM_RESULT_VECTOR, 0 },
	{ "vector_decimal.json", 200, JSON, OK_VALUE, 0.000123,
	  1754400060000, NULL, NULL, PROM_RESULT_VECTOR, 0 },
	/* Thanos partial response: HTTP 200 + warnings, value still good. */
	{ "vector_warnings.json", 200, JSON, OK_VALUE, 3.25, 1754400060000,
	  NULL, NULL, PROM_RESULT_VECTOR, 2 },
	/* content type missing: still JSON by its first byte */
	{ "vector_one.json", 200, NULL, OK_VALUE, 0.005, 1754400123456, NULL,
	  NULL, PROM_RESULT_VECTOR, 0 },
	{ "vector_bad_value.json", 200, JSON, FAIL, 0, 0,
	  "sample value \"12abc\" is not a number", NULL, PROM_RESULT_VECTOR,
	  0 },
	{ "vector_several.json", 200, JSON, FAIL, 0, 0,
	  "query returned 3 series; expected one (use sum())", NULL,
	  PROM_RESULT_VECTOR, 0 },
	{ "vector_histogram.json", 200, JSON, FAIL, 0, 0, NULL,
	  "native histogram", PROM_RESULT_VECTOR, 0 },
	{ "vector_matrix_instant.json", 200, JSON, FAIL, 0, 0, NULL,
	  "range vector", PROM_RESULT_MATRIX, 0 },
	{ "string.json", 200, JSON, FAIL, 0, 0,
	  "query returned a string; expected a number", NULL,
	  PROM_RESULT_STRING, 0 },
	{ "error_bad_data.json", 400, JSON, FAIL, 0, 0,
	  "bad_data: invalid parameter \"query\": 1:14: parse error: "
	  "unexpected \")\"", NULL, PROM_RESULT_NONE, 0 },
	{ "error_timeout.json", 503, JSON, FAIL, 0, 0,
	  "timeout: query timed out in expression evaluation", NULL,
	  PROM_RESULT_NONE, 0 },
	/* the error envelope wins even when a proxy says 200 */
	{ "error_timeout.json", 200, JSON, FAIL, 0, 0,
	  "timeout: query timed out in expression evaluation", NULL,
	  PROM_RESULT_NONE, 0 },
	{ "unauthorized.txt", 401, "text/plain; charset=utf-8", FAIL, 0, 0,
	  "HTTP 401: no org id", NULL, PROM_RESULT_NONE, 0 },
	{ "bad_gateway.html", 502, "text/html", FAIL, 0, 0,
	  "HTTP 502: 502 Bad Gateway nginx/1.25.3", NULL, PROM_RESULT_NONE,
	  0 },
	{ "login_page.html", 200, "text/html; charset=utf-8", FAIL, 0, 0,
	  "HTTP 200: not a Prometheus answer (text/html; charset=utf-8): "
	  "Sign in & continue You must sign in to view Prometheus.", NULL,
	  PROM_RESULT_NONE, 0 },
	{ "forbidden.json", 403, JSON, FAIL, 0, 0,
	  "HTTP 403: services \"prometheus-k8s:9090\" is forbidden: User "
	  "\"ci\" cannot get resource \"services/proxy\"", NULL,
	  PROM_RESULT_NONE, 0 },
	{ "unavailable_long.txt", 503, "text/plain", FAIL, 0, 0,
	  "HTTP 503: upstream connect error or disconnect/reset before "
	  "headers. retried and the latest reset reason: remote "
	  "connection...", NULL, PROM_RESULT_NONE, 0 },
	{ "truncated.json", 200, JSON, FAIL, 0, 0, NULL,
	  "malformed JSON answer (HTTP 200", PROM_RESULT_NONE, 0 },
	/* a proxy cut the JSON and said 504: the status is what matters */
	{ "truncated.json", 504, JSON, FAIL, 0, 0, NULL, "HTTP 504: ",
	  PROM_RESULT_NONE, 0 },
};

static void
check_case(const struct dcase *c)
{
	struct prom_answer a;
	struct err e;
	size_t len;
	char *body = fixture(c->file, &len);
	int rc;

	err_clear(&e);
	rc = prom_decode(body, len, c->status, c->ctype, &a, &e);
	if (c->expect == FAIL) {
		cr_assert_eq(rc, -1, "%s: should fail", c->file);
		if (c->msg != NULL)
			cr_assert_str_eq(e.msg, c->msg, "%s: \"%s\"", c->file,
					 e.msg);
		if (c->contains != NULL)
			cr_assert_not_null(strstr(e.msg, c->contains),
					   "%s: \"%s\" lacks \"%s\"", c->file,
					   e.msg, c->contains);
		cr_assert_null(strstr(e.msg, "line 1"), "%s", c->file);
		cr_assert_leq(strlen(e.msg), 250, "%s", c->file);
	} else {
		cr_assert_eq(rc, 0, "%s: %s", c->file, e.msg);
		cr_assert_eq(a.nwarnings, c->nwarnings, "%s", c->file);
		cr_assert_eq(a.type, c->type, "%s", c->file);
		cr_assert_eq(a.empty, c->expect == OK_EMPTY, "%s", c->file);
		if (c->expect == OK_EMPTY) {
			cr_assert(isnan(a.value));
			cr_assert_eq(a.nseries, 0);
		} else {
			cr_assert_eq(a.nseries, 1, "%s", c->file);
			cr_assert_eq(a.sample_wall_ms, c->wall_ms, "%s: %lld",
				     c->file, (long long)a.sample_wall_ms);
		}
		if (c->expect == OK_NAN)
			cr_assert(isnan(a.value), "%s", c->file);
		if (c->expect == OK_VALUE)
			cr_assert(a.value == c->value, "%s: %.17g != %.17g",
				  c->file, a.value, c->value);
	}
	if (c->type != PROM_RESULT_NONE)
		cr_assert_eq(a.type, c->type, "%s", c->file);
	free(body);
}

Test(prom_decode, table)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

Test(prom_decode, warnings_first_text)
{
	struct prom_answer a;
	struct err e;
	size_t len;
	char *body = fixture("vector_warnings.json", &len);

	cr_assert_eq(prom_decode(body, len, 200, JSON, &a, &e), 0);
	cr_assert_eq(a.nwarnings, 2);
	cr_assert_str_eq(a.warning, "No StoreAPIs matched for this query");
	free(body);
}

Test(prom_decode, error_envelope_fields)
{
	struct prom_answer a;
	struct err e;
	size_t len;
	char *body = fixture("error_bad_data.json", &len);

	err_clear(&e);
	cr_assert_eq(prom_decode(body, len, 400, JSON, &a, &e), -1);
	cr_assert_str_eq(a.error_type, "bad_data");
	cr_assert_str_eq(a.error, "invalid parameter \"query\": 1:14: parse "
			 "error: unexpected \")\"");
	free(body);
}

Test(prom_decode, empty_bodies)
{
	struct prom_answer a;
	struct err e;

	err_clear(&e);
	cr_assert_eq(prom_decode("", 0, 503, "text/plain", &a, &e), -1);
	cr_assert_str_eq(e.msg, "HTTP 503 (empty response)");
	cr_assert_eq(prom_decode(NULL, 0, 200, JSON, &a, &e), -1);
	cr_assert_str_eq(e.msg, "HTTP 200: empty answer");
	cr_assert_eq(prom_decode("<html></html>", 13, 504, "text/html", &a,
				 &e), -1);
	cr_assert_str_eq(e.msg, "HTTP 504 (empty response)");
}

Test(prom_decode, snippet_keeps_utf8_whole)
{
	struct prom_answer a;
	struct err e;
	char body[400];
	size_t i, n = 0;

	/* 116 ASCII bytes, then 'é' (2 bytes) straddling the cut at 117
	 * (120 minus room for "..."), then more text */
	for (i = 0; i < 116; i++)
		body[n++] = 'x';
	body[n++] = (char)0xc3;
	body[n++] = (char)0xa9;
	for (i = 0; i < 20; i++)
		body[n++] = 'y';
	err_clear(&e);
	cr_assert_eq(prom_decode(body, n, 500, "text/plain", &a, &e), -1);
	cr_assert_eq(strlen(e.msg), strlen("HTTP 500: ") + 116 + 3, "%s",
		     e.msg);
	cr_assert_str_eq(e.msg + strlen(e.msg) - 4, "x...");
}

Test(prom_decode, value_spellings)
{
	double v;

	cr_assert_eq(prom_parse_value("NaN", &v), 0);
	cr_assert(isnan(v));
	cr_assert_eq(prom_parse_value("+Inf", &v), 0);
	cr_assert(isinf(v) && v > 0);
	cr_assert_eq(prom_parse_value("-Inf", &v), 0);
	cr_assert(isinf(v) && v < 0);
	cr_assert_eq(prom_parse_value("1e-07", &v), 0);
	cr_assert(v == 1e-07);
	cr_assert_eq(prom_parse_value("1e+21", &v), 0);
	cr_assert(v == 1e21);
	cr_assert_eq(prom_parse_value("-0.25", &v), 0);
	cr_assert(v == -0.25);
	cr_assert_eq(prom_parse_value("", &v), -1);
	cr_assert_eq(prom_parse_value(" 1", &v), -1);
	cr_assert_eq(prom_parse_value("1 ", &v), -1);
	cr_assert_eq(prom_parse_value("0.5%", &v), -1);
	cr_assert_eq(prom_parse_value(NULL, &v), -1);
}

Test(prom_decode_range, matrix)
{
	struct prom_range r;
	struct err e;
	size_t len;
	char *body = fixture("matrix_range.json", &len);

	err_clear(&e);
	cr_assert_eq(prom_decode_range(body, len, 200, JSON, &r, &e), 0,
		     "%s", e.msg);
	cr_assert_eq(r.meta.type, PROM_RESULT_MATRIX);
	cr_assert_eq(r.npoints, 4);
	cr_assert_eq(r.points[0].wall_ms, 1754400000000);
	cr_assert(r.points[0].value == 0.1);
	cr_assert_eq(r.points[1].wall_ms, 1754400015000);
	cr_assert(r.points[1].value == 0.2);
	cr_assert(isnan(r.points[2].value));
	cr_assert_eq(r.points[3].wall_ms, 1754400045500);
	cr_assert(r.points[3].value == 1e-07);
	prom_range_done(&r);
	cr_assert_null(r.points);
	free(body);
}

Test(prom_decode_range, empty_and_errors)
{
	struct prom_range r;
	struct err e;
	size_t len;
	char *body;

	body = fixture("matrix_empty.json", &len);
	cr_assert_eq(prom_decode_range(body, len, 200, JSON, &r, &e), 0);
	cr_assert(r.meta.empty);
	cr_assert_eq(r.npoints, 0);
	prom_range_done(&r);
	free(body);

	body = fixture("matrix_two.json", &len);
	err_clear(&e);
	cr_assert_eq(prom_decode_range(body, len, 200, JSON, &r, &e), -1);
	cr_assert_str_eq(e.msg,
			 "query returned 2 series; expected one (use sum())");
	cr_assert_null(r.points);
	free(body);

	body = fixture("vector_one.json", &len);
	cr_assert_eq(prom_decode_range(body, len, 200, JSON, &r, &e), -1);
	cr_assert_str_eq(e.msg, "range query returned no matrix");
	free(body);

	body = fixture("bad_gateway.html", &len);
	cr_assert_eq(prom_decode_range(body, len, 502, "text/html", &r, &e),
		     -1);
	cr_assert_str_eq(e.msg, "HTTP 502: 502 Bad Gateway nginx/1.25.3");
	free(body);
}

/* ------------------------------------------------------------- client */

Test(prom_client, needs_http_url)
{
	struct plan p;
	struct metrics m;
	struct err e;

	memset(&p, 0, sizeof(p));
	metrics_init(&m);
	err_clear(&e);
	cr_assert_null(prom_new(&p, NULL, &m, &e));
	cr_assert_str_eq(e.msg, "prometheus.url is not set");
	p.prometheus.url = "prometheus:9090";
	cr_assert_null(prom_new(&p, NULL, &m, &e));
	cr_assert_str_eq(e.msg,
			 "prometheus.url must start with http:// or https://");
}

/* A port on 127.0.0.1 that nobody listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void
count(void *arg)
{
	(*(int *)arg)++;
}

Test(prom_client, refused_connection_in_every_series)
{
	struct plan p;
	struct metrics m;
	struct loop *l;
	struct prom *pr;
	struct err e;
	int i, updates = 0;

	plan_defaults(&p);
	free(p.prometheus.url);
	p.prometheus.url = xasprintf("http://127.0.0.1:%d/prometheus",
				     closed_port());
	p.prometheus.timeout_ms = 5000;
	p.gates.max_age_ms = 30000;
	metrics_init(&m);
	l = loop_new(&clock_system);
	err_clear(&e);
	pr = prom_new(&p, l, &m, &e);
	cr_assert_not_null(pr, "%s", e.msg);
	prom_on_update(pr, count, &updates);

	cr_assert_eq(prom_refresh(pr), 0);
	cr_assert(m.in_flight);
	cr_assert(prom_busy(pr));
	cr_assert_eq(loop_transfers(l), Q_COUNT);
	cr_assert_eq(prom_refresh(pr), 0, "skipped, not an error");
	cr_assert_eq(loop_transfers(l), Q_COUNT, "not doubled");
	for (i = 0; i < 200 && prom_busy(pr); i++)
		loop_run_once(l, 50);
	cr_assert_not(prom_busy(pr));
	cr_assert_not(m.in_flight);
	cr_assert_geq(updates, 1);
	for (i = 0; i < Q_COUNT; i++) {
		cr_assert_eq(m.q[i].state, SOURCE_ERROR);
		cr_assert_not_null(strstr(m.q[i].error, "connection refused"),
				   "%s", m.q[i].error);
		cr_assert_eq(m.q[i].nhistory, 1);
		cr_assert(isnan(m.q[i].history[0]));
	}

	/* freeing with requests in flight cancels them */
	cr_assert_eq(prom_refresh(pr), 0);
	cr_assert(m.in_flight);
	prom_free(pr);
	cr_assert_not(m.in_flight);
	cr_assert_eq(loop_transfers(l), 0);
	loop_free(l);
	plan_done(&p);
}

/* A sample time outside 1970..9999 would wrap in milliseconds. */
Test(prom_decode, sample_time_out_of_range)
{
	static const char *const bad[] = {
		"1e300", "-1", "9223372036854775807", "253402300800",
		"\"1754400000\"",
	};
	char body[256];
	struct prom_answer a;
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"status\":\"success\","
			 "\"data\":{\"resultType\":\"vector\",\"result\":"
			 "[{\"metric\":{},\"value\":[%s,\"1\"]}]}}", bad[i]);
		err_clear(&e);
		cr_assert_eq(prom_decode(body, strlen(body), 200, NULL, &a, &e),
			     -1, "%s accepted", bad[i]);
		cr_assert(strstr(e.msg, "sample time") != NULL, "%s: %s",
			  bad[i], e.msg);
	}
	snprintf(body, sizeof(body), "{\"status\":\"success\",\"data\":"
		 "{\"resultType\":\"scalar\",\"result\":"
		 "[253402300798.5,\"1\"]}}");
	cr_assert_eq(prom_decode(body, strlen(body), 200, NULL, &a, &e), 0,
		     "%s", e.msg);
	cr_assert_eq(a.sample_wall_ms, 253402300798500LL);
}
