/*
 * driver_route53 — the route53 traffic driver: two weighted records of one
 * name and type (Istio's and APISIX's SetIdentifier), changed together.
 *
 * apply:  ListResourceRecordSets (the records in force) -> one
 *         ChangeResourceRecordSets with two UPSERTs -> GetChange until
 *         INSYNC (a "route53: PENDING" line per poll, bounded by
 *         insync_timeout) -> ListResourceRecordSets again to confirm.
 * read:   ListResourceRecordSets.
 *
 * Weight mapping: the Route53 weight of each record is its percent (istio
 * 25 -> Weight 25, apisix 75 -> Weight 75).  Only the ratio counts, 0..100
 * fits Route53's 0..255, and the read-back of what cutover wrote maps back
 * to exactly the same percent.  Weights set outside cutover are read as
 * 100 * istio / (istio + apisix) when that is a whole percent (20/180 is
 * 10%), and refused otherwise; both 0 (Route53 then splits evenly) is
 * refused too.  Since the two percents sum to 100, cutover never writes
 * 0/0.
 *
 * Each UPSERT keeps what the record in force has besides its weight: the
 * alias target (unless the plan names one), or the TTL and the values of
 * a non-alias record, and a HealthCheckId.  A record that does not exist
 * is created only when the plan gives its alias target.  When both
 * records already carry the asked ratio (and the plan's alias targets),
 * apply sends nothing.
 *
 * Requests are signed by libcurl (CURLOPT_AWS_SIGV4); query strings are
 * built already sorted and percent-encoded, since curl 7.88 does not
 * canonicalise them.  Credentials come from AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) or from the plan's profile
 * in ~/.aws/credentials ($AWS_SHARED_CREDENTIALS_FILE) (aws_creds.c),
 * are read afresh for every operation, handed to curl and wiped; they
 * never reach a log or a message.  The XML is read and written by
 * route53_xml.c.  PriorRequestNotComplete and Throttling are retried with
 * a doubling back-off, a bounded number of times.
 *
 * Invariants: at most one operation at a time; one request or one timer
 * pending at a time; each operation answers exactly once unless
 * cancelled, and the callback is the last thing it does.
 */
#include "config.h"

#include "driver_route53.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "driver.h"
#include "http.h"
#include "plan_schema.h"
#include "route53_xml.h"
#include "strbuf.h"
#include "xmalloc.h"

#define ROUTE53_RETRY_MAX 5		/* retries of a throttled request */
#define ROUTE53_TTL_MAX 2147483647L	/* Route53's limit for a TTL */
#define ROUTE53_BACKOFF_MS 500	/* first back-off, doubled each time */
#define ROUTE53_BACKOFF_MAX_MS 8000
#define ROUTE53_POLL_FIRST_MS 1000	/* first GetChange poll */
#define ROUTE53_POLL_MAX_MS 5000
#define ROUTE53_PAGES_MAX 10	/* ListResourceRecordSets pages */
#define ROUTE53_MAXITEMS "100"
#define ROUTE53_QUOTE_MAX 300

enum route53_op {
	ROUTE53_IDLE,
	ROUTE53_APPLY,
	ROUTE53_READ,
};

enum route53_step {
	ROUTE53_LIST,		/* reading the records in force */
	ROUTE53_CHANGE,		/* ChangeResourceRecordSets */
	ROUTE53_POLL,		/* GetChange */
	ROUTE53_VERIFY,		/* reading back after INSYNC */
};

/* One weighted record as read from Route53. */
struct route53_rec {
	bool found;
	char *name;
	long weight;
	bool alias;
	char *alias_zone;
	char *alias_dns;
	bool alias_eval;
	bool have_ttl;
	long ttl;
	char **values;
	int nvalues;
	char *health_check;
};

struct route53_priv {
	struct driver *d;
	const struct plan_route53 *cfg;
	struct driver_job job;	/* op: enum route53_op */
	enum route53_step step;
	struct weights want;
	int stage;
	struct http_xfer *xfer;
	int retries;
	int pages;
	char *next_name, *next_type, *next_id;	/* list paging */
	struct route53_rec rec[2];	/* 0 istio, 1 apisix */
	char *change_id;	/* "C123...", without "/change/" */
	int64_t insync_deadline;
	int64_t change_start;
	int64_t poll_ms;
	int polls;
	char region[32];
};

/* --- names --------------------------------------------------------------- */

/*
 * A DNS name as Route53 compares it: lower case, no final dot, \ooo octal
 * escapes decoded ("\052.example.com." == "*.example.com").
 */
static char *
route53_name_norm(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *w = out;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)tolower((s[1] - '0') * 64 +
			    (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
			continue;
		}
		*w++ = (char)tolower((unsigned char)*s++);
	}
	if (w > out && w[-1] == '.')
		w--;
	*w = '\0';
	return out;
}

static bool
route53_name_eq(const char *a, const char *b)
{
	char *na = route53_name_norm(a), *nb = route53_name_norm(b);
	bool eq = strcmp(na, nb) == 0;

	free(na);
	free(nb);
	return eq;
}

/* --- records ------------------------------------------------------------- */

static void
route53_rec_clear(struct route53_rec *r)
{
	free(r->name);
	free(r->alias_zone);
	free(r->alias_dns);
	free(r->health_check);
	for (int i = 0; i < r->nvalues; i++)
		free(r->values[i]);
	free(r->values);
	memset(r, 0, sizeof(*r));
}

