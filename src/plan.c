/*
 * plan — reading cutover.yaml.
 *
 * The file is loaded whole with libyaml's document API, so every node keeps
 * its start mark and every error can point at the offending key or value
 * (libyaml counts from 0; positions reported here count from 1).  Sections
 * are described by tables of fields (key, type, offset, bounds); one walker
 * checks node kinds, unknown and duplicate keys and values for every table,
 * and the few cross-key rules (driver sections, stage order, Cloudflare
 * modes) run after the walk.
 *
 * Invariants: plan_defaults() leaves a complete plan; plan_load() either
 * returns 0 with a plan that satisfies plan.h's invariants, or -1 with the
 * plan emptied (plan_done on it is harmless).  Nothing here stores or prints
 * a secret: credentials are named by file, header values are never printed.
 * The walk is driven by the schema, not by the document, so YAML aliases
 * (even cyclic ones) cannot make it loop.
 */
#include "config.h"

#include "plan.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "gate.h"
#include "text.h"
#include "xmalloc.h"

#define PLAN_FILE_MAX (1024 * 1024)
#define PLAN_GROUPS_MAX 32
#define PLAN_HEADERS_MAX 32
#define PLAN_ARGV_MAX 64
#define PLAN_NAME_MAX 64

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

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
 * Values
 */

/* Parse a duration; on failure *why says what is wrong. */
static int
dur_parse(const char *s, int64_t *ms, const char **why)
{
	int64_t total = 0;
	const char *q = s;

	if (*s == '\0') {
		*why = "empty";
		return -1;
	}
	if (*s == '-') {
		*why = "negative";
		return -1;
	}
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*q != '\0') {
		int64_t n = 0, mult;

		if (!isdigit((unsigned char)*q)) {
			*why = "expected a number";
			return -1;
		}
		while (isdigit((unsigned char)*q)) {
			if (n > (INT64_MAX - 9) / 10) {
				*why = "too large";
				return -1;
			}
			n = n * 10 + (*q - '0');
			q++;
		}
		if (strncmp(q, "ms", 2) == 0) {
			mult = 1;
			q += 2;
		} else if (*q == 's') {
			mult = SEC;
			q++;
		} else if (*q == 'm') {
			mult = MIN;
			q++;
		} else if (*q == 'h') {
			mult = HOUR;
			q++;
		} else if (*q == '\0') {
			*why = "missing unit";
			return -1;
		} else if (*q == '.') {
			*why = "fractions are not supported";
			return -1;
		} else {
			*why = "unknown unit";
			return -1;
		}
		if (n > INT64_MAX / mult || total > INT64_MAX - n * mult) {
			*why = "too large";
			return -1;
		}
		total += n * mult;
	}
	*ms = total;
	return 0;
}

int
plan_parse_duration(const char *s, int64_t *ms)
{
	const char *why;
	int64_t v;

	if (s == NULL || dur_parse(s, &v, &why) == -1)
		return -1;
	*ms = v;
	return 0;
}

/* Strict decimal: digits, optional fraction; no sign, exponent, space. */
static int
decimal_span(const char *s)
{
	const char *q = s;
	int digits = 0;

	while (isdigit((unsigned char)*q)) {
		q++;
		digits++;
	}
	if (*q == '.') {
		q++;
		while (isdigit((unsigned char)*q)) {
			q++;
			digits++;
		}
	}
	return digits > 0 ? (int)(q - s) : -1;
}

static int
pct_parse(const char *s, double *frac, const char **why)
{
	int n;

	if (*s == '-') {
		*why = "negative";
		return -1;
	}
	n = decimal_span(s);
	if (n < 0) {
		*why = "expected a number followed by %";
		return -1;
	}
	if (s[n] == '\0') {
		*why = "missing % (write 0.5% for half a percent)";
		return -1;
	}
	if (s[n] != '%' || s[n + 1] != '\0') {
		*why = "expected a number followed by %";
		return -1;
	}
	*frac = strtod(s, NULL) / 100.0;
	if (!(*frac <= 1.0)) {
		*why = "above 100%";
		return -1;
	}
	return 0;
}

int
plan_parse_percent(const char *s, double *frac)
{
	const char *why;
	double v;

	if (s == NULL || pct_parse(s, &v, &why) == -1)
		return -1;
	*frac = v;
	return 0;
}

/* ------------------------------------------------------------------------
 * Defaults
 */

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? xstrdup(v) : NULL;
}

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

static void
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

static void
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
	p->rollback.verify_timeout_ms = 5 * MIN;	/* the guide's 5 minutes */
	p->rollback.verify_max_istio_rps = 0.5;

	gates_gate_defaults(&p->gates);
	p->gates.settle_ms = 5 * MIN;
	p->gates.max_split_diff = 0.10;

	/* Paths need HOME or XDG_STATE_HOME; plan_load reports it if not. */
	(void)plan_finish(p, &e);
}

static void
argv_free(struct plan_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
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
	argv_free(&p->traffic.exec.set);
	argv_free(&p->traffic.exec.get);
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
 * Printing
 */

static void
fmt_dur(int64_t ms, char *buf, size_t len)
{
	size_t n = 0;
	int64_t h, m, s;

	if (ms == 0) {
		snprintf(buf, len, "0");
		return;
	}
	h = ms / HOUR;
	ms %= HOUR;
	m = ms / MIN;
	ms %= MIN;
	s = ms / SEC;
	ms %= SEC;
	buf[0] = '\0';
	if (h > 0)
		n += snprintf(buf + n, len - n, "%" PRId64 "h", h);
	if (m > 0 && n < len)
		n += snprintf(buf + n, len - n, "%" PRId64 "m", m);
	if (s > 0 && n < len)
		n += snprintf(buf + n, len - n, "%" PRId64 "s", s);
	if (ms > 0 && n < len)
		snprintf(buf + n, len - n, "%" PRId64 "ms", ms);
}

static void
fmt_pct(double frac, char *buf, size_t len)
{
	if (isnan(frac))
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "%g%%", frac * 100.0);
}

