/*
 * http — one HTTP request on the loop (see http.h).
 *
 * Each request is a curl easy handle whose CURLOPT_PRIVATE is its
 * http_xfer; the xfer owns the handle, the header list, the error buffer and
 * the body buffer, and is freed right after the callback (or by
 * http_cancel(), without a callback).  The response handed to the callback
 * is only valid during the callback.
 *
 * Invariants:
 * - The body never grows past the body limit: the write callback keeps the
 *   first `limit` bytes, marks the response truncated and aborts.
 * - Only http and https.  Redirects are followed here, not by curl, and
 *   only within the origin (scheme, host, port) of the request's URL, at
 *   most HTTP_REDIRECTS_MAX times, with the method, body and deadline
 *   kept: curl would send our own headers (a tenant id, a token in a
 *   custom header) to any host a server names.  Another origin, and https
 *   to http, end the request with an error that says so.
 * - The bearer token goes through CURLOPT_XOAUTH2_BEARER and the password
 *   through CURLOPT_USERPWD, never into a header string we hold or log; the
 *   error text names the host and port only (a URL may carry userinfo), and
 *   http_describe() runs the body's text through text_scrub(): a server's
 *   echo of a credential is blanked, control characters become '?'.
 */
#include "config.h"

#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "strbuf.h"
#include "text.h"
#include "xmalloc.h"

#define HTTP_SNIPPET_MAX 120
#define HTTP_REDIRECTS_MAX 3

struct http_xfer {
	struct loop *loop;
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *connect_to;
	http_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
	char where[160];	/* "host:port", for error text */
	char *url;		/* the URL asked for now (after redirects) */
	int redirects;		/* redirects followed */
	int64_t spent_ms;	/* time of the redirects before this one */
	char redirect_error[256];	/* why a redirect was not followed */
	int64_t timeout_ms;
	int64_t connect_timeout_ms;
	size_t limit;
	char *body;
	size_t body_len, body_cap;
	bool truncated;
	bool in_callback;
	char content_type[128];
	double retry_after_s;
	int (*stream)(const char *data, size_t len, void *arg);
	void *stream_arg;
	bool stream_stopped;	/* the stream callback said stop */
};

static size_t http_body_max = HTTP_BODY_MAX;

void
http_set_body_max(size_t max)
{
	http_body_max = max == 0 ? HTTP_BODY_MAX : max;
}

static void
http_xfer_free(struct http_xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	/* A header may carry a credential (x-amz-security-token, ...). */
	for (struct curl_slist *h = x->headers; h != NULL; h = h->next)
		xwipe(h->data, strlen(h->data));
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->connect_to);
	free(x->url);
	free(x->body);
	free(x);
}

/* --- curl callbacks ------------------------------------------------------ */

static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb, room;

	if (x->stream != NULL) {
		long status = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			if (x->stream(data, n, x->stream_arg) == 0)
				return n;
			x->stream_stopped = true;
			return 0;
		}
	}
	room = x->limit - x->body_len;
	if (n > room) {
		x->truncated = true;
		n = room;
	}
	if (x->body_len + n + 1 > x->body_cap) {
		size_t cap = x->body_cap ? x->body_cap : 4096;

		while (cap < x->body_len + n + 1)
			cap *= 2;
		if (cap > x->limit + 1)
			cap = x->limit + 1;
		x->body = xrealloc(x->body, cap);
		x->body_cap = cap;
	}
	memcpy(x->body + x->body_len, data, n);
	x->body_len += n;
	x->body[x->body_len] = '\0';
	/* Returning less than we were given aborts with CURLE_WRITE_ERROR. */
	return x->truncated ? 0 : n;
}

bool
http_header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

void
http_header_value(const char *line, size_t len, size_t name_len, char *out,
		  size_t outlen)
{
	const char *v = line + name_len + 1, *end = line + len;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	if ((size_t)(end - v) >= outlen)
		end = v + outlen - 1;
	memcpy(out, v, (size_t)(end - v));
	out[end - v] = '\0';
}

