/*
 * prom — decoder and client for the Prometheus HTTP API (see prom.h).
 *
 * Decoder: the body is JSON-parsed only when it looks like JSON (a '{'
 * first, or a JSON content type); anything else becomes "HTTP <status>:
 * <text>" with tags stripped and white space collapsed, at most
 * PROM_SNIPPET_MAX bytes of it.  An error envelope wins over the HTTP
 * status; a success envelope must hold at most one series.
 *
 * Client invariants:
 * - `pending` counts refresh requests in flight; metrics->in_flight is true
 *   exactly while it is > 0.  A refresh asked for meanwhile is skipped.
 * - Every request's callback runs once (or the request is cancelled in
 *   prom_free), so each query of a round ends in metrics_set or
 *   metrics_set_error, and the round ends in prom_round_done, which pushes
 *   one history point per query (the value the gates would see, or NAN).
 * - Secrets live only in struct prom_secret buffers, which are wiped when
 *   replaced or freed; error texts name the file, never its content.
 */
#include "config.h"

#include "prom.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "clock.h"
#include "http.h"
#include "loop.h"
#include "metrics.h"
#include "text.h"
#include "xmalloc.h"

#define PROM_SNIPPET_MAX 120
#define PROM_SECRET_MAX (64 * 1024)
#define PROM_TIME_MAX_S 253402300799.0	/* 9999-12-31T23:59:59Z */

/* ---------------------------------------------------------------- decoder */

int
prom_parse_value(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || s[0] == '\0' || isspace((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0')
		return -1;
	/* ERANGE: underflow gives 0 or a denormal, overflow +-HUGE_VAL (Inf);
	 * both are the number Prometheus meant. */
	*out = v;
	return 0;
}

static bool
prom_tag_is(const char *tag, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len >= n && strncasecmp(tag, name, n) == 0 &&
	    (len == n || !isalnum((unsigned char)tag[n]));
}

/* Append text, collapsing white space, to out (capacity cap, NUL kept). */
static void
prom_snippet_put(char *out, size_t cap, size_t *n, bool *space, char c)
{
	if (isspace((unsigned char)c) || c == '\0') {
		*space = *n > 0;
		return;
	}
	if (*space) {
		if (*n + 1 < cap)
			out[(*n)++] = ' ';
		*space = false;
	}
	if (*n + 1 < cap)
		out[(*n)++] = c;
}

/* The visible text of an HTML or plain body; skip_head drops <head>. */
static void
prom_snippet_scan(const char *body, size_t len, bool skip_head, char *out,
		  size_t cap)
{
	static const struct {
		const char *name;
		const char *ent;
		char c;
	} ents[] = {
		{ "amp", "&amp;", '&' }, { "lt", "&lt;", '<' },
		{ "gt", "&gt;", '>' }, { "quot", "&quot;", '"' },
		{ "apos", "&#39;", '\'' }, { "nbsp", "&nbsp;", ' ' },
	};
	const char *skip_until = NULL;	/* skipping up to </this> */
	bool space = false;
	size_t i = 0, n = 0, k;

	while (i < len) {
		char c = body[i];

		if (c == '<') {
			const char *tag = body + i + 1;
			const char *gt = memchr(tag, '>', len - i - 1);
			size_t tl;

			if (gt == NULL)
				break;	/* unterminated tag: drop it */
			tl = (size_t)(gt - tag);
			if (skip_until != NULL) {
				if (tl > 0 && tag[0] == '/' &&
				    prom_tag_is(tag + 1, tl - 1, skip_until))
					skip_until = NULL;
			} else if (prom_tag_is(tag, tl, "script")) {
				skip_until = "script";
			} else if (prom_tag_is(tag, tl, "style")) {
				skip_until = "style";
			} else if (skip_head && prom_tag_is(tag, tl, "head")) {
				skip_until = "head";
			}
			prom_snippet_put(out, cap, &n, &space, ' ');
			i = (size_t)(gt - body) + 1;
			continue;
		}
		if (skip_until != NULL) {
			i++;
			continue;
		}
		if (c == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].ent);

				if (len - i >= el &&
				    strncmp(body + i, ents[k].ent, el) == 0)
					break;
			}
			if (k < sizeof(ents) / sizeof(ents[0])) {
				prom_snippet_put(out, cap, &n, &space,
						 ents[k].c);
				i += strlen(ents[k].ent);
				continue;
			}
		}
		if ((unsigned char)c < 0x20 && !isspace((unsigned char)c))
			c = ' ';
		prom_snippet_put(out, cap, &n, &space, c);
		i++;
	}
	out[n] = '\0';
}