/*
 * Plan strings are scrubbed (text.h): a password in a URL, a token in an
 * argv or a header, or a control character never reach the terminal.
 */
static void
pr_str(FILE *out, const char *key, const char *v)
{
	char *k = text_scrub_dup(key);
	char *t = text_scrub_dup(v != NULL ? v : "(none)");

	fprintf(out, "%s: %s\n", k, t);
	free(k);
	free(t);
}

static void
pr_dur(FILE *out, const char *key, int64_t ms)
{
	char buf[64];

	fmt_dur(ms, buf, sizeof(buf));
	fprintf(out, "%s: %s\n", key, buf);
}

static void
pr_argv(FILE *out, const char *key, const struct plan_argv *a)
{
	fprintf(out, "%s: [", key);
	for (int i = 0; i < a->argc; i++) {
		char *t = text_scrub_dup(a->argv[i]);

		fprintf(out, "%s\"%s\"", i ? ", " : "", t);
		free(t);
	}
	fprintf(out, "]\n");
}

static const char *
side_name(enum side s)
{
	return s == SIDE_ISTIO ? "istio" : s == SIDE_APISIX ? "apisix" : "none";
}

/* ------------------------------------------------------------------------
 * The walker
 */

struct stage_read;

struct ctx {
	yaml_document_t *doc;
	const char *file;
	struct err *e;
	struct plan *p;
	struct stage_read *sr;	/* stages: and stage_defaults: as read */
	yaml_node_t *key;	/* key of the value being parsed, for F_FN */
};

enum ftype {
	F_STR,		/* non-empty string */
	F_STR0,		/* string, may be "" */
	F_PATH,		/* file name; leading ~/ expanded */
	F_URL,		/* http:// or https:// */
	F_NAME,		/* [a-zA-Z0-9._-]+ */
	F_DNS,		/* Kubernetes namespace (DNS-1123 label) */
	F_DUR,		/* duration into int64_t ms, bounds lo..hi ms */
	F_DURD,		/* duration into double ms */
	F_BOOL,
	F_INT,		/* int, bounds lo..hi */
	F_NUM,		/* double, bounds lo..hi */
	F_PCT,		/* percent into double fraction */
	F_ARGV,		/* list of strings into struct plan_argv */
	F_CHOICE,	/* string, one of `choices` */
	F_FN,		/* custom */
};

struct field;
typedef int (*field_fn)(struct ctx *, const struct field *, yaml_node_t *,
			void *base);
/* Prints the field under its full dotted `key` (for check). */
typedef void (*field_pr)(FILE *, const char *key, const struct field *,
			 const void *base, const struct plan *);

struct field {
	const char *key;
	enum ftype type;
	size_t off;
	double lo, hi;
	const char *const *choices;
	field_fn fn;
	field_pr pr;	/* NULL: by type (an F_FN one is not printed) */
	const struct field *sub;	/* a section's or list item's keys */
};

static yaml_node_t *
node_at(struct ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

static int
errn(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
errn(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set_at(c->e, c->file, n ? (int)n->start_mark.line + 1 : 0,
			  n ? (int)n->start_mark.column + 1 : 0, "%s", msg);
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = scalar(n);
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *
kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return is_null(n) ? "nothing" : "a scalar";
	default:
		return "nothing";
	}
}

/* A scalar that is not null; else an error naming `what`. */
static int
want_scalar(struct ctx *c, const yaml_node_t *n, const char *key,
	    const char *what)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return errn(c, n, "expected %s for '%s', got %s", what, key,
			    kind_name(n));
	if (strlen(scalar(n)) != n->data.scalar.length)
		return errn(c, n, "'%s' contains a NUL byte", key);
	return 0;
}

static int
want_kind(struct ctx *c, const yaml_node_t *n, yaml_node_type_t t,
	  const char *key)
{
	if (n->type == t)
		return 0;
	return errn(c, n, "expected %s for '%s', got %s",
		    t == YAML_MAPPING_NODE ? "a mapping" : "a list", key,
		    kind_name(n));
}

static bool
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > PLAN_NAME_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != '-')
			return false;
	return true;
}

static bool
valid_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      *s == '-'))
			return false;
	return true;
}

static char *
expand_path(const char *v)
{
	const char *home = getenv("HOME");

	if (v[0] == '~' && v[1] == '/' && home != NULL && home[0] != '\0')
		return xasprintf("%s%s", home, v + 1);
	return xstrdup(v);
}

static int
parse_argv(struct ctx *c, const struct field *f, yaml_node_t *n,
	   struct plan_argv *a)
{
	yaml_node_item_t *it;
	int count;

	if (n->type != YAML_SEQUENCE_NODE)
		return errn(c, n, "expected a list of arguments for '%s' "
			    "(e.g. [./script, canary, \"{istio}\"]), got %s",
			    f->key, kind_name(n));
	count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > PLAN_ARGV_MAX)
		return errn(c, n, "too many arguments for '%s' (at most %d)",
			    f->key, PLAN_ARGV_MAX);
	argv_free(a);
	a->argv = xcalloc((size_t)count + 1, sizeof(char *));
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = node_at(c, *it);

		if (want_scalar(c, v, f->key, "a string argument") == -1)
			return -1;
		a->argv[a->argc++] = xstrdup(scalar(v));
	}
	return 0;
}

