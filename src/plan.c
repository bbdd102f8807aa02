/*
 * plan — reading cutover.yaml.
 *
 * This file holds what is the plan's own: the built-in defaults, loading a
 * file with libyaml's document API, the top-level table of sections, and
 * what is derived once everything is read (paths, max_age, query text,
 * fingerprint).  The walker that checks a section against its table lives
 * in plan_schema.c; the sections' tables and their cross-key rules live in
 * plan_sources.c, plan_traffic.c and plan_stages.c.
 *
 * Invariants: plan_defaults() leaves a complete plan; plan_load() either
 * returns 0 with a plan that satisfies plan.h's invariants, or -1 with the
 * plan emptied (plan_done on it is harmless).  Nothing here stores or prints
 * a secret: credentials are named by file, header values are never printed.
 */
#include "config.h"

#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "gate.h"
#include "plan_schema.h"
#include "xmalloc.h"

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
	    "sum(rate(apisix_http_status[{window}]))",
};

const char *
plan_query_key(enum query_id id)
{
	if ((int)id < 0 || id >= Q_COUNT)
		return "?";
	return query_keys[id];
}

/* ------------------------------------------------------------------------
 * Defaults
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
static void
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

/*
 * DESIGN.md's stage table: the error-rate limit tightens as Istio takes
 * more; every other limit is its gate's default (GATE_LIST).
 */
static const struct {
	int istio;
	int64_t hold_ms;
	double max_error_rate;
} stage_table[] = {
	{ 10, 30 * MIN, 0.01 },
	{ 25, 30 * MIN, 0.01 },
	{ 50, 1 * HOUR, 0.005 },
	{ 75, 1 * HOUR, 0.005 },
	{ 100, 0, 0.001 },
};

/* The gates' built-in limits (GATE_LIST): per stage, and plan-wide. */
#define PLAN_GATE_DEF_STAGE(m, d) s->m = (d);
#define PLAN_GATE_DEF_GATES(m, d)
#define PLAN_GATE_DEF_NONE(m, d)
#define PLAN_GATE_GDEF_STAGE(m, d)
#define PLAN_GATE_GDEF_GATES(m, d) g->m = (d);
#define PLAN_GATE_GDEF_NONE(m, d)

void
stage_gate_defaults(struct plan_stage *s)
{
#define X(id, name, label, eval, q, base, dir, unit, limit, field, key, def,  \
	  row) PLAN_GATE_DEF_##limit(field, def)
	GATE_LIST(X)
#undef X
}

static void
gates_gate_defaults(struct plan_gates *g)
{
#define X(id, name, label, eval, q, base, dir, unit, limit, field, key, def,  \
	  row) PLAN_GATE_GDEF_##limit(field, def)
	GATE_LIST(X)
#undef X
}

void
plan_defaults(struct plan *p)
{
	struct err e;

	memset(p, 0, sizeof(*p));
	p->name = xstrdup("cutover");
	p->namespace = xstrdup("default");
	p->istio_workload = xstrdup("istio-ingressgateway");
	p->istio_namespace = xstrdup("istio-system");
	p->window = xstrdup("1m");
	p->refresh_ms = 15 * SEC;

	p->prometheus.timeout_ms = 10 * SEC;
	p->kubernetes.timeout_ms = 10 * SEC;

	p->traffic.driver = DRIVER_NONE;
	p->traffic.exec.timeout_ms = 2 * MIN;
	p->traffic.route53.record_type = xstrdup("A");
	p->traffic.route53.endpoint = xstrdup("https://route53.amazonaws.com");
	p->traffic.route53.profile = xstrdup("default");
	p->traffic.route53.timeout_ms = 10 * SEC;
	p->traffic.route53.insync_timeout_ms = 5 * MIN;
	p->traffic.route53.evaluate_target_health = false;
	p->traffic.cloudflare.endpoint =
	    xstrdup("https://api.cloudflare.com/client/v4");
	p->traffic.cloudflare.timeout_ms = 10 * SEC;
	p->traffic.kubernetes.timeout_ms = 10 * SEC;

	for (int i = 0; i < Q_COUNT; i++) {
		p->queries[i].promql = xstrdup(query_defaults[i]);
		p->queries[i].side = query_sides[i];
		p->queries[i].ratio = query_ratios[i];
	}

	groups_default(p);

	p->nstages = (int)(sizeof(stage_table) / sizeof(stage_table[0]));
	for (int i = 0; i < p->nstages; i++) {
		stage_gate_defaults(&p->stages[i]);
		p->stages[i].istio = stage_table[i].istio;
		p->stages[i].hold_ms = stage_table[i].hold_ms;
		p->stages[i].max_error_rate = stage_table[i].max_error_rate;
	}

	p->rollback.automatic = true;
	p->rollback.consecutive = 3;
	p->rollback.on_no_data = NO_DATA_HOLD;
	p->rollback.verify_timeout_ms = 10 * MIN;
	p->rollback.verify_max_istio_rps = 0.5;
	p->guard.grace_ms = 10 * SEC;
	p->guard.restart = true;
	p->traffic.readback_interval_ms = 1 * MIN;

	gates_gate_defaults(&p->gates);
	p->gates.settle_ms = 5 * MIN;
	p->gates.max_split_diff = 0.10;

	/* Paths need HOME or XDG_STATE_HOME; plan_load reports it if not. */
	(void)plan_finish(p, &e);
}