/*
 * Readable text of a non-JSON body: tags and <head>/<script>/<style>
 * contents dropped, white space collapsed, at most PROM_SNIPPET_MAX bytes
 * cut on a UTF-8 character boundary.
 */
static void
prom_snippet(const char *body, size_t len, char *out, size_t outlen)
{
	char buf[PROM_SNIPPET_MAX * 4 + 1];
	size_t n, i;

	prom_snippet_scan(body, len, true, buf, sizeof(buf));
	if (buf[0] == '\0')
		prom_snippet_scan(body, len, false, buf, sizeof(buf));
	n = strlen(buf);
	if (n > PROM_SNIPPET_MAX) {
		/* room for "...", on a word boundary when one is near */
		n = PROM_SNIPPET_MAX - 3;
		while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80)
			n--;
		for (i = n; i > PROM_SNIPPET_MAX - 30; i--)
			if (buf[i] == ' ') {
				n = i;
				break;
			}
		while (n > 0 && buf[n - 1] == ' ')
			n--;
		memcpy(buf + n, "...", 4);
	}
	snprintf(out, outlen, "%s", buf);
}

static int
prom_http_error(const char *body, size_t len, long status,
		const char *content_type, struct err *e)
{
	char text[PROM_SNIPPET_MAX + 1];

	prom_snippet(body != NULL ? body : "", body != NULL ? len : 0, text,
		     sizeof(text));
	if (status >= 200 && status < 300)
		return err_set(e, "HTTP %ld: not a Prometheus answer (%s)%s%s",
			       status, content_type != NULL &&
			       content_type[0] != '\0' ? content_type :
			       "no content type", text[0] ? ": " : "", text);
	if (text[0] == '\0')
		return err_set(e, "HTTP %ld (empty response)", status);
	return err_set(e, "HTTP %ld: %s", status, text);
}

static bool
prom_looks_json(const char *body, size_t len, const char *content_type)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i < len && body[i] == '{')
		return true;
	return content_type != NULL && strcasestr(content_type, "json") &&
	    i < len;
}

/* [ts, "value"] -> wall ms and value. */
static int
prom_decode_pair(json_t *pair, int64_t *wall_ms, double *v, bool want_number,
		 struct err *e)
{
	json_t *ts, *val;

	if (!json_is_array(pair) || json_array_size(pair) != 2)
		return err_set(e, "sample is not a [time, value] pair");
	ts = json_array_get(pair, 0);
	val = json_array_get(pair, 1);
	if (!json_is_number(ts))
		return err_set(e, "sample time is not a number");
	/* Unix seconds from 1970 to the year 9999: anything else would wrap
	 * in milliseconds. */
	if (!(json_number_value(ts) >= 0 &&
	      json_number_value(ts) <= PROM_TIME_MAX_S))
		return err_set(e, "sample time %.6g is out of range",
			       json_number_value(ts));
	*wall_ms = (int64_t)llround(json_number_value(ts) * 1000.0);
	if (!json_is_string(val))
		return err_set(e, "sample value is not a string");
	if (want_number && prom_parse_value(json_string_value(val), v) < 0)
		return err_set(e, "sample value \"%.40s\" is not a number",
			       json_string_value(val));
	return 0;
}

/*
 * Parse the envelope: fills a (error, warnings, type, nseries) and returns
 * the result array/pair in *result (borrowed from *root).
 */