static int
parse_value(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	void *dst = (char *)base + f->off;
	const char *v, *why;
	int64_t ms;
	double d;
	char *end;

	switch (f->type) {
	case F_FN:
		return f->fn(c, f, n, base);
	case F_ARGV:
		return parse_argv(c, f, n, dst);
	default:
		break;
	}

	switch (f->type) {
	case F_DUR:
	case F_DURD:
		if (want_scalar(c, n, f->key, "a duration (e.g. 30s, 5m)") == -1)
			return -1;
		break;
	case F_BOOL:
		if (want_scalar(c, n, f->key, "true or false") == -1)
			return -1;
		break;
	case F_INT:
		if (want_scalar(c, n, f->key, "an integer") == -1)
			return -1;
		break;
	case F_NUM:
		if (want_scalar(c, n, f->key, "a number") == -1)
			return -1;
		break;
	case F_PCT:
		if (want_scalar(c, n, f->key, "a percentage (e.g. 0.5%)") == -1)
			return -1;
		break;
	default:
		if (want_scalar(c, n, f->key, "a string") == -1)
			return -1;
		break;
	}
	v = scalar(n);

	switch (f->type) {
	case F_STR:
	case F_PATH:
	case F_URL:
	case F_NAME:
	case F_DNS:
	case F_CHOICE:
		if (v[0] == '\0')
			return errn(c, n, "'%s' must not be empty", f->key);
		break;
	default:
		break;
	}

	switch (f->type) {
	case F_STR:
	case F_STR0:
		set_str(dst, v);
		return 0;
	case F_PATH:
		free(*(char **)dst);
		*(char **)dst = expand_path(v);
		return 0;
	case F_URL:
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return errn(c, n, "'%s' must be an http:// or https:// "
				    "URL, got '%s'", f->key, v);
		if (strpbrk(v, " \t\r\n") != NULL)
			return errn(c, n, "'%s' must not contain white space",
				    f->key);
		set_str(dst, v);
		return 0;
	case F_NAME:
		if (!valid_name(v))
			return errn(c, n, "invalid %s '%s' (expected letters, "
				    "digits, '.', '_' or '-', at most %d)",
				    f->key, v, PLAN_NAME_MAX);
		set_str(dst, v);
		return 0;
	case F_DNS:
		if (!valid_dns_label(v))
			return errn(c, n, "invalid %s '%s' (expected a "
				    "Kubernetes namespace: lower-case letters, "
				    "digits and '-', at most 63)", f->key, v);
		set_str(dst, v);
		return 0;
	case F_CHOICE:
		for (int i = 0; f->choices[i] != NULL; i++) {
			if (strcmp(v, f->choices[i]) == 0) {
				set_str(dst, v);
				return 0;
			}
		}
		{
			char list[256] = "";
			size_t len = 0;

			for (int i = 0; f->choices[i] != NULL; i++)
				len += snprintf(list + len, sizeof(list) - len,
						"%s%s", i ? ", " : "",
						f->choices[i]);
			return errn(c, n, "invalid %s '%s' (expected one of: "
				    "%s)", f->key, v, list);
		}
	case F_DUR:
	case F_DURD:
		if (dur_parse(v, &ms, &why) == -1)
			return errn(c, n, "invalid duration '%s' for '%s': %s "
				    "(use ms, s, m, h: 250ms, 30s, 5m, 1h30m)",
				    v, f->key, why);
		if ((double)ms < f->lo || (double)ms > f->hi) {
			char lo[64], hi[64];

			fmt_dur((int64_t)f->lo, lo, sizeof(lo));
			fmt_dur((int64_t)f->hi, hi, sizeof(hi));
			return errn(c, n, "'%s' must be between %s and %s, got "
				    "'%s'", f->key, lo, hi, v);
		}
		if (f->type == F_DUR)
			*(int64_t *)dst = ms;
		else
			*(double *)dst = (double)ms;
		return 0;
	case F_BOOL:
		if (strcmp(v, "true") == 0)
			*(bool *)dst = true;
		else if (strcmp(v, "false") == 0)
			*(bool *)dst = false;
		else
			return errn(c, n, "expected true or false for '%s', got "
				    "'%s'", f->key, v);
		return 0;
	case F_INT: {
		long l;

		errno = 0;
		l = strtol(v, &end, 10);
		if (!(isdigit((unsigned char)v[0]) ||
		      (v[0] == '-' && isdigit((unsigned char)v[1]))) ||
		    *end != '\0' || errno != 0)
			return errn(c, n, "expected an integer for '%s', got "
				    "'%s'", f->key, v);
		if ((double)l < f->lo || (double)l > f->hi)
			return errn(c, n, "'%s' must be between %.0f and %.0f, "
				    "got %ld", f->key, f->lo, f->hi, l);
		*(int *)dst = (int)l;
		return 0;
	}
	case F_NUM:
		if (v[0] == '-' && decimal_span(v + 1) == (int)strlen(v + 1))
			return errn(c, n, "'%s' must not be negative, got '%s'",
				    f->key, v);
		if (decimal_span(v) != (int)strlen(v))
			return errn(c, n, "expected a number for '%s', got '%s'",
				    f->key, v);
		d = strtod(v, NULL);
		if (!isfinite(d) || d < f->lo || d > f->hi)
			return errn(c, n, "'%s' must be between %g and %g, got "
				    "'%s'", f->key, f->lo, f->hi, v);
		*(double *)dst = d;
		return 0;
	case F_PCT:
		if (pct_parse(v, &d, &why) == -1)
			return errn(c, n, "invalid percentage '%s' for '%s': %s",
				    v, f->key, why);
		*(double *)dst = d;
		return 0;
	default:
		return errn(c, n, "internal: bad field type");
	}
}

