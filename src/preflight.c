/*
 * preflight — the checks before the first shift (see preflight.h).
 *
 * The API is asked on the loop (four GETs at once, not doubled); the
 * answers are parsed as they land and kept as short sanitised names, so
 * judging the checks is a pure function of those and the session's input.
 * An answer's error is kept with the answer: a failed request makes its
 * checks fail with that error, not pass on an older answer.
 */
#include "config.h"

#include "preflight.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gate.h"
#include "kube.h"
#include "probe.h"
#include "text.h"
#include "xmalloc.h"

static const struct preflight_def defs[PF_COUNT] = {
#define X(id, n, l, h) [id] = { .name = n, .label = l, .how = h },
	PREFLIGHT_LIST(X)
#undef X
};

const struct preflight_def *
preflight_def(enum preflight_id id)
{
	return &defs[id];
}

const char *
preflight_state_name(enum preflight_state st)
{
	switch (st) {
	case PREFLIGHT_PASS:
		return "pass";
	case PREFLIGHT_FAIL:
		return "fail";
	case PREFLIGHT_SKIP:
		return "skipped";
	case PREFLIGHT_UNKNOWN:
		break;
	}
	return "unknown";
}

/* --- parsers ----------------------------------------------------------------- */

bool
preflight_host_match(const char *pattern, const char *host)
{
	const char *slash = strchr(pattern, '/');
	size_t hl;
	size_t pl;

	/* "namespace/host" in a Gateway's server: the host part matters. */
	if (slash != NULL)
		pattern = slash + 1;
	if (strcmp(pattern, "*") == 0)
		return true;
	if (strcasecmp(pattern, host) == 0)
		return true;
	if (pattern[0] != '*' || pattern[1] != '.')
		return false;
	hl = strlen(host);
	pl = strlen(pattern + 1);	/* ".example.com" */
	return hl > pl && strcasecmp(host + hl - pl, pattern + 1) == 0;
}

static void
refs_add(struct preflight_refs *r, const char *ns, const char *name)
{
	r->total++;
	if (r->n >= PREFLIGHT_REFS)
		return;
	snprintf(r->ref[r->n], sizeof(r->ref[r->n]), "%s/%s", ns, name);
	text_sanitise(r->ref[r->n]);
	r->n++;
}

/* The items of a List answer; NULL (e filled) when it is not one. */
static json_t *
list_items(const char *body, size_t len, const char *kind, json_t **root,
	   struct err *e)
{
	json_error_t je;
	json_t *items;

	*root = json_loadb(body, len, 0, &je);
	if (*root == NULL || !json_is_object(*root)) {
		err_set(e, "the %s answer is not a JSON object", kind);
		json_decref(*root);
		*root = NULL;
		return NULL;
	}
	items = json_object_get(*root, "items");
	if (items == NULL || json_is_null(items)) {
		/* An empty list may come without its items: none. */
		json_object_set_new(*root, "items", json_array());
		return json_object_get(*root, "items");
	}
	if (!json_is_array(items)) {
		err_set(e, "the %s answer's items are not a list", kind);
		json_decref(*root);
		*root = NULL;
		return NULL;
	}
	return items;
}

static const char *
meta_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(
	    json_object_get(o, "metadata"), key));

	return s != NULL ? s : "";
}

/* Does the JSON array `hosts` (of strings) hold a match for host? */
static bool
hosts_match(const json_t *hosts, const char *host)
{
	size_t i;
	json_t *h;

	if (!json_is_array(hosts))
		return false;
	json_array_foreach(hosts, i, h) {
		const char *s = json_string_value(h);

		if (s != NULL && preflight_host_match(s, host))
			return true;
	}
	return false;
}

int
preflight_gateways_parse(const char *body, size_t len, const char *host,
			 struct preflight_refs *out, struct err *e)
{
	json_t *root;
	json_t *items;
	json_t *gw;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (body == NULL || host == NULL) {
		err_set(e, "no Gateway list");
		return -1;
	}
	items = list_items(body, len, "Gateway list", &root, e);
	if (root == NULL)
		return -1;
	json_array_foreach(items, i, gw) {
		json_t *servers = json_object_get(json_object_get(gw, "spec"),
						  "servers");
		json_t *sv;
		size_t j;

		if (!json_is_array(servers))
			continue;
		json_array_foreach(servers, j, sv) {
			if (hosts_match(json_object_get(sv, "hosts"), host)) {
				refs_add(out, meta_str(gw, "namespace"),
					 meta_str(gw, "name"));
				break;
			}
		}
	}
	json_decref(root);
	return 0;
}

