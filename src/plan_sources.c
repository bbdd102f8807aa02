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

static bool
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

static int
fn_headers(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan_prometheus *pm = base;
	yaml_node_pair_t *pr;
	int count;

	if (want_kind(c, n, YAML_MAPPING_NODE, f->key) == -1)
		return -1;
	count = (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (count > PLAN_HEADERS_MAX)
		return errn(c, n, "too many headers (at most %d)",
			    PLAN_HEADERS_MAX);
	pm->headers = xcalloc((size_t)count + 1, sizeof(*pm->headers));
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);

		if (want_scalar(c, k, "headers", "a header name") == -1)
			return -1;
		if (!valid_header_name(scalar(k)))
			return errn(c, k, "invalid header name '%s'", scalar(k));
		for (int i = 0; i < pm->nheaders; i++)
			if (strcasecmp(pm->headers[i].name, scalar(k)) == 0)
				return errn(c, k, "duplicate key '%s' in "
					    "prometheus.headers", scalar(k));
		/* The value may be a credential: never quote it back. */
		if (v->type != YAML_SCALAR_NODE || is_null(v))
			return errn(c, v, "expected a string for header '%s', "
				    "got %s", scalar(k), kind_name(v));
		if (strpbrk(scalar(v), "\r\n") != NULL ||
		    strlen(scalar(v)) != v->data.scalar.length)
			return errn(c, v, "header '%s' contains a line break "
				    "or NUL", scalar(k));
		pm->headers[pm->nheaders].name = xstrdup(scalar(k));
		pm->headers[pm->nheaders].value = xstrdup(scalar(v));
		pm->nheaders++;
	}
	return 0;
}

static void
pr_headers(FILE *out, const char *key, const struct field *f,
	   const void *base, const struct plan *p)
{
	const struct plan_prometheus *pm = base;
	char k[96];

	(void)f;
	(void)p;
	for (int i = 0; i < pm->nheaders; i++) {
		/* Header values may be credentials: never shown. */
		snprintf(k, sizeof(k), "%s.%s", key, pm->headers[i].name);
		pr_str(out, k, "(set, not shown)");
	}
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
	FLDB("timeout", F_DUR, struct plan_prometheus, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
	FEND
};

const struct field kubernetes_fields[] = {
	FLD("kubeconfig", F_PATH, struct plan_kubernetes, kubeconfig),
	FLD("context", F_STR, struct plan_kubernetes, context),
	FLDB("timeout", F_DUR, struct plan_kubernetes, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
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
		if (strcmp(plan_query_key((enum query_id)i), f->key) == 0)
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

		if (strcmp(plan_query_key((enum query_id)i), f->key) != 0)
			continue;
		q = plan_query_text(p, (enum query_id)i);
		pr_str(out, key, q);
		free(q);
	}
}

const struct field query_fields[] = {
	FLDFP("window", fn_window, pr_window),
#define X(id, key, side, ratio) FLDFP(key, fn_query, pr_query),
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
	FLDB("min_ready", F_INT, struct plan_pod_group, min_ready, 0, 10000),
	FLDFP("sidecar", fn_sidecar, pr_sidecar),
	FLDFP("side", fn_side, pr_side),
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
		g->min_ready = 1;
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