static size_t
http_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	/* A new status line (redirect, 100 Continue): forget older headers. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		x->content_type[0] = '\0';
		x->retry_after_s = 0;
	} else if (http_header_is(data, n, "Content-Type")) {
		http_header_value(data, n, strlen("Content-Type"),
				  x->content_type, sizeof(x->content_type));
	} else if (http_header_is(data, n, "Retry-After")) {
		char v[64], *end;
		double s;

		/* delay-seconds is digits only (RFC 9110): no sign,
		 * fraction or exponent; longer than 9 digits is ignored,
		 * like a malformed date (the callers back off their own
		 * way), never wrapped. */
		http_header_value(data, n, strlen("Retry-After"), v,
				  sizeof(v));
		if (v[0] != '\0' && strspn(v, "0123456789") == strlen(v)) {
			s = strtod(v, &end);
			if (strlen(v) <= 9)
				x->retry_after_s = s;
		} else {
			time_t when = curl_getdate(v, NULL);
			time_t now = time(NULL);

			if (when != (time_t)-1 && when > now)
				x->retry_after_s = (double)(when - now);
		}
	}
	return n;
}

/* --- completion ---------------------------------------------------------- */

static void
http_error_text(struct http_xfer *x, CURLcode code, int64_t elapsed,
		char *out, size_t len)
{
	const char *detail = x->errbuf[0] ? x->errbuf :
			     curl_easy_strerror(code);
	long os_errno = 0;

	curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);

	switch (code) {
	case CURLE_OK:
		out[0] = '\0';
		break;
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED)
			snprintf(out, len, "connection refused to %s",
				 x->where);
		else if (os_errno != 0)
			snprintf(out, len, "cannot connect to %s: %s",
				 x->where, strerror((int)os_errno));
		else
			snprintf(out, len, "cannot connect to %s: %s",
				 x->where, detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (strstr(detail, "onnection timed out") != NULL &&
		    x->connect_timeout_ms > 0)
			snprintf(out, len,
				 "connecting to %s timed out after %lld ms",
				 x->where, (long long)x->connect_timeout_ms);
		else
			snprintf(out, len, "timed out after %lld ms waiting "
				 "for %s", (long long)(x->timeout_ms > 0 ?
				 x->timeout_ms : elapsed), x->where);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out, len, "cannot resolve host of %s", x->where);
		break;
	case CURLE_GOT_NOTHING:
		snprintf(out, len, "empty reply from %s", x->where);
		break;
	case CURLE_WRITE_ERROR:
		if (x->stream_stopped) {
			snprintf(out, len, "stream from %s stopped by its "
				 "reader", x->where);
			break;
		}
		if (x->truncated) {
			snprintf(out, len, "response from %s larger than "
				 "%zu bytes", x->where, x->limit);
			break;
		}
		snprintf(out, len, "%s: %s", x->where, detail);
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(out, len, "too many redirects from %s", x->where);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER:
		snprintf(out, len, "TLS error with %s: %s", x->where, detail);
		break;
	default:
		snprintf(out, len, "%s: %s", x->where, detail);
		break;
	}
}

static void http_done(CURL *easy, CURLcode result, void *arg);

/* The origin of a URL: scheme, host and port (the default filled in). */
struct http_origin {
	char scheme[16];
	char host[256];
	char port[8];
};