/* "a, b, c" of a field table, for unknown-key messages. */
static void
key_list(const struct field *fields, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; fields[i].key != NULL && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
			      fields[i].key);
}

/*
 * Walk a mapping against a field table.  *seen gets bit i for each field i
 * given (tables have fewer than 64 fields).  `section` names the place
 * for messages ("top level", "traffic.route53", "stage 2").
 */
static int
parse_map(struct ctx *c, yaml_node_t *n, const char *section,
	  const struct field *fields, void *base, uint64_t *seen)
{
	yaml_node_pair_t *pr;

	if (seen != NULL)
		*seen = 0;
	if (n->type != YAML_MAPPING_NODE)
		return errn(c, n, "expected a mapping for '%s', got %s", section,
			    kind_name(n));
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node_at(c, pr->key), *v = node_at(c, pr->value);
		const char *key;
		int i;

		if (k->type != YAML_SCALAR_NODE || is_null(k))
			return errn(c, k, "expected a key name in %s, got %s",
				    section, kind_name(k));
		key = scalar(k);
		if (strlen(key) != k->data.scalar.length)
			return errn(c, k, "a key in %s contains a NUL byte",
				    section);
		for (i = 0; fields[i].key != NULL; i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (fields[i].key == NULL) {
			char list[512];

			key_list(fields, list, sizeof(list));
			return errn(c, k, "unknown key '%s' in %s (expected one "
				    "of: %s)", key, section, list);
		}
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr;
		     q++) {
			yaml_node_t *qk = node_at(c, q->key);

			if (qk->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(qk), key) == 0)
				return errn(c, k, "duplicate key '%s' in %s "
					    "(first given at line %d)", key,
					    section,
					    (int)qk->start_mark.line + 1);
		}
		c->key = k;
		if (parse_value(c, &fields[i], v, base) == -1)
			return -1;
		if (seen != NULL)
			*seen |= UINT64_C(1) << i;
	}
	return 0;
}

static int
field_index(const struct field *fields, const char *key)
{
	for (int i = 0; fields[i].key != NULL; i++)
		if (strcmp(fields[i].key, key) == 0)
			return i;
	return -1;
}

static bool
has(const struct field *fields, uint64_t seen, const char *key)
{
	int i = field_index(fields, key);

	return i >= 0 && (seen & (UINT64_C(1) << i)) != 0;
}

/* Every key in `keys` (NULL-terminated) must have been given. */
static int
require(struct ctx *c, yaml_node_t *n, const char *section,
	const struct field *fields, uint64_t seen, const char *const *keys,
	const char *why)
{
	for (int i = 0; keys[i] != NULL; i++)
		if (!has(fields, seen, keys[i]))
			return errn(c, n, "missing required key '%s' in %s%s",
				    keys[i], section, why ? why : "");
	return 0;
}

/* The value node of `key` in mapping n, or NULL. */
static yaml_node_t *
map_get(struct ctx *c, yaml_node_t *n, const char *key, yaml_node_t **keynode)
{
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(c, pr->key);

		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0) {
			if (keynode != NULL)
				*keynode = k;
			return node_at(c, pr->value);
		}
	}
	return NULL;
}

#define FLD(k, t, s, m) { .key = k, .type = t, .off = offsetof(s, m) }
#define FLDB(k, t, s, m, l, h)                                                \
	{ .key = k, .type = t, .off = offsetof(s, m), .lo = l, .hi = h }
#define FLDC(k, s, m, ch)                                                     \
	{ .key = k, .type = F_CHOICE, .off = offsetof(s, m), .choices = ch }
#define FLDF(k, f) { .key = k, .type = F_FN, .fn = f }
#define FLDFP(k, f, p) { .key = k, .type = F_FN, .fn = f, .pr = p }
#define FLDS(k, f, p, s) { .key = k, .type = F_FN, .fn = f, .pr = p, .sub = s }
#define FEND { .key = NULL }

#define TIMEOUT_LO (100.0)
#define TIMEOUT_HI (1.0 * HOUR)
#define LONG_HI (7.0 * 24 * HOUR)

/*
 * check's printout walks the same tables as the parser: each field as
 * "prefix.key: value", a typed field by its type, any field with a `pr`
 * by that (a section, a list, a value kept elsewhere).
 */
static void
print_value(FILE *out, const char *key, const struct field *f,
	    const void *base)
{
	const void *src = (const char *)base + f->off;
	char buf[64];

	switch (f->type) {
	case F_FN:
		return;
	case F_ARGV:
		pr_argv(out, key, src);
		return;
	case F_DUR:
		pr_dur(out, key, *(const int64_t *)src);
		return;
	case F_DURD:
		snprintf(buf, sizeof(buf), "%gms", *(const double *)src);
		break;
	case F_PCT:
		fmt_pct(*(const double *)src, buf, sizeof(buf));
		break;
	case F_INT:
		snprintf(buf, sizeof(buf), "%d", *(const int *)src);
		break;
	case F_NUM:
		snprintf(buf, sizeof(buf), "%g", *(const double *)src);
		break;
	case F_BOOL:
		pr_str(out, key, *(const bool *)src ? "true" : "false");
		return;
	default:
		pr_str(out, key, *(char *const *)src);
		return;
	}
	fprintf(out, "%s: %s\n", key, buf);
}

static void
print_map(FILE *out, const char *prefix, const struct field *fields,
	  const void *base, const struct plan *p)
{
	char key[128];

	for (const struct field *f = fields; f->key != NULL; f++) {
		snprintf(key, sizeof(key), "%s%s%s", prefix,
			 prefix[0] != '\0' ? "." : "", f->key);
		if (f->pr != NULL)
			f->pr(out, key, f, base, p);
		else
			print_value(out, key, f, base);
	}
}

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

