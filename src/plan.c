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

void
plan_done(struct plan *p)
{
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
	traffic_free(&p->traffic);
	free(p->preflight.gateway_namespace);
	free(p->preflight.virtualservice_namespace);
	free(p->preflight.service);
	free(p->preflight.service_namespace);
	argv_free(&p->guard.operators);
	free(p->guard.group);
	free(p->guard.socket_group);
	for (int i = 0; i < Q_COUNT; i++)
		free(p->queries[i].promql);
	groups_free(p);
	probes_free(&p->probes);
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
	if (p->probes.failures == 0)
		p->probes.failures = 3;
	if (p->probes.n > 0 && p->probes.istio_service == NULL &&
	    p->istio_namespace != NULL && p->istio_workload != NULL)
		p->probes.istio_service = xasprintf("%s/%s",
						    p->istio_namespace,
						    p->istio_workload);
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
	FLDSTR("name", F_NAME, struct plan, name, "cutover"),
	FLDSTR("namespace", F_DNS, struct plan, namespace, "default"),
	FLD("host", F_STR, struct plan, host),
	FLDSTR("istio_workload", F_STR, struct plan, istio_workload,
	       "istio-ingressgateway"),
	FLDSTR("istio_namespace", F_DNS, struct plan, istio_namespace,
	       "istio-system"),
	FLDBD("refresh", F_DUR, struct plan, refresh_ms, SEC, 1.0 * HOUR,
	      15 * SEC),
	FLD("require_reason", F_BOOL, struct plan, require_reason),
	FLDFP("state_file", fn_state_path, pr_state_path),
	FLDFP("audit_log", fn_state_path, pr_state_path),
	FLDN("prometheus", fn_prometheus, pr_prometheus, prometheus_fields,
	     struct plan, prometheus),
	FLDN("kubernetes", fn_kubernetes, pr_kubernetes, kubernetes_fields,
	     struct plan, kubernetes),
	{ .key = "traffic", .type = F_FN, .fn = fn_traffic, .dflt = traffic_default,
	  .pr = pr_traffic, .walk = walk_traffic },
	/* Its keys are the plan's own members (window, queries[]). */
	{ .key = "queries", .type = F_FN, .fn = fn_queries, .pr = pr_queries,
	  .sub = query_fields, .nested = true },
	{ .key = "pods", .type = F_FN, .fn = fn_pods, .pr = pr_pods,
	  .sub = group_fields, .dflt = pods_default },
	FLDS("stage_defaults", fn_stage_defaults_top, NULL,
	     stage_default_fields),
	{ .key = "stages", .type = F_FN, .fn = fn_stages_top, .pr = pr_stages,
	  .sub = stage_fields, .dflt = stages_default },
	FLDN("gates", fn_gates, pr_gates, gates_fields, struct plan, gates),
	FLDN("rollback", fn_rollback, pr_rollback, rollback_fields,
	     struct plan, rollback),
	FLDS("probes", fn_probes, pr_probes,
	     probes_fields),
	FLDS("preflight", fn_preflight, pr_preflight,
	     preflight_fields),
	FLDN("guard", fn_guard, pr_guard, guard_fields, struct plan, guard),
	FLDS("notify", fn_notify, pr_notify,
	     notify_fields),
	FEND
};

/* ------------------------------------------------------------------------
 * Defaults
 */

/* Every value from its field's built-in (the tables), then what derives. */
void
plan_defaults(struct plan *p)
{
	struct err e;

	memset(p, 0, sizeof(*p));
	schema_defaults(top_fields, p);
	/* Paths need HOME or XDG_STATE_HOME; plan_load reports it if not. */
	(void)plan_finish(p, &e);
}

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
