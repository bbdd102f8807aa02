/*
 * plan_traffic — the plan's traffic: section: which driver shifts the
 * weights, and that driver's own section.  The drivers and their sections
 * are driver.c's table (driver_ops.plan_fields, plan_size, plan_check):
 * nothing here names one.  Exactly the chosen driver's section may be
 * given; it is read by the walker into settings allocated at their
 * built-in values, then the driver's plan_check adds the rules across keys
 * (required keys, pairs, modes).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "plan.h"
#include "plan_schema.h"
#include "xmalloc.h"

static const struct field no_fields[] = { FEND };

static const struct field *
section_fields(const struct driver_ops *ops)
{
	return ops->plan_fields != NULL ? ops->plan_fields : no_fields;
}

/* What traffic: holds outside a driver's section: the read-back interval. */
void
traffic_default(const struct field *f, void *base)
{
	(void)f;
	((struct plan *)base)->traffic.readback_interval_ms = MIN;
}

void
traffic_free(struct plan_traffic *t)
{
	if (t->settings != NULL) {
		schema_free(t->fields, t->settings);
		free(t->settings);
	}
	t->settings = NULL;
	t->fields = NULL;
}

/* ops's settings at their built-in values, in place of any others. */
static void *
traffic_use(struct plan *p, const struct driver_ops *ops)
{
	traffic_free(&p->traffic);
	p->traffic.driver = ops->kind;
	p->traffic.fields = section_fields(ops);
	p->traffic.settings = xcalloc(1, ops->plan_size > 0 ?
					 ops->plan_size : 1);
	schema_defaults(p->traffic.fields, p->traffic.settings);
	return p->traffic.settings;
}

void *
plan_traffic_use(struct plan *p, enum driver_kind k)
{
	const struct driver_ops *ops;

	if (k == DRIVER_NONE || k == DRIVER_DEMO ||
	    (ops = driver_find(k)) == NULL) {
		traffic_free(&p->traffic);
		p->traffic.driver = k;
		return NULL;
	}
	return traffic_use(p, ops);
}

const char *
plan_driver_name(enum driver_kind k)
{
	const struct driver_ops *ops;

	if (k == DRIVER_NONE)
		return "none";
	if (k == DRIVER_DEMO)
		return "demo";
	ops = driver_find(k);
	return ops != NULL ? ops->name : "?";
}

/* "exec, route53, ...": the names of the drivers, for messages. */
static void
driver_names(char *buf, size_t len)
{
	const struct driver_ops *ops;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; (ops = driver_at(i)) != NULL && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
			      ops->name);
}

int
fn_traffic(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;
	yaml_node_t *dn = NULL, *dk = NULL, *tk = c->key;
	const struct driver_ops *chosen, *ops;
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
		if (driver_find_name(scalar(k)) != NULL)
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
	chosen = driver_find_name(scalar(dn));
	if (chosen == NULL)
		return errn(c, dn, "unknown driver '%s' (expected one of: %s)",
			    scalar(dn), names);

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

	for (size_t i = 0; (ops = driver_at(i)) != NULL; i++) {
		yaml_node_t *k = NULL, *v = map_get(c, n, ops->name, &k);
		struct plan_check pc;
		char section[64];
		void *settings;

		if (v == NULL) {
			if (ops == chosen)
				return errn(c, dn, "driver %s needs a section "
					    "'%s' in traffic", ops->name,
					    ops->name);
			continue;
		}
		if (ops != chosen)
			return errn(c, k, "section '%s' given but driver is %s",
				    ops->name, chosen->name);
		snprintf(section, sizeof(section), "traffic.%s", ops->name);
		settings = traffic_use(p, ops);
		pc = (struct plan_check){ .c = c, .n = v, .k = k,
			.section = section, .fields = section_fields(ops) };
		if (parse_map(c, v, section, pc.fields, settings,
			      &pc.seen) == -1)
			return -1;
		if (ops->plan_check != NULL &&
		    ops->plan_check(&pc, settings) == -1)
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
	snprintf(k, sizeof(k), "%s.readback_interval", key);
	if (p->traffic.readback_interval_ms == 0)
		pr_str(out, k, "0 (never)");
	else
		pr_dur(out, k, p->traffic.readback_interval_ms);
	if (p->traffic.settings == NULL ||
	    driver_find(p->traffic.driver) == NULL)
		return;
	snprintf(k, sizeof(k), "%s.%s", key,
		 plan_driver_name(p->traffic.driver));
	print_map(out, k, p->traffic.fields, p->traffic.settings, p);
}

/* traffic: a driver name, then one section per driver. */
void
walk_traffic(const char *section,
	     void (*fn)(const char *, const char *, void *), void *arg)
{
	const struct driver_ops *ops;

	fn(section, "driver", arg);
	fn(section, "readback_interval", arg);
	for (size_t i = 0; (ops = driver_at(i)) != NULL; i++) {
		char dsub[64];

		fn(section, ops->name, arg);
		snprintf(dsub, sizeof(dsub), "%s.%s", section, ops->name);
		schema_walk(dsub, section_fields(ops), fn, arg);
	}
}