/* Is `ref` (a VirtualService's gateways entry, in namespace ns) one of
 * the Gateways? */
static bool
gateway_named(const struct preflight_refs *gws, const char *ns,
	      const char *ref)
{
	char full[128];

	if (strcmp(ref, "mesh") == 0)
		return false;
	if (strchr(ref, '/') != NULL)
		snprintf(full, sizeof(full), "%s", ref);
	else
		snprintf(full, sizeof(full), "%s/%s", ns, ref);
	text_sanitise(full);
	for (int i = 0; i < gws->n; i++)
		if (strcmp(gws->ref[i], full) == 0)
			return true;
	return false;
}

int
preflight_vs_parse(const char *body, size_t len, const char *host,
		   const struct preflight_refs *gateways,
		   struct preflight_refs *out, int *near, struct err *e)
{
	json_t *root;
	json_t *items;
	json_t *vs;
	size_t i;

	memset(out, 0, sizeof(*out));
	*near = 0;
	if (body == NULL || host == NULL) {
		err_set(e, "no VirtualService list");
		return -1;
	}
	items = list_items(body, len, "VirtualService list", &root, e);
	if (root == NULL)
		return -1;
	json_array_foreach(items, i, vs) {
		json_t *spec = json_object_get(vs, "spec");
		json_t *gws = json_object_get(spec, "gateways");
		const char *ns = meta_str(vs, "namespace");
		bool bound = false;
		json_t *g;
		size_t j;

		if (!hosts_match(json_object_get(spec, "hosts"), host))
			continue;
		if (json_is_array(gws)) {
			json_array_foreach(gws, j, g) {
				const char *ref = json_string_value(g);

				if (ref != NULL &&
				    gateway_named(gateways, ns, ref)) {
					bound = true;
					break;
				}
			}
		}
		if (bound)
			refs_add(out, ns, meta_str(vs, "name"));
		else
			(*near)++;
	}
	json_decref(root);
	return 0;
}

int
preflight_service_parse(const char *body, size_t len, char *addr,
			size_t addrlen, struct err *e)
{
	json_error_t je;
	json_t *root;
	json_t *ing;
	json_t *first;
	const char *a;

	if (addrlen > 0)
		addr[0] = '\0';
	root = body != NULL ? json_loadb(body, len, 0, &je) : NULL;
	if (root == NULL || !json_is_object(root) ||
	    !json_is_object(json_object_get(root, "spec"))) {
		err_set(e, "the Service answer is not a Service");
		json_decref(root);
		return -1;
	}
	ing = json_object_get(json_object_get(json_object_get(root, "status"),
					      "loadBalancer"), "ingress");
	first = json_array_get(ing, 0);
	a = json_string_value(json_object_get(first, "ip"));
	if (a == NULL || a[0] == '\0')
		a = json_string_value(json_object_get(first, "hostname"));
	if (a == NULL || a[0] == '\0') {
		json_decref(root);
		return 0;
	}
	snprintf(addr, addrlen, "%s", a);
	text_sanitise(addr);
	json_decref(root);
	return 1;
}

static int
version_parse(const char *body, size_t len, char *out, size_t outlen)
{
	json_error_t je;
	json_t *root = body != NULL ? json_loadb(body, len, 0, &je) : NULL;
	const char *v = json_string_value(json_object_get(root, "gitVersion"));

	if (v == NULL) {
		json_decref(root);
		return -1;
	}
	snprintf(out, outlen, "%s", v);
	text_sanitise(out);
	json_decref(root);
	return 0;
}

/* --- asking the API ------------------------------------------------------------ */

static void start_call(struct preflight *pf, enum preflight_call which);

