/*
 * plan_sources — the plan's sections about what is watched: prometheus:
 * (URL, headers, credentials by file), kubernetes: (kubeconfig, context),
 * queries: (the window and each query by its key) and pods: (the groups
 * whose readiness is shown).  Header values may be credentials: they are
 * never printed nor quoted back in an error.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate.h"
#include "plan.h"
#include "plan_schema.h"
#include "xmalloc.h"


/* ------------------------------------------------------------------------
 * prometheus:, kubernetes:
 */

bool
valid_header_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	return true;
}

/*
 * A mapping of header names to values (files: to file names, expanded)
 * into *out.  `where` names the mapping in a duplicate's error.  A value
 * may be a credential: it is never quoted back.
 */
int
plan_headers_parse(struct ctx *c, yaml_node_t *n, const char *key,
		   const char *where, bool files, struct plan_header **out,
		   int *nout)
{
	yaml_node_pair_t *pr;
	int count;

	if (want_kind(c, n, YAML_MAPPING_NODE, key) == -1)
		return -1;
	count = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (count > PLAN_HEADERS_MAX)
		return errn(c, n, "too many headers (at most %d)",
			    PLAN_HEADERS_MAX);
	*out = xcalloc((size_t)count + 1, sizeof(**out));
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);

		if (want_scalar(c, k, key, "a header name") == -1)
			return -1;
		if (!valid_header_name(scalar(k)))
			return errn(c, k, "invalid header name '%s'", scalar(k));
		for (int i = 0; i < *nout; i++)
			if (strcasecmp((*out)[i].name, scalar(k)) == 0)
				return errn(c, k, "duplicate key '%s' in %s",
					    scalar(k), where);
		if (v->type != YAML_SCALAR_NODE || is_null(v))
			return errn(c, v, "expected a %s for header '%s', got "
				    "%s", files ? "file name" : "string",
				    scalar(k), kind_name(v));
		if (strpbrk(scalar(v), "\r\n") != NULL ||
		    strlen(scalar(v)) != v->data.scalar.length)
			return errn(c, v, "header '%s' contains a line break "
				    "or NUL", scalar(k));
		(*out)[*nout].name = xstrdup(scalar(k));
		(*out)[*nout].value = files ? expand_path(scalar(v)) :
				      xstrdup(scalar(v));
		(*nout)++;
	}
	return 0;
}

/* Each header under key.NAME, its value never shown. */
void
plan_headers_print(FILE *out, const char *key, const struct plan_header *h,
		   int n)
{
	char k[160];

	for (int i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "%s.%s", key, h[i].name);
		pr_str(out, k, "(set, not shown)");
	}
}

static int
fn_headers(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan_prometheus *pm = base;

	return plan_headers_parse(c, n, f->key, "prometheus.headers", false,
				  &pm->headers, &pm->nheaders);
}

static void
pr_headers(FILE *out, const char *key, const struct field *f,
	   const void *base, const struct plan *p)
{
	const struct plan_prometheus *pm = base;

	(void)f;
	(void)p;
	/* Header values may be credentials: never shown. */
	plan_headers_print(out, key, pm->headers, pm->nheaders);
}

static const struct field basic_auth_fields[] = {
	FLD("username", F_STR, struct plan_prometheus, basic_user),
	FLD("password_file", F_PATH, struct plan_prometheus,
	    basic_password_file),
	FEND
};

static int
fn_basic_auth(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	static const char *const req[] = { "username", "password_file", NULL };
	yaml_node_t *kn = c->key;
	uint64_t seen;

	(void)f;
	if (parse_map(c, n, "prometheus.basic_auth", basic_auth_fields, base,
		      &seen) == -1)
		return -1;
	return require(c, kn, "prometheus.basic_auth", basic_auth_fields, seen,
		       req, NULL);
}

static void
pr_basic_auth(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	(void)f;
	print_map(out, key, basic_auth_fields, base, p);
}

const struct field prometheus_fields[] = {
	FLD("url", F_URL, struct plan_prometheus, url),
	FLDFP("headers", fn_headers, pr_headers),
	FLD("bearer_token_file", F_PATH, struct plan_prometheus,
	    bearer_token_file),
	FLDS("basic_auth", fn_basic_auth, pr_basic_auth,
	     basic_auth_fields),
	FLD("ca_file", F_PATH, struct plan_prometheus, ca_file),
	FLD("insecure_skip_verify", F_BOOL, struct plan_prometheus, insecure),
	FLDBD("timeout", F_DUR, struct plan_prometheus, timeout_ms, TIMEOUT_LO,
	      TIMEOUT_HI, 10 * SEC),
	FEND
};

