/*
 * driver_cloudflare — the cloudflare traffic driver: Cloudflare Load
 * Balancing weights, in one of two modes.
 *
 * pool mode (account_id, pool_id, istio_origin, apisix_origin): GET the
 *   pool, then PATCH it with its whole `origins` array (Cloudflare replaces
 *   the array as a whole), every origin sent back as read, with only the
 *   two named origins' `weight` changed.
 * load_balancer mode (zone_id, load_balancer_id, istio_pool, apisix_pool):
 *   GET the load balancer, then PATCH `random_steering` with its
 *   default_weight and every pool weight kept, only the two pools' weights
 *   changed.  Weights only count with steering_policy "random", so any
 *   other policy is refused before anything is sent.
 *
 * Weight mapping: percent / 100 (istio 25 -> 0.25, apisix 75 -> 0.75),
 * inside Cloudflare's 0..1 in steps of 0.01.  The read-back is
 * 100 * istio / (istio + apisix): exactly the percent written, and for
 * weights set elsewhere the same ratio when it is a whole percent (0.2 /
 * 0.2 is 50%); other ratios and 0 / 0 are refused.  The two percents sum
 * to 100, so both are never 0.  When the split in force is already the
 * one asked, apply sends nothing.  The PATCH answer is the object after
 * the change, so it serves as the read-back of an apply.
 *
 * The API token comes from token_file or $CLOUDFLARE_API_TOKEN, is read
 * for every operation, goes to curl as a bearer token and is wiped; it is
 * never logged.  Errors are the envelope's {"code","message"} pairs,
 * verbatim.  429 answers are retried a bounded number of times.
 *
 * Invariants: one operation at a time, one request or timer pending; each
 * operation answers exactly once unless cancelled, its callback last.
 */
#include "config.h"

#include "driver_cloudflare.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver.h"
#include "http.h"
#include "secret.h"
#include "plan_schema.h"
#include "xmalloc.h"

#define CLOUDFLARE_RETRY_MAX 3
#define CLOUDFLARE_BACKOFF_MS 1000
#define CLOUDFLARE_TOKEN_MAX 4096
#define CLOUDFLARE_QUOTE_MAX 300

enum cloudflare_op {
	CLOUDFLARE_IDLE,
	CLOUDFLARE_APPLY,
	CLOUDFLARE_READ,
};

enum cloudflare_step {
	CLOUDFLARE_GET,
	CLOUDFLARE_PATCH,
};

struct cloudflare_priv {
	struct driver *d;
	const struct plan_cloudflare *cfg;
	bool pool_mode;
	struct driver_job job;	/* op: enum cloudflare_op */
	enum cloudflare_step step;
	struct weights want;
	struct http_xfer *xfer;
	char *patch_body;	/* kept for a retry */
	int retries;
};

/* --- token --------------------------------------------------------------- */

static void
cloudflare_wipe(char *s)
{
	xfree_secret_str(s);
}

/* The API token (caller wipes it), or NULL with e filled. */
static char *
cloudflare_token(const struct cloudflare_priv *x, struct err *e)
{
	const char *env = getenv("CLOUDFLARE_API_TOKEN");
	char *tok;
	size_t n;

	if (x->cfg->token_file == NULL) {
		if (env == NULL || *env == '\0') {
			err_set(e, "no Cloudflare API token: set "
			    "traffic.cloudflare.token_file or "
			    "CLOUDFLARE_API_TOKEN");
			return NULL;
		}
		return xstrdup(env);
	}
	/* One line, bounded, blanks around it dropped (secret.h). */
	tok = secret_read_file(x->cfg->token_file, CLOUDFLARE_TOKEN_MAX, &n,
			       e);
	if (tok == NULL) {
		err_prefix(e, "the Cloudflare token file");
		return NULL;
	}
	if (strpbrk(tok, " \t\r") != NULL) {
		cloudflare_wipe(tok);
		err_set(e, "the Cloudflare token file %s does not hold one "
		    "token", x->cfg->token_file);
		return NULL;
	}
	return tok;
}

/* --- requests ------------------------------------------------------------ */

static void cloudflare_http_done(const struct http_response *r, void *arg);