static void
answered(const struct http_response *r, const char *msg, void *arg)
{
	struct preflight_arg *pa = arg;
	struct preflight *pf = pa->pf;
	struct preflight_answer *a = &pf->a[pa->which];
	const char *host = pf->plan->host;
	struct err e;
	int rc = 0;

	pf->calls[pa->which] = NULL;
	err_clear(&e);
	a->error[0] = '\0';
	if (r == NULL || msg[0] != '\0') {
		a->state = SOURCE_ERROR;
		snprintf(a->error, sizeof(a->error), "%s",
			 msg[0] != '\0' ? msg : "no answer");
		text_scrub(a->error, sizeof(a->error));
		goto out;
	}
	if (r->truncated) {
		a->state = SOURCE_ERROR;
		snprintf(a->error, sizeof(a->error), "the answer is too large");
		goto out;
	}
	switch (pa->which) {
	case PF_CALL_VERSION:
		rc = version_parse(r->body, r->body_len, a->text,
				   sizeof(a->text));
		if (rc != 0)
			err_set(&e, "the /version answer has no gitVersion");
		break;
	case PF_CALL_GATEWAYS:
		rc = preflight_gateways_parse(r->body, r->body_len, host,
					      &a->refs, &e);
		break;
	case PF_CALL_VIRTUALSERVICES:
		/* Asked once the Gateways are read: judged against them. */
		rc = preflight_vs_parse(r->body, r->body_len, host,
					&pf->a[PF_CALL_GATEWAYS].refs,
					&a->refs, &a->near, &e);
		break;
	case PF_CALL_SERVICE:
		rc = preflight_service_parse(r->body, r->body_len, a->text,
					     sizeof(a->text), &e);
		if (rc > 0)
			rc = 0;
		break;
	case PF_CALL_COUNT:
		break;
	}
	if (rc != 0) {
		a->state = SOURCE_ERROR;
		snprintf(a->error, sizeof(a->error), "%s", e.msg);
		text_scrub(a->error, sizeof(a->error));
	} else {
		a->state = SOURCE_OK;
	}
out:
	/* The VirtualServices are judged against the Gateways just read. */
	if (pa->which == PF_CALL_GATEWAYS && a->state == SOURCE_OK)
		start_call(pf, PF_CALL_VIRTUALSERVICES);
	if (pf->on_update != NULL)
		pf->on_update(pf->on_update_arg);
}

void
preflight_init(struct preflight *pf, const struct plan *p, struct loop *l,
	       bool demo, struct kube *shared)
{
	struct err e;

	memset(pf, 0, sizeof(*pf));
	pf->plan = p;
	pf->loop = l;
	pf->kube_configured = p->kubernetes.kubeconfig != NULL ||
			      p->kubernetes.context != NULL ||
			      p->ngroups > 0 || p->preflight.given;
	pf->host_configured = p->host != NULL && p->host[0] != '\0';
	if (demo || !pf->kube_configured)
		return;
	if (shared != NULL) {
		pf->kube = shared;
		return;
	}
	err_clear(&e);
	pf->kube = kube_new(p, l, NULL, &e);
	pf->kube_owned = pf->kube != NULL;
	if (pf->kube == NULL) {
		snprintf(pf->kube_error, sizeof(pf->kube_error), "%s", e.msg);
		text_scrub(pf->kube_error, sizeof(pf->kube_error));
	}
}

void
preflight_done(struct preflight *pf)
{
	for (int i = 0; i < PF_CALL_COUNT; i++) {
		kube_call_cancel(pf->calls[i]);
		pf->calls[i] = NULL;
	}
	if (pf->kube_owned)
		kube_free(pf->kube);
	pf->kube = NULL;
}

bool
preflight_busy(const struct preflight *pf)
{
	for (int i = 0; i < PF_CALL_COUNT; i++)
		if (pf->calls[i] != NULL)
			return true;
	return false;
}

static char *
list_path(const char *ns, const char *plural)
{
	if (ns == NULL)
		return xasprintf("/apis/networking.istio.io/v1/%s", plural);
	return xasprintf("/apis/networking.istio.io/v1/namespaces/%s/%s", ns,
			 plural);
}