const struct field kubernetes_fields[] = {
	FLD("kubeconfig", F_PATH, struct plan_kubernetes, kubeconfig),
	FLD("context", F_STR, struct plan_kubernetes, context),
	FLDBD("timeout", F_DUR, struct plan_kubernetes, timeout_ms, TIMEOUT_LO,
	      TIMEOUT_HI, 10 * SEC),
	FEND
};

int
fn_prometheus(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	struct plan *p = base;
	yaml_node_t *kn;

	(void)f;
	if (parse_map(c, n, "prometheus", prometheus_fields, &p->prometheus,
		      NULL) == -1)
		return -1;
	if (p->prometheus.bearer_token_file != NULL &&
	    p->prometheus.basic_user != NULL) {
		map_get(c, n, "basic_auth", &kn);
		return errn(c, kn, "give either bearer_token_file or "
			    "basic_auth in prometheus, not both");
	}
	return 0;
}

int
fn_kubernetes(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	struct plan *p = base;

	(void)f;
	return parse_map(c, n, "kubernetes", kubernetes_fields, &p->kubernetes,
			 NULL);
}

void
pr_prometheus(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	print_map(out, key, prometheus_fields, &p->prometheus, p);
}

void
pr_kubernetes(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	print_map(out, key, kubernetes_fields, &p->kubernetes, p);
}

/* ------------------------------------------------------------------------
 * Queries
 */

static const char *const query_keys[Q_COUNT] = {
#define X(id, key, side, ratio) [id] = key,
	QUERY_LIST(X)
#undef X
};

static const enum side query_sides[Q_COUNT] = {
#define X(id, key, side, ratio) [id] = side,
	QUERY_LIST(X)
#undef X
};

static const bool query_ratios[Q_COUNT] = {
#define X(id, key, side, ratio) [id] = ratio,
	QUERY_LIST(X)
#undef X
};

/*
 * The guide's queries.  The gateway is selected on the client side
 * (reporter="source"): ingress gateways never report as destination.
 * Numerators that are empty on a healthy system carry `or vector(0)`, and
 * the parentheses matter: `or` binds looser than `/`.
 */
#define GW "reporter=\"source\",source_workload=\"{istio_workload}\"," \
	"source_workload_namespace=\"{istio_namespace}\""
#define DST "reporter=\"destination\"," \
	"destination_workload_namespace=\"{namespace}\""

static const char *const query_defaults[Q_COUNT] = {
	[Q_ISTIO_ERROR_RATE] =
	    "(sum(rate(istio_requests_total{" GW ",response_code=~\"5..\"}"
	    "[{window}])) or vector(0))"
	    " / sum(rate(istio_requests_total{" GW "}[{window}]))",
	[Q_ISTIO_P95] =
	    "histogram_quantile(0.95, sum by (le)"
	    "(rate(istio_request_duration_milliseconds_bucket{" GW "}"
	    "[{window}])))",
	[Q_ISTIO_RPS] =
	    "sum(rate(istio_requests_total{" GW "}[{window}]))",
	[Q_ISTIO_AVAILABILITY] =
	    "(sum(rate(istio_requests_total{" GW ",response_code!~\"5..\"}"
	    "[{window}])) or vector(0))"
	    " / sum(rate(istio_requests_total{" GW "}[{window}]))",
	[Q_MTLS_COVERAGE] =
	    "(sum(rate(istio_requests_total{" DST ","
	    "connection_security_policy=\"mutual_tls\"}[{window}]))"
	    " or vector(0))"
	    " / sum(rate(istio_requests_total{" DST "}[{window}]))",
	[Q_APISIX_ERROR_RATE] =
	    "(sum(rate(apisix_http_status{code=~\"5..\"}[{window}]))"
	    " or vector(0))"
	    " / sum(rate(apisix_http_status[{window}]))",
	[Q_APISIX_P95] =
	    "histogram_quantile(0.95, sum by (le)"
	    "(rate(apisix_http_latency_bucket{type=\"request\"}[{window}])))",
	[Q_APISIX_RPS] =
	    "sum(rate(apisix_http_status[{window}]))",	/*
	 * The Grafana board's latency distribution and connections: shown,
	 * never gated.  Connections are gauges (Envoy's downstream
	 * connections of the gateway's pods, nginx's active ones), averaged
	 * over the window like every other query.
	 */
	[Q_ISTIO_P50] =
	    "histogram_quantile(0.50, sum by (le)"
	    "(rate(istio_request_duration_milliseconds_bucket{" GW "}"
	    "[{window}])))",
	[Q_ISTIO_P99] =
	    "histogram_quantile(0.99, sum by (le)"
	    "(rate(istio_request_duration_milliseconds_bucket{" GW "}"
	    "[{window}])))",
	[Q_APISIX_P50] =
	    "histogram_quantile(0.50, sum by (le)"
	    "(rate(apisix_http_latency_bucket{type=\"request\"}[{window}])))",
	[Q_APISIX_P99] =
	    "histogram_quantile(0.99, sum by (le)"
	    "(rate(apisix_http_latency_bucket{type=\"request\"}[{window}])))",
	[Q_ISTIO_CONNECTIONS] =
	    "sum(avg_over_time(envoy_server_total_connections{"
	    "namespace=\"{istio_namespace}\",pod=~\"{istio_workload}-.*\"}"
	    "[{window}]))",
	[Q_APISIX_CONNECTIONS] =
	    "sum(avg_over_time(apisix_nginx_http_current_connections"
	    "{state=\"active\"}[{window}]))",
};

