/*
 * prom — the Prometheus client: a pure decoder for the HTTP API's answers
 * and a client that sends the plan's queries on the event loop and records
 * the answers in struct metrics.
 *
 * The decoder never trusts the transport: an "error" envelope, a plain-text
 * 401 from an auth proxy or an HTML 502 page all become one readable line
 * ("bad_data: ...", "HTTP 502: Bad Gateway ..."), never a JSON parse error
 * about line 1.  Values are Go-formatted strings ("NaN", "+Inf", "1e-05").
 *
 * The client sends every query of a refresh at once (POST, form body, so
 * long PromQL never meets a proxy's URL limit); a refresh that is still in
 * flight when the next one is due is not doubled.  Secrets (bearer token,
 * basic password) are read from files, handed to curl and never put into an
 * error text.
 */
#ifndef CUTOVER_SRC_PROM_H
#define CUTOVER_SRC_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "plan.h"

struct loop;
struct metrics;

enum prom_result {
	PROM_RESULT_NONE,	/* no data section (error envelope) */
	PROM_RESULT_VECTOR,
	PROM_RESULT_SCALAR,
	PROM_RESULT_MATRIX,
	PROM_RESULT_STRING,
};

/* One decoded answer of /api/v1/query. */
struct prom_answer {
	enum prom_result type;
	bool empty;		/* "result": [] */
	double value;		/* the one sample; NAN when empty */
	int64_t sample_wall_ms;	/* its timestamp, 0 when empty */
	int nseries;		/* series in the result (1 for a scalar) */
	int nwarnings;		/* "warnings" entries (partial data) */
	char warning[256];	/* the first warning, "" if none */
	char error_type[32];	/* errorType of an error envelope, or "" */
	char error[256];	/* error text of an error envelope, or "" */
};

/* One point of a range answer. */
struct prom_point {
	int64_t wall_ms;
	double value;
};

/* One decoded answer of /api/v1/query_range (at most one series). */
struct prom_range {
	struct prom_answer meta;	/* type, nseries, warnings, error */
	struct prom_point *points;	/* oldest first; owned */
	int npoints;
};

/*
 * Decode an /api/v1/query answer expecting one number: an empty vector, a
 * one-series vector or a scalar.  Returns 0 (a filled), or -1 with a
 * readable e->msg (and a->error_type / a->error for error envelopes).
 * content_type may be NULL.
 */
int prom_decode(const char *body, size_t len, long http_status,
		const char *content_type, struct prom_answer *a,
		struct err *e);

/* Decode an /api/v1/query_range answer of at most one series. */
int prom_decode_range(const char *body, size_t len, long http_status,
		      const char *content_type, struct prom_range *r,
		      struct err *e);

/* Release the points of a range answer. */
void prom_range_done(struct prom_range *r);

/* Parse a Prometheus sample value ("NaN", "+Inf", "1e-05"); 0 or -1. */
int prom_parse_value(const char *s, double *out);

struct prom;

/*
 * New client for plan `p` on loop `l` writing into `m` (all borrowed; they
 * must outlive the client).  Fails when the plan has no Prometheus URL.
 */
struct prom *prom_new(const struct plan *p, struct loop *l,
		      struct metrics *m, struct err *e);

/* Cancel what is in flight and free the client. */
void prom_free(struct prom *pr);

/* Hook called after answers land in metrics (the UI sets dirty bits). */
void prom_on_update(struct prom *pr, void (*on_update)(void *arg), void *arg);

/*
 * Send every query of the plan at once.  When the previous refresh is
 * still in flight it is not doubled: returns 0 and does nothing.  Returns
 * -1 when no request could be started (each query then carries the error).
 */
int prom_refresh(struct prom *pr);

/*
 * Fill the sparkline histories with range queries over the last span_ms at
 * step_ms (replacing what the histories held).  Not doubled either.
 */
int prom_backfill(struct prom *pr, int64_t span_ms, int64_t step_ms);

/* True while a refresh (or a backfill) has requests in flight. */
bool prom_busy(const struct prom *pr);

/* One sample of a vector answer: a label's value and the sample. */
struct prom_sample {
	char label[64];		/* scrubbed; "(none)" when absent */
	double value;
};

/*
 * Decode an /api/v1/query answer of many series (`sum by (label)`):
 * at most `max` samples into out, *n of them.  0, or -1 with e.
 */
int prom_decode_vector(const char *body, size_t len, long http_status,
		       const char *content_type, const char *label,
		       struct prom_sample *out, int max, int *n,
		       struct err *e);

/*
 * One instant query of any PromQL now, with the client's address and
 * credentials (the rollback summary).  The callback runs once unless
 * cancelled: `msg` is "" when an HTTP answer came (decode r), else the
 * transport's error.  NULL (e filled) when nothing could be started.
 */
struct http_response;
struct prom_call;
typedef void (*prom_call_cb)(const struct http_response *r, const char *msg,
			     void *arg);
struct prom_call *prom_call_start(struct prom *pr, const char *promql,
				  prom_call_cb cb, void *arg, struct err *e);
/* Abort a call (NULL is fine); its callback is not called. */
void prom_call_cancel(struct prom_call *c);

#endif