static void
start_call(struct preflight *pf, enum preflight_call which)
{
	const struct plan_preflight *pp = &pf->plan->preflight;
	struct preflight_answer *a = &pf->a[which];
	struct err e;
	char *path;

	if (pf->kube == NULL || pf->calls[which] != NULL)
		return;
	/* Namespaces and names are DNS labels (the plan checks them). */
	switch (which) {
	case PF_CALL_VERSION:
		path = xstrdup("/version");
		break;
	case PF_CALL_GATEWAYS:
		path = list_path(pp->gateway_namespace, "gateways");
		break;
	case PF_CALL_VIRTUALSERVICES:
		path = list_path(pp->virtualservice_namespace,
				 "virtualservices");
		break;
	default:
		path = xasprintf("/api/v1/namespaces/%s/services/%s",
				 pp->service_namespace != NULL ?
				 pp->service_namespace :
				 pf->plan->istio_namespace,
				 pp->service != NULL ? pp->service :
				 pf->plan->istio_workload);
		break;
	}
	pf->args[which] = (struct preflight_arg){ .pf = pf, .which = which };
	err_clear(&e);
	pf->calls[which] = kube_call_start(pf->kube, "GET", path, NULL, NULL,
					   0, answered, &pf->args[which], &e);
	free(path);
	if (pf->calls[which] == NULL) {
		a->state = SOURCE_ERROR;
		snprintf(a->error, sizeof(a->error), "%s", e.msg);
		text_scrub(a->error, sizeof(a->error));
	}
}

void
preflight_refresh(struct preflight *pf)
{
	start_call(pf, PF_CALL_VERSION);
	if (!pf->host_configured)
		return;
	/* The VirtualServices follow the Gateways' answer. */
	start_call(pf, PF_CALL_GATEWAYS);
	start_call(pf, PF_CALL_SERVICE);
}

/* --- judging --------------------------------------------------------------------- */

