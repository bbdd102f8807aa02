/*
 * driver_kube — the kubernetes traffic driver: the weights of an Istio
 * VirtualService (spec.http[].route[].destination.host, weight) or a
 * Gateway API HTTPRoute (spec.rules[].backendRefs[].name, weight).
 *
 * apply GETs the object, finds every route that names both the plan's
 * istio_backend and apisix_backend, and PATCHes their weights with a JSON
 * patch (RFC 6902) that first `test`s metadata.resourceVersion, each
 * destination's name and each old weight: a concurrent writer makes the
 * patch fail instead of being overwritten.  A real API server answers a
 * failed `test` with 422 and a Status that does not even say a test
 * failed ("the server rejected our request due to an error in our
 * request"), so after a 409 or any 422 the object is read once more and
 * the re-read tells: an object unchanged since the patch was built means
 * the server refused the change itself (an admission webhook): that
 * answer is the failure.  Weights still those the step started from mean
 * an unrelated edit (an annotation) bumped the resourceVersion: the patch
 * is rebuilt and sent again, at most KD_REREADS_MAX times per step.  Other
 * weights mean somebody else (a GitOps revert, a colleague) moved traffic:
 * drift, a failure naming what was found, never overwritten.  Weights
 * already in force are not sent again.
 *
 * Weights are written as percentages (they sum to 100, as Istio's
 * validation used to require); read back, an HTTPRoute's weights are
 * shares (1 and 9 read as 10/90), and shares that are not a whole
 * percent (1 and 2) are refused, never rounded (driver_percent).  A
 * missing weight counts as 0 for a VirtualService destination and 1 (the
 * Gateway API default) for a backendRef.  Another destination in a
 * matched route with a non-zero weight is refused: the split would not be
 * what the plan says.
 *
 * Invariants: at most one request in flight (a second operation is
 * refused); each operation answers exactly once unless cancelled, and the
 * callback is the last thing done.  Requests go through kube_call (the
 * kubeconfig's credentials, exec plugins, the loop), each with the plan's
 * traffic.kubernetes.timeout.  No credential reaches a log line or a
 * message.
 */
#include "config.h"

#include "driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "kube.h"
#include "rbac.h"
#include "xmalloc.h"

/* Routes of one object that may name both backends. */
#define KD_ROUTES_MAX 64
/* Re-reads after a failed patch in one step (documented in
 * cutover.yaml(5)). */
#define KD_REREADS_MAX 3

enum kd_op {
	KD_IDLE,
	KD_APPLY_GET,		/* reading the object before patching */
	KD_APPLY_PATCH,		/* the JSON patch is on its way */
	KD_APPLY_REREAD,	/* reading again after a conflict */
	KD_READ,		/* read_back */
};

/* One route naming both backends. */
struct kd_route {
	int rule;		/* index in spec.http / spec.rules */
	int di, da;		/* index of the istio / apisix destination */
	json_int_t wi, wa;	/* weights in force (defaults applied) */
	json_t *oi, *oa;	/* the weight members as found, or NULL */
};

/* What an object says about the split. */
struct kd_found {
	json_t *obj;		/* owned */
	const char *rv;		/* metadata.resourceVersion, or NULL */
	struct kd_route r[KD_ROUTES_MAX];
	int n;
	bool agree;		/* every route gives the same percentages */
	struct weights w;	/* percentages of the first route */
};

struct kd_priv {
	struct driver *d;
	const struct plan_kube_route *cfg;
	struct kube *kube;
	struct kube_call *call;
	bool vs;		/* VirtualService, else HTTPRoute */
	char *path;		/* /apis/.../NAME */
	char what[320];		/* "VirtualService ns/name" */

	struct driver_job job;	/* op: enum kd_op */
	struct weights want;
	bool have_expect;	/* the caller's weights in force (driver.h) */
	struct weights expect;
	int rereads;		/* after a failed patch, this step */
	char *patched_rv;	/* resourceVersion the last patch was built on */
	char refusal[384];	/* the server's answer to that patch */
	int start_n;		/* the routes' weights when the step began */
	json_int_t start_w[KD_ROUTES_MAX][2];
	bool start_agree;	/* and the split they made, if one */
	struct weights start;
};