static const struct field prometheus_fields[] = {
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

static const struct field kubernetes_fields[] = {
	FLD("kubeconfig", F_PATH, struct plan_kubernetes, kubeconfig),
	FLD("context", F_STR, struct plan_kubernetes, context),
	FLDB("timeout", F_DUR, struct plan_kubernetes, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
	FEND
};

static int
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

static int
fn_kubernetes(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	struct plan *p = base;

	(void)f;
	return parse_map(c, n, "kubernetes", kubernetes_fields, &p->kubernetes,
			 NULL);
}

static void
pr_prometheus(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	print_map(out, key, prometheus_fields, &p->prometheus, p);
}

static void
pr_kubernetes(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	print_map(out, key, kubernetes_fields, &p->kubernetes, p);
}

/* ------------------------------------------------------------------------
 * traffic:
 */

static const struct field exec_fields[] = {
	FLD("set", F_ARGV, struct plan_exec, set),
	FLD("get", F_ARGV, struct plan_exec, get),
	FLDB("timeout", F_DUR, struct plan_exec, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
	FEND
};

static const char *const record_types[] = { "A", "AAAA", NULL };

static const struct field route53_fields[] = {
	FLD("hosted_zone_id", F_STR, struct plan_route53, hosted_zone_id),
	FLD("record_name", F_STR, struct plan_route53, record_name),
	FLDC("record_type", struct plan_route53, record_type, record_types),
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
	FLD("endpoint", F_URL, struct plan_route53, endpoint),
	FLD("profile", F_STR, struct plan_route53, profile),
	FLDB("timeout", F_DUR, struct plan_route53, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
	FLDB("insync_timeout", F_DUR, struct plan_route53, insync_timeout_ms,
	     SEC, TIMEOUT_HI),
	FEND
};

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
	FLD("endpoint", F_URL, struct plan_cloudflare, endpoint),
	FLDB("timeout", F_DUR, struct plan_cloudflare, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
	FEND
};

static const char *const route_kinds[] = { "VirtualService", "HTTPRoute",
					   NULL };

static const struct field kube_route_fields[] = {
	FLDC("kind", struct plan_kube_route, kind, route_kinds),
	FLD("namespace", F_DNS, struct plan_kube_route, namespace),
	FLD("name", F_STR, struct plan_kube_route, name),
	FLD("istio_backend", F_STR, struct plan_kube_route, istio_backend),
	FLD("apisix_backend", F_STR, struct plan_kube_route, apisix_backend),
	FLDB("timeout", F_DUR, struct plan_kube_route, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
	FEND
};

static int
check_exec(struct ctx *c, yaml_node_t *n, yaml_node_t *k, uint64_t seen)
{
	static const char *const req[] = { "set", NULL };
	yaml_node_t *v;

	if (require(c, k, "traffic.exec", exec_fields, seen, req, NULL) == -1)
		return -1;
	if (c->p->traffic.exec.set.argc == 0) {
		v = map_get(c, n, "set", NULL);
		return errn(c, v, "'set' must name a command (e.g. "
			    "[./migrate-apisix-to-istio.sh, canary, "
			    "\"{istio}\"])");
	}
	return 0;
}

static int
check_route53(struct ctx *c, yaml_node_t *n, yaml_node_t *k, uint64_t seen)
{
	static const char *const req[] = { "hosted_zone_id", "record_name",
					   "istio_set_identifier",
					   "apisix_set_identifier", NULL };
	static const char *const pairs[][2] = {
		{ "istio_alias_dns_name", "istio_alias_zone_id" },
		{ "apisix_alias_dns_name", "apisix_alias_zone_id" },
	};
	const struct plan_route53 *r = &c->p->traffic.route53;

	if (require(c, k, "traffic.route53", route53_fields, seen, req,
		    NULL) == -1)
		return -1;
	for (int i = 0; i < 2; i++) {
		bool a = has(route53_fields, seen, pairs[i][0]);
		bool b = has(route53_fields, seen, pairs[i][1]);

		if (a != b)
			return errn(c, k, "traffic.route53: '%s' and '%s' go "
				    "together (missing '%s')", pairs[i][0],
				    pairs[i][1], a ? pairs[i][1] : pairs[i][0]);
	}
	if (strcmp(r->istio_set_id, r->apisix_set_id) == 0)
		return errn(c, map_get(c, n, "apisix_set_identifier", NULL),
			    "istio_set_identifier and apisix_set_identifier "
			    "must differ");
	return 0;
}

static int
check_cloudflare(struct ctx *c, yaml_node_t *n, yaml_node_t *k, uint64_t seen)
{
	static const char *const pool[] = { "pool_id", "istio_origin",
					    "apisix_origin", NULL };
	static const char *const pool_req[] = { "account_id", "pool_id",
						"istio_origin",
						"apisix_origin", NULL };
	static const char *const lb[] = { "zone_id", "load_balancer_id",
					  "istio_pool", "apisix_pool", NULL };
	bool any_pool = false, any_lb = false;

	(void)n;
	for (int i = 0; pool[i] != NULL; i++)
		any_pool |= has(cloudflare_fields, seen, pool[i]);
	for (int i = 0; lb[i] != NULL; i++)
		any_lb |= has(cloudflare_fields, seen, lb[i]);
	if (any_pool && any_lb)
		return errn(c, k, "traffic.cloudflare: give either pool_id with "
			    "istio_origin and apisix_origin, or zone_id with "
			    "load_balancer_id, istio_pool and apisix_pool, not "
			    "both");
	if (!any_pool && !any_lb)
		return errn(c, k, "traffic.cloudflare: needs either pool_id, "
			    "account_id, istio_origin and apisix_origin (one "
			    "pool) or zone_id, load_balancer_id, istio_pool and "
			    "apisix_pool (two pools)");
	if (any_pool)
		return require(c, k, "traffic.cloudflare", cloudflare_fields,
			       seen, pool_req, " (one-pool mode)");
	return require(c, k, "traffic.cloudflare", cloudflare_fields, seen, lb,
		       " (two-pool mode)");
}

static int
check_kube_route(struct ctx *c, yaml_node_t *n, yaml_node_t *k, uint64_t seen)
{
	static const char *const req[] = { "kind", "namespace", "name",
					   "istio_backend", "apisix_backend",
					   NULL };

	if (require(c, k, "traffic.kubernetes", kube_route_fields, seen, req,
		    NULL) == -1)
		return -1;
	if (strcmp(c->p->traffic.kubernetes.istio_backend,
		   c->p->traffic.kubernetes.apisix_backend) == 0)
		return errn(c, map_get(c, n, "apisix_backend", NULL),
			    "istio_backend and apisix_backend must differ");
	return 0;
}

static const struct {
	const char *name;
	enum driver_kind kind;
	const struct field *fields;
	size_t off;
	/* n: the section's mapping; k: its key, where "missing" points */
	int (*check)(struct ctx *, yaml_node_t *n, yaml_node_t *k, uint64_t);
} drivers[] = {
	{ "exec", DRIVER_EXEC, exec_fields, offsetof(struct plan_traffic, exec),
	  check_exec },
	{ "route53", DRIVER_ROUTE53, route53_fields,
	  offsetof(struct plan_traffic, route53), check_route53 },
	{ "cloudflare", DRIVER_CLOUDFLARE, cloudflare_fields,
	  offsetof(struct plan_traffic, cloudflare), check_cloudflare },
	{ "kubernetes", DRIVER_KUBERNETES, kube_route_fields,
	  offsetof(struct plan_traffic, kubernetes), check_kube_route },
};
#define NDRIVERS ((int)(sizeof(drivers) / sizeof(drivers[0])))

const char *
plan_driver_name(enum driver_kind k)
{
	if (k == DRIVER_NONE)
		return "none";
	if (k == DRIVER_DEMO)
		return "demo";
	for (int i = 0; i < NDRIVERS; i++)
		if (drivers[i].kind == k)
			return drivers[i].name;
	return "?";
}

/* "exec, route53, ...": the driver names of drivers[], for messages. */
static void
driver_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < NDRIVERS && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
			      drivers[i].name);
}

static int
fn_traffic(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;
	yaml_node_t *dn = NULL, *dk = NULL, *tk = c->key;
	int chosen = -1;
	yaml_node_pair_t *pr;
	char names[256];

	(void)f;
	driver_names(names, sizeof(names));
	if (want_kind(c, n, YAML_MAPPING_NODE, "traffic") == -1)
		return -1;

	/* Key check first, so a typo is reported as a typo. */
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node_at(c, pr->key);
		bool known = false;

		if (k->type != YAML_SCALAR_NODE || is_null(k))
			return errn(c, k, "expected a key name in traffic, got "
				    "%s", kind_name(k));
		if (strcmp(scalar(k), "driver") == 0)
			known = true;
		for (int i = 0; i < NDRIVERS; i++)
			if (strcmp(scalar(k), drivers[i].name) == 0)
				known = true;
		if (!known)
			return errn(c, k, "unknown key '%s' in traffic "
				    "(expected one of: driver, %s)", scalar(k),
				    names);
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr;
		     q++) {
			yaml_node_t *qk = node_at(c, q->key);

			if (qk->type == YAML_SCALAR_NODE &&
			    strcmp(scalar(qk), scalar(k)) == 0)
				return errn(c, k, "duplicate key '%s' in "
					    "traffic (first given at line %d)",
					    scalar(k),
					    (int)qk->start_mark.line + 1);
		}
	}

	dn = map_get(c, n, "driver", &dk);
	if (dn == NULL)
		return errn(c, tk, "missing required key 'driver' in traffic "
			    "(expected one of: %s)", names);
	if (want_scalar(c, dn, "driver", "a driver name") == -1)
		return -1;
	for (int i = 0; i < NDRIVERS; i++)
		if (strcmp(scalar(dn), drivers[i].name) == 0)
			chosen = i;
	if (chosen < 0)
		return errn(c, dn, "unknown driver '%s' (expected one of: %s)",
			    scalar(dn), names);
	p->traffic.driver = drivers[chosen].kind;

	for (int i = 0; i < NDRIVERS; i++) {
		yaml_node_t *k = NULL, *v = map_get(c, n, drivers[i].name, &k);
		uint64_t seen;
		char section[64];

		if (v == NULL) {
			if (i == chosen)
				return errn(c, dn, "driver %s needs a section "
					    "'%s' in traffic", drivers[i].name,
					    drivers[i].name);
			continue;
		}
		if (i != chosen)
			return errn(c, k, "section '%s' given but driver is %s",
				    drivers[i].name, drivers[chosen].name);
		snprintf(section, sizeof(section), "traffic.%s",
			 drivers[i].name);
		if (parse_map(c, v, section, drivers[i].fields,
			      (char *)&p->traffic + drivers[i].off,
			      &seen) == -1)
			return -1;
		if (drivers[i].check(c, v, k, seen) == -1)
			return -1;
	}
	return 0;
}

/* The chosen driver's section only. */
static void
pr_traffic(FILE *out, const char *key, const struct field *f,
	   const void *base, const struct plan *p)
{
	char k[64];

	(void)f;
	(void)base;
	snprintf(k, sizeof(k), "%s.driver", key);
	pr_str(out, k, plan_driver_name(p->traffic.driver));
	for (int i = 0; i < NDRIVERS; i++) {
		if (drivers[i].kind != p->traffic.driver)
			continue;
		snprintf(k, sizeof(k), "%s.%s", key, drivers[i].name);
		print_map(out, k, drivers[i].fields,
			  (const char *)&p->traffic + drivers[i].off, p);
	}
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

static const struct field query_fields[] = {
	FLDFP("window", fn_window, pr_window),
#define X(id, key, side, ratio) FLDFP(key, fn_query, pr_query),
	QUERY_LIST(X)
#undef X
	FEND
};

static int
fn_queries(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	(void)f;
	return parse_map(c, n, "queries", query_fields, base, NULL);
}

static void
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

static const struct field group_fields[] = {
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

static int
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

static void
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

/* ------------------------------------------------------------------------
 * stages:, stage_defaults:
 */

/*
 * A stage's gate limits come from GATE_LIST: a percentage in the file
 * for rates, shares and points, a duration (1ms to 10m) for latency.
 */
#define PLAN_GATE_FLD_RATE(k, m) FLD(k, F_PCT, struct plan_stage, m),
#define PLAN_GATE_FLD_SHARE(k, m) FLD(k, F_PCT, struct plan_stage, m),
#define PLAN_GATE_FLD_POINTS(k, m) FLD(k, F_PCT, struct plan_stage, m),
#define PLAN_GATE_FLD_MS(k, m)                                                \
	FLDB(k, F_DURD, struct plan_stage, m, 1, 10.0 * MIN),
#define PLAN_GATE_FLD_STAGE(unit, k, m) PLAN_GATE_FLD_##unit(k, m)
#define PLAN_GATE_FLD_GATES(unit, k, m)
#define PLAN_GATE_FLD_NONE(unit, k, m)
#define PLAN_GATE_FLD(id, name, label, eval, q, base, dir, unit, limit,      \
		      field, key, def, row)                                   \
	PLAN_GATE_FLD_##limit(unit, key, field)

#define STAGE_THRESHOLDS                                                      \
	FLDB("hold", F_DUR, struct plan_stage, hold_ms, 0, LONG_HI),          \
	GATE_LIST(PLAN_GATE_FLD)

static const struct field stage_default_fields[] = {
	STAGE_THRESHOLDS
	FEND
};

/* The Istio weight, and the APISIX weight it implies. */
static void
pr_stage_istio(FILE *out, const char *key, const struct field *f,
	       const void *base, const struct plan *p)
{
	const struct plan_stage *s = base;
	int n = (int)(strlen(key) - strlen(f->key));

	(void)p;
	fprintf(out, "%s: %d\n", key, s->istio);
	fprintf(out, "%.*sapisix: %d\n", n, key, 100 - s->istio);
}

static const struct field stage_fields[] = {
	{ .key = "istio", .type = F_INT,
	  .off = offsetof(struct plan_stage, istio), .lo = 1, .hi = 100,
	  .pr = pr_stage_istio },
	STAGE_THRESHOLDS
	FEND
};

/* What the file said, kept until stages and defaults are combined. */
struct stage_read {
	struct plan_stage defaults;
	uint64_t defaults_seen;
	struct plan_stage stages[PLAN_STAGES_MAX];
	uint64_t seen[PLAN_STAGES_MAX];
	yaml_node_t *nodes[PLAN_STAGES_MAX];
	int nstages;		/* -1: no stages: key */
};

static int
fn_stage_defaults(struct ctx *c, const struct field *f, yaml_node_t *n,
		  void *base)
{
	struct stage_read *sr = base;

	(void)f;
	return parse_map(c, n, "stage_defaults", stage_default_fields,
			 &sr->defaults, &sr->defaults_seen);
}

static int
fn_stages(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	static const char *const req[] = { "istio", NULL };
	struct stage_read *sr = base;
	yaml_node_item_t *it;
	int count;

	if (want_kind(c, n, YAML_SEQUENCE_NODE, f->key) == -1)
		return -1;
	count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0)
		return errn(c, n, "stages: the list is empty (expected 1 to %d "
			    "stages)", PLAN_STAGES_MAX);
	sr->nstages = 0;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *v = node_at(c, *it);
		char section[32];
		int i = sr->nstages;

		if (i == PLAN_STAGES_MAX)
			return errn(c, v, "too many stages (%d; at most %d)",
				    count, PLAN_STAGES_MAX);
		snprintf(section, sizeof(section), "stage %d", i + 1);
		if (parse_map(c, v, section, stage_fields, &sr->stages[i],
			      &sr->seen[i]) == -1)
			return -1;
		if (require(c, v, section, stage_fields, sr->seen[i], req,
			    " (its Istio weight, 1 to 100)") == -1)
			return -1;
		sr->nodes[i] = v;
		sr->nstages++;
	}
	return 0;
}