static void
route53_paging_clear(struct route53_priv *x)
{
	free(x->next_name);
	free(x->next_type);
	free(x->next_id);
	x->next_name = x->next_type = x->next_id = NULL;
}

static void
route53_op_clear(struct route53_priv *x)
{
	route53_rec_clear(&x->rec[0]);
	route53_rec_clear(&x->rec[1]);
	route53_paging_clear(x);
	free(x->change_id);
	x->change_id = NULL;
	x->retries = 0;
	x->pages = 0;
	x->polls = 0;
}

/* The end of a step, answered or cancelled (driver_job's end). */
static void
route53_end(void *arg, bool cancelled)
{
	struct route53_priv *x = arg;

	if (cancelled)
		http_cancel(x->xfer);
	x->xfer = NULL;
	route53_op_clear(x);
}

/* Parse one <ResourceRecordSet> body into r; -1 with a reason. */
static int
route53_rec_parse(const char *s, const char *end, struct route53_rec *r,
		  char *why, size_t len)
{
	const char *in, *in_end, *p;
	char *t;

	r->name = route53_xml_text(s, end, "Name");
	t = route53_xml_text(s, end, "Weight");
	if (r->name == NULL || t == NULL) {
		free(t);
		snprintf(why, len, "a record without Name or Weight");
		return -1;
	}
	{
		char *stop;

		errno = 0;
		r->weight = strtol(t, &stop, 10);
		if (*t < '0' || *t > '9' || *stop != '\0' || errno != 0 ||
		    r->weight < 0 || r->weight > 255) {
			snprintf(why, len, "weight \"%.40s\" is not 0..255", t);
			free(t);
			return -1;
		}
	}
	free(t);
	r->health_check = route53_xml_text(s, end, "HealthCheckId");
	if (route53_xml_find(s, end, "AliasTarget", &in, &in_end, NULL)) {
		r->alias = true;
		r->alias_zone = route53_xml_text(in, in_end, "HostedZoneId");
		r->alias_dns = route53_xml_text(in, in_end, "DNSName");
		t = route53_xml_text(in, in_end, "EvaluateTargetHealth");
		r->alias_eval = t != NULL && strcmp(t, "true") == 0;
		free(t);
		if (r->alias_zone == NULL || r->alias_dns == NULL) {
			snprintf(why, len, "an alias without HostedZoneId or "
			    "DNSName");
			return -1;
		}
	} else {
		t = route53_xml_text(s, end, "TTL");
		if (t != NULL) {
			char *stop;

			/* Sent back as read: never a clamped LONG_MAX. */
			errno = 0;
			r->have_ttl = true;
			r->ttl = strtol(t, &stop, 10);
			if (*t < '0' || *t > '9' || *stop != '\0' ||
			    errno != 0 || r->ttl > ROUTE53_TTL_MAX) {
				snprintf(why, len, "TTL \"%.40s\" is not "
				    "0..%ld", t, (long)ROUTE53_TTL_MAX);
				free(t);
				return -1;
			}
			free(t);
		}
		if (route53_xml_find(s, end, "ResourceRecords", &in, &in_end,
		    NULL)) {
			const char *v, *v_end;

			p = in;
			while (route53_xml_find(p, in_end, "ResourceRecord", &v,
			    &v_end, &p)) {
				t = route53_xml_text(v, v_end, "Value");
				if (t == NULL)
					continue;
				r->values = xreallocarray(r->values,
				    (size_t)r->nvalues + 1,
				    sizeof(*r->values));
				r->values[r->nvalues++] = t;
			}
		}
	}
	r->found = true;
	return 0;
}

/* --- requests ------------------------------------------------------------ */

static void route53_http_done(const struct http_response *r, void *arg);

/* Base URL without a final slash. */
static char *
route53_base(const struct route53_priv *x)
{
	const char *ep = x->cfg->endpoint != NULL ? x->cfg->endpoint :
	    "https://route53.amazonaws.com";
	size_t n = strlen(ep);

	while (n > 0 && ep[n - 1] == '/')
		n--;
	return xstrndup(ep, n);
}

/* The zone ID without a "/hostedzone/" prefix. */
static const char *
route53_zone(const struct route53_priv *x)
{
	const char *z = x->cfg->hosted_zone_id;

	if (strncmp(z, "/hostedzone/", 12) == 0)
		return z + 12;
	return z;
}

static int
route53_send(struct route53_priv *x, const char *method, const char *url,
	 const char *body, struct err *e)
{
	struct aws_creds c;
	struct http_request rq;
	const char *headers[3];
	char sigv4[96];
	int n = 0;

	if (aws_creds_get(x->cfg->profile, &c, e) == -1)
		return -1;
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:route53", x->region);
	if (body != NULL)
		headers[n++] = "Content-Type: application/xml";
	if (c.token_header != NULL)
		headers[n++] = c.token_header;
	headers[n] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.url = url;
	rq.headers = headers;
	rq.body = body;
	rq.body_len = body != NULL ? strlen(body) : 0;
	rq.timeout_ms = x->cfg->timeout_ms;
	rq.connect_timeout_ms = x->cfg->timeout_ms;
	rq.userpwd = c.userpwd;
	rq.aws_sigv4 = sigv4;
	x->xfer = http_start(x->d->loop, &rq, route53_http_done, x, e);
	aws_creds_done(&c);
	return x->xfer != NULL ? 0 : -1;
}

