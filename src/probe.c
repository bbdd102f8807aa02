/*
 * probe — synthetic requests through the gateways (see probe.h).
 *
 * Each probe has a timer and, per gateway, at most one transfer: a curl
 * easy handle on the loop's multi, with a deadline (CURLOPT_TIMEOUT_MS),
 * a fresh connection each time (the load balancer is what is probed) and
 * no redirects.  The URL keeps the real host name; CURLOPT_CONNECT_TO
 * sends the connection to the gateway's address, so Host, SNI and the
 * certificate check all use the real name.
 *
 * Invariants:
 * - Nothing a server sends is kept but the status, the gRPC status and at
 *   most PROBE_BODY_MAX bytes of a gRPC body; a result's text is made
 *   here from numbers and curl's error, then scrubbed.
 * - A WebSocket probe ends at the blank line after a 101's headers: the
 *   header callback returns 0, curl stops with CURLE_WRITE_ERROR, and the
 *   probe is judged on what it read (libcurl 7.88 has no WebSocket API).
 * - Header values read from files and the body are wiped after use.
 * - No address (discovery failed or pending) records no result: a probe
 *   that was never sent is no data, never a failure and never a pass.
 */
#include "config.h"

#include "probe.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "http.h"
#include "kube.h"
#include "text.h"
#include "xmalloc.h"

#define PROBE_BODY_MAX 256		/* kept of a gRPC answer */
#define PROBE_FILE_MAX (64 * 1024)	/* a header or body file */
#define PROBE_DISCOVER_EVERY_MS 30000

struct probe_runner;

struct probe_xfer {
	struct probe_runner *r;
	int idx;
	enum probe_side side;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to;
	char *post;
	size_t post_len;
	char errbuf[CURL_ERROR_SIZE];
	int64_t started;
	long status;		/* of the last status line */
	int grpc_status;	/* -1: none seen */
	bool ws_upgrade;	/* "Upgrade: websocket" in the 101 */
	bool ws_done;		/* stopped at the 101's end */
	unsigned char body[PROBE_BODY_MAX];
	size_t body_len;
	bool body_over;
};

struct probe_task {
	struct probe_runner *r;
	int idx;
	struct probe_xfer *x[PROBE_SIDES];
	struct loop_timer *timer;
};

struct probe_runner {
	const struct plan *plan;
	struct loop *loop;
	struct metrics *m;
	struct kube *kube;
	struct kube_call *disc;
	int64_t disc_last;
	char address[PROBE_SIDES][300];
	char addr_why[200];
	struct probe_task task[PLAN_PROBES_MAX];
	void (*on_update)(void *arg);
	void *on_update_arg;
};

enum probe_kind
probe_kind_of(const struct plan_probe *pp)
{
	if (pp->kind != NULL && strcmp(pp->kind, "websocket") == 0)
		return PROBE_WEBSOCKET;
	if (pp->kind != NULL && strcmp(pp->kind, "grpc") == 0)
		return PROBE_GRPC;
	return PROBE_HTTP;
}

long
probe_expect_status(const struct plan_probe *pp)
{
	if (pp->expect_status > 0)
		return pp->expect_status;
	return probe_kind_of(pp) == PROBE_WEBSOCKET ? 101 : 200;
}

/* --- verdict (pure) -------------------------------------------------------- */