/* Copy the threshold keys given in `seen` (bits of `fields`) from src. */
static void
stage_overlay(struct plan_stage *dst, const struct plan_stage *src,
	      const struct field *fields, uint64_t seen)
{
	for (int i = 0; fields[i].key != NULL; i++) {
		if (!(seen & (UINT64_C(1) << i)))
			continue;
		memcpy((char *)dst + fields[i].off,
		       (const char *)src + fields[i].off,
		       fields[i].type == F_INT ? sizeof(int) :
		       fields[i].type == F_DUR ? sizeof(int64_t) :
		       sizeof(double));
	}
}

static int
stages_resolve(struct ctx *c, struct stage_read *sr)
{
	struct plan *p = c->p;
	/* Built-in thresholds for a stage list written by the user. */
	struct plan_stage base = { .hold_ms = 30 * MIN };

	stage_gate_defaults(&base);
	if (sr->nstages < 0) {
		/* The default table, with stage_defaults laid over it. */
		for (int i = 0; i < p->nstages; i++) {
			int64_t hold = p->stages[i].hold_ms;

			stage_overlay(&p->stages[i], &sr->defaults,
				      stage_default_fields, sr->defaults_seen);
			if (i == p->nstages - 1)
				p->stages[i].hold_ms = hold;
		}
		return 0;
	}
	for (int i = 0; i < sr->nstages; i++) {
		struct plan_stage s = base;

		stage_overlay(&s, &sr->defaults, stage_default_fields,
			      sr->defaults_seen);
		/* The last stage watches on: no hold unless it says so. */
		if (i == sr->nstages - 1)
			s.hold_ms = 0;
		stage_overlay(&s, &sr->stages[i], stage_fields, sr->seen[i]);
		if (i > 0 && s.istio <= p->stages[i - 1].istio)
			return errn(c, map_get(c, sr->nodes[i], "istio", NULL),
				    "stage %d: Istio weight %d is not above "
				    "stage %d's %d (weights must strictly "
				    "increase)", i + 1, s.istio, i,
				    p->stages[i - 1].istio);
		p->stages[i] = s;
	}
	p->nstages = sr->nstages;
	return 0;
}

