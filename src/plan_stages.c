/*
 * plan_stages — the plan's sections about the shift itself: stages: (each
 * Istio weight, its hold and gate limits), stage_defaults: laid under them,
 * gates: (plan-wide limits) and rollback: (when and how it acts).  A
 * stage's gate limit keys come from GATE_LIST (gate.h).
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

const struct field stage_default_fields[] = {
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

const struct field stage_fields[] = {
	{ .key = "istio", .type = F_INT,
	  .off = offsetof(struct plan_stage, istio), .lo = 1, .hi = 100,
	  .pr = pr_stage_istio },
	STAGE_THRESHOLDS
	FEND
};

int
fn_stage_defaults(struct ctx *c, const struct field *f, yaml_node_t *n,
		  void *base)
{
	struct stage_read *sr = base;

	(void)f;
	return parse_map(c, n, "stage_defaults", stage_default_fields,
			 &sr->defaults, &sr->defaults_seen);
}

int
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

int
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
void
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

const struct field gates_fields[] = {
	FLDB("min_request_rate", F_NUM, struct plan_gates, min_request_rate, 0,
	     1e9),
	FLDB("max_age", F_DUR, struct plan_gates, max_age_ms, SEC, 1.0 * HOUR),
	FLDB("settle", F_DUR, struct plan_gates, settle_ms, 0, 1.0 * HOUR),
	FLD("max_split_diff", F_PCT, struct plan_gates, max_split_diff),
	FEND
};

int
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

void
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

const struct field rollback_fields[] = {
	FLD("automatic", F_BOOL, struct plan_rollback, automatic),
	FLDB("consecutive", F_INT, struct plan_rollback, consecutive, 1, 100),
	FLDFP("on_no_data", fn_on_no_data, pr_on_no_data),
	FLDB("verify_timeout", F_DUR, struct plan_rollback, verify_timeout_ms,
	     SEC, 24.0 * HOUR),
	FLDB("verify_max_istio_rps", F_NUM, struct plan_rollback,
	     verify_max_istio_rps, 0, 1e9),
	FEND
};

int
fn_rollback(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;

	(void)f;
	return parse_map(c, n, "rollback", rollback_fields, &p->rollback, NULL);
}

void
pr_rollback(FILE *out, const char *key, const struct field *f,
	    const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	print_map(out, key, rollback_fields, &p->rollback, p);
}