static int
http_origin(const char *url, struct http_origin *o)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		CURLUE_OK &&
	    strlen(scheme) < sizeof(o->scheme) &&
	    strlen(host) < sizeof(o->host) && strlen(port) < sizeof(o->port)) {
		snprintf(o->scheme, sizeof(o->scheme), "%s", scheme);
		snprintf(o->host, sizeof(o->host), "%s", host);
		snprintf(o->port, sizeof(o->port), "%s", port);
		rc = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/*
 * After a 3xx: send the request again to its Location when that is in the
 * same origin.  1: on its way again (no callback now); 0: not a redirect
 * to follow (no Location); -1: refused, *code and redirect_error set.
 */
static int
http_follow(struct http_xfer *x, CURLcode *code)
{
	struct http_origin from, to;
	char *loc = NULL;
	int64_t left = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc) !=
	    CURLE_OK || loc == NULL)
		return 0;
	if (http_origin(x->url, &from) != 0 || http_origin(loc, &to) != 0) {
		*code = CURLE_UNSUPPORTED_PROTOCOL;
		snprintf(x->redirect_error, sizeof(x->redirect_error),
			 "%s redirected to a location cutover cannot follow",
			 x->where);
		return -1;
	}
	if (strcasecmp(from.scheme, "https") == 0 &&
	    strcasecmp(to.scheme, "https") != 0) {
		*code = CURLE_UNSUPPORTED_PROTOCOL;
		snprintf(x->redirect_error, sizeof(x->redirect_error),
			 "%s redirected from https to %s://%s:%s: a downgrade, "
			 "refused", x->where, to.scheme, to.host, to.port);
		return -1;
	}
	if (strcasecmp(from.scheme, to.scheme) != 0 ||
	    strcasecmp(from.host, to.host) != 0 ||
	    strcmp(from.port, to.port) != 0) {
		*code = CURLE_REMOTE_ACCESS_DENIED;
		snprintf(x->redirect_error, sizeof(x->redirect_error),
			 "%s redirected to %s://%s:%s, not followed: "
			 "credentials and headers go only to the configured "
			 "origin (configure the final URL)", x->where,
			 to.scheme, to.host, to.port);
		return -1;
	}
	if (x->redirects == HTTP_REDIRECTS_MAX) {
		*code = CURLE_TOO_MANY_REDIRECTS;
		return -1;
	}
	if (x->timeout_ms > 0) {
		left = x->timeout_ms - x->spent_ms;
		if (left <= 0) {
			*code = CURLE_OPERATION_TIMEDOUT;
			return -1;
		}
	}
	free(x->url);
	x->url = xstrdup(loc);	/* loc lives only until the next transfer */
	if (curl_easy_setopt(x->easy, CURLOPT_URL, x->url) != CURLE_OK ||
	    (left > 0 && curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
					  (long)left) != CURLE_OK)) {
		*code = CURLE_FAILED_INIT;
		return -1;
	}
	x->redirects++;
	x->body_len = 0;
	if (x->body != NULL)
		x->body[0] = '\0';
	x->truncated = false;
	x->content_type[0] = '\0';
	x->retry_after_s = 0;
	x->errbuf[0] = '\0';
	if (loop_add_transfer(x->loop, x->easy, http_done, x) != 0) {
		*code = CURLE_FAILED_INIT;
		return -1;
	}
	return 1;
}

static void
http_done(CURL *easy, CURLcode result, void *arg)
{
	struct http_xfer *x = arg;
	struct http_response r;
	curl_off_t total_us = 0;
	long status = 0;

	memset(&r, 0, sizeof(r));
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
	x->spent_ms += (int64_t)(total_us / 1000);
	if (result == CURLE_OK && status >= 300 && status < 400 &&
	    status != 304 && http_follow(x, &result) > 0)
		return;
	r.status = status;
	r.curl_code = (int)result;
	r.elapsed_ms = x->spent_ms;
	http_error_text(x, result, r.elapsed_ms, r.error, sizeof(r.error));
	if (x->redirect_error[0] != '\0')
		snprintf(r.error, sizeof(r.error), "%s", x->redirect_error);
	snprintf(r.content_type, sizeof(r.content_type), "%s",
		 x->content_type);
	if (x->body == NULL) {
		x->body = xstrdup("");
		x->body_cap = 1;
	}
	r.body = x->body;
	r.body_len = x->body_len;
	r.truncated = x->truncated;
	r.retry_after_s = x->retry_after_s;

	x->in_callback = true;
	x->cb(&r, x->arg);
	http_xfer_free(x);
}

/* --- starting ------------------------------------------------------------ */