static int
prom_envelope(const char *body, size_t len, long http_status,
	      const char *content_type, struct prom_answer *a, json_t **root,
	      json_t **result, bool many, struct err *e)
{
	json_error_t jerr;
	json_t *j, *status, *data, *rt, *w;
	const char *type;

	memset(a, 0, sizeof(*a));
	a->value = NAN;
	*root = NULL;
	*result = NULL;
	if (body == NULL || len == 0 ||
	    !prom_looks_json(body, len, content_type)) {
		if (body == NULL || len == 0) {
			if (http_status >= 200 && http_status < 300)
				return err_set(e, "HTTP %ld: empty answer",
					       http_status);
			return err_set(e, "HTTP %ld (empty response)",
				       http_status);
		}
		return prom_http_error(body, len, http_status, content_type,
				       e);
	}
	j = json_loadb(body, len, 0, &jerr);
	if (j == NULL) {
		if (http_status < 200 || http_status >= 300)
			return prom_http_error(body, len, http_status,
					       content_type, e);
		return err_set(e, "malformed JSON answer (HTTP %ld, byte %d): "
			       "%s", http_status, jerr.position, jerr.text);
	}
	*root = j;
	status = json_object_get(j, "status");
	if (!json_is_string(status) ||
	    (strcmp(json_string_value(status), "success") != 0 &&
	     strcmp(json_string_value(status), "error") != 0)) {
		json_t *msg = json_object_get(j, "message");

		if (!json_is_string(msg))
			msg = json_object_get(j, "error");
		if (http_status >= 200 && http_status < 300)
			return err_set(e, "not a Prometheus answer: no "
				       "\"status\" (HTTP %ld)", http_status);
		if (json_is_string(msg))
			return err_set(e, "HTTP %ld: %.200s", http_status,
				       json_string_value(msg));
		return prom_http_error(body, len, http_status, content_type,
				       e);
	}
	w = json_object_get(j, "warnings");
	if (json_is_array(w) && json_array_size(w) > 0) {
		a->nwarnings = (int)json_array_size(w);
		if (json_is_string(json_array_get(w, 0)))
			snprintf(a->warning, sizeof(a->warning), "%s",
				 json_string_value(json_array_get(w, 0)));
		text_scrub(a->warning, sizeof(a->warning));
	}
	if (strcmp(json_string_value(status), "success") != 0) {
		json_t *et = json_object_get(j, "errorType");
		json_t *em = json_object_get(j, "error");

		snprintf(a->error_type, sizeof(a->error_type), "%s",
			 json_is_string(et) ? json_string_value(et) :
			 "error");
		snprintf(a->error, sizeof(a->error), "%s",
			 json_is_string(em) ? json_string_value(em) :
			 "no error text");
		return err_set(e, "%s: %s", a->error_type, a->error);
	}
	if (http_status != 0 && (http_status < 200 || http_status >= 300))
		return err_set(e, "HTTP %ld with a success envelope",
			       http_status);
	data = json_object_get(j, "data");
	rt = json_object_get(data, "resultType");
	*result = json_object_get(data, "result");
	if (!json_is_string(rt) || *result == NULL)
		return err_set(e, "answer has no data.resultType/result");
	type = json_string_value(rt);
	if (strcmp(type, "vector") == 0)
		a->type = PROM_RESULT_VECTOR;
	else if (strcmp(type, "matrix") == 0)
		a->type = PROM_RESULT_MATRIX;
	else if (strcmp(type, "scalar") == 0)
		a->type = PROM_RESULT_SCALAR;
	else if (strcmp(type, "string") == 0)
		a->type = PROM_RESULT_STRING;
	else
		return err_set(e, "unknown resultType \"%.32s\"", type);
	if (a->type == PROM_RESULT_VECTOR || a->type == PROM_RESULT_MATRIX) {
		if (!json_is_array(*result))
			return err_set(e, "result is not a list");
		a->nseries = (int)json_array_size(*result);
		a->empty = a->nseries == 0;
		if (a->nseries > 1 && !many)
			return err_set(e, "query returned %d series; expected "
				       "one (use sum())", a->nseries);
	} else {
		a->nseries = 1;
	}
	return 0;
}

int
prom_decode(const char *body, size_t len, long http_status,
	    const char *content_type, struct prom_answer *a, struct err *e)
{
	json_t *root, *result, *s;
	int rc = -1;

	if (prom_envelope(body, len, http_status, content_type, a, &root,
			  &result, false, e) < 0)
		goto out;
	switch (a->type) {
	case PROM_RESULT_VECTOR:
		if (a->empty) {
			rc = 0;
			break;
		}
		s = json_array_get(result, 0);
		if (json_object_get(s, "value") == NULL &&
		    json_object_get(s, "histogram") != NULL) {
			err_set(e, "query returned a native histogram; "
				"expected a number (use histogram_quantile())");
			break;
		}
		rc = prom_decode_pair(json_object_get(s, "value"),
				      &a->sample_wall_ms, &a->value, true, e);
		break;
	case PROM_RESULT_SCALAR:
		rc = prom_decode_pair(result, &a->sample_wall_ms, &a->value,
				      true, e);
		break;
	case PROM_RESULT_MATRIX:
		err_set(e, "query returned a range vector; expected an "
			"instant vector (drop the [range])");
		break;
	default:
		err_set(e, "query returned a string; expected a number");
		break;
	}
	if (rc < 0) {
		a->empty = false;
		a->value = NAN;
	}
out:
	json_decref(root);
	return rc;
}

