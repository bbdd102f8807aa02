/*
 * plan_traffic — the plan's traffic: section: which driver shifts the
 * weights, and that driver's own section.  Exactly the chosen driver's
 * section may be given; each driver's table is parsed by the walker and its
 * check function adds the rules across keys (required keys, pairs, modes).
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

int
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
		if (strcmp(scalar(k), "driver") == 0 ||
		    strcmp(scalar(k), "readback_interval") == 0)
			known = true;
		for (int i = 0; i < NDRIVERS; i++)
			if (strcmp(scalar(k), drivers[i].name) == 0)
				known = true;
		if (!known)
			return errn(c, k, "unknown key '%s' in traffic "
				    "(expected one of: driver, "
				    "readback_interval, %s)", scalar(k),
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

	/* How often the guard reads the weights back (drift). */
	{
		yaml_node_t *rk = NULL;
		yaml_node_t *rn = map_get(c, n, "readback_interval", &rk);
		const char *why;
		int64_t ms;

		if (rn != NULL) {
			if (want_scalar(c, rn, "readback_interval",
					"a duration") == -1)
				return -1;
			if (dur_parse(scalar(rn), &ms, &why) == -1)
				return errn(c, rn, "invalid duration '%s' for "
					    "'readback_interval': %s (use ms, "
					    "s, m, h: 30s, 5m)", scalar(rn),
					    why);
			if (ms != 0 && (ms < SEC || ms > 24 * HOUR))
				return errn(c, rn, "'readback_interval' must "
					    "be 0 (never) or between 1s and "
					    "24h, got '%s'", scalar(rn));
			p->traffic.readback_interval_ms = ms;
		}
	}

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
void
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


/* traffic: a driver name, then one section per driver. */
void
walk_traffic(const char *section,
	     void (*fn)(const char *, const char *, void *), void *arg)
{
	fn(section, "driver", arg);
	fn(section, "readback_interval", arg);
	for (int i = 0; i < NDRIVERS; i++) {
		char dsub[64];

		fn(section, drivers[i].name, arg);
		snprintf(dsub, sizeof(dsub), "%s.%s", section, drivers[i].name);
		schema_walk(dsub, drivers[i].fields, fn, arg);
	}
}