static bool
kd_eq(struct weights a, struct weights b)
{
	return a.istio == b.istio && a.apisix == b.apisix;
}

static void
kd_found_done(struct kd_found *f)
{
	json_decref(f->obj);
	memset(f, 0, sizeof(*f));
}

/* The name a destination / backendRef leads to, or NULL. */
static const char *
kd_dest_name(const struct kd_priv *x, json_t *dest)
{
	if (x->vs)
		return json_string_value(json_object_get(
		    json_object_get(dest, "destination"), "host"));
	return json_string_value(json_object_get(dest, "name"));
}

/* The largest weight each API accepts: Istio's int32, and the Gateway
 * API's 1,000,000.  Both keep driver_percent() exact. */
#define KD_VS_WEIGHT_MAX 2147483647
#define KD_ROUTE_WEIGHT_MAX 1000000

static json_int_t
kd_weight_max(const struct kd_priv *x)
{
	return x->vs ? KD_VS_WEIGHT_MAX : KD_ROUTE_WEIGHT_MAX;
}

/* A destination's weight (defaults applied); -1 when not a whole number
 * in 0..kd_weight_max(). */
static json_int_t
kd_weight(const struct kd_priv *x, json_t *dest, json_t **member)
{
	json_t *w = json_object_get(dest, "weight");

	*member = w;
	if (w == NULL || json_is_null(w))
		return x->vs ? 0 : 1;
	if (!json_is_integer(w) || json_integer_value(w) < 0 ||
	    json_integer_value(w) > kd_weight_max(x))
		return -1;
	return json_integer_value(w);
}

static const char *
kd_rules_key(const struct kd_priv *x)
{
	return x->vs ? "http" : "rules";
}

static const char *
kd_dests_key(const struct kd_priv *x)
{
	return x->vs ? "route" : "backendRefs";
}

/* The split of route k, which kd_parse found to be a whole percent. */
static struct weights
kd_percent(const struct kd_found *f, int k)
{
	struct weights w = { 0, 100 };
	char why[8];

	(void)driver_percent((double)f->r[k].wi, (double)f->r[k].wa, &w, why,
	    sizeof(why));
	return w;
}

/*
 * Find the routes naming both backends in the object body; takes the
 * body's text.  0, or -1 with a readable msg.
 */
static int
kd_parse(const struct kd_priv *x, const char *body, size_t len,
	 struct kd_found *f, char *msg, size_t mlen)
{
	const char *ib = x->cfg->istio_backend, *ab = x->cfg->apisix_backend;
	const char *rk = kd_rules_key(x), *dk = kd_dests_key(x);
	json_error_t je;
	json_t *rules, *rule;
	size_t i;
	int only_i = -1, only_a = -1;