int
prom_decode_range(const char *body, size_t len, long http_status,
		  const char *content_type, struct prom_range *r,
		  struct err *e)
{
	json_t *root, *result, *values, *pair;
	size_t i;
	int rc = -1;

	r->points = NULL;
	r->npoints = 0;
	if (prom_envelope(body, len, http_status, content_type, &r->meta,
			  &root, &result, false, e) < 0)
		goto out;
	if (r->meta.type != PROM_RESULT_MATRIX) {
		err_set(e, "range query returned no matrix");
		goto out;
	}
	if (r->meta.empty) {
		rc = 0;
		goto out;
	}
	values = json_object_get(json_array_get(result, 0), "values");
	if (!json_is_array(values)) {
		err_set(e, "series has no \"values\" (native histogram?)");
		goto out;
	}
	r->points = xcalloc(json_array_size(values) + 1, sizeof(*r->points));
	json_array_foreach(values, i, pair) {
		struct prom_point *pt = &r->points[r->npoints];

		if (prom_decode_pair(pair, &pt->wall_ms, &pt->value, true,
				     e) < 0) {
			prom_range_done(r);
			goto out;
		}
		r->npoints++;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void
prom_range_done(struct prom_range *r)
{
	free(r->points);
	r->points = NULL;
	r->npoints = 0;
}

/* ----------------------------------------------------------------- client */

/* A secret read from a file, re-read when the file changes. */
struct prom_secret {
	const char *path;	/* borrowed from the plan; NULL = none */
	char *data;		/* without its trailing newline */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct prom_req {
	struct prom *pr;
	enum query_id id;
	struct http_xfer *x;
	bool done;		/* backfill: answered */
	bool ok;		/* backfill: range decoded */
	struct prom_range range;
};

struct prom {
	const struct plan *p;
	struct loop *l;
	struct metrics *m;
	void (*on_update)(void *arg);
	void *on_update_arg;
	char *url_query;
	char *url_range;
	char **headers;		/* NULL-terminated "Name: value" */
	struct prom_secret token;
	struct prom_secret password;
	struct prom_req req[Q_COUNT];
	int pending;
	struct prom_req back[Q_COUNT];
	int back_pending;
	int64_t back_end_ms;
	int64_t back_step_ms;
	int back_n;
	int64_t asked_wall_ms;	/* evaluation time of the refresh out */
};

static void
prom_secret_wipe(struct prom_secret *s)
{
	xfree_secret_str(s->data);
	s->data = NULL;
}

/* Load (or keep) the secret; -1 with a message naming `what` and path. */
static int
prom_secret_load(struct prom_secret *s, const char *what, struct err *e)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t n = 0;
	int fd;

	if (s->path == NULL)
		return 0;
	if (stat(s->path, &st) < 0)
		return err_set(e, "%s %s: %s", what, s->path, strerror(errno));
	if (s->data != NULL && st.st_dev == s->dev && st.st_ino == s->ino &&
	    st.st_size == s->size &&
	    st.st_mtim.tv_sec == s->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == s->mtime.tv_nsec)
		return 0;
	if (st.st_size > PROM_SECRET_MAX)
		return err_set(e, "%s %s: larger than %d bytes", what, s->path,
			       PROM_SECRET_MAX);
	fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "%s %s: %s", what, s->path, strerror(errno));
	buf = xmalloc(PROM_SECRET_MAX + 1);
	while (n < PROM_SECRET_MAX) {
		got = read(fd, buf + n, PROM_SECRET_MAX - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (n == 0 || memchr(buf, '\n', n) != NULL) {
		xfree_secret(buf, PROM_SECRET_MAX + 1);
		return err_set(e, "%s %s: %s", what, s->path,
			       n == 0 ? "empty" : "more than one line");
	}
	prom_secret_wipe(s);
	s->data = xstrndup(buf, n);
	xfree_secret(buf, PROM_SECRET_MAX + 1);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	return 0;
}

static char *
prom_url(const char *base, const char *path)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, base, path);
}

struct prom *
prom_new(const struct plan *p, struct loop *l, struct metrics *m,
	 struct err *e)
{
	const struct plan_prometheus *pp = &p->prometheus;
	struct prom *pr;
	int i;