void
plan_done(struct plan *p)
{
	struct plan_route53 *r = &p->traffic.route53;
	struct plan_cloudflare *c = &p->traffic.cloudflare;
	struct plan_kube_route *k = &p->traffic.kubernetes;

	free(p->path);
	free(p->name);
	free(p->namespace);
	free(p->host);
	free(p->istio_workload);
	free(p->istio_namespace);
	free(p->window);
	free(p->prometheus.url);
	for (int i = 0; i < p->prometheus.nheaders; i++) {
		free(p->prometheus.headers[i].name);
		xfree_secret_str(p->prometheus.headers[i].value);
	}
	free(p->prometheus.headers);
	free(p->prometheus.bearer_token_file);
	free(p->prometheus.basic_user);
	free(p->prometheus.basic_password_file);
	free(p->prometheus.ca_file);
	free(p->kubernetes.kubeconfig);
	free(p->kubernetes.context);
	notify_plan_free(p);
	argv_free(&p->traffic.exec.set);
	argv_free(&p->traffic.exec.get);
	argv_free(&p->guard.operators);
	free(p->guard.group);
	free(p->guard.socket_group);
	free(r->hosted_zone_id);
	free(r->record_name);
	free(r->record_type);
	free(r->istio_set_id);
	free(r->apisix_set_id);
	free(r->istio_alias_dns);
	free(r->istio_alias_zone);
	free(r->apisix_alias_dns);
	free(r->apisix_alias_zone);
	free(r->endpoint);
	free(r->profile);
	free(c->account_id);
	free(c->pool_id);
	free(c->istio_origin);
	free(c->apisix_origin);
	free(c->zone_id);
	free(c->load_balancer_id);
	free(c->istio_pool);
	free(c->apisix_pool);
	free(c->token_file);
	free(c->endpoint);
	free(k->kind);
	free(k->namespace);
	free(k->name);
	free(k->istio_backend);
	free(k->apisix_backend);
	for (int i = 0; i < Q_COUNT; i++)
		free(p->queries[i].promql);
	groups_free(p);
	free(p->state_file);
	free(p->audit_log);
	memset(p, 0, sizeof(*p));
}

int
plan_finish(struct plan *p, struct err *e)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *base = NULL;

	if (!p->gates.max_age_given)
		p->gates.max_age_ms = 2 * p->refresh_ms;
	if (p->state_file_given && p->audit_log_given)
		return 0;
	if (xdg != NULL && xdg[0] == '/')
		base = xasprintf("%s/cutover", xdg);
	else if (home != NULL && home[0] != '\0')
		base = xasprintf("%s/.local/state/cutover", home);
	else
		return err_set(e, "cannot place the state file and audit log: "
			       "neither XDG_STATE_HOME nor HOME is set "
			       "(set state_file and audit_log in the plan)");
	if (!p->state_file_given) {
		free(p->state_file);
		p->state_file = xasprintf("%s/%s.state.json", base, p->name);
	}
	if (!p->audit_log_given) {
		free(p->audit_log);
		p->audit_log = xasprintf("%s/%s.audit.jsonl", base, p->name);
	}
	free(base);
	return 0;
}

char *
plan_query_text(const struct plan *p, enum query_id id)
{
	static const char *const names[] = {
		"{window}", "{namespace}", "{istio_workload}",
		"{istio_namespace}",
	};
	const char *vals[4];
	const char *src, *q;
	size_t cap, len = 0;
	char *out;

	if ((int)id < 0 || id >= Q_COUNT || p->queries[id].promql == NULL)
		return xstrdup("");
	vals[0] = p->window ? p->window : "1m";
	vals[1] = p->namespace ? p->namespace : "default";
	vals[2] = p->istio_workload ? p->istio_workload : "";
	vals[3] = p->istio_namespace ? p->istio_namespace : "";
	src = p->queries[id].promql;
	cap = strlen(src) + 1;
	out = xmalloc(cap);
	for (q = src; *q != '\0';) {
		const char *add = q;
		size_t addlen = 1, skip = 1;

		if (*q == '{') {
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]);
			     i++) {
				size_t n = strlen(names[i]);

				if (strncmp(q, names[i], n) == 0) {
					add = vals[i];
					addlen = strlen(vals[i]);
					skip = n;
					break;
				}
			}
		}
		if (len + addlen + 1 > cap) {
			cap = (len + addlen + 1) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + len, add, addlen);
		len += addlen;
		q += skip;
	}
	out[len] = '\0';
	return out;
}