	memset(f, 0, sizeof(*f));
	f->obj = json_loadb(body, len, 0, &je);
	if (!json_is_object(f->obj)) {
		snprintf(msg, mlen, "%s: the answer is not a JSON object%s%s",
		    x->what, f->obj == NULL ? ": " : "",
		    f->obj == NULL ? je.text : "");
		return -1;
	}
	f->rv = json_string_value(json_object_get(
	    json_object_get(f->obj, "metadata"), "resourceVersion"));
	rules = json_object_get(json_object_get(f->obj, "spec"), rk);
	if (!json_is_array(rules) || json_array_size(rules) == 0) {
		snprintf(msg, mlen, "%s has no spec.%s routes", x->what, rk);
		return -1;
	}
	json_array_foreach(rules, i, rule) {
		json_t *dests = json_object_get(rule, dk), *dest;
		struct kd_route r = { .rule = (int)i, .di = -1, .da = -1 };
		size_t j;

		if (!json_is_array(dests))
			continue;
		json_array_foreach(dests, j, dest) {
			const char *name = kd_dest_name(x, dest);
			json_t *m;
			json_int_t w = kd_weight(x, dest, &m);
			bool is_i = name != NULL && strcmp(name, ib) == 0;
			bool is_a = name != NULL && strcmp(name, ab) == 0;

			if ((is_i && r.di >= 0) || (is_a && r.da >= 0)) {
				snprintf(msg, mlen, "%s: spec.%s[%zu] names %s "
				    "twice", x->what, rk, i, is_i ? ib : ab);
				return -1;
			}
			if (w < 0 && (is_i || is_a)) {
				snprintf(msg, mlen, "%s: spec.%s[%zu].%s[%zu]"
				    ".weight is not a whole number in 0..%lld",
				    x->what, rk, i, dk, j,
				    (long long)kd_weight_max(x));
				return -1;
			}
			if (is_i) {
				r.di = (int)j;
				r.wi = w;
				r.oi = m;
			} else if (is_a) {
				r.da = (int)j;
				r.wa = w;
				r.oa = m;
			}
		}
		if (r.di < 0 || r.da < 0) {
			if (r.di >= 0 && only_i < 0)
				only_i = (int)i;
			if (r.da >= 0 && only_a < 0)
				only_a = (int)i;
			continue;
		}
		/* Anyone else with a share would skew the split. */
		json_array_foreach(dests, j, dest) {
			json_t *m;
			const char *name = kd_dest_name(x, dest);

			if ((int)j == r.di || (int)j == r.da ||
			    kd_weight(x, dest, &m) == 0)
				continue;
			snprintf(msg, mlen, "%s: spec.%s[%zu] also sends "
			    "traffic to %s: cutover only splits between %s "
			    "and %s", x->what, rk, i,
			    name != NULL ? name : "(unnamed)", ib, ab);
			return -1;
		}
		if (f->n == KD_ROUTES_MAX) {
			snprintf(msg, mlen, "%s: more than %d routes name "
			    "both backends", x->what, KD_ROUTES_MAX);
			return -1;
		}
		f->r[f->n++] = r;
	}
	if (f->n == 0) {
		if (only_i >= 0 || only_a >= 0)
			snprintf(msg, mlen, "%s: no route names both %s and "
			    "%s (spec.%s[%d] names only %s)", x->what, ib, ab,
			    rk, only_i >= 0 ? only_i : only_a,
			    only_i >= 0 ? ib : ab);
		else
			snprintf(msg, mlen, "%s: no route names %s or %s",
			    x->what, ib, ab);
		return -1;
	}
	f->agree = true;
	for (int k = 0; k < f->n; k++) {
		struct weights w;
		char why[160];

		if (f->r[k].wi + f->r[k].wa == 0) {
			snprintf(msg, mlen, "%s: spec.%s[%d] gives both %s and "
			    "%s weight 0", x->what, rk, f->r[k].rule, ib, ab);
			return -1;
		}
		if (driver_percent((double)f->r[k].wi, (double)f->r[k].wa, &w,
		    why, sizeof(why)) == -1) {
			snprintf(msg, mlen, "%s: spec.%s[%d]: %s", x->what, rk,
			    f->r[k].rule, why);
			return -1;
		}
		if (k == 0)
			f->w = w;
		else if (!kd_eq(w, f->w))
			f->agree = false;
	}
	return 0;
}

/* "spec.http[0] 10/90, spec.http[2] 25/75" for routes that disagree. */
static void
kd_disagree(const struct kd_priv *x, const struct kd_found *f, char *msg,
	    size_t len)
{
	size_t o;

	o = (size_t)snprintf(msg, len, "%s: routes disagree:", x->what);
	for (int k = 0; k < f->n && o < len; k++) {
		struct weights w = kd_percent(f, k);

		o += (size_t)snprintf(msg + o, len - o, "%s spec.%s[%d] "
		    "%d/%d", k > 0 ? "," : "", kd_rules_key(x), f->r[k].rule,
		    w.istio, w.apisix);
	}
}

/* True when every route already holds exactly the weights wanted. */
static bool
kd_in_force(const struct kd_found *f, struct weights want)
{
	for (int k = 0; k < f->n; k++)
		if (f->r[k].oi == NULL || f->r[k].oa == NULL ||
		    f->r[k].wi != want.istio || f->r[k].wa != want.apisix)
			return false;
	return true;
}

static void
kd_op_add(json_t *ops, const char *op, const char *path, json_t *value)
{
	json_t *o = json_object();

	json_object_set_new(o, "op", json_string(op));
	json_object_set_new(o, "path", json_string(path));
	json_object_set(o, "value", value);
	json_array_append_new(ops, o);
}