	if (pp->url == NULL || pp->url[0] == '\0') {
		err_set(e, "prometheus.url is not set");
		return NULL;
	}
	if (strncmp(pp->url, "http://", 7) != 0 &&
	    strncmp(pp->url, "https://", 8) != 0) {
		err_set(e, "prometheus.url must start with http:// or "
			"https://");
		return NULL;
	}
	pr = xcalloc(1, sizeof(*pr));
	pr->p = p;
	pr->l = l;
	pr->m = m;
	pr->url_query = prom_url(pp->url, "/api/v1/query");
	pr->url_range = prom_url(pp->url, "/api/v1/query_range");
	pr->headers = xcalloc((size_t)pp->nheaders + 2, sizeof(char *));
	for (i = 0; i < pp->nheaders; i++)
		pr->headers[i] = xasprintf("%s: %s", pp->headers[i].name,
					   pp->headers[i].value);
	pr->token.path = pp->bearer_token_file;
	pr->password.path = pp->basic_password_file;
	for (i = 0; i < Q_COUNT; i++) {
		pr->req[i].pr = pr;
		pr->req[i].id = (enum query_id)i;
		pr->back[i].pr = pr;
		pr->back[i].id = (enum query_id)i;
	}
	return pr;
}

void
prom_free(struct prom *pr)
{
	int i;

	if (pr == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++) {
		if (pr->req[i].x != NULL)
			http_cancel(pr->req[i].x);
		if (pr->back[i].x != NULL)
			http_cancel(pr->back[i].x);
		prom_range_done(&pr->back[i].range);
	}
	if (pr->pending > 0)
		pr->m->in_flight = false;
	for (i = 0; pr->headers[i] != NULL; i++)
		xfree_secret_str(pr->headers[i]);
	free(pr->headers);
	prom_secret_wipe(&pr->token);
	prom_secret_wipe(&pr->password);
	free(pr->url_query);
	free(pr->url_range);
	free(pr);
}

void
prom_on_update(struct prom *pr, void (*on_update)(void *arg), void *arg)
{
	pr->on_update = on_update;
	pr->on_update_arg = arg;
}

bool
prom_busy(const struct prom *pr)
{
	return pr->pending > 0 || pr->back_pending > 0;
}

static void
prom_notify(struct prom *pr)
{
	if (pr->on_update != NULL)
		pr->on_update(pr->on_update_arg);
}

/* Unix seconds with milliseconds, as the API takes them. */
static void
prom_time(int64_t wall_ms, char *buf, size_t len)
{
	int64_t s = wall_ms / 1000, ms = wall_ms % 1000;

	if (ms < 0) {
		ms += 1000;
		s--;
	}
	snprintf(buf, len, "%lld.%03lld", (long long)s, (long long)ms);
}

/* Refresh the secrets and fill the auth part of a request. */
static int
prom_auth(struct prom *pr, struct http_request *rq, char **userpwd,
	  struct err *e)
{
	const struct plan_prometheus *pp = &pr->p->prometheus;