/* Each stage as resolved (stage_defaults: laid in), then the digest. */
static void
pr_stages(FILE *out, const char *key, const struct field *f,
	  const void *base, const struct plan *p)
{
	char k[64], fp[17];

	(void)f;
	(void)base;
	for (int i = 0; i < p->nstages; i++) {
		snprintf(k, sizeof(k), "%s.%d", key, i + 1);
		print_map(out, k, stage_fields, &p->stages[i], p);
	}
	plan_fingerprint(p, fp);
	snprintf(k, sizeof(k), "%s.fingerprint", key);
	pr_str(out, k, fp);
}

/* ------------------------------------------------------------------------
 * gates:, rollback:
 */

static const struct field gates_fields[] = {
	FLDB("min_request_rate", F_NUM, struct plan_gates, min_request_rate, 0,
	     1e9),
	FLDB("max_age", F_DUR, struct plan_gates, max_age_ms, SEC, 1.0 * HOUR),
	FLDB("settle", F_DUR, struct plan_gates, settle_ms, 0, 1.0 * HOUR),
	FLD("max_split_diff", F_PCT, struct plan_gates, max_split_diff),
	FEND
};

static int
fn_gates(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;
	uint64_t seen;

	(void)f;
	if (parse_map(c, n, "gates", gates_fields, &p->gates, &seen) == -1)
		return -1;
	if (has(gates_fields, seen, "max_age"))
		p->gates.max_age_given = true;
	return 0;
}