static char *
cloudflare_url(const struct cloudflare_priv *x)
{
	const char *ep = x->cfg->endpoint != NULL ? x->cfg->endpoint :
	    "https://api.cloudflare.com/client/v4";
	size_t n = strlen(ep);
	char *a, *b, *url;

	while (n > 0 && ep[n - 1] == '/')
		n--;
	if (x->pool_mode) {
		a = http_escape(x->cfg->account_id);
		b = http_escape(x->cfg->pool_id);
		url = xasprintf("%.*s/accounts/%s/load_balancers/pools/%s",
		    (int)n, ep, a, b);
	} else {
		a = http_escape(x->cfg->zone_id);
		b = http_escape(x->cfg->load_balancer_id);
		url = xasprintf("%.*s/zones/%s/load_balancers/%s", (int)n, ep,
		    a, b);
	}
	free(a);
	free(b);
	return url;
}

static int
cloudflare_send(struct cloudflare_priv *x, struct err *e)
{
	static const char *const json_headers[] = {
		"Content-Type: application/json", "Accept: application/json",
		NULL
	};
	static const char *const get_headers[] = {
		"Accept: application/json", NULL
	};
	struct http_request rq;
	char *tok, *url;

	tok = cloudflare_token(x, e);
	if (tok == NULL)
		return -1;
	url = cloudflare_url(x);
	memset(&rq, 0, sizeof(rq));
	if (x->step == CLOUDFLARE_PATCH) {
		rq.method = "PATCH";
		rq.body = x->patch_body;
		rq.body_len = strlen(x->patch_body);
		rq.headers = json_headers;
	} else {
		rq.method = "GET";
		rq.headers = get_headers;
	}
	rq.url = url;
	rq.timeout_ms = x->cfg->timeout_ms;
	rq.connect_timeout_ms = x->cfg->timeout_ms;
	rq.bearer_token = tok;
	x->xfer = http_start(x->d->loop, &rq, cloudflare_http_done, x, e);
	cloudflare_wipe(tok);
	free(url);
	return x->xfer != NULL ? 0 : -1;
}

/* --- answering ----------------------------------------------------------- */

/* The end of a step, answered or cancelled (driver_job's end). */
static void
cloudflare_end(void *arg, bool cancelled)
{
	struct cloudflare_priv *x = arg;

	if (cancelled)
		http_cancel(x->xfer);
	x->xfer = NULL;
	free(x->patch_body);
	x->patch_body = NULL;
	x->retries = 0;
}

static const char *
cloudflare_what(const struct cloudflare_priv *x)
{
	if (x->step == CLOUDFLARE_PATCH)
		return x->pool_mode ? "PATCH pool" : "PATCH load balancer";
	return x->pool_mode ? "GET pool" : "GET load balancer";
}

static const char *
cloudflare_uncertain(const struct cloudflare_priv *x)
{
	if (x->job.op != CLOUDFLARE_APPLY)
		return "";
	return x->step == CLOUDFLARE_PATCH ?
	    " (the change may or may not have been applied)" :
	    " (nothing was changed)";
}

/* "code 1000: message; code 1001: message" from the error envelope. */
static bool
cloudflare_errors(json_t *root, char *buf, size_t len)
{
	json_t *errs = json_object_get(root, "errors"), *er;
	size_t i, o = 0;

	buf[0] = '\0';
	if (!json_is_array(errs) || json_array_size(errs) == 0)
		return false;
	json_array_foreach(errs, i, er) {
		json_t *c = json_object_get(er, "code");
		const char *m = json_string_value(json_object_get(er,
		    "message"));
		int n;

		if (o + 8 >= len)
			break;
		if (json_is_integer(c))
			n = snprintf(buf + o, len - o, "%scode %"
			    JSON_INTEGER_FORMAT ": %.*s", o > 0 ? "; " : "",
			    json_integer_value(c), CLOUDFLARE_QUOTE_MAX,
			    m != NULL ? m : "(no message)");
		else
			n = snprintf(buf + o, len - o, "%s%.*s", o > 0 ? "; " :
			    "", CLOUDFLARE_QUOTE_MAX, m != NULL ? m :
			    "(no message)");
		if (n < 0)
			break;
		o += (size_t)n;
		if (o >= len) {
			o = len - 1;
			break;
		}
	}
	return true;
}