enum verdict
probe_verdict(const struct plan *p, const struct metrics *m,
	      int64_t now, char *why, size_t len, int *failing)
{
	enum verdict v = VERDICT_PASS;
	char tmp[200];
	int bad = 0;

	if (why == NULL || len == 0) {
		why = tmp;
		len = sizeof(tmp);
	}
	why[0] = '\0';
	if (p->probes.n == 0) {
		if (failing != NULL)
			*failing = 0;
		return VERDICT_NONE;
	}
	for (int i = 0; i < p->probes.n && i < PLAN_PROBES_MAX; i++) {
		const struct plan_probe *pp = &p->probes.items[i];
		const struct probe_series *ps = &m->probe[i][PROBE_ISTIO];
		int64_t max_age = 2 * pp->interval_ms + pp->timeout_ms +
				  p->gates.max_age_ms;
		bool any_ok = false;

		for (int k = 0; k < ps->nhistory; k++)
			any_ok |= ps->ok_history[k] > 0;
		if (ps->state != SOURCE_UNKNOWN &&
		    ps->failures >= p->probes.failures) {
			if (bad++ == 0)
				snprintf(why, len, "%s failed %d in a row: %s",
					 pp->name, ps->failures, ps->why);
			v = VERDICT_FAIL;
			continue;
		}
		if (v == VERDICT_FAIL)
			continue;
		if (ps->state == SOURCE_UNKNOWN) {
			if (v == VERDICT_PASS)
				snprintf(why, len, "no data: %s not run yet%s%s",
					 pp->name, ps->why[0] ? ": " : "",
					 ps->why);
			v = VERDICT_NO_DATA;
		} else if (now - ps->last_mono_ms > max_age) {
			if (v == VERDICT_PASS)
				snprintf(why, len, "no data: %s stale %llds",
					 pp->name, (long long)((now -
					 ps->last_mono_ms) / 1000));
			v = VERDICT_NO_DATA;
		} else if (!any_ok) {
			if (v == VERDICT_PASS)
				snprintf(why, len, "no data: %s has not "
					 "passed yet (%d failed): %s", pp->name,
					 ps->failures, ps->why);
			v = VERDICT_NO_DATA;
		}
	}
	if (v == VERDICT_PASS)
		snprintf(why, len, "%d probe%s pass", p->probes.n,
			 p->probes.n == 1 ? "" : "s");
	/* The cut may split a character: JSON needs valid UTF-8. */
	text_sanitise(why);
	if (failing != NULL)
		*failing = bad;
	return v;
}

/* --- gRPC, by hand --------------------------------------------------------- */