/* The JSON patch that sets `want` on every route of f; caller frees. */
static char *
kd_patch_body(const struct kd_priv *x, const struct kd_found *f,
	      struct weights want)
{
	json_t *ops = json_array(), *v;
	char path[160];
	char *s;

	if (f->rv != NULL) {
		v = json_string(f->rv);
		kd_op_add(ops, "test", "/metadata/resourceVersion", v);
		json_decref(v);
	}
	for (int k = 0; k < f->n; k++) {
		const struct kd_route *r = &f->r[k];

		for (int side = 0; side < 2; side++) {
			int di = side == 0 ? r->di : r->da;
			json_t *old = side == 0 ? r->oi : r->oa;
			const char *name = side == 0 ? x->cfg->istio_backend :
			    x->cfg->apisix_backend;

			snprintf(path, sizeof(path), "/spec/%s/%d/%s/%d%s",
			    kd_rules_key(x), r->rule, kd_dests_key(x), di,
			    x->vs ? "/destination/host" : "/name");
			v = json_string(name);
			kd_op_add(ops, "test", path, v);
			json_decref(v);
			snprintf(path, sizeof(path), "/spec/%s/%d/%s/%d/weight",
			    kd_rules_key(x), r->rule, kd_dests_key(x), di);
			if (old != NULL)
				kd_op_add(ops, "test", path, old);
			v = json_integer(side == 0 ? want.istio : want.apisix);
			kd_op_add(ops, "add", path, v);
			json_decref(v);
		}
	}
	s = json_dumps(ops, JSON_COMPACT);
	json_decref(ops);
	return s;
}

/* Forget what one apply step kept. */
static void
kd_step_done(struct kd_priv *x)
{
	x->rereads = 0;
	free(x->patched_rv);
	x->patched_rv = NULL;
	x->refusal[0] = '\0';
	x->start_n = 0;
	x->start_agree = false;
}

/* The end of a step, answered or cancelled (driver_job's end). */
static void
kd_end(void *arg, bool cancelled)
{
	struct kd_priv *x = arg;

	if (cancelled)
		kube_call_cancel(x->call);
	x->call = NULL;
	kd_step_done(x);
}

/* Keep the routes' weights an apply step starts from. */
static void
kd_step_start(struct kd_priv *x, const struct kd_found *f)
{
	x->start_n = f->n;
	x->start_agree = f->agree;
	x->start = f->w;
	for (int k = 0; k < f->n; k++) {
		x->start_w[k][0] = f->r[k].wi;
		x->start_w[k][1] = f->r[k].wa;
	}
}

/*
 * Answer drift: the routes agree on weights someone else set.  `since`
 * says what cutover expected, `hint` a likely cause.
 */
static void
kd_drift(const struct kd_priv *x, const struct kd_found *f,
	 const char *since, const char *hint, struct driver_result *res)
{
	res->drift = true;
	res->have_weights = true;
	res->weights = f->w;
	snprintf(res->message, sizeof(res->message), "drift: %s: weights "
	    "were changed by someone else: found %d/%d (istio/apisix)%s; "
	    "not overwritten%s", x->what, f->w.istio, f->w.apisix, since,
	    hint);
}

/* Whether f's routes hold the weights the step started from. */
static bool
kd_step_unchanged(const struct kd_priv *x, const struct kd_found *f)
{
	if (f->n != x->start_n)
		return false;
	for (int k = 0; k < f->n; k++)
		if (f->r[k].wi != x->start_w[k][0] ||
		    f->r[k].wa != x->start_w[k][1])
			return false;
	return true;
}

static void kd_call_done(const struct http_response *r, const char *msg,
			 void *arg);

/* Start a request for the current op; -1 with e filled. */
static int
kd_send(struct kd_priv *x, const char *method, const char *body,
	struct err *e)
{
	x->call = kube_call_start(x->kube, method, x->path,
	    body != NULL ? "application/json-patch+json" : NULL, body,
	    x->cfg->timeout_ms, kd_call_done, x, e);
	return x->call != NULL ? 0 : -1;
}