/* ListResourceRecordSets; parameters sorted by name, RFC 3986-encoded. */
static int
route53_send_list(struct route53_priv *x, struct err *e)
{
	char *base = route53_base(x), *url;
	char *zone = http_escape(route53_zone(x));
	char *name = http_escape(x->next_name != NULL ? x->next_name :
	    x->cfg->record_name);
	char *type = http_escape(x->next_type != NULL ? x->next_type :
	    x->cfg->record_type);
	int rc;

	if (x->next_id != NULL) {
		char *id = http_escape(x->next_id);

		url = xasprintf("%s/2013-04-01/hostedzone/%s/rrset?"
		    "identifier=%s&maxitems=%s&name=%s&type=%s", base, zone,
		    id, ROUTE53_MAXITEMS, name, type);
		free(id);
	} else {
		url = xasprintf("%s/2013-04-01/hostedzone/%s/rrset?"
		    "maxitems=%s&name=%s&type=%s", base, zone, ROUTE53_MAXITEMS,
		    name, type);
	}
	rc = route53_send(x, "GET", url, NULL, e);
	free(url);
	free(base);
	free(zone);
	free(name);
	free(type);
	return rc;
}

static void
route53_add_rec(struct strbuf *b, const struct route53_priv *x, int side,
		int weight)
{
	const struct plan_route53 *cfg = x->cfg;
	const struct route53_rec *r = &x->rec[side];
	const char *dns = side == 0 ? cfg->istio_alias_dns :
	    cfg->apisix_alias_dns;
	const char *zone = side == 0 ? cfg->istio_alias_zone :
	    cfg->apisix_alias_zone;
	char num[32];

	strbuf_add(b, "<Change><Action>UPSERT</Action>"
	    "<ResourceRecordSet>");
	route53_xml_elem(b, "Name", r->found ? r->name :
	    cfg->record_name);
	route53_xml_elem(b, "Type", cfg->record_type);
	route53_xml_elem(b, "SetIdentifier", side == 0 ?
	    cfg->istio_set_id : cfg->apisix_set_id);
	snprintf(num, sizeof(num), "%d", weight);
	route53_xml_elem(b, "Weight", num);
	if (dns != NULL || r->alias) {
		bool eval = dns != NULL ? cfg->evaluate_target_health :
		    r->alias_eval;

		strbuf_add(b, "<AliasTarget>");
		route53_xml_elem(b, "HostedZoneId", dns != NULL ? zone :
		    r->alias_zone);
		route53_xml_elem(b, "DNSName", dns != NULL ? dns :
		    r->alias_dns);
		route53_xml_elem(b, "EvaluateTargetHealth",
		    eval ? "true" : "false");
		strbuf_add(b, "</AliasTarget>");
	} else {
		if (r->have_ttl) {
			snprintf(num, sizeof(num), "%ld", r->ttl);
			route53_xml_elem(b, "TTL", num);
		}
		if (r->nvalues > 0) {
			strbuf_add(b, "<ResourceRecords>");
			for (int i = 0; i < r->nvalues; i++) {
				strbuf_add(b, "<ResourceRecord>");
				route53_xml_elem(b, "Value",
				    r->values[i]);
				strbuf_add(b, "</ResourceRecord>");
			}
			strbuf_add(b, "</ResourceRecords>");
		}
	}
	if (r->health_check != NULL)
		route53_xml_elem(b, "HealthCheckId", r->health_check);
	strbuf_add(b, "</ResourceRecordSet></Change>");
}

static int
route53_send_change(struct route53_priv *x, struct err *e)
{
	struct strbuf b = { 0 };
	char *base, *url, *zone, comment[160];
	int rc;

	strbuf_add(&b,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ChangeResourceRecordSetsRequest xmlns=\"https://route53."
	    "amazonaws.com/doc/2013-04-01/\"><ChangeBatch>");
	snprintf(comment, sizeof(comment), "cutover %.60s: stage %d, istio "
	    "%d%% / apisix %d%%", x->d->plan->name != NULL ?
	    x->d->plan->name : "", x->stage, x->want.istio, x->want.apisix);
	route53_xml_elem(&b, "Comment", comment);
	strbuf_add(&b, "<Changes>");
	route53_add_rec(&b, x, 0, x->want.istio);
	route53_add_rec(&b, x, 1, x->want.apisix);
	strbuf_add(&b, "</Changes></ChangeBatch>"
	    "</ChangeResourceRecordSetsRequest>\n");
	base = route53_base(x);
	zone = http_escape(route53_zone(x));
	url = xasprintf("%s/2013-04-01/hostedzone/%s/rrset/", base, zone);
	rc = route53_send(x, "POST", url, b.s, e);
	free(url);
	free(zone);
	free(base);
	free(b.s);
	return rc;
}

static int
route53_send_poll(struct route53_priv *x, struct err *e)
{
	char *base = route53_base(x), *id = http_escape(x->change_id), *url;
	int rc;

	url = xasprintf("%s/2013-04-01/change/%s", base, id);
	rc = route53_send(x, "GET", url, NULL, e);
	free(url);
	free(id);
	free(base);
	return rc;
}