	*userpwd = NULL;
	if (prom_secret_load(&pr->token, "bearer_token_file", e) < 0)
		return -1;
	if (prom_secret_load(&pr->password, "password_file", e) < 0)
		return -1;
	rq->bearer_token = pr->token.data;
	if (pp->basic_user != NULL)
		*userpwd = xasprintf("%s:%s", pp->basic_user,
				     pr->password.data != NULL ?
				     pr->password.data : "");
	rq->userpwd = *userpwd;
	return 0;
}

static void
prom_userpwd_free(char *userpwd)
{
	xfree_secret_str(userpwd);
}

static void
prom_request_init(struct prom *pr, struct http_request *rq, const char *url)
{
	const struct plan_prometheus *pp = &pr->p->prometheus;

	memset(rq, 0, sizeof(*rq));
	rq->method = "POST";
	rq->url = url;
	rq->headers = (const char *const *)pr->headers;
	rq->timeout_ms = pp->timeout_ms > 0 ? pp->timeout_ms : 10000;
	rq->connect_timeout_ms = rq->timeout_ms;
	rq->ca_file = pp->ca_file;
	rq->insecure = pp->insecure;
}

/* The transport or HTTP failure of r as one line. */
static void
prom_transport_error(const struct http_response *r, char *buf, size_t len)
{
	if (r->error[0] != '\0')
		snprintf(buf, len, "%s", r->error);
	else
		snprintf(buf, len, "%s",
			 curl_easy_strerror((CURLcode)r->curl_code));
}

static void
prom_round_done(struct prom *pr)
{
	const struct plan *p = pr->p;
	struct metrics *m = pr->m;
	int64_t now = loop_now(pr->l);
	double v;
	int i;

	m->in_flight = false;
	m->last_refresh_mono_ms = now;
	for (i = 0; i < Q_COUNT; i++) {
		if (!metrics_value(m, p, (enum query_id)i, now,
				   p->gates.max_age_ms, &v))
			v = NAN;
		metrics_push_history(m, (enum query_id)i, v);
		m->q[i].history_step_ms = p->refresh_ms;
	}
	prom_notify(pr);
}

static void
prom_on_answer(const struct http_response *r, void *arg)
{
	struct prom_req *rq = arg;
	struct prom *pr = rq->pr;
	struct prom_answer a;
	struct series *s;
	struct err e;
	char msg[256];
	int64_t now = loop_now(pr->l);

	rq->x = NULL;
	err_clear(&e);
	if (r->curl_code != 0 || r->status == 0) {
		prom_transport_error(r, msg, sizeof(msg));
		metrics_set_error(pr->m, rq->id, msg, now);
	} else if (r->truncated) {
		metrics_set_error(pr->m, rq->id, "answer too large", now);
	} else if (prom_decode(r->body, r->body_len, r->status,
			       r->content_type, &a, &e) < 0) {
		metrics_set_error(pr->m, rq->id, e.msg, now);
	} else {
		metrics_set(pr->m, rq->id, a.empty, a.value, a.sample_wall_ms,
			    now);
		metrics_set_asked(pr->m, rq->id, pr->asked_wall_ms);
		s = &pr->m->q[rq->id];
		s->partial = a.nwarnings > 0;
		snprintf(s->warning, sizeof(s->warning), "%s", a.warning);
	}
	if (--pr->pending == 0)
		prom_round_done(pr);
	else
		prom_notify(pr);
}

/* Form body "query=...&<rest>"; caller frees. */
static char *
prom_form(const struct plan *p, enum query_id id, const char *rest)
{
	char *text, *esc, *body;

	text = plan_query_text(p, id);
	if (text == NULL || text[0] == '\0') {
		free(text);
		return NULL;
	}
	esc = http_escape(text);
	body = xasprintf("query=%s&%s", esc, rest);
	free(esc);
	free(text);
	return body;
}

int
prom_refresh(struct prom *pr)
{
	struct http_request rq;
	struct err e;
	char ts[32], rest[64], *userpwd, *body;
	int64_t now = loop_now(pr->l);
	int i, started = 0;

	if (pr->pending > 0)
		return 0;	/* the last refresh is still out: no double */
	err_clear(&e);
	prom_request_init(pr, &rq, pr->url_query);
	if (prom_auth(pr, &rq, &userpwd, &e) < 0) {
		for (i = 0; i < Q_COUNT; i++)
			metrics_set_error(pr->m, (enum query_id)i, e.msg, now);
		prom_round_done(pr);
		return -1;
	}
	pr->asked_wall_ms = clock_wall(loop_clock(pr->l));
	prom_time(pr->asked_wall_ms, ts, sizeof(ts));
	snprintf(rest, sizeof(rest), "time=%s", ts);
	pr->m->in_flight = true;
	pr->pending = 1;	/* held while starting: no early round end */
	for (i = 0; i < Q_COUNT; i++) {
		struct prom_req *q = &pr->req[i];

		body = prom_form(pr->p, q->id, rest);
		if (body == NULL) {
			metrics_set_error(pr->m, q->id, "query is empty", now);
			continue;
		}
		rq.body = body;
		rq.body_len = strlen(body);
		pr->pending++;
		err_clear(&e);
		q->x = http_start(pr->l, &rq, prom_on_answer, q, &e);
		free(body);
		if (q->x == NULL) {
			pr->pending--;
			metrics_set_error(pr->m, q->id,
					  e.msg[0] ? e.msg : "request failed",
					  now);
			continue;
		}
		started++;
	}
	prom_userpwd_free(userpwd);
	if (--pr->pending == 0)
		prom_round_done(pr);
	return started > 0 ? 0 : -1;
}

/* --------------------------------------------------------------- backfill */

/* Slot of a point on the backfill grid, or -1. */
static int
prom_slot(const struct prom *pr, int64_t wall_ms)
{
	int64_t start = pr->back_end_ms - (int64_t)(pr->back_n - 1) *
	    pr->back_step_ms;
	int64_t d = wall_ms - start;
	int64_t k;

	if (d < -pr->back_step_ms / 2)
		return -1;
	k = (d + pr->back_step_ms / 2) / pr->back_step_ms;
	return k < pr->back_n ? (int)k : -1;
}

/* Spread a range answer on the grid; present[] marks answered slots. */
static void
prom_grid(const struct prom *pr, const struct prom_range *r, double *v,
	  bool *present)
{
	int i, k;

	for (i = 0; i < pr->back_n; i++) {
		v[i] = NAN;
		present[i] = false;
	}
	for (i = 0; i < r->npoints; i++) {
		k = prom_slot(pr, r->points[i].wall_ms);
		if (k >= 0) {
			v[k] = r->points[i].value;
			present[k] = true;
		}
	}
}

static void
prom_backfill_done(struct prom *pr)
{
	const struct plan *p = pr->p;
	double v[METRICS_HISTORY], rate[METRICS_HISTORY];
	bool present[METRICS_HISTORY], rpresent[METRICS_HISTORY];
	int i, k, rid;

	for (i = 0; i < Q_COUNT; i++) {
		struct prom_req *b = &pr->back[i];

		if (!b->ok)
			continue;	/* keep the old history */
		prom_grid(pr, &b->range, v, present);
		rid = p->queries[i].side == SIDE_ISTIO ? Q_ISTIO_RPS :
		    p->queries[i].side == SIDE_APISIX ? Q_APISIX_RPS : -1;
		if (p->queries[i].ratio && rid >= 0 && rid != i &&
		    pr->back[rid].ok) {
			prom_grid(pr, &pr->back[rid].range, rate, rpresent);
			for (k = 0; k < pr->back_n; k++)
				if (!present[k] && rpresent[k] && rate[k] > 0)
					v[k] = 0;
		}
		pr->m->q[i].nhistory = 0;
		for (k = 0; k < pr->back_n; k++)
			metrics_push_history(pr->m, (enum query_id)i, v[k]);
		pr->m->q[i].history_step_ms = pr->back_step_ms;
	}
	for (i = 0; i < Q_COUNT; i++) {
		prom_range_done(&pr->back[i].range);
		pr->back[i].ok = false;
	}
	prom_notify(pr);
}

static void
prom_on_range(const struct http_response *r, void *arg)
{
	struct prom_req *b = arg;
	struct prom *pr = b->pr;
	struct err e;

	b->x = NULL;
	err_clear(&e);
	prom_range_done(&b->range);
	b->ok = r->curl_code == 0 && r->status != 0 && !r->truncated &&
	    prom_decode_range(r->body, r->body_len, r->status,
			      r->content_type, &b->range, &e) == 0;
	if (--pr->back_pending == 0)
		prom_backfill_done(pr);
}

int
prom_backfill(struct prom *pr, int64_t span_ms, int64_t step_ms)
{
	struct http_request rq;
	struct err e;
	char ts[32], te[32], rest[128], *userpwd, *body;
	int64_t wall, start;
	int i, started = 0;

	if (pr->back_pending > 0)
		return 0;
	if (step_ms <= 0 || span_ms < step_ms)
		return -1;
	err_clear(&e);
	prom_request_init(pr, &rq, pr->url_range);
	if (prom_auth(pr, &rq, &userpwd, &e) < 0)
		return -1;
	wall = clock_wall(loop_clock(pr->l));
	pr->back_step_ms = step_ms;
	pr->back_n = (int)(span_ms / step_ms);
	if (pr->back_n > METRICS_HISTORY)
		pr->back_n = METRICS_HISTORY;
	pr->back_end_ms = wall - wall % step_ms;
	start = pr->back_end_ms - (int64_t)(pr->back_n - 1) * step_ms;
	prom_time(start, ts, sizeof(ts));
	prom_time(pr->back_end_ms, te, sizeof(te));
	snprintf(rest, sizeof(rest), "start=%s&end=%s&step=%lld.%03lld", ts,
		 te, (long long)(step_ms / 1000), (long long)(step_ms % 1000));
	pr->back_pending = 1;
	for (i = 0; i < Q_COUNT; i++) {
		struct prom_req *b = &pr->back[i];

		b->ok = false;
		body = prom_form(pr->p, b->id, rest);
		if (body == NULL)
			continue;
		rq.body = body;
		rq.body_len = strlen(body);
		pr->back_pending++;
		b->x = http_start(pr->l, &rq, prom_on_range, b, &e);
		free(body);
		if (b->x == NULL) {
			pr->back_pending--;
			continue;
		}
		started++;
	}
	prom_userpwd_free(userpwd);
	if (--pr->back_pending == 0)
		prom_backfill_done(pr);
	return started > 0 ? 0 : -1;
}

/* ------------------------------------------------------- one-off queries */

int
prom_decode_vector(const char *body, size_t len, long http_status,
		   const char *content_type, const char *label,
		   struct prom_sample *out, int max, int *n, struct err *e)
{
	struct prom_answer a;
	json_t *root, *result, *s;
	size_t i;
	int rc = -1;