/* "host:port" of a URL, without any userinfo. */
static void
http_where(const char *url, char *out, size_t len)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;

	snprintf(out, len, "(invalid URL)");
	if (u == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port,
				 CURLU_DEFAULT_PORT) == CURLUE_OK)
			snprintf(out, len, "%s:%s", host, port);
		else
			snprintf(out, len, "%s", host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

#define HTTP_SET(opt, val)						\
	do {								\
		CURLcode c_ = curl_easy_setopt(x->easy, opt, val);	\
		if (c_ != CURLE_OK) {					\
			err_set(e, "%s: %s: %s", x->where, #opt,	\
				curl_easy_strerror(c_));		\
			goto fail;					\
		}							\
	} while (0)

struct http_xfer *
http_start(struct loop *l, const struct http_request *rq, http_cb cb,
	   void *arg, struct err *e)
{
	struct http_xfer *x;
	const char *method = rq->method ? rq->method : "GET";
	struct curl_blob blob;

	if (rq->url == NULL || cb == NULL) {
		err_set(e, "http request without URL or callback");
		return NULL;
	}
	x = xcalloc(1, sizeof(*x));
	x->loop = l;
	x->cb = cb;
	x->arg = arg;
	x->limit = http_body_max;
	x->timeout_ms = rq->timeout_ms;
	x->connect_timeout_ms = rq->connect_timeout_ms;
	x->stream = rq->stream;
	x->stream_arg = rq->stream_arg;
	http_where(rq->url, x->where, sizeof(x->where));
	x->easy = curl_easy_init();
	if (x->easy == NULL) {
		err_set(e, "%s: cannot create curl handle", x->where);
		goto fail;
	}

	HTTP_SET(CURLOPT_PRIVATE, x);
	HTTP_SET(CURLOPT_ERRORBUFFER, x->errbuf);
	HTTP_SET(CURLOPT_NOSIGNAL, 1L);
	x->url = xstrdup(rq->url);
	HTTP_SET(CURLOPT_URL, rq->url);
	HTTP_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* Redirects: http_follow(), within the origin only. */
	HTTP_SET(CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	HTTP_SET(CURLOPT_ACCEPT_ENCODING, "");
	HTTP_SET(CURLOPT_WRITEFUNCTION, http_write_cb);
	HTTP_SET(CURLOPT_WRITEDATA, x);
	HTTP_SET(CURLOPT_HEADERFUNCTION, http_header_cb);
	HTTP_SET(CURLOPT_HEADERDATA, x);
	if (rq->timeout_ms > 0)
		HTTP_SET(CURLOPT_TIMEOUT_MS, (long)rq->timeout_ms);
	if (rq->connect_timeout_ms > 0)
		HTTP_SET(CURLOPT_CONNECTTIMEOUT_MS,
			 (long)rq->connect_timeout_ms);

	/* Method and body. */
	if (strcmp(method, "GET") == 0) {
		HTTP_SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		HTTP_SET(CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(method, "POST") != 0)
			HTTP_SET(CURLOPT_CUSTOMREQUEST, method);
		if (rq->body != NULL || strcmp(method, "POST") == 0) {
			HTTP_SET(CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(rq->body ? rq->body_len : 0));
			HTTP_SET(CURLOPT_COPYPOSTFIELDS,
				 rq->body ? rq->body : "");
		}
	}

	/* Headers; "Expect:" keeps curl from waiting for 100-continue on a
	 * large body. */
	for (const char *const *h = rq->headers; h != NULL && *h != NULL;
	     h++) {
		struct curl_slist *n = curl_slist_append(x->headers, *h);

		if (n == NULL) {
			err_set(e, "%s: cannot add header", x->where);
			goto fail;
		}
		x->headers = n;
	}
	/* curl 7.88's SigV4 signs every HTTPHEADER entry, even a removal. */
	if (rq->body != NULL && rq->aws_sigv4 == NULL) {
		struct curl_slist *n = curl_slist_append(x->headers,
							 "Expect:");

		if (n == NULL) {
			err_set(e, "%s: cannot add header", x->where);
			goto fail;
		}
		x->headers = n;
	}
	if (x->headers != NULL)
		HTTP_SET(CURLOPT_HTTPHEADER, x->headers);

	/* Credentials: handed to curl, never kept in our strings. */
	if (rq->bearer_token != NULL) {
		HTTP_SET(CURLOPT_XOAUTH2_BEARER, rq->bearer_token);
		HTTP_SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
	}
	if (rq->userpwd != NULL) {
		HTTP_SET(CURLOPT_USERPWD, rq->userpwd);
		if (rq->aws_sigv4 == NULL && rq->bearer_token == NULL)
			HTTP_SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
	if (rq->aws_sigv4 != NULL)
		HTTP_SET(CURLOPT_AWS_SIGV4, rq->aws_sigv4);

	/* TLS. */
	if (rq->ca_file != NULL)
		HTTP_SET(CURLOPT_CAINFO, rq->ca_file);
	if (rq->ca_blob != NULL) {
		blob.data = (void *)rq->ca_blob;
		blob.len = rq->ca_blob_len;
		blob.flags = CURL_BLOB_COPY;
		HTTP_SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	if (rq->cert_blob != NULL) {
		blob.data = (void *)rq->cert_blob;
		blob.len = rq->cert_blob_len;
		blob.flags = CURL_BLOB_COPY;
		HTTP_SET(CURLOPT_SSLCERT_BLOB, &blob);
		HTTP_SET(CURLOPT_SSLCERTTYPE, "PEM");
	} else if (rq->cert_file != NULL) {
		HTTP_SET(CURLOPT_SSLCERT, rq->cert_file);
	}
	if (rq->key_blob != NULL) {
		blob.data = (void *)rq->key_blob;
		blob.len = rq->key_blob_len;
		blob.flags = CURL_BLOB_COPY;
		HTTP_SET(CURLOPT_SSLKEY_BLOB, &blob);
		HTTP_SET(CURLOPT_SSLKEYTYPE, "PEM");
	} else if (rq->key_file != NULL) {
		HTTP_SET(CURLOPT_SSLKEY, rq->key_file);
	}
	if (rq->insecure) {
		HTTP_SET(CURLOPT_SSL_VERIFYPEER, 0L);
		HTTP_SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (rq->connect_to != NULL) {
		x->connect_to = curl_slist_append(NULL, rq->connect_to);
		if (x->connect_to == NULL) {
			err_set(e, "%s: cannot set connect-to", x->where);
			goto fail;
		}
		HTTP_SET(CURLOPT_CONNECT_TO, x->connect_to);
	}

	if (loop_add_transfer(l, x->easy, http_done, x) != 0) {
		err_set(e, "%s: cannot start transfer", x->where);
		goto fail;
	}
	return x;

fail:
	http_xfer_free(x);
	return NULL;
}

void
http_cancel(struct http_xfer *x)
{
	/* Inside its own callback the xfer is freed on return. */
	if (x == NULL || x->in_callback)
		return;
	loop_remove_transfer(x->loop, x->easy);
	http_xfer_free(x);
}

/* --- describing ---------------------------------------------------------- */

static const char *
http_reason(long status)
{
	static const struct {
		long code;
		const char *text;
	} reasons[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 301, "Moved Permanently" },
		{ 302, "Found" }, { 303, "See Other" },
		{ 304, "Not Modified" }, { 307, "Temporary Redirect" },
		{ 308, "Permanent Redirect" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" }, { 408, "Request Timeout" },
		{ 409, "Conflict" }, { 410, "Gone" },
		{ 412, "Precondition Failed" }, { 413, "Content Too Large" },
		{ 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return NULL;
}

static bool
http_ci_prefix(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - s) >= n && strncasecmp(s, word, n) == 0;
}

/* Text of an HTML/XML body: tags, scripts and styles dropped, a few
 * entities decoded. */
static void
http_strip_markup(const char *s, const char *end, struct strbuf *t)
{
	static const struct {
		const char *name, *text;
	} ents[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&quot;", "\"" }, { "&#39;", "'" }, { "&apos;", "'" },
		{ "&nbsp;", " " },
	};
	const char *body = NULL;

	/* The <head> only repeats the title; start at <body> if any. */
	for (const char *p = s; p < end; p++) {
		if (*p == '<' && http_ci_prefix(p, end, "<body")) {
			body = p;
			break;
		}
	}
	if (body != NULL)
		s = body;
	while (s < end) {
		if (*s == '<') {
			const char *close = NULL;

			if (http_ci_prefix(s, end, "<script"))
				close = "</script";
			else if (http_ci_prefix(s, end, "<style"))
				close = "</style";
			if (close != NULL) {
				while (s < end &&
				       !http_ci_prefix(s, end, close))
					s++;
			}
			while (s < end && *s != '>')
				s++;
			if (s < end)
				s++;
			strbuf_addn(t, " ", 1);
			continue;
		}
		if (*s == '&') {
			size_t i;

			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
				if (http_ci_prefix(s, end, ents[i].name)) {
					strbuf_addn(t, ents[i].text,
						      strlen(ents[i].text));
					s += strlen(ents[i].name);
					break;
				}
			}
			if (i < sizeof(ents) / sizeof(ents[0]))
				continue;
		}
		strbuf_addn(t, s, 1);
		s++;
	}
}

/* Collapse whitespace and control characters to single spaces, in place. */
static void
http_collapse(char *s)
{
	char *w = s;
	bool space = true;	/* drops leading whitespace */

	for (char *r = s; *r != '\0'; r++) {
		unsigned char c = (unsigned char)*r;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space)
				*w++ = ' ';
			space = true;
		} else {
			*w++ = (char)c;
			space = false;
		}
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* The message of a JSON error body, if it has one. */
static const char *
http_json_message(json_t *root)
{
	json_t *v;

	if (!json_is_object(root))
		return NULL;
	v = json_object_get(root, "error");
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v) &&
	    json_is_string(json_object_get(v, "message")))
		return json_string_value(json_object_get(v, "message"));
	v = json_object_get(root, "message");
	if (json_is_string(v))
		return json_string_value(v);
	v = json_object_get(root, "errors");
	if (json_is_array(v) && json_array_size(v) > 0) {
		json_t *first = json_array_get(v, 0);

		if (json_is_string(first))
			return json_string_value(first);
		if (json_is_string(json_object_get(first, "message")))
			return json_string_value(json_object_get(first,
								 "message"));
	}
	return NULL;
}

/* At most HTTP_SNIPPET_MAX bytes of readable text from a response body. */
static void
http_snippet(const struct http_response *r, struct strbuf *t)
{
	const char *s = r->body, *end;
	json_t *root;
	const char *msg;

	if (s == NULL || r->body_len == 0)
		return;
	end = s + r->body_len;
	root = json_loadb(s, r->body_len, 0, NULL);
	msg = http_json_message(root);
	if (msg != NULL) {
		strbuf_addn(t, msg, strlen(msg));
	} else {
		const char *p = s;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (strstr(r->content_type, "html") != NULL ||
		    strstr(r->content_type, "xml") != NULL ||
		    (p < end && *p == '<'))
			http_strip_markup(s, end, t);
		else
			strbuf_addn(t, s, (size_t)(end - s));
	}
	json_decref(root);
	if (t->s == NULL)
		return;
	/* A body may hold NULs; stop at the first. */
	http_collapse(t->s);
	/* Redacting may lengthen the text; only its start is shown. */
	t->cap = strlen(t->s) + HTTP_SNIPPET_MAX + 1;
	t->s = xrealloc(t->s, t->cap);
	text_scrub(t->s, t->cap);
	t->len = strlen(t->s);
	if (t->len > HTTP_SNIPPET_MAX) {
		size_t cut = HTTP_SNIPPET_MAX;

		/* Do not split a UTF-8 sequence. */
		while (cut > 0 && ((unsigned char)t->s[cut] & 0xc0) == 0x80)
			cut--;
		t->len = cut;
		t->s[cut] = '\0';
		strbuf_addn(t, "...", 3);
	}
}

const char *
http_describe(const struct http_response *r, char *buf, size_t len)
{
	const char *reason = http_reason(r->status);
	struct strbuf t = { 0 };
	char status[96];

	if (len == 0)
		return buf;
	if (r->curl_code != CURLE_OK) {
		snprintf(buf, len, "%s", r->error[0] ? r->error :
			 curl_easy_strerror((CURLcode)r->curl_code));
		return buf;
	}
	if (reason != NULL)
		snprintf(status, sizeof(status), "HTTP %ld %s", r->status,
			 reason);
	else
		snprintf(status, sizeof(status), "HTTP %ld", r->status);
	if (r->status >= 200 && r->status < 300) {
		snprintf(buf, len, "%s", status);
		return buf;
	}
	http_snippet(r, &t);
	if (t.len > 0)
		snprintf(buf, len, "%s: %s", status, t.s);
	else
		snprintf(buf, len, "%s", status);
	if (r->retry_after_s > 0) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, " (retry after %.0f s)",
			 r->retry_after_s);
	}
	free(t.s);
	return buf;
}

char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1), *w = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		/* ASCII only: isalnum() depends on the locale. */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 0xf];
		}
	}
	*w = '\0';
	return out;
}
