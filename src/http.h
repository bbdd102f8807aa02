/*
 * http — one HTTP request on the loop, with a deadline, a bounded body, an
 * error buffer and the response's Content-Type.  The callback always runs
 * exactly once (unless the request is cancelled) with a filled response:
 * transport errors are in `curl_code`/`error`, HTTP errors in `status`.
 * Secrets (bearer token, basic password, client key) are handed to curl
 * and never copied into the error text.  Redirects are followed only
 * within the origin (scheme, host, port) of the URL, so headers and
 * credentials never reach another host; another origin or https to http
 * ends the request with curl_code CURLE_REMOTE_ACCESS_DENIED or
 * CURLE_UNSUPPORTED_PROTOCOL and an error that says where it pointed.
 */
#ifndef CUTOVER_SRC_HTTP_H
#define CUTOVER_SRC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define HTTP_BODY_MAX (64u * 1024 * 1024)

struct http_request {
	const char *method;	/* "GET", "POST", "PATCH", "PUT" */
	const char *url;
	const char *const *headers;	/* NULL-terminated "Name: value" */
	const char *body;	/* copied; NULL = none */
	size_t body_len;
	int64_t timeout_ms;	/* whole request deadline; 0 = none (watch) */
	int64_t connect_timeout_ms;
	const char *bearer_token;	/* Authorization: Bearer ... */
	const char *userpwd;	/* basic auth or SigV4 "AKID:SECRET" */
	const char *aws_sigv4;	/* CURLOPT_AWS_SIGV4 provider string */
	const char *ca_file;
	const void *ca_blob;	/* PEM in memory */
	size_t ca_blob_len;
	const void *cert_blob;	/* client certificate PEM */
	size_t cert_blob_len;
	const void *key_blob;	/* client key PEM */
	size_t key_blob_len;
	const char *cert_file;
	const char *key_file;
	bool insecure;		/* no peer/host verification */
	const char *connect_to;	/* CURLOPT_CONNECT_TO entry, e.g. tls-server-name */
	/*
	 * Streaming (a watch): the body of a 2xx answer goes to `stream`
	 * chunk by chunk as it arrives, not into the response; -1 from it
	 * ends the transfer (curl_code CURLE_WRITE_ERROR).  Any other
	 * answer is kept in the response as usual.
	 */
	int (*stream)(const char *data, size_t len, void *arg);
	void *stream_arg;
};

struct http_response {
	long status;		/* 0 when no response arrived */
	int curl_code;		/* CURLE_OK or the transport error */
	char error[256];	/* readable transport error, "" if none */
	char content_type[128];
	char *body;		/* NUL-terminated, owned by the response */
	size_t body_len;
	bool truncated;		/* body hit HTTP_BODY_MAX */
	int64_t elapsed_ms;
	double retry_after_s;	/* Retry-After, 0 if none */
};

struct http_xfer;
typedef void (*http_cb)(const struct http_response *r, void *arg);

/* Start a request; NULL on immediate failure (e filled). */
struct http_xfer *http_start(struct loop *l, const struct http_request *rq,
			     http_cb cb, void *arg, struct err *e);

/* Abort a request in flight; its callback is not called. */
void http_cancel(struct http_xfer *x);

/* Describe a failed response in one readable line ("HTTP 401: no org id"). */
const char *http_describe(const struct http_response *r, char *buf,
			  size_t len);

/* Is the header line (len bytes, as curl hands it) "name: ..."? */
bool http_header_is(const char *line, size_t len, const char *name);

/* Copy the trimmed value of a "Name: value\r\n" line, cut to outlen. */
void http_header_value(const char *line, size_t len, size_t name_len,
		       char *out, size_t outlen);

/* Lower the body limit for new requests (tests); 0 restores HTTP_BODY_MAX. */
void http_set_body_max(size_t max);

/* Percent-encode for a query string or form body (RFC 3986). */
char *http_escape(const char *s);

#endif