	*n = 0;
	if (prom_envelope(body, len, http_status, content_type, &a, &root,
			  &result, true, e) < 0)
		goto out;
	if (a.type != PROM_RESULT_VECTOR) {
		err_set(e, "query returned no instant vector");
		goto out;
	}
	json_array_foreach(result, i, s) {
		struct prom_sample *ps = &out[*n];
		const char *lv = json_string_value(json_object_get(
		    json_object_get(s, "metric"), label));
		int64_t t;

		if (*n >= max)
			break;
		if (prom_decode_pair(json_object_get(s, "value"), &t,
				     &ps->value, true, e) < 0)
			goto out;
		snprintf(ps->label, sizeof(ps->label), "%s",
			 lv != NULL ? lv : "(none)");
		text_scrub(ps->label, sizeof(ps->label));
		(*n)++;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

struct prom_call {
	struct prom *pr;
	struct http_xfer *x;
	prom_call_cb cb;
	void *arg;
};

static void
prom_call_answer(const struct http_response *r, void *arg)
{
	struct prom_call *c = arg;
	char msg[256] = "";

	c->x = NULL;
	if (r->curl_code != 0 || r->status == 0)
		prom_transport_error(r, msg, sizeof(msg));
	else if (r->truncated)
		snprintf(msg, sizeof(msg), "answer too large");
	text_scrub(msg, sizeof(msg));
	c->cb(r, msg, c->arg);
	free(c);
}

struct prom_call *
prom_call_start(struct prom *pr, const char *promql, prom_call_cb cb,
		void *arg, struct err *e)
{
	struct http_request rq;
	struct prom_call *c;
	char ts[32];
	char *userpwd;
	char *esc;
	char *body;

	prom_request_init(pr, &rq, pr->url_query);
	if (prom_auth(pr, &rq, &userpwd, e) < 0)
		return NULL;
	prom_time(clock_wall(loop_clock(pr->l)), ts, sizeof(ts));
	esc = http_escape(promql);
	body = xasprintf("query=%s&time=%s", esc, ts);
	free(esc);
	rq.body = body;
	rq.body_len = strlen(body);
	c = xcalloc(1, sizeof(*c));
	c->pr = pr;
	c->cb = cb;
	c->arg = arg;
	c->x = http_start(pr->l, &rq, prom_call_answer, c, e);
	free(body);
	prom_userpwd_free(userpwd);
	if (c->x == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
prom_call_cancel(struct prom_call *c)
{
	if (c == NULL)
		return;
	http_cancel(c->x);
	free(c);
}