static void
set(struct preflight_check *c, enum preflight_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set(struct preflight_check *c, enum preflight_state st, const char *fmt, ...)
{
	va_list ap;

	c->state = st;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	text_sanitise(c->reason);
}

/* Whether some gate reads query `q` (its value or its APISIX baseline). */
static bool
gated_query(int q)
{
	for (int i = 0; i < GATE_COUNT; i++) {
		const struct gate_def *d = gate_def((enum gate_id)i);

		if (d->query == q || d->baseline == q)
			return true;
	}
	return false;
}

static void
judge_prometheus(const struct preflight_input *in, struct preflight_check *c)
{
	const struct plan *p = in->plan;
	char missing[160] = "";
	size_t n = 0;

	if (!in->prom_configured && !in->demo) {
		set(c, PREFLIGHT_SKIP, "not configured: no prometheus.url");
		return;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		const struct series *q = &in->metrics->q[i];

		if (q->state == SOURCE_ERROR) {
			set(c, PREFLIGHT_FAIL, "%s: %s",
			    plan_query_key((enum query_id)i), q->error);
			return;
		}
	}
	for (int i = 0; i < Q_COUNT; i++) {
		const struct series *q = &in->metrics->q[i];
		double v;

		/* The board's queries (P50, P99, connections) are shown,
		 * never gated: no data there blocks nothing. */
		if (p->queries[i].side != SIDE_APISIX || !gated_query(i))
			continue;
		if (q->state == SOURCE_UNKNOWN) {
			set(c, PREFLIGHT_UNKNOWN, "not answered yet");
			return;
		}
		if (!metrics_value(in->metrics, p, (enum query_id)i,
				   in->now_mono, p->gates.max_age_ms, &v) &&
		    n < sizeof(missing))
			n += (size_t)snprintf(missing + n, sizeof(missing) - n,
					      "%s%s", n > 0 ? ", " : "",
					      plan_query_key((enum query_id)i));
	}
	if (n > 0)
		set(c, PREFLIGHT_FAIL, "no data for %s", missing);
	else
		set(c, PREFLIGHT_PASS, "answers; every APISIX query has data");
}

static void
judge_kubernetes(const struct preflight *pf, const struct preflight_input *in,
		 struct preflight_check *c)
{
	const struct preflight_answer *a = &pf->a[PF_CALL_VERSION];
	const char *ctx = in->context != NULL ? in->context : "?";

	if (in->demo) {
		set(c, PREFLIGHT_PASS, "simulated (demo)");
		return;
	}
	if (!pf->kube_configured) {
		set(c, PREFLIGHT_SKIP, "not configured: no kubernetes:, pods: "
		    "or preflight: section");
		return;
	}
	if (pf->kube == NULL) {
		set(c, PREFLIGHT_FAIL, "%s", pf->kube_error);
		return;
	}
	if (a->state == SOURCE_ERROR)
		set(c, PREFLIGHT_FAIL, "context %s: %s", ctx, a->error);
	else if (a->state == SOURCE_OK)
		set(c, PREFLIGHT_PASS, "answers (context %s, %s)", ctx,
		    a->text);
	else
		set(c, PREFLIGHT_UNKNOWN, "context %s: not answered yet", ctx);
}

static void
judge_pods(const struct preflight_input *in, struct preflight_check *c)
{
	const struct plan *p = in->plan;

	if (p->ngroups == 0) {
		set(c, PREFLIGHT_SKIP, "not configured: no pod groups");
		return;
	}
	for (int i = 0; i < p->ngroups; i++) {
		const struct group_health *g = &in->groups[i];
		const char *name = p->groups[i].name;

		if (g->state == SOURCE_ERROR) {
			set(c, PREFLIGHT_FAIL, "%s: %s", name, g->error);
			return;
		}
		if (g->state != SOURCE_OK) {
			set(c, PREFLIGHT_UNKNOWN, "%s: not listed yet", name);
			return;
		}
		if (strcmp(g->worst_reason, "CrashLoopBackOff") == 0) {
			set(c, PREFLIGHT_FAIL, "%s: %d/%d ready, a pod in "
			    "CrashLoopBackOff", name, g->ready, g->total);
			return;
		}
		if (!group_health_ok(g, p->groups[i].sidecar_required)) {
			set(c, PREFLIGHT_FAIL, "%s: %d/%d ready (min %d)%s%s",
			    name, g->ready, g->total, g->min_ready,
			    g->worst_reason[0] ? ", " : "", g->worst_reason);
			return;
		}
	}
	set(c, PREFLIGHT_PASS, "%d group%s at their minimum", p->ngroups,
	    p->ngroups == 1 ? "" : "s");
}

/* Common to the three Istio object checks: skipped, demo, or no client. */
static bool
istio_pre(const struct preflight *pf, const struct preflight_input *in,
	  struct preflight_check *c)
{
	if (in->demo) {
		set(c, PREFLIGHT_PASS, "simulated (demo)");
		return true;
	}
	if (!pf->host_configured) {
		set(c, PREFLIGHT_SKIP, "not configured: no host: in the plan");
		return true;
	}
	if (!pf->kube_configured) {
		set(c, PREFLIGHT_SKIP, "not configured: no Kubernetes API");
		return true;
	}
	if (pf->kube == NULL) {
		set(c, PREFLIGHT_FAIL, "%s", pf->kube_error);
		return true;
	}
	return false;
}

static const char *
ns_words(const char *ns)
{
	return ns != NULL ? ns : "any namespace";
}

static void
judge_gateway(const struct preflight *pf, const struct preflight_input *in,
	      struct preflight_check *c)
{
	const struct preflight_answer *a = &pf->a[PF_CALL_GATEWAYS];

	if (istio_pre(pf, in, c))
		return;
	if (a->state == SOURCE_ERROR)
		set(c, PREFLIGHT_FAIL, "%s", a->error);
	else if (a->state != SOURCE_OK)
		set(c, PREFLIGHT_UNKNOWN, "not answered yet");
	else if (a->refs.n == 0)
		set(c, PREFLIGHT_FAIL, "no Gateway in %s serves %s",
		    ns_words(in->plan->preflight.gateway_namespace),
		    in->plan->host);
	else
		set(c, PREFLIGHT_PASS, "%s serves %s%s", a->refs.ref[0],
		    in->plan->host, a->refs.total > 1 ? " (and others)" : "");
}

static void
judge_vs(const struct preflight *pf, const struct preflight_input *in,
	 struct preflight_check *c)
{
	const struct preflight_answer *a = &pf->a[PF_CALL_VIRTUALSERVICES];
	const struct preflight_answer *g = &pf->a[PF_CALL_GATEWAYS];

	if (istio_pre(pf, in, c))
		return;
	if (a->state == SOURCE_ERROR)
		set(c, PREFLIGHT_FAIL, "%s", a->error);
	else if (g->state == SOURCE_ERROR)
		set(c, PREFLIGHT_FAIL, "the Gateways could not be read");
	else if (g->state == SOURCE_OK && g->refs.n == 0)
		set(c, PREFLIGHT_FAIL, "no Gateway for %s to bind to",
		    in->plan->host);
	else if (a->state != SOURCE_OK)
		set(c, PREFLIGHT_UNKNOWN, "not answered yet");
	else if (a->refs.n > 0)
		set(c, PREFLIGHT_PASS, "%s binds %s to the Gateway",
		    a->refs.ref[0], in->plan->host);
	else if (a->near > 0)
		set(c, PREFLIGHT_FAIL, "%d VirtualService%s name %s but bind "
		    "no Gateway serving it", a->near, a->near == 1 ? "" : "s",
		    in->plan->host);
	else
		set(c, PREFLIGHT_FAIL, "no VirtualService in %s binds %s",
		    ns_words(in->plan->preflight.virtualservice_namespace),
		    in->plan->host);
}

static void
judge_service(const struct preflight *pf, const struct preflight_input *in,
	      struct preflight_check *c)
{
	const struct preflight_answer *a = &pf->a[PF_CALL_SERVICE];
	const struct plan *p = in->plan;
	const char *ns = p->preflight.service_namespace != NULL ?
			 p->preflight.service_namespace : p->istio_namespace;
	const char *name = p->preflight.service != NULL ?
			   p->preflight.service : p->istio_workload;

	if (istio_pre(pf, in, c))
		return;
	if (a->state == SOURCE_ERROR)
		set(c, PREFLIGHT_FAIL, "%s/%s: %s", ns, name, a->error);
	else if (a->state != SOURCE_OK)
		set(c, PREFLIGHT_UNKNOWN, "%s/%s: not answered yet", ns, name);
	else if (a->text[0] == '\0')
		set(c, PREFLIGHT_FAIL, "%s/%s has no load-balancer address "
		    "yet", ns, name);
	else
		set(c, PREFLIGHT_PASS, "%s/%s at %s", ns, name, a->text);
}

static void
judge_weights(const struct preflight_input *in, struct preflight_check *c)
{
	if (!in->driver_present) {
		set(c, PREFLIGHT_SKIP, "not configured: no traffic driver");
		return;
	}
	if (!in->can_read_back) {
		set(c, PREFLIGHT_SKIP, "driver %s cannot read back",
		    in->driver_name);
		return;
	}
	if (in->read_back_error != NULL && in->read_back_error[0] != '\0')
		set(c, PREFLIGHT_FAIL, "read back failed: %s",
		    in->read_back_error);
	else if (!in->have_read_back)
		set(c, PREFLIGHT_UNKNOWN, "not read back yet");
	else if (in->read_back_istio != 0 || in->read_back_apisix != 100)
		set(c, PREFLIGHT_FAIL, "istio %d%% / apisix %d%% in force, "
		    "not 0 / 100", in->read_back_istio, in->read_back_apisix);
	else
		set(c, PREFLIGHT_PASS, "istio 0%% / apisix 100%% in force");
}

static void
judge_apisix(const struct preflight_input *in, struct preflight_check *c)
{
	const struct plan *p = in->plan;
	const struct plan_stage *st = &p->stages[0];
	double er;
	double p95;
	bool have_er;
	bool have_p95;

	if (!in->prom_configured && !in->demo) {
		set(c, PREFLIGHT_SKIP, "not configured: no prometheus.url");
		return;
	}
	have_er = metrics_value(in->metrics, p, Q_APISIX_ERROR_RATE,
				in->now_mono, p->gates.max_age_ms, &er);
	have_p95 = metrics_value(in->metrics, p, Q_APISIX_P95, in->now_mono,
				 p->gates.max_age_ms, &p95);
	if (!have_er || !have_p95) {
		set(c, PREFLIGHT_UNKNOWN, "no data for APISIX's %s",
		    !have_er ? "error rate" : "P95");
		return;
	}
	if (!isnan(st->max_error_rate) && er > st->max_error_rate)
		set(c, PREFLIGHT_FAIL, "error rate %.2f%% over stage 1's %.2f%%",
		    er * 100.0, st->max_error_rate * 100.0);
	else if (!isnan(st->max_p95_ms) && p95 > st->max_p95_ms)
		set(c, PREFLIGHT_FAIL, "P95 %.0f ms over stage 1's %.0f ms",
		    p95, st->max_p95_ms);
	else
		set(c, PREFLIGHT_PASS, "error rate %.2f%%, P95 %.0f ms",
		    er * 100.0, p95);
}

enum preflight_state
preflight_probes(const struct preflight_input *in, char *reason, size_t len)
{
	reason[0] = '\0';
	switch (probe_verdict(in->plan, in->metrics, in->now_mono, reason, len,
			      NULL)) {
	case VERDICT_NONE:
		snprintf(reason, len, "no probes configured");
		return PREFLIGHT_SKIP;
	case VERDICT_PASS:
		if (reason[0] == '\0')
			snprintf(reason, len, "every probe through Istio "
				 "passes");
		return PREFLIGHT_PASS;
	case VERDICT_FAIL:
		return PREFLIGHT_FAIL;
	case VERDICT_NO_DATA:
		break;
	}
	if (reason[0] == '\0')
		snprintf(reason, len, "no probe result yet");
	return PREFLIGHT_UNKNOWN;
}

void
preflight_evaluate(struct preflight *pf, const struct preflight_input *in)
{
	struct preflight_check *c = pf->c;

	judge_prometheus(in, &c[PF_PROMETHEUS]);
	judge_kubernetes(pf, in, &c[PF_KUBERNETES]);
	judge_pods(in, &c[PF_PODS]);
	judge_gateway(pf, in, &c[PF_GATEWAY]);
	judge_vs(pf, in, &c[PF_VIRTUALSERVICE]);
	judge_service(pf, in, &c[PF_LOAD_BALANCER]);
	judge_weights(in, &c[PF_WEIGHTS]);
	judge_apisix(in, &c[PF_APISIX]);
	c[PF_PROBES].state = preflight_probes(in, c[PF_PROBES].reason,
					      sizeof(c[PF_PROBES].reason));
	text_sanitise(c[PF_PROBES].reason);
	pf->evaluated = true;
}

bool
preflight_blocks(const struct preflight *pf, char *buf, size_t len)
{
	size_t n = 0;
	bool blocks = false;

	if (len > 0)
		buf[0] = '\0';
	if (!pf->evaluated) {
		snprintf(buf, len, "preflight not judged yet");
		return true;
	}
	for (int i = 0; i < PF_COUNT; i++) {
		const struct preflight_check *c = &pf->c[i];

		if (c->state != PREFLIGHT_FAIL && c->state != PREFLIGHT_UNKNOWN)
			continue;
		blocks = true;
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s %s: %s",
					      n > 0 ? "; " : "",
					      defs[i].name,
					      c->state == PREFLIGHT_FAIL ?
					      "fails" : "unknown", c->reason);
	}
	return blocks;
}

json_t *
preflight_json_brief(const struct preflight *pf)
{
	json_t *blocking = json_object();
	char buf[8];
	bool blocks = preflight_blocks(pf, buf, sizeof(buf));

	for (int i = 0; i < PF_COUNT; i++)
		if (pf->c[i].state == PREFLIGHT_FAIL ||
		    pf->c[i].state == PREFLIGHT_UNKNOWN)
			json_object_set_new(blocking, defs[i].name,
					    json_string(pf->c[i].reason));
	return json_pack("{s:s, s:o}", "verdict", blocks ? "fail" : "pass",
			 "blocking", blocking);
}

json_t *
preflight_json(const struct preflight *pf)
{
	json_t *checks = json_object();
	char buf[8];
	bool blocks = preflight_blocks(pf, buf, sizeof(buf));

	for (int i = 0; i < PF_COUNT; i++)
		json_object_set_new(checks, defs[i].name, json_pack(
		    "{s:s, s:s, s:s}", "state",
		    preflight_state_name(pf->c[i].state), "label",
		    defs[i].label, "reason", pf->c[i].reason));
	return json_pack("{s:s, s:o}", "verdict", blocks ? "fail" : "pass",
			 "checks", checks);
}