const char *
plan_query_key(enum query_id id)
{
	if ((int)id < 0 || id >= Q_COUNT)
		return "?";
	return query_keys[id];
}

/* ------------------------------------------------------------------------
 * queries:
 */

static int
fn_window(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;
	const char *why;
	int64_t ms;

	if (want_scalar(c, n, f->key, "a duration (e.g. 1m)") == -1)
		return -1;
	if (dur_parse(scalar(n), &ms, &why) == -1)
		return errn(c, n, "invalid duration '%s' for 'window': %s "
			    "(use s, m, h: 1m, 5m)", scalar(n), why);
	if (ms < SEC || ms % SEC != 0 || strstr(scalar(n), "ms") != NULL)
		return errn(c, n, "'window' must be whole seconds, at least 1s, "
			    "got '%s'", scalar(n));
	set_str(&p->window, scalar(n));
	return 0;
}

static int
fn_query(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;
	int id = -1;

	for (int i = 0; i < Q_COUNT; i++)
		if (strcmp(query_keys[i], f->key) == 0)
			id = i;
	if (want_scalar(c, n, f->key, "a PromQL string") == -1)
		return -1;
	if (scalar(n)[0] == '\0' || id < 0)
		return errn(c, n, "'%s' must not be empty", f->key);
	set_str(&p->queries[id].promql, scalar(n));
	return 0;
}

static void
pr_window(FILE *out, const char *key, const struct field *f,
	  const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	pr_str(out, key, p->window);
}

/* The query as it will run: the plan's, or the default filled in. */
static void
pr_query(FILE *out, const char *key, const struct field *f,
	 const void *base, const struct plan *p)
{
	(void)base;
	for (int i = 0; i < Q_COUNT; i++) {
		char *q;

		if (strcmp(query_keys[i], f->key) != 0)
			continue;
		q = plan_query_text(p, (enum query_id)i);
		pr_str(out, key, q);
		free(q);
	}
}

/* The window is the plan's, read into every query's {window}. */
static void
window_default(const struct field *f, void *base)
{
	struct plan *p = base;

	(void)f;
	set_str(&p->window, "1m");
}

/* The guide's query for this key, with its side and kind. */
static void
query_default(const struct field *f, void *base)
{
	struct plan *p = base;

	for (int i = 0; i < Q_COUNT; i++) {
		if (strcmp(query_keys[i], f->key) != 0)
			continue;
		set_str(&p->queries[i].promql, query_defaults[i]);
		p->queries[i].side = query_sides[i];
		p->queries[i].ratio = query_ratios[i];
	}
}

const struct field query_fields[] = {
	{ .key = "window", .type = F_FN, .fn = fn_window, .pr = pr_window,
	  .dflt = window_default },
#define X(id, k, side, ratio)                                                 \
	{ .key = k, .type = F_FN, .fn = fn_query, .pr = pr_query,             \
	  .dflt = query_default },
	QUERY_LIST(X)
#undef X
	FEND
};

int
fn_queries(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	(void)f;
	return parse_map(c, n, "queries", query_fields, base, NULL);
}

void
pr_queries(FILE *out, const char *key, const struct field *f,
	   const void *base, const struct plan *p)
{
	(void)f;
	print_map(out, key, query_fields, base, p);
}

/* ------------------------------------------------------------------------
 * pods:
 */

static void
group_set(struct plan_pod_group *g, const char *name, const char *ns,
	  const char *selector, int min_ready, bool sidecar, enum side side)
{
	g->name = xstrdup(name);
	g->namespace = xstrdup(ns);
	g->selector = xstrdup(selector);
	g->min_ready = min_ready;
	g->sidecar_required = sidecar;
	g->side = side;
}

void
groups_free(struct plan *p)
{
	for (int i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		free(p->groups[i].namespace);
		free(p->groups[i].selector);
	}
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
}