void
plan_fingerprint(const struct plan *p, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t b[8];

#define FNV_BYTES(v, n)                                                       \
	do {                                                                  \
		uint64_t v_ = (uint64_t)(v);                                  \
		for (int i_ = 0; i_ < (n); i_++) {                            \
			b[i_] = (uint8_t)(v_ >> (8 * i_));                    \
			h ^= b[i_];                                           \
			h *= 0x100000001b3ULL;                                \
		}                                                             \
	} while (0)

	/* Little-endian bytes: the same plan gives the same print anywhere. */
	FNV_BYTES((uint32_t)p->nstages, 4);
	for (int i = 0; i < p->nstages && i < PLAN_STAGES_MAX; i++) {
		FNV_BYTES((uint32_t)p->stages[i].istio, 4);
		FNV_BYTES(p->stages[i].hold_ms, 8);
	}
#undef FNV_BYTES
	snprintf(out, 17, "%016" PRIx64, h);
}

/* ------------------------------------------------------------------------
 * Top level
 */

static int
fn_state_path(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	struct plan *p = base;
	char **dst = strcmp(f->key, "state_file") == 0 ? &p->state_file :
							 &p->audit_log;

	if (want_scalar(c, n, f->key, "a file name") == -1)
		return -1;
	if (scalar(n)[0] == '\0')
		return errn(c, n, "'%s' must not be empty", f->key);
	free(*dst);
	*dst = expand_path(scalar(n));
	if (dst == &p->state_file)
		p->state_file_given = true;
	else
		p->audit_log_given = true;
	return 0;
}

static void
pr_state_path(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	(void)base;
	pr_str(out, key, strcmp(f->key, "state_file") == 0 ? p->state_file :
							     p->audit_log);
}

static int
fn_stage_defaults_top(struct ctx *c, const struct field *f, yaml_node_t *n,
		      void *base)
{
	(void)base;
	return fn_stage_defaults(c, f, n, c->sr);
}

static int
fn_stages_top(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	(void)base;
	return fn_stages(c, f, n, c->sr);
}

static const struct field top_fields[] = {
	FLD("name", F_NAME, struct plan, name),
	FLD("namespace", F_DNS, struct plan, namespace),
	FLD("host", F_STR, struct plan, host),
	FLD("istio_workload", F_STR, struct plan, istio_workload),
	FLD("istio_namespace", F_DNS, struct plan, istio_namespace),
	FLDB("refresh", F_DUR, struct plan, refresh_ms, SEC, 1.0 * HOUR),
	FLDFP("state_file", fn_state_path, pr_state_path),
	FLDFP("audit_log", fn_state_path, pr_state_path),
	FLDS("prometheus", fn_prometheus, pr_prometheus,
	     prometheus_fields),
	FLDS("kubernetes", fn_kubernetes, pr_kubernetes,
	     kubernetes_fields),
	{ .key = "traffic", .type = F_FN, .fn = fn_traffic,
	  .pr = pr_traffic, .walk = walk_traffic },
	FLDS("queries", fn_queries, pr_queries,
	     query_fields),
	FLDS("pods", fn_pods, pr_pods,
	     group_fields),
	FLDS("stage_defaults", fn_stage_defaults_top, NULL,
	     stage_default_fields),
	FLDS("stages", fn_stages_top, pr_stages,
	     stage_fields),
	FLDS("gates", fn_gates, pr_gates,
	     gates_fields),
	FLDS("rollback", fn_rollback, pr_rollback,
	     rollback_fields),
	FLDS("guard", fn_guard, NULL, guard_fields),
	FLDS("notify", fn_notify, pr_notify,
	     notify_fields),
	FEND
};

static int
plan_walk(struct ctx *c, yaml_node_t *root)
{
	struct plan *p = c->p;
	struct stage_read sr;
	uint64_t seen;
	int rc;

	memset(&sr, 0, sizeof(sr));
	sr.nstages = -1;
	if (root->type != YAML_MAPPING_NODE)
		return errn(c, root, "the plan must be a mapping of keys "
			    "(name:, stages:, ...), got %s", kind_name(root));
	c->sr = &sr;
	rc = parse_map(c, root, "top level", top_fields, p, &seen);
	c->sr = NULL;
	if (rc == -1)
		return -1;
	if (stages_resolve(c, &sr) == -1)
		return -1;
	if (!has(top_fields, seen, "pods")) {
		groups_default(p);
	} else {
		for (int i = 0; i < p->ngroups; i++)
			if (p->groups[i].namespace == NULL)
				p->groups[i].namespace = xstrdup(p->namespace);
	}
	return 0;
}