/* Patch f to x->want, or answer when nothing needs to change. */
static void
kd_patch(struct kd_priv *x, const struct kd_found *f)
{
	struct driver_result res;
	struct err e;
	char *body;
	int rc;

	if (kd_in_force(f, x->want)) {
		memset(&res, 0, sizeof(res));
		res.ok = true;
		res.have_weights = true;
		res.weights = x->want;
		snprintf(res.message, sizeof(res.message), "istio %d%% / "
		    "apisix %d%% already in force: nothing sent",
		    x->want.istio, x->want.apisix);
		driver_log(x->d, "kubernetes: %s already has istio %d / "
		    "apisix %d: nothing to change", x->what, x->want.istio,
		    x->want.apisix);
		driver_job_answer(&x->job, &res);
		return;
	}
	body = kd_patch_body(x, f, x->want);
	driver_log(x->d, "kubernetes: patching %s (resourceVersion %s, %d "
	    "route%s) to istio %d / apisix %d", x->what,
	    f->rv != NULL ? f->rv : "?", f->n, f->n == 1 ? "" : "s",
	    x->want.istio, x->want.apisix);
	x->job.op = KD_APPLY_PATCH;
	free(x->patched_rv);
	x->patched_rv = f->rv != NULL ? xstrdup(f->rv) : NULL;
	err_clear(&e);
	rc = kd_send(x, "PATCH", body, &e);
	free(body);
	if (rc != 0)
		driver_job_failf(&x->job, "%s: PATCH: %s", x->what, e.msg);
}

/*
 * Maybe a conflict: the object changed between our GET and our PATCH.
 * kube-apiserver answers a failed JSON patch `test` with 422 and only
 * "the server rejected our request due to an error in our request", as
 * for any other 422: the re-read tells them apart.
 */
static bool
kd_is_conflict(const struct http_response *r)
{
	return r != NULL && (r->status == 409 || r->status == 422);
}

static void
kd_got_object(struct kd_priv *x, const struct http_response *r)
{
	struct driver_result res;
	struct kd_found f;
	char msg[sizeof(res.message)];

	memset(&res, 0, sizeof(res));
	if (kd_parse(x, r->body, r->body_len, &f, msg, sizeof(msg)) != 0) {
		kd_found_done(&f);
		if (x->job.op == KD_APPLY_PATCH)
			driver_job_failf(&x->job,
			    "patched, but the answer shows no split: "
			    "%s", msg);
		else
			driver_job_failf(&x->job, "%s", msg);
		return;
	}
	driver_log(x->d, "kubernetes: %s (resourceVersion %s): istio %d / "
	    "apisix %d%s", x->what, f.rv != NULL ? f.rv : "?", f.w.istio,
	    f.w.apisix, f.agree ? "" : " (routes disagree)");

	switch (x->job.op) {
	case KD_READ:
		if (!f.agree) {
			kd_disagree(x, &f, res.message, sizeof(res.message));
			break;
		}
		res.ok = true;
		res.have_weights = true;
		res.weights = f.w;
		snprintf(res.message, sizeof(res.message), "read back %d/%d",
		    f.w.istio, f.w.apisix);
		break;
	case KD_APPLY_GET:
		if (x->have_expect && f.agree && !kd_in_force(&f, x->want) &&
		    (f.w.istio != x->expect.istio ||
		     f.w.apisix != x->expect.apisix)) {
			/* Moved since the caller last read them: patching
			 * from here would overwrite that change. */
			char had[64];

			snprintf(had, sizeof(had), ", cutover had %d/%d",
			    x->expect.istio, x->expect.apisix);
			kd_drift(x, &f, had, "", &res);
			break;
		}
		kd_step_start(x, &f);
		kd_patch(x, &f);
		kd_found_done(&f);
		return;
	case KD_APPLY_REREAD:
		if (kd_in_force(&f, x->want)) {
			kd_patch(x, &f);	/* answers: nothing to send */
			kd_found_done(&f);
			return;
		}
		if (x->patched_rv != NULL && f.rv != NULL &&
		    strcmp(f.rv, x->patched_rv) == 0) {
			/* Unchanged, so every `test` held: the server
			 * refused the change itself. */
			snprintf(res.message, sizeof(res.message), "%s: PATCH: "
			    "%s", x->what, x->refusal);
			break;
		}
		if (kd_step_unchanged(x, &f)) {
			driver_log(x->d, "kubernetes: %s changed elsewhere "
			    "but its weights did not: patching again",
			    x->what);
			kd_patch(x, &f);
			kd_found_done(&f);
			return;
		}
		/* Drift: somebody else moved traffic during the step. */
		res.drift = true;
		if (f.agree) {
			char from[64] = "";

			if (x->start_agree)
				snprintf(from, sizeof(from), ", the step "
				    "started from %d/%d", x->start.istio,
				    x->start.apisix);
			kd_drift(x, &f, from, " (a GitOps revert?)", &res);
		} else {
			kd_disagree(x, &f, msg, sizeof(msg));
			snprintf(res.message, sizeof(res.message), "drift: "
			    "weights were changed by someone else: %s", msg);
		}
		break;
	case KD_APPLY_PATCH:
		if (!kd_in_force(&f, x->want)) {
			if (f.agree) {
				res.have_weights = true;
				res.weights = f.w;
			}
			snprintf(res.message, sizeof(res.message), "%s: "
			    "patched, but the object shows istio %d / apisix "
			    "%d", x->what, f.w.istio, f.w.apisix);
			break;
		}
		res.ok = true;
		res.have_weights = true;
		res.weights = f.w;
		snprintf(res.message, sizeof(res.message), "patched %s "
		    "(resourceVersion %s)", x->what,
		    f.rv != NULL ? f.rv : "?");
		break;
	case KD_IDLE:
		break;
	}
	kd_found_done(&f);
	driver_job_answer(&x->job, &res);
}