/* The three groups of the guide, in the plan's namespaces. */
void
groups_default(struct plan *p)
{
	groups_free(p);
	p->groups = xcalloc(3, sizeof(*p->groups));
	p->ngroups = 3;
	group_set(&p->groups[0], "istio-ingressgateway", p->istio_namespace,
		  "app=istio-ingressgateway", 3, false, SIDE_ISTIO);
	group_set(&p->groups[1], "apisix", "apisix",
		  "app.kubernetes.io/name=apisix", 1, false, SIDE_APISIX);
	group_set(&p->groups[2], "app", p->namespace, "", 1, true, SIDE_NONE);
}

void
pods_default(const struct field *f, void *base)
{
	(void)f;
	groups_default(base);
}

static int
fn_sidecar(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan_pod_group *g = base;

	if (want_scalar(c, n, f->key, "required or optional") == -1)
		return -1;
	if (strcmp(scalar(n), "required") == 0)
		g->sidecar_required = true;
	else if (strcmp(scalar(n), "optional") == 0)
		g->sidecar_required = false;
	else
		return errn(c, n, "invalid sidecar '%s' (expected one of: "
			    "required, optional)", scalar(n));
	return 0;
}

static int
fn_side(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan_pod_group *g = base;

	if (want_scalar(c, n, f->key, "istio, apisix or none") == -1)
		return -1;
	if (strcmp(scalar(n), "istio") == 0)
		g->side = SIDE_ISTIO;
	else if (strcmp(scalar(n), "apisix") == 0)
		g->side = SIDE_APISIX;
	else if (strcmp(scalar(n), "none") == 0)
		g->side = SIDE_NONE;
	else
		return errn(c, n, "invalid side '%s' (expected one of: istio, "
			    "apisix, none)", scalar(n));
	return 0;
}

static void
pr_selector(FILE *out, const char *key, const struct field *f,
	    const void *base, const struct plan *p)
{
	const struct plan_pod_group *g = base;

	(void)f;
	(void)p;
	pr_str(out, key, g->selector[0] != '\0' ? g->selector : "(all pods)");
}

static void
pr_sidecar(FILE *out, const char *key, const struct field *f,
	   const void *base, const struct plan *p)
{
	const struct plan_pod_group *g = base;

	(void)f;
	(void)p;
	fprintf(out, "%s: %s\n", key,
		g->sidecar_required ? "required" : "optional");
}

static void
pr_side(FILE *out, const char *key, const struct field *f,
	const void *base, const struct plan *p)
{
	const struct plan_pod_group *g = base;

	(void)f;
	(void)p;
	fprintf(out, "%s: %s\n", key, side_name(g->side));
}

const struct field group_fields[] = {
	FLD("name", F_NAME, struct plan_pod_group, name),
	FLD("namespace", F_DNS, struct plan_pod_group, namespace),
	{ .key = "selector", .type = F_STR0,
	  .off = offsetof(struct plan_pod_group, selector),
	  .pr = pr_selector },
	FLDBD("min_ready", F_INT, struct plan_pod_group, min_ready, 0, 10000,
	      1),
	FLDFP("sidecar", fn_sidecar, pr_sidecar),
	FLDFP("side", fn_side, pr_side),
	FLD("collect_logs", F_BOOL, struct plan_pod_group, collect_logs),
	FEND
};

int
fn_pods(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	static const char *const req[] = { "name", "selector", NULL };
	struct plan *p = base;
	yaml_node_item_t *it;
	int count;

	if (want_kind(c, n, YAML_SEQUENCE_NODE, f->key) == -1)
		return -1;
	count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > PLAN_GROUPS_MAX)
		return errn(c, n, "too many pod groups (%d; at most %d)", count,
			    PLAN_GROUPS_MAX);
	groups_free(p);
	p->groups = xcalloc((size_t)count + 1, sizeof(*p->groups));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		struct plan_pod_group *g = &p->groups[p->ngroups];
		yaml_node_t *v = node_at(c, *it);
		char section[32];
		uint64_t seen;

		p->ngroups++;
		schema_defaults(group_fields, g);
		snprintf(section, sizeof(section), "pods item %d", p->ngroups);
		if (parse_map(c, v, section, group_fields, g, &seen) == -1)
			return -1;
		if (require(c, v, section, group_fields, seen, req, NULL) == -1)
			return -1;
		for (int i = 0; i < p->ngroups - 1; i++)
			if (strcmp(p->groups[i].name, g->name) == 0)
				return errn(c, map_get(c, v, "name", NULL),
					    "pod group name '%s' is used twice",
					    g->name);
		/* namespace NULL: the plan's, filled once all is read. */
	}
	return 0;
}

void
pr_pods(FILE *out, const char *key, const struct field *f,
	const void *base, const struct plan *p)
{
	char k[64];

	(void)f;
	(void)base;
	for (int i = 0; i < p->ngroups; i++) {
		snprintf(k, sizeof(k), "%s.%d", key, i + 1);
		print_map(out, k, group_fields, &p->groups[i], p);
	}
}