void
plan_schema_keys(void (*fn)(const char *section, const char *key, void *arg),
		 void *arg)
{
	schema_walk("", top_fields, fn, arg);
}

/* What `cutover check` shows: the plan file, then the schema walked. */
void
plan_print(const struct plan *p, FILE *out)
{
	pr_str(out, "file", p->path);
	print_map(out, "", top_fields, p, p);
}

/* ------------------------------------------------------------------------
 * Loading
 */

static int
yaml_error(yaml_parser_t *ps, const char *buf, size_t len, const char *name,
	   struct err *e)
{
	const char *problem = ps->problem ? ps->problem : "unknown error";
	yaml_mark_t m = ps->problem_mark;
	const char *hint = "";

	switch (ps->error) {
	case YAML_MEMORY_ERROR:
		return err_set_at(e, name, 0, 0, "out of memory reading YAML");
	case YAML_READER_ERROR:
		/* Reader errors carry an offset, not a mark. */
		return err_set_at(e, name, (int)ps->mark.line + 1,
				  (int)ps->mark.column + 1,
				  "YAML syntax error: %s (byte %zu)", problem,
				  ps->problem_offset);
	default:
		break;
	}
	if (m.index < len && buf[m.index] == '\t')
		hint = "; YAML does not allow tabs for indentation";
	if (ps->context != NULL)
		return err_set_at(e, name, (int)m.line + 1, (int)m.column + 1,
				  "YAML syntax error: %s (%s at line %d)%s",
				  problem, ps->context,
				  (int)ps->context_mark.line + 1, hint);
	return err_set_at(e, name, (int)m.line + 1, (int)m.column + 1,
			  "YAML syntax error: %s%s", problem, hint);
}

int
plan_load_buffer(struct plan *p, const char *buf, size_t len,
		 const char *name, struct err *e)
{
	yaml_parser_t ps;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	struct ctx c;
	int rc = -1;

	if (name == NULL)
		name = "<plan>";
	plan_defaults(p);
	set_str(&p->path, name);
	if (!yaml_parser_initialize(&ps)) {
		err_set_at(e, name, 0, 0, "out of memory reading YAML");
		goto out_plan;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&ps, &doc)) {
		yaml_error(&ps, buf, len, name, e);
		goto out_parser;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || is_null(root)) {
		err_set_at(e, name, 1, 1, "empty plan file (write at least "
			   "name: and stages:, see cutover.yaml(5))");
		goto out_doc;
	}
	if (!yaml_parser_load(&ps, &extra)) {
		yaml_error(&ps, buf, len, name, e);
		goto out_doc;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		yaml_node_t *x = yaml_document_get_root_node(&extra);

		err_set_at(e, name, (int)x->start_mark.line + 1,
			   (int)x->start_mark.column + 1,
			   "more than one YAML document in the plan file");
		yaml_document_delete(&extra);
		goto out_doc;
	}
	yaml_document_delete(&extra);

	memset(&c, 0, sizeof(c));
	c.doc = &doc;
	c.file = name;
	c.e = e;
	c.p = p;
	if (plan_walk(&c, root) == -1)
		goto out_doc;
	if (plan_finish(p, e) == -1) {
		char msg[ERR_MSG_MAX];

		memcpy(msg, e->msg, sizeof(msg));
		err_set_at(e, name, 0, 0, "%s", msg);
		goto out_doc;
	}
	rc = 0;
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&ps);
out_plan:
	if (rc == -1)
		plan_done(p);
	return rc;
}

int
plan_load(struct plan *p, const char *path, struct err *e)
{
	FILE *f;
	char *buf;
	size_t len = 0, n;
	int rc;

	memset(p, 0, sizeof(*p));
	f = fopen(path, "rb");
	if (f == NULL)
		return err_set_at(e, path, 0, 0, "cannot open plan file: %s",
				  strerror(errno));
	buf = xmalloc(PLAN_FILE_MAX + 1);
	while ((n = fread(buf + len, 1, PLAN_FILE_MAX + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		rc = err_set_at(e, path, 0, 0, "cannot read plan file: %s",
				strerror(errno));
		fclose(f);
		free(buf);
		return rc;
	}
	fclose(f);
	if (len > PLAN_FILE_MAX) {
		free(buf);
		return err_set_at(e, path, 0, 0, "plan file is larger than "
				  "%d bytes", PLAN_FILE_MAX);
	}
	buf[len] = '\0';
	rc = plan_load_buffer(p, buf, len, path, e);
	free(buf);
	return rc;
}