/* The split two weights make (driver_percent), in Cloudflare's range. */
static int
cloudflare_percent(double wi, double wa, struct weights *w, char *why,
		   size_t len)
{
	/* Cloudflare's range; beyond it wi + wa may overflow to Inf and the
	 * percent to NaN. */
	if (!isfinite(wi) || !isfinite(wa) || wi < 0 || wa < 0 || wi > 1 ||
	    wa > 1) {
		snprintf(why, len, "weights %g/%g are not numbers in 0..1", wi,
		    wa);
		return -1;
	}
	return driver_percent(wi, wa, w, why, len);
}

/* The JSON number as a double; false if it is not a number. */
static bool
cloudflare_num(json_t *v, double *out)
{
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* The origin named `name` in result.origins, or NULL. */
static json_t *
cloudflare_origin(json_t *result, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(result, "origins"), i, o) {
		const char *n = json_string_value(json_object_get(o, "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return o;
	}
	return NULL;
}

/*
 * Read the two weights of the object in force into wi/wa; -1 with a reason
 * in why.
 */
static int
cloudflare_weights_of(const struct cloudflare_priv *x, json_t *result,
		      double *wi, double *wa, char *why, size_t len)
{
	if (x->pool_mode) {
		json_t *oi, *oa;

		if (!json_is_array(json_object_get(result, "origins"))) {
			snprintf(why, len, "malformed answer: the pool has no "
			    "origins array");
			return -1;
		}
		oi = cloudflare_origin(result, x->cfg->istio_origin);
		oa = cloudflare_origin(result, x->cfg->apisix_origin);
		if (oi == NULL || oa == NULL) {
			snprintf(why, len, "the pool has no origin named "
			    "\"%.100s\"", oi == NULL ? x->cfg->istio_origin :
			    x->cfg->apisix_origin);
			return -1;
		}
		/* Cloudflare's default weight is 1. */
		*wi = 1;
		*wa = 1;
		if ((json_object_get(oi, "weight") != NULL &&
		    !cloudflare_num(json_object_get(oi, "weight"), wi)) ||
		    (json_object_get(oa, "weight") != NULL &&
		    !cloudflare_num(json_object_get(oa, "weight"), wa))) {
			snprintf(why, len, "malformed answer: an origin weight "
			    "is not a number");
			return -1;
		}
	} else {
		json_t *rs = json_object_get(result, "random_steering");
		json_t *pw = json_object_get(rs, "pool_weights");
		double def = 1;

		if (rs != NULL && !json_is_object(rs)) {
			snprintf(why, len, "malformed answer: random_steering "
			    "is not an object");
			return -1;
		}
		if (json_object_get(rs, "default_weight") != NULL &&
		    !cloudflare_num(json_object_get(rs, "default_weight"),
		    &def)) {
			snprintf(why, len, "malformed answer: default_weight "
			    "is not a number");
			return -1;
		}
		*wi = *wa = def;
		if ((json_object_get(pw, x->cfg->istio_pool) != NULL &&
		    !cloudflare_num(json_object_get(pw, x->cfg->istio_pool),
		    wi)) || (json_object_get(pw, x->cfg->apisix_pool) != NULL &&
		    !cloudflare_num(json_object_get(pw, x->cfg->apisix_pool),
		    wa))) {
			snprintf(why, len, "malformed answer: a pool weight is "
			    "not a number");
			return -1;
		}
	}
	return 0;
}

static int
cloudflare_split(const struct cloudflare_priv *x, json_t *result,
		 struct weights *w, char *why, size_t len)
{
	double wi, wa;

	if (cloudflare_weights_of(x, result, &wi, &wa, why, len) == -1)
		return -1;
	return cloudflare_percent(wi, wa, w, why, len);
}

/* Build the PATCH body from the object in force. */
static char *
cloudflare_patch(const struct cloudflare_priv *x, json_t *result)
{
	double wi = x->want.istio / 100.0, wa = x->want.apisix / 100.0;
	json_t *body;
	char *s;

	if (x->pool_mode) {
		json_t *origins = json_deep_copy(json_object_get(result,
		    "origins"));
		json_t *o;
		size_t i;

		json_array_foreach(origins, i, o) {
			const char *n = json_string_value(json_object_get(o,
			    "name"));

			if (n == NULL)
				continue;
			if (strcmp(n, x->cfg->istio_origin) == 0)
				json_object_set_new(o, "weight", json_real(wi));
			else if (strcmp(n, x->cfg->apisix_origin) == 0)
				json_object_set_new(o, "weight", json_real(wa));
		}
		body = json_pack("{s:o}", "origins", origins);
	} else {
		json_t *rs = json_object_get(result, "random_steering");
		json_t *pw = json_deep_copy(json_object_get(rs,
		    "pool_weights"));
		json_t *def = json_object_get(rs, "default_weight");

		if (!json_is_object(pw)) {
			json_decref(pw);
			pw = json_object();
		}
		json_object_set_new(pw, x->cfg->istio_pool, json_real(wi));
		json_object_set_new(pw, x->cfg->apisix_pool, json_real(wa));
		rs = json_object();
		json_object_set_new(rs, "default_weight", json_is_number(def) ?
		    json_copy(def) : json_real(1));
		json_object_set_new(rs, "pool_weights", pw);
		body = json_pack("{s:o}", "random_steering", rs);
	}
	s = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(4));
	json_decref(body);
	return s;
}

static void cloudflare_timer_fire(void *arg);

static void
cloudflare_got(struct cloudflare_priv *x, json_t *result)
{
	struct driver_result res;
	struct weights got;
	char why[256];
	struct err e;

	memset(&res, 0, sizeof(res));
	if (x->job.op == CLOUDFLARE_READ || x->step == CLOUDFLARE_PATCH) {
		if (cloudflare_split(x, result, &got, why, sizeof(why)) == -1) {
			driver_job_failf(&x->job, "cloudflare %s: %s%s",
			    cloudflare_what(x), why,
			    x->job.op == CLOUDFLARE_APPLY ?
			    " (the change was accepted)" : "");
			return;
		}
		res.have_weights = true;
		res.weights = got;
		if (x->job.op == CLOUDFLARE_READ) {
			res.ok = true;
			snprintf(res.message, sizeof(res.message),
			    "read back %d/%d", got.istio, got.apisix);
		} else if (got.istio != x->want.istio) {
			snprintf(res.message, sizeof(res.message),
			    "cloudflare: applied %d/%d but read back %d/%d",
			    x->want.istio, x->want.apisix, got.istio,
			    got.apisix);
		} else {
			res.ok = true;
			snprintf(res.message, sizeof(res.message),
			    "cloudflare: weights %.2f/%.2f in force",
			    x->want.istio / 100.0,
			    x->want.apisix / 100.0);
		}
		driver_job_answer(&x->job, &res);
		return;
	}

	/* apply, after the GET */
	if (!x->pool_mode) {
		const char *sp = json_string_value(json_object_get(result,
		    "steering_policy"));

		if (sp != NULL && strcmp(sp, "random") != 0) {
			driver_job_failf(&x->job,
			    "cloudflare: the load balancer's "
			    "steering_policy is \"%.40s\": pool weights only "
			    "count with \"random\" (nothing was changed)", sp);
			return;
		}
	}
	if (cloudflare_split(x, result, &got, why, sizeof(why)) == 0 &&
	    got.istio == x->want.istio) {
		res.ok = true;
		res.have_weights = true;
		res.weights = got;
		snprintf(res.message, sizeof(res.message), "cloudflare: %d/%d "
		    "already in force, no change sent", got.istio, got.apisix);
		driver_log(x->d, "cloudflare: %d/%d already in force",
		    got.istio, got.apisix);
		driver_job_answer(&x->job, &res);
		return;
	}
	if (x->pool_mode && (cloudflare_origin(result,
	    x->cfg->istio_origin) == NULL || cloudflare_origin(result,
	    x->cfg->apisix_origin) == NULL)) {
		driver_job_failf(&x->job,
		    "cloudflare: the pool has no origin named "
		    "\"%.100s\" (nothing was changed)",
		    cloudflare_origin(result, x->cfg->istio_origin) == NULL ?
		    x->cfg->istio_origin : x->cfg->apisix_origin);
		return;
	}
	x->patch_body = cloudflare_patch(x, result);
	x->step = CLOUDFLARE_PATCH;
	x->retries = 0;
	driver_log(x->d, "cloudflare: setting %s %.2f, %s %.2f",
	    x->pool_mode ? x->cfg->istio_origin : x->cfg->istio_pool,
	    x->want.istio / 100.0,
	    x->pool_mode ? x->cfg->apisix_origin : x->cfg->apisix_pool,
	    x->want.apisix / 100.0);
	err_clear(&e);
	if (cloudflare_send(x, &e) == -1)
		driver_job_failf(&x->job,
		    "cloudflare %s: %s (nothing was changed)",
		    cloudflare_what(x), e.msg);
}

static void
cloudflare_http_done(const struct http_response *r, void *arg)
{
	struct cloudflare_priv *x = arg;
	char desc[256], errs[400];
	json_t *root, *result;
	json_error_t je;

	x->xfer = NULL;
	if (r->curl_code != 0 || r->status == 0) {
		driver_job_failf(&x->job,
		    "cloudflare %s: %s%s", cloudflare_what(x),
		    http_describe(r, desc, sizeof(desc)),
		    cloudflare_uncertain(x));
		return;
	}
	if (r->status == 429 && x->retries < CLOUDFLARE_RETRY_MAX) {
		int64_t wait = (int64_t)CLOUDFLARE_BACKOFF_MS << x->retries;

		if (r->retry_after_s > 0 && r->retry_after_s < 60)
			wait = (int64_t)(r->retry_after_s * 1000);
		x->retries++;
		driver_log(x->d, "cloudflare: rate limited (HTTP 429); retry "
		    "%d/%d in %" PRId64 " ms", x->retries, CLOUDFLARE_RETRY_MAX,
		    wait);
		driver_job_after(&x->job, wait, cloudflare_timer_fire, x);
		return;
	}
	root = json_loadb(r->body, r->body_len, 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		if (r->status >= 200 && r->status < 300)
			driver_job_failf(&x->job,
			    "cloudflare %s: malformed answer "
			    "(not a JSON object: %.80s)%s", cloudflare_what(x),
			    je.text, cloudflare_uncertain(x));
		else
			driver_job_failf(&x->job, "cloudflare %s: %s%s",
			    cloudflare_what(x), http_describe(r, desc,
			    sizeof(desc)), cloudflare_uncertain(x));
		return;
	}
	if (!json_is_true(json_object_get(root, "success")) ||
	    r->status < 200 || r->status > 299) {
		if (cloudflare_errors(root, errs, sizeof(errs)))
			driver_job_failf(&x->job,
			    "cloudflare %s: HTTP %ld: %s%s",
			    cloudflare_what(x), r->status, errs,
			    cloudflare_uncertain(x));
		else
			driver_job_failf(&x->job, "cloudflare %s: %s%s",
			    cloudflare_what(x), r->status >= 200 &&
			    r->status < 300 ? "success is not true, and no "
			    "errors given" : http_describe(r, desc,
			    sizeof(desc)), cloudflare_uncertain(x));
		json_decref(root);
		return;
	}
	result = json_object_get(root, "result");
	if (!json_is_object(result)) {
		driver_job_failf(&x->job,
		    "cloudflare %s: malformed answer (no result "
		    "object)%s", cloudflare_what(x), cloudflare_uncertain(x));
		json_decref(root);
		return;
	}
	cloudflare_got(x, result);
	json_decref(root);
}

static void
cloudflare_timer_fire(void *arg)
{
	struct cloudflare_priv *x = arg;
	struct err e;

	x->job.timer = NULL;
	err_clear(&e);
	if (cloudflare_send(x, &e) == -1)
		driver_job_failf(&x->job,
		    "cloudflare %s: %s%s", cloudflare_what(x),
		    e.msg, cloudflare_uncertain(x));
}

/* --- ops ----------------------------------------------------------------- */

static int
cloudflare_init(struct driver *d, struct err *e)
{
	const struct plan_cloudflare *cfg = driver_cloudflare_settings(d->plan);
	struct cloudflare_priv *x;
	bool pool = cfg->pool_id != NULL;

	if (pool && (cfg->account_id == NULL || cfg->istio_origin == NULL ||
	    cfg->apisix_origin == NULL))
		return err_set(e, "traffic.cloudflare: pool mode needs "
			       "account_id, pool_id, istio_origin and "
			       "apisix_origin");
	if (!pool && (cfg->zone_id == NULL || cfg->load_balancer_id == NULL ||
	    cfg->istio_pool == NULL || cfg->apisix_pool == NULL))
		return err_set(e, "traffic.cloudflare: needs pool_id (pool "
			       "mode) or zone_id, load_balancer_id, istio_pool "
			       "and apisix_pool (load_balancer mode)");
	if (pool ? strcmp(cfg->istio_origin, cfg->apisix_origin) == 0 :
	    strcmp(cfg->istio_pool, cfg->apisix_pool) == 0)
		return err_set(e, "traffic.cloudflare: the istio and apisix "
			       "%s must differ", pool ? "origins" : "pools");
	x = xcalloc(1, sizeof(*x));
	x->d = d;
	x->cfg = cfg;
	x->pool_mode = pool;
	driver_job_init(&x->job, d, cloudflare_end, x);
	d->priv = x;
	return 0;
}

static int
cloudflare_begin(struct cloudflare_priv *x, enum cloudflare_op op,
		 driver_cb cb, void *arg, struct err *e)
{
	if (x->job.op != CLOUDFLARE_IDLE)
		return err_set(e, "the cloudflare driver is busy: %s in "
			       "progress", x->job.op == CLOUDFLARE_APPLY ?
			       "an apply" : "a read-back");
	driver_job_begin(&x->job, op, cb, arg);
	x->step = CLOUDFLARE_GET;
	x->retries = 0;
	if (cloudflare_send(x, e) == -1) {
		driver_job_cancel(&x->job);
		return err_prefix(e, "cloudflare");
	}
	return 0;
}

static int
cloudflare_apply(struct driver *d, struct weights w, int stage, driver_cb cb,
		 void *arg, struct err *e)
{
	struct cloudflare_priv *x = d->priv;

	(void)stage;
	if (x->job.op != CLOUDFLARE_IDLE)
		return cloudflare_begin(x, CLOUDFLARE_APPLY, cb, arg, e);
	if (driver_weights_check(w, e) == -1)
		return -1;
	x->want = w;
	return cloudflare_begin(x, CLOUDFLARE_APPLY, cb, arg, e);
}

static int
cloudflare_read_back(struct driver *d, driver_cb cb, void *arg,
		     struct err *e)
{
	struct cloudflare_priv *x = d->priv;

	if (x->job.op == CLOUDFLARE_IDLE)
		x->want = (struct weights){ 0, 0 };
	return cloudflare_begin(x, CLOUDFLARE_READ, cb, arg, e);
}

static void
cloudflare_describe(const struct driver *d, char *buf, size_t len)
{
	const struct plan_cloudflare *cfg = driver_cloudflare_settings(d->plan);

	if (len == 0)
		return;
	if (cfg->pool_id != NULL)
		snprintf(buf, len, "cloudflare: pool %s (origins %s / %s)",
		    cfg->pool_id, cfg->istio_origin, cfg->apisix_origin);
	else
		snprintf(buf, len, "cloudflare: load balancer %s (pools %s / "
		    "%s)", cfg->load_balancer_id, cfg->istio_pool,
		    cfg->apisix_pool);
}

/* ------------------------------------------------------------------------
 * The plan's traffic.cloudflare
 */

static void
pr_token_file(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	const struct plan_cloudflare *cf = base;

	(void)f;
	(void)p;
	pr_str(out, key, cf->token_file != NULL ? cf->token_file :
			 "(none: $CLOUDFLARE_API_TOKEN)");
}

static const struct field cloudflare_fields[] = {
	FLD("account_id", F_STR, struct plan_cloudflare, account_id),
	FLD("pool_id", F_STR, struct plan_cloudflare, pool_id),
	FLD("istio_origin", F_STR, struct plan_cloudflare, istio_origin),
	FLD("apisix_origin", F_STR, struct plan_cloudflare, apisix_origin),
	FLD("zone_id", F_STR, struct plan_cloudflare, zone_id),
	FLD("load_balancer_id", F_STR, struct plan_cloudflare,
	    load_balancer_id),
	FLD("istio_pool", F_STR, struct plan_cloudflare, istio_pool),
	FLD("apisix_pool", F_STR, struct plan_cloudflare, apisix_pool),
	{ .key = "token_file", .type = F_PATH,
	  .off = offsetof(struct plan_cloudflare, token_file),
	  .pr = pr_token_file },
	FLDSTR("endpoint", F_URL, struct plan_cloudflare, endpoint,
	       "https://api.cloudflare.com/client/v4"),
	FLDBD("timeout", F_DUR, struct plan_cloudflare, timeout_ms, TIMEOUT_LO,
	      TIMEOUT_HI, 10 * SEC),
	FEND
};

static int
cloudflare_plan_check(const struct plan_check *pc, const void *settings)
{
	static const char *const pool[] = { "pool_id", "istio_origin",
					    "apisix_origin", NULL };
	static const char *const pool_req[] = { "account_id", "pool_id",
						"istio_origin",
						"apisix_origin", NULL };
	static const char *const lb[] = { "zone_id", "load_balancer_id",
					  "istio_pool", "apisix_pool", NULL };
	bool any_pool = false, any_lb = false;

	(void)settings;
	for (int i = 0; pool[i] != NULL; i++)
		any_pool |= plan_check_has(pc, pool[i]);
	for (int i = 0; lb[i] != NULL; i++)
		any_lb |= plan_check_has(pc, lb[i]);
	if (any_pool && any_lb)
		return plan_check_fail(pc, NULL, "traffic.cloudflare: give "
				       "either pool_id with istio_origin and "
				       "apisix_origin, or zone_id with "
				       "load_balancer_id, istio_pool and "
				       "apisix_pool, not both");
	if (!any_pool && !any_lb)
		return plan_check_fail(pc, NULL, "traffic.cloudflare: needs "
				       "either pool_id, account_id, "
				       "istio_origin and apisix_origin (one "
				       "pool) or zone_id, load_balancer_id, "
				       "istio_pool and apisix_pool (two pools)");
	if (any_pool)
		return plan_check_require(pc, pool_req, " (one-pool mode)");
	return plan_check_require(pc, lb, " (two-pool mode)");
}

static int64_t
cloudflare_deadline(const struct plan *p)
{
	return driver_cloudflare_settings(p)->timeout_ms;
}

const struct driver_ops cloudflare_driver = {
	.name = "cloudflare",
	.kind = DRIVER_CLOUDFLARE,
	.deadline = cloudflare_deadline,
	.init = cloudflare_init,
	.apply = cloudflare_apply,
	.read_back = cloudflare_read_back,
	.describe = cloudflare_describe,
	.plan_fields = cloudflare_fields,
	.plan_size = sizeof(struct plan_cloudflare),
	.plan_check = cloudflare_plan_check,
};

int
driver_cloudflare_parse(const struct plan_cloudflare *cfg, const char *body,
			size_t len, long status, struct weights *w,
			struct err *e)
{
	struct cloudflare_priv x;
	char errs[400], why[256] = "";
	json_t *root, *result;
	json_error_t je;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.pool_mode = cfg->pool_id != NULL;
	root = json_loadb(body, len, 0, &je);
	if (!json_is_object(root)) {
		err_set(e, "not a JSON object: %.80s", je.text);
	} else if (!json_is_true(json_object_get(root, "success")) ||
	    status < 200 || status > 299) {
		if (!cloudflare_errors(root, errs, sizeof(errs)))
			snprintf(errs, sizeof(errs), "no errors given");
		err_set(e, "HTTP %ld: %s", status, errs);
	} else if (!json_is_object(result = json_object_get(root,
	    "result"))) {
		err_set(e, "no result object");
	} else if (cloudflare_split(&x, result, w, why, sizeof(why)) == -1) {
		err_set(e, "%s", why);
	} else {
		rc = 0;
	}
	json_decref(root);
	return rc;
}