/* A protobuf varint at *p (at most 10 bytes, within end). */
static int
probe_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 10; i++) {
		if (*p >= end)
			return -1;
		x |= (uint64_t)(**p & 0x7f) << (7 * i);
		if ((*(*p)++ & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

int
probe_grpc_parse(const unsigned char *buf, size_t len, int *status)
{
	const unsigned char *p, *end;
	uint64_t key, v, n;

	if (buf == NULL || len < 5 || buf[0] != 0)
		return -1;
	n = (uint64_t)buf[1] << 24 | (uint64_t)buf[2] << 16 |
	    (uint64_t)buf[3] << 8 | buf[4];
	if (n > len - 5)
		return -1;
	p = buf + 5;
	end = p + n;
	*status = 0;		/* proto3: an absent field is 0, UNKNOWN */
	while (p < end) {
		if (probe_varint(&p, end, &key) == -1)
			return -1;
		switch (key & 7) {
		case 0:
			if (probe_varint(&p, end, &v) == -1)
				return -1;
			if (key >> 3 == 1)
				*status = v > 1000 ? 1000 : (int)v;
			break;
		case 1:
			if (end - p < 8)
				return -1;
			p += 8;
			break;
		case 2:
			if (probe_varint(&p, end, &v) == -1 ||
			    v > (uint64_t)(end - p))
				return -1;
			p += v;
			break;
		case 5:
			if (end - p < 4)
				return -1;
			p += 4;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static const char *
probe_grpc_status_name(int s)
{
	static const char *const names[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
		"PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
		"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
		"UNAUTHENTICATED",
	};

	return s >= 0 && s < (int)(sizeof(names) / sizeof(names[0])) ?
	       names[s] : "?";
}

static const char *
probe_serving_name(int s)
{
	static const char *const names[] = {
		"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN",
	};

	return s >= 0 && s < 4 ? names[s] : "?";
}

/* --- files (secrets) ------------------------------------------------------- */

/*
 * Read a small file into a new buffer (NUL-terminated).  A header value
 * loses its trailing line break; the caller wipes and frees it.
 */
static char *
probe_read_file(const char *path, bool header, size_t *len, char *why,
		size_t whylen)
{
	char *buf = xmalloc(PROBE_FILE_MAX + 1);
	size_t n = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, whylen, "cannot read %s: %s", path,
			 strerror(errno));
		free(buf);
		return NULL;
	}
	while (n < PROBE_FILE_MAX &&
	       (got = read(fd, buf + n, PROBE_FILE_MAX - n)) > 0)
		n += (size_t)got;
	if (n == PROBE_FILE_MAX) {
		char c;

		if (read(fd, &c, 1) == 1) {
			close(fd);
			xfree_secret(buf, PROBE_FILE_MAX + 1);
			snprintf(why, whylen, "%s is larger than %d bytes",
				 path, PROBE_FILE_MAX);
			return NULL;
		}
	}
	close(fd);
	buf[n] = '\0';
	if (header) {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		if (memchr(buf, '\n', n) != NULL ||
		    memchr(buf, '\r', n) != NULL || strlen(buf) != n) {
			xfree_secret(buf, PROBE_FILE_MAX + 1);
			snprintf(why, whylen, "%s holds more than one line",
				 path);
			return NULL;
		}
	}
	*len = n;
	return buf;
}

/* --- one transfer ---------------------------------------------------------- */

static void
probe_xfer_free(struct probe_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	for (struct curl_slist *h = x->headers; h != NULL; h = h->next)
		xwipe(h->data, strlen(h->data));
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->connect_to);
	if (x->post != NULL)
		xfree_secret(x->post, x->post_len + 1);
	free(x);
}

static size_t
probe_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct probe_xfer *x = arg;
	size_t n = size * nmemb, room = sizeof(x->body) - x->body_len;

	if (n > room) {
		x->body_over = true;
		n = room;
	}
	memcpy(x->body + x->body_len, data, n);
	x->body_len += n;
	return size * nmemb;
}

static size_t
probe_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct probe_xfer *x = arg;
	size_t n = size * nmemb;
	char v[32];

	if (n >= 12 && strncmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', n);

		x->status = 0;
		x->ws_upgrade = false;
		if (sp != NULL && (size_t)(sp - data) + 4 <= n &&
		    isdigit((unsigned char)sp[1]) &&
		    isdigit((unsigned char)sp[2]) &&
		    isdigit((unsigned char)sp[3]))
			x->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
				    (sp[3] - '0');
		return n;
	}
	if (http_header_is(data, n, "grpc-status")) {
		http_header_value(data, n, strlen("grpc-status"), v,
				   sizeof(v));
		if (v[0] != '\0' && strlen(v) <= 3 &&
		    strspn(v, "0123456789") == strlen(v))
			x->grpc_status = atoi(v);
		return n;
	}
	if (http_header_is(data, n, "Upgrade")) {
		http_header_value(data, n, strlen("Upgrade"), v, sizeof(v));
		if (strcasecmp(v, "websocket") == 0)
			x->ws_upgrade = true;
		return n;
	}
	/* The end of a 101's headers: the upgrade is answered, stop. */
	if ((n == 2 || n == 1) && x->status == 101 &&
	    probe_kind_of(&x->r->plan->probes.items[x->idx]) ==
	    PROBE_WEBSOCKET) {
		x->ws_done = true;
		return 0;
	}
	return n;
}

static void
probe_base64(const unsigned char *in, size_t n, char *out)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = t[in[i] >> 2];
		out[o++] = t[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = t[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		out[o++] = t[in[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = t[in[i] >> 2];
		if (i + 1 < n) {
			out[o++] = t[(in[i] & 3) << 4 | in[i + 1] >> 4];
			out[o++] = t[(in[i + 1] & 15) << 2];
		} else {
			out[o++] = t[(in[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* The request's headers: the plan's, the files', then the kind's. */
static int
probe_headers(struct probe_xfer *x, const struct plan_probe *pp, char *why,
	      size_t whylen)
{
	enum probe_kind kind = probe_kind_of(pp);
	char *line;

	for (int i = 0; i < pp->nheaders; i++) {
		line = xasprintf("%s: %s", pp->headers[i].name,
				 pp->headers[i].value);
		x->headers = curl_slist_append(x->headers, line);
		xfree_secret_str(line);
	}
	for (int i = 0; i < pp->nheader_files; i++) {
		size_t n;
		char *v = probe_read_file(pp->header_files[i].value, true, &n,
					  why, whylen);

		if (v == NULL)
			return -1;
		line = xasprintf("%s: %s", pp->header_files[i].name, v);
		xfree_secret(v, PROBE_FILE_MAX + 1);
		x->headers = curl_slist_append(x->headers, line);
		xfree_secret_str(line);
	}
	if (kind == PROBE_WEBSOCKET) {
		unsigned char key[16];
		char b64[32];

		/* A nonce, not a secret: without randomness, the clock. */
		if (getrandom(key, sizeof(key), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(key)) {
			uint64_t t = (uint64_t)loop_now(x->r->loop);

			for (size_t i = 0; i < sizeof(key); i++)
				key[i] = (unsigned char)((t >> (i % 8 * 8)) ^
							 (i * 37));
		}
		probe_base64(key, sizeof(key), b64);
		line = xasprintf("Sec-WebSocket-Key: %s", b64);
		x->headers = curl_slist_append(x->headers, "Connection: Upgrade");
		x->headers = curl_slist_append(x->headers, "Upgrade: websocket");
		x->headers = curl_slist_append(x->headers,
					       "Sec-WebSocket-Version: 13");
		x->headers = curl_slist_append(x->headers, line);
		free(line);
	} else if (kind == PROBE_GRPC) {
		x->headers = curl_slist_append(x->headers,
					       "Content-Type: application/grpc");
		x->headers = curl_slist_append(x->headers, "TE: trailers");
		x->headers = curl_slist_append(x->headers, "Expect:");
	}
	return 0;
}

/* The request body: the file's, or a gRPC HealthCheckRequest. */
static int
probe_body(struct probe_xfer *x, const struct plan_probe *pp, char *why,
	   size_t whylen)
{
	if (probe_kind_of(pp) == PROBE_GRPC) {
		const char *svc = pp->grpc_service != NULL ?
				  pp->grpc_service : "";
		size_t sl = strlen(svc), msg, o = 0;

		if (sl > 1000) {
			snprintf(why, whylen, "grpc_service too long");
			return -1;
		}
		/* field 1 (service), length-delimited: 0x0a, varint, bytes */
		msg = sl == 0 ? 0 : 1 + (sl < 128 ? 1 : 2) + sl;
		x->post_len = 5 + msg;
		x->post = xcalloc(1, x->post_len + 1);
		o = 1;
		x->post[o++] = (char)((msg >> 24) & 0xff);
		x->post[o++] = (char)((msg >> 16) & 0xff);
		x->post[o++] = (char)((msg >> 8) & 0xff);
		x->post[o++] = (char)(msg & 0xff);
		if (sl > 0) {
			x->post[o++] = 0x0a;
			if (sl < 128) {
				x->post[o++] = (char)sl;
			} else {
				x->post[o++] = (char)(0x80 | (sl & 0x7f));
				x->post[o++] = (char)(sl >> 7);
			}
			memcpy(x->post + o, svc, sl);
		}
		return 0;
	}
	if (pp->body_file == NULL)
		return 0;
	x->post = probe_read_file(pp->body_file, false, &x->post_len, why,
				  whylen);
	if (x->post == NULL)
		return -1;
	/* probe_read_file's buffer is larger than post_len + 1: wipe all. */
	{
		char *copy = xmalloc(x->post_len + 1);

		memcpy(copy, x->post, x->post_len + 1);
		xfree_secret(x->post, PROBE_FILE_MAX + 1);
		x->post = copy;
	}
	return 0;
}

/* "host:port" of the address, split; brackets for IPv6. */
static void
probe_connect_to(const char *address, char *out, size_t len)
{
	char host[280];
	const char *port = "";
	const char *colon = strrchr(address, ':');
	size_t hl;

	if (address[0] == '[') {
		const char *rb = strchr(address, ']');

		hl = rb != NULL ? (size_t)(rb - address + 1) : strlen(address);
		if (rb != NULL && rb[1] == ':')
			port = rb + 2;
	} else if (colon != NULL && strchr(address, ':') == colon) {
		hl = (size_t)(colon - address);
		port = colon + 1;
	} else if (colon != NULL) {
		/* a bare IPv6 address */
		snprintf(out, len, "::[%s]:", address);
		return;
	} else {
		hl = strlen(address);
	}
	if (hl >= sizeof(host))
		hl = sizeof(host) - 1;
	memcpy(host, address, hl);
	host[hl] = '\0';
	snprintf(out, len, "::%s:%s", host, port);
}

static void probe_done(CURL *easy, CURLcode result, void *arg);

static void
probe_result(struct probe_runner *r, int idx, enum probe_side side, bool ok,
	     long status, double ms, const char *why)
{
	metrics_probe_record(r->m, idx, side, ok, status, ms, why,
			     loop_now(r->loop));
	if (r->on_update != NULL)
		r->on_update(r->on_update_arg);
}

static void
probe_send(struct probe_runner *r, int idx, enum probe_side side)
{
	const struct plan_probe *pp = &r->plan->probes.items[idx];
	enum probe_kind kind = probe_kind_of(pp);
	struct probe_xfer *x;
	char why[200], ct[320];
	bool https = strncmp(pp->url, "https://", 8) == 0;
	CURL *e;

	if (r->task[idx].x[side] != NULL || r->address[side][0] == '\0')
		return;
	x = xcalloc(1, sizeof(*x));
	x->r = r;
	x->idx = idx;
	x->side = side;
	x->grpc_status = -1;
	why[0] = '\0';
	if (probe_headers(x, pp, why, sizeof(why)) == -1 ||
	    probe_body(x, pp, why, sizeof(why)) == -1) {
		probe_xfer_free(x);
		/* The probe could not be sent: no result about the gateway. */
		snprintf(r->m->probe[idx][side].why,
			 sizeof(r->m->probe[idx][side].why), "%s", why);
		text_scrub(r->m->probe[idx][side].why,
			   sizeof(r->m->probe[idx][side].why));
		if (r->on_update != NULL)
			r->on_update(r->on_update_arg);
		return;
	}
	probe_connect_to(r->address[side], ct, sizeof(ct));
	x->connect_to = curl_slist_append(NULL, ct);
	x->easy = e = curl_easy_init();
	if (e == NULL) {
		probe_xfer_free(x);
		return;
	}
	if (kind == PROBE_GRPC) {
		/* The method is the path, whatever the URL's. */
		CURLU *u = curl_url();
		char *full = NULL;

		if (u != NULL &&
		    curl_url_set(u, CURLUPART_URL, pp->url, 0) == CURLUE_OK &&
		    curl_url_set(u, CURLUPART_PATH,
				 "/grpc.health.v1.Health/Check", 0) ==
		    CURLUE_OK &&
		    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
			curl_easy_setopt(e, CURLOPT_URL, full);
		else
			curl_easy_setopt(e, CURLOPT_URL, pp->url);
		curl_free(full);
		curl_url_cleanup(u);
	} else {
		curl_easy_setopt(e, CURLOPT_URL, pp->url);
	}
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)pp->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)pp->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, x->connect_to);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, probe_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, probe_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "cutover-probe/" VERSION);
	if (r->plan->probes.ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, r->plan->probes.ca_file);
	if (r->plan->probes.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	switch (kind) {
	case PROBE_WEBSOCKET:
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
				 (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		break;
	case PROBE_GRPC:
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, https ?
				 (long)CURL_HTTP_VERSION_2TLS :
				 (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		break;
	case PROBE_HTTP:
		if (pp->method != NULL && strcmp(pp->method, "HEAD") == 0)
			curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		else if (pp->method != NULL && strcmp(pp->method, "GET") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, pp->method);
		break;
	}
	if (x->post != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->post);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->post_len);
	}
	x->started = loop_now(r->loop);
	if (loop_add_transfer(r->loop, e, probe_done, x) != 0) {
		probe_xfer_free(x);
		return;
	}
	r->task[idx].x[side] = x;
}

/* Judge a finished transfer: ok, or why not in *why. */
static bool
probe_judge(struct probe_xfer *x, CURLcode code, char *why, size_t len)
{
	const struct plan_probe *pp = &x->r->plan->probes.items[x->idx];
	enum probe_kind kind = probe_kind_of(pp);
	long want = probe_expect_status(pp);
	int serving;

	if (kind == PROBE_WEBSOCKET && x->ws_done) {
		if (!x->ws_upgrade) {
			snprintf(why, len, "101 without Upgrade: websocket");
			return false;
		}
		return want == 101;
	}
	if (code != CURLE_OK) {
		const char *d = x->errbuf[0] ? x->errbuf :
				curl_easy_strerror(code);

		if (code == CURLE_OPERATION_TIMEDOUT)
			snprintf(why, len, "timed out after %lld ms",
				 (long long)pp->timeout_ms);
		else if (code == CURLE_COULDNT_CONNECT)
			snprintf(why, len, "cannot connect to %s",
				 x->r->address[x->side]);
		else
			snprintf(why, len, "%s", d);
		return false;
	}
	if (kind == PROBE_GRPC) {
		if (x->status != 200) {
			snprintf(why, len, "HTTP %ld, expected 200", x->status);
			return false;
		}
		if (x->grpc_status != 0) {
			if (x->grpc_status < 0)
				snprintf(why, len, "no grpc-status");
			else
				snprintf(why, len, "grpc-status %d (%s)",
					 x->grpc_status,
					 probe_grpc_status_name(x->grpc_status));
			return false;
		}
		if (probe_grpc_parse(x->body, x->body_len, &serving) == -1) {
			snprintf(why, len, "malformed health answer (%zu "
				 "bytes)", x->body_len);
			return false;
		}
		if (serving != 1) {
			snprintf(why, len, "%s", probe_serving_name(serving));
			return false;
		}
		return true;
	}
	if (x->status != want) {
		snprintf(why, len, "HTTP %ld, expected %ld", x->status, want);
		return false;
	}
	return true;
}

static void
probe_done(CURL *easy, CURLcode result, void *arg)
{
	struct probe_xfer *x = arg;
	struct probe_runner *r = x->r;
	char why[200] = "";
	bool ok;
	double ms;

	(void)easy;
	r->task[x->idx].x[x->side] = NULL;
	ok = probe_judge(x, result, why, sizeof(why));
	ms = (double)(loop_now(r->loop) - x->started);
	probe_result(r, x->idx, x->side, ok, x->status,
		     x->status > 0 ? ms : NAN, why);
	probe_xfer_free(x);
}

/* --- the gateway's address ------------------------------------------------- */

static void
probe_disc_done(const struct http_response *resp, const char *msg, void *arg)
{
	struct probe_runner *r = arg;
	json_t *root = NULL, *ing;
	const char *a = NULL;

	r->disc = NULL;
	if (resp == NULL || msg[0] != '\0') {
		snprintf(r->addr_why, sizeof(r->addr_why), "gateway Service: "
			 "%s", msg[0] != '\0' ? msg : "no answer");
		goto out;
	}
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	ing = json_array_get(json_object_get(json_object_get(json_object_get(
	    root, "status"), "loadBalancer"), "ingress"), 0);
	a = json_string_value(json_object_get(ing, "ip"));
	if (a == NULL)
		a = json_string_value(json_object_get(ing, "hostname"));
	if (a == NULL || a[0] == '\0' || strlen(a) >= 256 ||
	    strpbrk(a, " /@?#\t\r\n") != NULL) {
		snprintf(r->addr_why, sizeof(r->addr_why), "gateway Service "
			 "%s has no load-balancer address",
			 r->plan->probes.istio_service);
		goto out;
	}
	snprintf(r->address[PROBE_ISTIO], sizeof(r->address[PROBE_ISTIO]),
		 "%s", a);
	r->addr_why[0] = '\0';
	/* The probes waited for it: send them now. */
	for (int i = 0; i < r->plan->probes.n; i++)
		probe_send(r, i, PROBE_ISTIO);
out:
	text_scrub(r->addr_why, sizeof(r->addr_why));
	if (r->address[PROBE_ISTIO][0] == '\0')
		for (int i = 0; i < r->plan->probes.n; i++)
			snprintf(r->m->probe[i][PROBE_ISTIO].why,
				 sizeof(r->m->probe[i][PROBE_ISTIO].why), "%s",
				 r->addr_why);
	json_decref(root);
	if (r->on_update != NULL)
		r->on_update(r->on_update_arg);
}

static void
probe_discover(struct probe_runner *r)
{
	const char *svc = r->plan->probes.istio_service;
	const char *slash = svc != NULL ? strchr(svc, '/') : NULL;
	char *path;
	struct err e;

	if (r->address[PROBE_ISTIO][0] != '\0' || r->disc != NULL)
		return;
	if (r->kube == NULL || slash == NULL) {
		snprintf(r->addr_why, sizeof(r->addr_why), "no Istio address: "
			 "set probes.istio_address or a Kubernetes context");
		return;
	}
	if (r->disc_last != 0 &&
	    loop_now(r->loop) - r->disc_last < PROBE_DISCOVER_EVERY_MS)
		return;
	r->disc_last = loop_now(r->loop);
	path = xasprintf("/api/v1/namespaces/%.*s/services/%s",
			 (int)(slash - svc), svc, slash + 1);
	err_clear(&e);
	r->disc = kube_call_start(r->kube, "GET", path, NULL, NULL,
				  r->plan->kubernetes.timeout_ms,
				  probe_disc_done, r, &e);
	free(path);
	if (r->disc == NULL) {
		snprintf(r->addr_why, sizeof(r->addr_why), "gateway Service: "
			 "%s", e.msg);
		text_scrub(r->addr_why, sizeof(r->addr_why));
	}
}

/* --- the runner ------------------------------------------------------------ */

struct probe_runner *
probe_new(const struct plan *p, struct loop *l, struct metrics *m,
	  struct kube *k, struct err *e)
{
	struct probe_runner *r;

	if (p->probes.n == 0) {
		err_set(e, "no probes in the plan");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->plan = p;
	r->loop = l;
	r->m = m;
	r->kube = k;
	for (int i = 0; i < PLAN_PROBES_MAX; i++) {
		r->task[i].r = r;
		r->task[i].idx = i;
	}
	if (p->probes.istio_address != NULL)
		snprintf(r->address[PROBE_ISTIO],
			 sizeof(r->address[PROBE_ISTIO]), "%s",
			 p->probes.istio_address);
	if (p->probes.apisix_address != NULL)
		snprintf(r->address[PROBE_APISIX],
			 sizeof(r->address[PROBE_APISIX]), "%s",
			 p->probes.apisix_address);
	return r;
}

void
probe_free(struct probe_runner *r)
{
	if (r == NULL)
		return;
	kube_call_cancel(r->disc);
	for (int i = 0; i < PLAN_PROBES_MAX; i++) {
		loop_timer_cancel(r->loop, r->task[i].timer);
		for (int s = 0; s < PROBE_SIDES; s++) {
			struct probe_xfer *x = r->task[i].x[s];

			if (x == NULL)
				continue;
			loop_remove_transfer(r->loop, x->easy);
			probe_xfer_free(x);
		}
	}
	free(r);
}

static void
probe_send_all(struct probe_runner *r, int idx)
{
	probe_discover(r);
	for (int s = 0; s < PROBE_SIDES; s++)
		probe_send(r, idx, (enum probe_side)s);
	if (r->address[PROBE_ISTIO][0] == '\0') {
		struct probe_series *ps = &r->m->probe[idx][PROBE_ISTIO];

		snprintf(ps->why, sizeof(ps->why), "%s", r->addr_why);
	}
}

static void
probe_fire(void *arg)
{
	struct probe_task *t = arg;
	struct probe_runner *r = t->r;
	const struct plan_probe *pp = &r->plan->probes.items[t->idx];

	t->timer = NULL;
	probe_send_all(r, t->idx);
	t->timer = loop_timer_at(r->loop, loop_now(r->loop) + pp->interval_ms,
				 probe_fire, t);
}

void
probe_start(struct probe_runner *r)
{
	for (int i = 0; i < r->plan->probes.n; i++) {
		loop_timer_cancel(r->loop, r->task[i].timer);
		r->task[i].timer = loop_timer_at(r->loop, loop_now(r->loop),
						 probe_fire, &r->task[i]);
	}
}

void
probe_run_once(struct probe_runner *r)
{
	for (int i = 0; i < r->plan->probes.n; i++)
		probe_send_all(r, i);
}

bool
probe_busy(const struct probe_runner *r)
{
	if (r->disc != NULL)
		return true;
	for (int i = 0; i < r->plan->probes.n; i++)
		for (int s = 0; s < PROBE_SIDES; s++)
			if (r->task[i].x[s] != NULL)
				return true;
	return false;
}

void
probe_on_update(struct probe_runner *r, void (*cb)(void *arg), void *arg)
{
	r->on_update = cb;
	r->on_update_arg = arg;
}

const char *
probe_address(const struct probe_runner *r, enum probe_side side)
{
	return (int)side >= 0 && side < PROBE_SIDES ? r->address[side] : "";
}

const char *
probe_address_error(const struct probe_runner *r)
{
	return r->addr_why;
}