static void
pr_gates(FILE *out, const char *key, const struct field *f,
	 const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	print_map(out, key, gates_fields, &p->gates, p);
}

static int
fn_on_no_data(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	struct plan_rollback *r = base;

	if (want_scalar(c, n, f->key, "hold or rollback") == -1)
		return -1;
	if (strcmp(scalar(n), "hold") == 0)
		r->on_no_data = NO_DATA_HOLD;
	else if (strcmp(scalar(n), "rollback") == 0)
		r->on_no_data = NO_DATA_ROLLBACK;
	else
		return errn(c, n, "invalid on_no_data '%s' (expected one of: "
			    "hold, rollback)", scalar(n));
	return 0;
}

static void
pr_on_no_data(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	const struct plan_rollback *r = base;

	(void)f;
	(void)p;
	pr_str(out, key, r->on_no_data == NO_DATA_ROLLBACK ? "rollback" :
							      "hold");
}

static const struct field rollback_fields[] = {
	FLD("automatic", F_BOOL, struct plan_rollback, automatic),
	FLDB("consecutive", F_INT, struct plan_rollback, consecutive, 1, 100),
	FLDFP("on_no_data", fn_on_no_data, pr_on_no_data),
	FLDB("verify_timeout", F_DUR, struct plan_rollback, verify_timeout_ms,
	     SEC, 24.0 * HOUR),
	FLDB("verify_max_istio_rps", F_NUM, struct plan_rollback,
	     verify_max_istio_rps, 0, 1e9),
	FEND
};

static int
fn_rollback(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;

	(void)f;
	return parse_map(c, n, "rollback", rollback_fields, &p->rollback, NULL);
}

static void
pr_rollback(FILE *out, const char *key, const struct field *f,
	    const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	print_map(out, key, rollback_fields, &p->rollback, p);
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
	FLDFP("traffic", fn_traffic, pr_traffic),
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

static void
schema_walk(const char *section, const struct field *fields,
	    void (*fn)(const char *, const char *, void *), void *arg)
{
	char sub[64];

	for (const struct field *f = fields; f->key != NULL; f++) {
		fn(section, f->key, arg);
		snprintf(sub, sizeof(sub), "%s%s%s", section,
			 section[0] != '\0' ? "." : "", f->key);
		if (f->sub != NULL)
			schema_walk(sub, f->sub, fn, arg);
		if (f->fn != fn_traffic)
			continue;
		/* traffic: a driver name, then one section per driver. */
		fn(sub, "driver", arg);
		for (int i = 0; i < NDRIVERS; i++) {
			char dsub[64];

			fn(sub, drivers[i].name, arg);
			snprintf(dsub, sizeof(dsub), "%s.%s", sub,
				 drivers[i].name);
			schema_walk(dsub, drivers[i].fields, fn, arg);
		}
	}
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