static void
kd_call_done(const struct http_response *r, const char *msg, void *arg)
{
	struct kd_priv *x = arg;
	struct err e;

	x->call = NULL;
	if (r != NULL && r->status >= 200 && r->status < 300) {
		kd_got_object(x, r);
		return;
	}
	if (x->job.op == KD_APPLY_PATCH && kd_is_conflict(r)) {
		if (x->rereads == KD_REREADS_MAX) {
			driver_job_failf(&x->job,
			    "%s: the object kept changing while "
			    "patching (%s); gave up after %d re-reads",
			    x->what, msg, KD_REREADS_MAX);
			return;
		}
		x->rereads++;
		snprintf(x->refusal, sizeof(x->refusal), "%s", msg);
		driver_log(x->d, "kubernetes: PATCH of %s failed (HTTP %ld): "
		    "reading it again to see what changed (%d of %d)",
		    x->what, r->status, x->rereads, KD_REREADS_MAX);
		x->job.op = KD_APPLY_REREAD;
		err_clear(&e);
		if (kd_send(x, "GET", NULL, &e) != 0)
			driver_job_failf(&x->job,
			    "%s: GET: %s", x->what, e.msg);
		return;
	}
	driver_job_failf(&x->job, "%s: %s: %s", x->what,
	    x->job.op == KD_APPLY_PATCH ? "PATCH" : "GET", msg);
}

/* --- ops ------------------------------------------------------------------ */

static int
kd_init(struct driver *d, struct err *e)
{
	const struct plan_kube_route *cfg = &d->plan->traffic.kubernetes;
	struct kd_priv *x;
	char *ns, *name;
	bool vs;

	if (cfg->kind == NULL || cfg->namespace == NULL || cfg->name == NULL ||
	    cfg->istio_backend == NULL || cfg->apisix_backend == NULL)
		return err_set(e, "traffic.kubernetes needs kind, namespace, "
		    "name, istio_backend and apisix_backend");
	if (strcmp(cfg->kind, "VirtualService") == 0)
		vs = true;
	else if (strcmp(cfg->kind, "HTTPRoute") == 0)
		vs = false;
	else
		return err_set(e, "traffic.kubernetes.kind %s: expected "
		    "VirtualService or HTTPRoute", cfg->kind);
	x = xcalloc(1, sizeof(*x));
	x->kube = kube_new(d->plan, d->loop, NULL, e);
	if (x->kube == NULL) {
		free(x);
		return err_prefix(e, "traffic driver kubernetes");
	}
	x->d = d;
	x->cfg = cfg;
	x->vs = vs;
	driver_job_init(&x->job, d, kd_end, x);
	ns = http_escape(cfg->namespace);
	name = http_escape(cfg->name);
	x->path = xasprintf("/apis/%s/namespaces/%s/%s/%s",
	    vs ? "networking.istio.io/v1" : "gateway.networking.k8s.io/v1",
	    ns, vs ? "virtualservices" : "httproutes", name);
	free(ns);
	free(name);
	snprintf(x->what, sizeof(x->what), "%s %s/%s", cfg->kind,
	    cfg->namespace, cfg->name);
	d->priv = x;
	return 0;
}