/* --- answering ----------------------------------------------------------- */

static const char *
route53_what(const struct route53_priv *x)
{
	switch (x->step) {
	case ROUTE53_LIST:
		return "ListResourceRecordSets";
	case ROUTE53_CHANGE:
		return "ChangeResourceRecordSets";
	case ROUTE53_POLL:
		return "GetChange";
	case ROUTE53_VERIFY:
		return "ListResourceRecordSets (verify)";
	}
	return "request";
}

/* What went wrong, with an applied-or-not note for the change step. */
static const char *
route53_uncertain(const struct route53_priv *x)
{
	if (x->job.op != ROUTE53_APPLY)
		return "";
	if (x->step == ROUTE53_POLL || x->step == ROUTE53_VERIFY)
		return " (the change was accepted; weights may be in force)";
	if (x->step == ROUTE53_CHANGE)
		return " (the change may or may not have been applied)";
	return " (nothing was changed)";
}

/* Copy at most ROUTE53_QUOTE_MAX printable characters. */
static void
route53_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < ROUTE53_QUOTE_MAX && s[i] != '\0' && o + 4 < len; i++)
		buf[o++] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	if (s[i] != '\0' && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* Route53's <Error><Code>/<Message>, or InvalidChangeBatch's messages. */
static bool
route53_error_of(const struct http_response *r, char *code, size_t clen,
	     char *msg, size_t mlen)
{
	const char *s = r->body, *end = r->body + r->body_len;
	const char *in, *in_end, *p;
	char *c = NULL, *m = NULL;

	code[0] = msg[0] = '\0';
	if (route53_xml_find(s, end, "Error", &in, &in_end, NULL)) {
		c = route53_xml_text(in, in_end, "Code");
		m = route53_xml_text(in, in_end, "Message");
	} else if (route53_xml_find(s, end, "InvalidChangeBatch", &in, &in_end,
	    NULL)) {
		struct strbuf all = { 0 };

		c = xstrdup("InvalidChangeBatch");
		strbuf_add(&all, "");
		p = in;
		while (route53_xml_find(p, in_end, "Message", &s, &end, &p)) {
			if (all.len > 0)
				strbuf_add(&all, "; ");
			strbuf_addn(&all, s, strnlen(s, (size_t)(end - s)));
		}
		m = all.s;
	}
	if (c == NULL) {
		free(m);
		return false;
	}
	snprintf(code, clen, "%s", c);
	if (m != NULL)
		route53_quote(m, msg, mlen);
	free(c);
	free(m);
	return true;
}

static void route53_timer_fire(void *arg);

static void
route53_schedule(struct route53_priv *x, int64_t delay_ms)
{
	driver_job_after(&x->job, delay_ms, route53_timer_fire, x);
}

/* (Re)send the request of the current step. */
static int
route53_send_step(struct route53_priv *x, struct err *e)
{
	switch (x->step) {
	case ROUTE53_LIST:
	case ROUTE53_VERIFY:
		return route53_send_list(x, e);
	case ROUTE53_CHANGE:
		return route53_send_change(x, e);
	case ROUTE53_POLL:
		return route53_send_poll(x, e);
	}
	return err_set(e, "no request");
}

static void
route53_timer_fire(void *arg)
{
	struct route53_priv *x = arg;
	struct err e;

	x->job.timer = NULL;
	err_clear(&e);
	if (route53_send_step(x, &e) == -1)
		driver_job_failf(&x->job,
		    "route53 %s: %s%s", route53_what(x), e.msg,
		    route53_uncertain(x));
}

/* Start the first list of an operation (or of the verification). */
static void
route53_start_list(struct route53_priv *x, enum route53_step step)
{
	struct err e;

	route53_rec_clear(&x->rec[0]);
	route53_rec_clear(&x->rec[1]);
	route53_paging_clear(x);
	x->pages = 0;
	x->retries = 0;
	x->step = step;
	err_clear(&e);
	if (route53_send_list(x, &e) == -1)
		driver_job_failf(&x->job,
		    "route53 %s: %s%s", route53_what(x), e.msg,
		    route53_uncertain(x));
}

/* Both records found: their split, or -1 with a reason. */
static int
route53_split(const struct route53_priv *x, struct weights *w, char *why,
	  size_t len)
{
	if (!x->rec[0].found || !x->rec[1].found) {
		snprintf(why, len, "no %s record %s %s with SetIdentifier "
		    "\"%s\"", x->cfg->record_type, x->cfg->record_name,
		    x->rec[0].found ? "" : "(istio)",
		    x->rec[0].found ? x->cfg->apisix_set_id :
		    x->cfg->istio_set_id);
		return -1;
	}
	if (x->rec[0].weight + x->rec[1].weight == 0) {
		snprintf(why, len, "both weights are 0 (Route53 then splits "
		    "evenly)");
		return -1;
	}
	return driver_percent((double)x->rec[0].weight,
	    (double)x->rec[1].weight, w, why, len);
}

/* Whether the plan's alias target of `side` is what the record has. */
static bool
route53_alias_ok(const struct route53_priv *x, int side)
{
	const char *dns = side == 0 ? x->cfg->istio_alias_dns :
	    x->cfg->apisix_alias_dns;
	const char *zone = side == 0 ? x->cfg->istio_alias_zone :
	    x->cfg->apisix_alias_zone;
	const struct route53_rec *r = &x->rec[side];

	if (dns == NULL)
		return true;
	return r->alias && route53_name_eq(dns, r->alias_dns) &&
	    strcmp(zone, r->alias_zone) == 0 &&
	    r->alias_eval == x->cfg->evaluate_target_health;
}

/* The records are read: answer a read, or go on with an apply. */
static void
route53_listed(struct route53_priv *x)
{
	struct driver_result res;
	struct weights got;
	char why[256];
	struct err e;

	memset(&res, 0, sizeof(res));
	if (x->job.op == ROUTE53_READ || x->step == ROUTE53_VERIFY) {
		if (route53_split(x, &got, why, sizeof(why)) == -1) {
			driver_job_failf(&x->job, "route53: %s%s", why,
			    route53_uncertain(x));
			return;
		}
		res.have_weights = true;
		res.weights = got;
		if (x->job.op == ROUTE53_READ) {
			res.ok = true;
			snprintf(res.message, sizeof(res.message), "read back "
			    "%d/%d", got.istio, got.apisix);
		} else if (got.istio != x->want.istio) {
			snprintf(res.message, sizeof(res.message), "route53: "
			    "applied %d/%d but read back %d/%d",
			    x->want.istio, x->want.apisix, got.istio,
			    got.apisix);
		} else {
			res.ok = true;
			snprintf(res.message, sizeof(res.message), "change %s "
			    "INSYNC after %d poll%s, read back %d/%d",
			    x->change_id != NULL ? x->change_id : "?",
			    x->polls, x->polls == 1 ? "" : "s", got.istio,
			    got.apisix);
		}
		driver_job_answer(&x->job, &res);
		return;
	}

	/* apply: is the split already in force? */
	if (route53_split(x, &got, why, sizeof(why)) == 0 &&
	    got.istio == x->want.istio && route53_alias_ok(x, 0) &&
	    route53_alias_ok(x, 1)) {
		res.ok = true;
		res.have_weights = true;
		res.weights = got;
		snprintf(res.message, sizeof(res.message), "route53: %d/%d "
		    "already in force, no change sent", got.istio, got.apisix);
		driver_log(x->d, "route53: weights %ld/%ld already in force",
		    x->rec[0].weight, x->rec[1].weight);
		driver_job_answer(&x->job, &res);
		return;
	}
	for (int side = 0; side < 2; side++) {
		const char *dns = side == 0 ? x->cfg->istio_alias_dns :
		    x->cfg->apisix_alias_dns;
		const struct route53_rec *r = &x->rec[side];

		if (!r->found && dns == NULL) {
			driver_job_failf(&x->job,
			    "route53: no %s record %s with "
			    "SetIdentifier \"%s\" and no %s_alias_dns_name "
			    "to create it with (nothing was changed)",
			    x->cfg->record_type, x->cfg->record_name,
			    side == 0 ? x->cfg->istio_set_id :
			    x->cfg->apisix_set_id,
			    side == 0 ? "istio" : "apisix");
			return;
		}
		if (r->found && !r->alias && dns == NULL && r->nvalues == 0) {
			driver_job_failf(&x->job,
			    "route53: record \"%s\" has neither an "
			    "alias target nor values (nothing was changed)",
			    side == 0 ? x->cfg->istio_set_id :
			    x->cfg->apisix_set_id);
			return;
		}
	}
	x->step = ROUTE53_CHANGE;
	x->retries = 0;
	err_clear(&e);
	driver_log(x->d, "route53: UPSERT %s %s weights %s=%d %s=%d",
	    x->cfg->record_name, x->cfg->record_type, x->cfg->istio_set_id,
	    x->want.istio, x->cfg->apisix_set_id, x->want.apisix);
	if (route53_send_change(x, &e) == -1)
		driver_job_failf(&x->job,
		    "route53 %s: %s (nothing was changed)",
		    route53_what(x), e.msg);
}

/*
 * Take the records of cfg's two SetIdentifiers from a page of
 * ListResourceRecordSets into x->rec; -1 with a reason for a malformed
 * page.
 */
static int
route53_records(struct route53_priv *x, const char *s, const char *end,
		char *why, size_t len)
{
	const char *in, *in_end, *p;
	char one[128];

	if (!route53_xml_find(s, end, "ListResourceRecordSetsResponse", &in,
	    &in_end, NULL) || !route53_xml_find(in, in_end,
	    "ResourceRecordSets", &in, &in_end, NULL)) {
		snprintf(why, len, "malformed answer (no "
		    "<ResourceRecordSets>)");
		return -1;
	}
	p = in;
	for (;;) {
		const char *rs, *rs_end;
		struct route53_rec rec;
		char *id, *type;
		int side;

		if (!route53_xml_find(p, in_end, "ResourceRecordSet", &rs,
		    &rs_end, &p))
			break;
		id = route53_xml_text(rs, rs_end, "SetIdentifier");
		type = route53_xml_text(rs, rs_end, "Type");
		memset(&rec, 0, sizeof(rec));
		side = id == NULL || type == NULL ||
		    strcmp(type, x->cfg->record_type) != 0 ? -1 :
		    strcmp(id, x->cfg->istio_set_id) == 0 ? 0 :
		    strcmp(id, x->cfg->apisix_set_id) == 0 ? 1 : -1;
		free(id);
		free(type);
		if (side < 0)
			continue;
		{
			char *name = route53_xml_text(rs, rs_end, "Name");
			bool same = name != NULL &&
			    route53_name_eq(name, x->cfg->record_name);

			free(name);
			if (!same)
				continue;
		}
		if (route53_rec_parse(rs, rs_end, &rec, one,
		    sizeof(one)) == -1) {
			route53_rec_clear(&rec);
			snprintf(why, len, "malformed answer: %s", one);
			return -1;
		}
		route53_rec_clear(&x->rec[side]);
		x->rec[side] = rec;
	}
	return 0;
}

/* A page of ListResourceRecordSets. */
static void
route53_list_page(struct route53_priv *x, const struct http_response *r)
{
	const char *s = r->body, *end = r->body + r->body_len;
	char why[160], *trunc;
	struct err e;
	bool more;

	if (route53_records(x, s, end, why, sizeof(why)) == -1) {
		driver_job_failf(&x->job,
		    "route53 %s: %s%s", route53_what(x), why,
		    route53_uncertain(x));
		return;
	}
	trunc = route53_xml_text(s, end, "IsTruncated");
	more = trunc != NULL && strcmp(trunc, "true") == 0;
	free(trunc);
	route53_paging_clear(x);
	if (more && !(x->rec[0].found && x->rec[1].found)) {
		x->next_name = route53_xml_text(s, end, "NextRecordName");
		x->next_type = route53_xml_text(s, end, "NextRecordType");
		x->next_id = route53_xml_text(s, end, "NextRecordIdentifier");
		/* Further pages hold other names or types: stop there. */
		if (x->next_name != NULL && x->next_type != NULL &&
		    route53_name_eq(x->next_name, x->cfg->record_name) &&
		    strcmp(x->next_type, x->cfg->record_type) == 0) {
			if (++x->pages >= ROUTE53_PAGES_MAX) {
				driver_job_failf(&x->job,
				    "route53 %s: more than %d "
				    "pages "
				    "of records for %s%s", route53_what(x),
				    ROUTE53_PAGES_MAX, x->cfg->record_name,
				    route53_uncertain(x));
				return;
			}
			err_clear(&e);
			if (route53_send_list(x, &e) == -1)
				driver_job_failf(&x->job, "route53 %s: %s%s",
				    route53_what(x), e.msg,
				    route53_uncertain(x));
			return;
		}
	}
	route53_paging_clear(x);
	route53_listed(x);
}

/* <ChangeInfo><Id>/<Status> of a change or GetChange answer. */
static int
route53_change_info(struct route53_priv *x, const struct http_response *r,
		char **status)
{
	const char *in, *in_end;
	char *id;

	*status = NULL;
	if (!route53_xml_find(r->body, r->body + r->body_len, "ChangeInfo", &in,
	    &in_end, NULL))
		return -1;
	id = route53_xml_text(in, in_end, "Id");
	*status = route53_xml_text(in, in_end, "Status");
	if (id == NULL || *id == '\0' || *status == NULL) {
		free(id);
		free(*status);
		*status = NULL;
		return -1;
	}
	if (x->change_id == NULL) {
		const char *c = id;

		if (strncmp(c, "/change/", 8) == 0)
			c += 8;
		x->change_id = xstrdup(c);
	}
	free(id);
	return 0;
}

static void
route53_changed(struct route53_priv *x, const struct http_response *r)
{
	char *status;
	int64_t now = loop_now(x->d->loop);
	bool submitted = false;

	if (route53_change_info(x, r, &status) == -1) {
		driver_job_failf(&x->job,
		    "route53 %s: malformed answer (no <ChangeInfo> "
		    "with <Id> and <Status>)%s", route53_what(x),
		    route53_uncertain(x));
		return;
	}
	if (x->step == ROUTE53_CHANGE) {
		x->change_start = now;
		x->insync_deadline = now + x->cfg->insync_timeout_ms;
		x->poll_ms = ROUTE53_POLL_FIRST_MS;
		x->step = ROUTE53_POLL;
		submitted = true;
	} else {
		x->polls++;
	}
	x->retries = 0;
	if (strcmp(status, "INSYNC") == 0) {
		free(status);
		driver_log(x->d, "route53: change %s INSYNC", x->change_id);
		route53_start_list(x, ROUTE53_VERIFY);
		return;
	}
	if (strcmp(status, "PENDING") != 0) {
		driver_job_failf(&x->job,
		    "route53: change %s has unknown status "
		    "\"%.40s\"%s",
		    x->change_id, status, route53_uncertain(x));
		free(status);
		return;
	}
	free(status);
	if (submitted)
		driver_log(x->d, "route53: change %s submitted", x->change_id);
	else
		driver_log(x->d, "route53: PENDING (change %s, %" PRId64 " s)",
		    x->change_id, (now - x->change_start) / 1000);
	if (now >= x->insync_deadline) {
		driver_job_failf(&x->job,
		    "route53: change %s still PENDING after "
		    "%" PRId64
		    " s (insync_timeout)%s", x->change_id,
		    (now - x->change_start) / 1000, route53_uncertain(x));
		return;
	}
	{
		int64_t wait = x->poll_ms;

		if (now + wait > x->insync_deadline)
			wait = x->insync_deadline - now;
		route53_schedule(x, wait);
		x->poll_ms = x->poll_ms * 2 > ROUTE53_POLL_MAX_MS ?
		    ROUTE53_POLL_MAX_MS : x->poll_ms * 2;
	}
}

static void
route53_http_done(const struct http_response *r, void *arg)
{
	struct route53_priv *x = arg;
	char code[96], msg[ROUTE53_QUOTE_MAX + 8], desc[256];

	x->xfer = NULL;
	if (r->curl_code != 0 || r->status == 0) {
		driver_job_failf(&x->job, "route53 %s: %s%s", route53_what(x),
		    http_describe(r, desc, sizeof(desc)), route53_uncertain(x));
		return;
	}
	if (r->status < 200 || r->status > 299) {
		if (!route53_error_of(r, code, sizeof(code), msg,
		    sizeof(msg))) {
			driver_job_failf(&x->job,
			    "route53 %s: %s%s", route53_what(x),
			    http_describe(r, desc, sizeof(desc)),
			    route53_uncertain(x));
			return;
		}
		if ((strcmp(code, "Throttling") == 0 ||
		    strcmp(code, "PriorRequestNotComplete") == 0) &&
		    x->retries < ROUTE53_RETRY_MAX) {
			int64_t wait = (int64_t)ROUTE53_BACKOFF_MS <<
			    x->retries;

			if (wait > ROUTE53_BACKOFF_MAX_MS)
				wait = ROUTE53_BACKOFF_MAX_MS;
			if (r->retry_after_s > 0 &&
			    r->retry_after_s * 1000 > (double)wait &&
			    r->retry_after_s < 60)
				wait = (int64_t)(r->retry_after_s * 1000);
			x->retries++;
			driver_log(x->d, "route53: %s: %s; retry %d/%d in "
			    "%" PRId64 " ms", code, msg, x->retries,
			    ROUTE53_RETRY_MAX, wait);
			route53_schedule(x, wait);
			return;
		}
		driver_job_failf(&x->job, "route53 %s: HTTP %ld %s: %s%s%s",
		    route53_what(x), r->status, code, msg,
		    x->retries > 0 ? " (after retries)" : "",
		    route53_uncertain(x));
		return;
	}
	switch (x->step) {
	case ROUTE53_LIST:
	case ROUTE53_VERIFY:
		route53_list_page(x, r);
		break;
	case ROUTE53_CHANGE:
	case ROUTE53_POLL:
		route53_changed(x, r);
		break;
	}
}

/* --- ops ----------------------------------------------------------------- */

static int
route53_busy(const struct route53_priv *x, struct err *e)
{
	if (x->job.op == ROUTE53_IDLE)
		return 0;
	return err_set(e, "the route53 driver is busy: %s in progress",
		       x->job.op == ROUTE53_APPLY ? "an apply" : "a read-back");
}

/* The SigV4 region of an endpoint: China and GovCloud have their own. */
static void
route53_region(const char *endpoint, char *buf, size_t len)
{
	if (endpoint != NULL && strstr(endpoint, ".amazonaws.com.cn") != NULL)
		snprintf(buf, len, "cn-northwest-1");
	else if (endpoint != NULL && strstr(endpoint, "us-gov") != NULL)
		snprintf(buf, len, "us-gov-west-1");
	else
		snprintf(buf, len, "us-east-1");
}

static int
route53_init(struct driver *d, struct err *e)
{
	const struct plan_route53 *cfg = driver_route53_settings(d->plan);
	struct route53_priv *x;

	if (cfg->hosted_zone_id == NULL || cfg->record_name == NULL ||
	    cfg->istio_set_id == NULL || cfg->apisix_set_id == NULL ||
	    cfg->record_type == NULL)
		return err_set(e, "traffic.route53 needs hosted_zone_id, "
			       "record_name, istio_set_identifier and "
			       "apisix_set_identifier");
	if (strcmp(cfg->istio_set_id, cfg->apisix_set_id) == 0)
		return err_set(e, "traffic.route53: the two set identifiers "
			       "must differ");
	if ((cfg->istio_alias_dns == NULL) != (cfg->istio_alias_zone == NULL) ||
	    (cfg->apisix_alias_dns == NULL) != (cfg->apisix_alias_zone == NULL))
		return err_set(e, "traffic.route53: an alias DNS name and its "
			       "zone ID go together");
	x = xcalloc(1, sizeof(*x));
	x->d = d;
	x->cfg = cfg;
	driver_job_init(&x->job, d, route53_end, x);
	route53_region(cfg->endpoint, x->region, sizeof(x->region));
	d->priv = x;
	return 0;
}

static int
route53_begin(struct route53_priv *x, enum route53_op op, driver_cb cb,
	      void *arg, struct err *e)
{
	route53_op_clear(x);
	driver_job_begin(&x->job, op, cb, arg);
	x->step = ROUTE53_LIST;
	if (route53_send_list(x, e) == -1) {
		driver_job_cancel(&x->job);
		return err_prefix(e, "route53");
	}
	return 0;
}

static int
route53_apply(struct driver *d, struct weights w, int stage, driver_cb cb,
	  void *arg, struct err *e)
{
	struct route53_priv *x = d->priv;

	if (route53_busy(x, e) == -1)
		return -1;
	if (driver_weights_check(w, e) == -1)
		return -1;
	x->want = w;
	x->stage = stage;
	return route53_begin(x, ROUTE53_APPLY, cb, arg, e);
}

static int
route53_read_back(struct driver *d, driver_cb cb, void *arg, struct err *e)
{
	struct route53_priv *x = d->priv;

	if (route53_busy(x, e) == -1)
		return -1;
	x->want = (struct weights){ 0, 0 };
	x->stage = 0;
	return route53_begin(x, ROUTE53_READ, cb, arg, e);
}

static void
route53_describe(const struct driver *d, char *buf, size_t len)
{
	const struct plan_route53 *cfg = driver_route53_settings(d->plan);

	if (len == 0)
		return;
	snprintf(buf, len, "route53: %s %s in zone %s (%s / %s)",
	    cfg->record_name, cfg->record_type, cfg->hosted_zone_id,
	    cfg->istio_set_id, cfg->apisix_set_id);
}

/* ------------------------------------------------------------------------
 * The plan's traffic.route53
 */

static const char *const record_types[] = { "A", "AAAA", NULL };

static const struct field route53_fields[] = {
	FLD("hosted_zone_id", F_STR, struct plan_route53, hosted_zone_id),
	FLD("record_name", F_STR, struct plan_route53, record_name),
	FLDCD("record_type", struct plan_route53, record_type, record_types,
	      "A"),
	FLD("istio_set_identifier", F_STR, struct plan_route53, istio_set_id),
	FLD("apisix_set_identifier", F_STR, struct plan_route53, apisix_set_id),
	FLD("istio_alias_dns_name", F_STR, struct plan_route53,
	    istio_alias_dns),
	FLD("istio_alias_zone_id", F_STR, struct plan_route53,
	    istio_alias_zone),
	FLD("apisix_alias_dns_name", F_STR, struct plan_route53,
	    apisix_alias_dns),
	FLD("apisix_alias_zone_id", F_STR, struct plan_route53,
	    apisix_alias_zone),
	FLD("evaluate_target_health", F_BOOL, struct plan_route53,
	    evaluate_target_health),
	FLDSTR("endpoint", F_URL, struct plan_route53, endpoint,
	       "https://route53.amazonaws.com"),
	FLDSTR("profile", F_STR, struct plan_route53, profile, "default"),
	FLDBD("timeout", F_DUR, struct plan_route53, timeout_ms, TIMEOUT_LO,
	      TIMEOUT_HI, 10 * SEC),
	FLDBD("insync_timeout", F_DUR, struct plan_route53, insync_timeout_ms,
	      SEC, TIMEOUT_HI, 5 * MIN),
	FEND
};

static int
route53_plan_check(const struct plan_check *pc, const void *settings)
{
	static const char *const req[] = { "hosted_zone_id", "record_name",
					   "istio_set_identifier",
					   "apisix_set_identifier", NULL };
	static const char *const pairs[][2] = {
		{ "istio_alias_dns_name", "istio_alias_zone_id" },
		{ "apisix_alias_dns_name", "apisix_alias_zone_id" },
	};
	const struct plan_route53 *r = settings;

	if (plan_check_require(pc, req, NULL) == -1)
		return -1;
	for (int i = 0; i < 2; i++) {
		bool a = plan_check_has(pc, pairs[i][0]);
		bool b = plan_check_has(pc, pairs[i][1]);

		if (a != b)
			return plan_check_fail(pc, NULL, "traffic.route53: "
					       "'%s' and '%s' go together "
					       "(missing '%s')", pairs[i][0],
					       pairs[i][1],
					       a ? pairs[i][1] : pairs[i][0]);
	}
	if (strcmp(r->istio_set_id, r->apisix_set_id) == 0)
		return plan_check_fail(pc, "apisix_set_identifier",
				       "istio_set_identifier and "
				       "apisix_set_identifier must differ");
	return 0;
}

static int64_t
route53_deadline(const struct plan *p)
{
	const struct plan_route53 *cfg = driver_route53_settings(p);

	return cfg->timeout_ms + cfg->insync_timeout_ms;
}

const struct driver_ops route53_driver = {
	.name = "route53",
	.kind = DRIVER_ROUTE53,
	.deadline = route53_deadline,
	.init = route53_init,
	.apply = route53_apply,
	.read_back = route53_read_back,
	.describe = route53_describe,
	.plan_fields = route53_fields,
	.plan_size = sizeof(struct plan_route53),
	.plan_check = route53_plan_check,
};

int
driver_route53_parse(const struct plan_route53 *cfg, const char *body,
		     size_t len, struct weights *w, struct err *e)
{
	struct route53_priv x;
	struct http_response r;
	char code[96], msg[ROUTE53_QUOTE_MAX + 8], why[256];
	int rc = -1;

	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	x.cfg = cfg;
	r.body = (char *)body;
	r.body_len = len;
	if (route53_error_of(&r, code, sizeof(code), msg, sizeof(msg)))
		err_set(e, "%s: %s", code, msg);
	else if (route53_records(&x, body, body + len, why, sizeof(why)) ==
	    -1 || route53_split(&x, w, why, sizeof(why)) == -1)
		err_set(e, "%s", why);
	else
		rc = 0;
	route53_rec_clear(&x.rec[0]);
	route53_rec_clear(&x.rec[1]);
	return rc;
}