static void
kd_done(struct driver *d)
{
	struct kd_priv *x = d->priv;

	if (x == NULL)
		return;
	kube_free(x->kube);
	free(x->path);
	free(x);
	d->priv = NULL;
}

static int
kd_busy(const struct kd_priv *x, struct err *e)
{
	if (x->job.op == KD_IDLE)
		return 0;
	return err_set(e, "the kubernetes driver is busy: a request to %s "
	    "is in flight", x->what);
}

/* Every step starts by reading the route. */
static int
kd_begin(struct kd_priv *x, enum kd_op op, driver_cb cb, void *arg,
	 struct err *e)
{
	driver_job_begin(&x->job, op, cb, arg);
	if (kd_send(x, "GET", NULL, e) != 0) {
		driver_job_cancel(&x->job);
		return err_prefix(e, "%s", x->what);
	}
	return 0;
}

static int
kd_apply(struct driver *d, struct weights w, int stage, driver_cb cb,
	 void *arg, struct err *e)
{
	struct kd_priv *x = d->priv;

	(void)stage;
	if (kd_busy(x, e) == -1)
		return -1;
	if (driver_weights_check(w, e) == -1)
		return -1;
	x->want = w;
	x->have_expect = d->have_expect;
	x->expect = d->expect;
	kd_step_done(x);
	return kd_begin(x, KD_APPLY_GET, cb, arg, e);
}

static int
kd_read_back(struct driver *d, driver_cb cb, void *arg, struct err *e)
{
	struct kd_priv *x = d->priv;

	if (kd_busy(x, e) == -1)
		return -1;
	return kd_begin(x, KD_READ, cb, arg, e);
}

static void
kd_describe(const struct driver *d, char *buf, size_t len)
{
	const struct plan_kube_route *cfg = &d->plan->traffic.kubernetes;

	if (len == 0)
		return;
	snprintf(buf, len, "kubernetes: %s %s/%s",
	    cfg->kind != NULL ? cfg->kind : "?",
	    cfg->namespace != NULL ? cfg->namespace : "?",
	    cfg->name != NULL ? cfg->name : "?");
}

/* read and patch, then up to 3 times (after a conflict) read and patch again;
 * an exec credential plugin may take up to a minute */
static int64_t
kd_deadline(const struct plan *p)
{
	return 8 * p->traffic.kubernetes.timeout_ms + 60000;
}

/* The route object: read, then patched (never created or deleted). */
static void
kd_rbac(const struct plan *p, struct rbac *r)
{
	const struct plan_kube_route *k = &p->traffic.kubernetes;
	bool vs = strcmp(k->kind, "VirtualService") == 0;

	rbac_need(r, k->namespace,
		  vs ? "networking.istio.io" : "gateway.networking.k8s.io",
		  vs ? "virtualservices" : "httproutes", k->name, "get patch",
		  "the kubernetes traffic driver: its route's weights");
}

const struct driver_ops kube_driver = {
	.name = "kubernetes",
	.kind = DRIVER_KUBERNETES,
	.deadline = kd_deadline,
	.init = kd_init,
	.done = kd_done,
	.apply = kd_apply,
	.read_back = kd_read_back,
	.describe = kd_describe,
	.rbac = kd_rbac,
};

int
driver_kube_parse(const struct plan_kube_route *cfg, const char *body,
		  size_t len, struct weights *w, struct err *e)
{
	struct kd_priv x;
	struct kd_found f;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.vs = strcmp(cfg->kind, "VirtualService") == 0;
	snprintf(x.what, sizeof(x.what), "%s %s/%s", cfg->kind,
	    cfg->namespace, cfg->name);
	if (kd_parse(&x, body, len, &f, e->msg, sizeof(e->msg)) == 0) {
		if (!f.agree) {
			kd_disagree(&x, &f, e->msg, sizeof(e->msg));
		} else {
			free(kd_patch_body(&x, &f, f.w));
			*w = f.w;
			rc = 0;
		}
	}
	kd_found_done(&f);
	return rc;
}
