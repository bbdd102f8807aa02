/*
 * gate — stage gates (see gate.h).  Pure: reads the model, writes a
 * gate_result.  Every gate is judged, summarised and written to JSON
 * through its GATE_LIST entry.  Values are compared in the units the plan
 * stores: fractions for rates and percentages, milliseconds for latency.
 */
#include "config.h"

#include "gate.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "text.h"

#define GATE_OFF_STAGE(f) offsetof(struct plan_stage, f)
#define GATE_OFF_GATES(f) offsetof(struct plan_gates, f)
#define GATE_OFF_NONE(f) 0

static const struct gate_def gate_defs[GATE_COUNT] = {
#define X(id_, name_, label_, eval_, q_, base_, dir_, unit_, limit_, field_,  \
	  key_, def_, row_)                                                   \
	[id_] = { .id = id_, .name = name_, .label = label_,                  \
		  .eval = GATE_EVAL_##eval_, .query = q_, .baseline = base_,  \
		  .dir = GATE_DIR_##dir_, .unit = GATE_UNIT_##unit_,          \
		  .limit = GATE_LIMIT_##limit_,                               \
		  .limit_off = GATE_OFF_##limit_(field_), .key = key_,        \
		  .limit_default = def_, .row = row_ },
	GATE_LIST(X)
#undef X
};

const struct gate_def *
gate_def(enum gate_id id)
{
	return (int)id >= 0 && id < GATE_COUNT ? &gate_defs[id] : NULL;
}

const char *
gate_name(enum gate_id id)
{
	return (int)id >= 0 && id < GATE_COUNT ? gate_defs[id].name : "?";
}

const struct gate_def *
gate_def_of_query(int q)
{
	for (int i = 0; i < GATE_COUNT; i++)
		if (gate_defs[i].eval != GATE_EVAL_DELTA &&
		    (gate_defs[i].query == q || gate_defs[i].baseline == q))
			return &gate_defs[i];
	return NULL;
}

int
gate_rows(void)
{
	int n = 0;

	for (int i = 0; i < GATE_COUNT; i++)
		if (gate_defs[i].row + 1 > n)
			n = gate_defs[i].row + 1;
	return n;
}

double
gate_limit(const struct gate_def *d, const struct plan *p,
	   const struct plan_stage *st)
{
	double v;

	switch (d->limit) {
	case GATE_LIMIT_STAGE:
		memcpy(&v, (const char *)st + d->limit_off, sizeof(v));
		return v;
	case GATE_LIMIT_GATES:
		memcpy(&v, (const char *)&p->gates + d->limit_off, sizeof(v));
		return v;
	case GATE_LIMIT_NONE:
		break;
	}
	return NAN;
}

const char *
gate_format(enum gate_unit u, double v, bool cell, char *buf, size_t len)
{
	switch (u) {
	case GATE_UNIT_RPS:
		if (cell)
			snprintf(buf, len, v < 10 ? "%.2f/s" : "%.0f/s", v);
		else
			snprintf(buf, len, "%.3g req/s", v);
		break;
	case GATE_UNIT_MS:
		snprintf(buf, len, "%.0f ms", v);
		break;
	case GATE_UNIT_POINTS:
		snprintf(buf, len, "%+.2f pts", v * 100);
		break;
	case GATE_UNIT_GROUPS:
		snprintf(buf, len, "%.0f groups", v);
		break;
	case GATE_UNIT_PROBES:
		snprintf(buf, len, "%.0f probes", v);
		break;
	case GATE_UNIT_RATE:
		if (cell && v * 100 >= 10) {
			snprintf(buf, len, "%.1f%%", v * 100);
			break;
		}
		/* FALLTHROUGH */
	case GATE_UNIT_SHARE:
		snprintf(buf, len, "%.2f%%", v * 100);
		break;
	}
	return buf;
}

static void
no_data(struct gate_check *c, const struct metrics *m, enum query_id q,
	int64_t now, int64_t max_age)
{
	const struct series *s = &m->q[q];
	int64_t age = metrics_age_ms(m, q, now);

	c->verdict = VERDICT_NO_DATA;
	if (s->state == SOURCE_ERROR) {
		snprintf(c->why, sizeof(c->why), "no data: %s", s->error);
		/* The cut may split a character: JSON needs valid UTF-8. */
		text_sanitise(c->why);
	} else if (s->state == SOURCE_UNKNOWN)
		snprintf(c->why, sizeof(c->why), "no data: not fetched yet");
	else if (s->has_value && s->sample_lag_ms < -max_age)
		snprintf(c->why, sizeof(c->why), "no data: sample %llds ahead "
			 "of the clock", (long long)(-s->sample_lag_ms / 1000));
	else if (age != INT64_MAX && age > max_age)
		snprintf(c->why, sizeof(c->why), "no data: stale %llds",
			 (long long)(age / 1000));
	else if (s->has_value && isnan(s->value))
		snprintf(c->why, sizeof(c->why), "no data: NaN (no traffic)");
	else
		snprintf(c->why, sizeof(c->why), "no data: empty result");
}

/* Compare query q against limit; `max` true means value must be <= limit. */
static void
check_query(struct gate_check *c, const struct plan *p,
	    const struct metrics *m, enum query_id q, double limit, bool max,
	    int64_t now)
{
	double v;

	c->enabled = !isnan(limit);
	c->limit = limit;
	if (!c->enabled) {
		c->verdict = VERDICT_NONE;
		return;
	}
	if (!metrics_value(m, p, q, now, p->gates.max_age_ms, &v)) {
		no_data(c, m, q, now, p->gates.max_age_ms);
		return;
	}
	c->have_value = true;
	c->value = v;
	if (max ? v > limit : v < limit)
		c->verdict = VERDICT_FAIL;
	else
		c->verdict = VERDICT_PASS;
}

static void
check_delta(struct gate_check *c, const struct plan *p,
	    const struct metrics *m, enum query_id q, enum query_id base,
	    double limit, int64_t now)
{
	double istio;
	double apisix;

	c->enabled = !isnan(limit);
	c->limit = limit;
	if (!c->enabled) {
		c->verdict = VERDICT_NONE;
		return;
	}
	if (!metrics_value(m, p, q, now, p->gates.max_age_ms, &istio)) {
		no_data(c, m, q, now, p->gates.max_age_ms);
		return;
	}
	if (!metrics_value(m, p, base, now, p->gates.max_age_ms, &apisix)) {
		no_data(c, m, base, now, p->gates.max_age_ms);
		snprintf(c->why, sizeof(c->why), "no APISIX baseline");
		return;
	}
	c->have_value = true;
	c->value = istio - apisix;
	c->verdict = c->value > limit ? VERDICT_FAIL : VERDICT_PASS;
}

static void
check_pods(struct gate_check *c, const struct plan *p,
	   const struct group_health *groups)
{
	int bad = 0;
	int unknown = 0;

	c->enabled = p->ngroups > 0;
	if (!c->enabled) {
		c->verdict = VERDICT_NONE;
		return;
	}
	for (int i = 0; i < p->ngroups; i++) {
		const struct group_health *g = groups != NULL ? &groups[i] :
					       NULL;

		if (g == NULL || g->state != SOURCE_OK) {
			if (unknown++ == 0)
				snprintf(c->why, sizeof(c->why),
					 "no data: pods of %s unknown",
					 p->groups[i].name);
		} else if (!group_health_ok(g, p->groups[i].sidecar_required)) {
			if (bad++ == 0)
				snprintf(c->why, sizeof(c->why),
					 "%s: %d/%d ready (min %d)",
					 p->groups[i].name, g->ready,
					 g->total, p->groups[i].min_ready);
		}
	}
	c->value = bad;
	c->have_value = unknown == 0;
	if (bad > 0)
		c->verdict = VERDICT_FAIL;
	else if (unknown > 0)
		c->verdict = VERDICT_NO_DATA;
	else
		c->verdict = VERDICT_PASS;
}

/* cutover's own probes: they speak when real traffic is quiet. */
static void
check_probes(struct gate_check *c, const struct plan *p,
	     const struct metrics *m, int64_t now)
{
	int failing = 0;

	c->enabled = p->probes.n > 0;
	if (!c->enabled) {
		c->verdict = VERDICT_NONE;
		return;
	}
	c->verdict = probe_verdict(p, m, now, c->why, sizeof(c->why),
				   &failing);
	c->value = failing;
	c->have_value = c->verdict != VERDICT_NO_DATA;
}

/* Quiet traffic can neither pass nor fail a stage. */
static void
check_floor(struct gate_check *c, const struct plan *p,
	    const struct metrics *m, enum query_id q, double limit,
	    int64_t now)
{
	c->enabled = true;
	c->limit = limit;
	if (!metrics_value(m, p, q, now, p->gates.max_age_ms, &c->value)) {
		no_data(c, m, q, now, p->gates.max_age_ms);
		return;
	}
	c->have_value = true;
	if (c->value < c->limit) {
		c->verdict = VERDICT_NO_DATA;
		snprintf(c->why, sizeof(c->why),
			 "no data: %.3g req/s below minimum %.3g", c->value,
			 c->limit);
	} else {
		c->verdict = VERDICT_PASS;
	}
}

void
gate_evaluate(const struct plan *p, int stage, const struct metrics *m,
	      const struct group_health *groups, int64_t now,
	      struct gate_result *r)
{
	const struct plan_stage *st;
	const struct gate_check *floor = NULL;

	memset(r, 0, sizeof(*r));
	r->stage = stage;
	r->verdict = VERDICT_NONE;
	if (stage < 1 || stage > p->nstages)
		return;
	st = &p->stages[stage - 1];

	for (int i = 0; i < GATE_COUNT; i++) {
		const struct gate_def *d = &gate_defs[i];
		struct gate_check *c = &r->g[i];
		double limit = gate_limit(d, p, st);

		switch (d->eval) {
		case GATE_EVAL_FLOOR:
			check_floor(c, p, m, (enum query_id)d->query, limit,
				    now);
			floor = c;
			break;
		case GATE_EVAL_QUERY:
			check_query(c, p, m, (enum query_id)d->query, limit,
				    d->dir == GATE_DIR_MAX, now);
			break;
		case GATE_EVAL_DELTA:
			check_delta(c, p, m, (enum query_id)d->query,
				    (enum query_id)d->baseline, limit, now);
			break;
		case GATE_EVAL_PODS:
			check_pods(c, p, groups);
			break;
		case GATE_EVAL_PROBES:
			check_probes(c, p, m, now);
			break;
		}
	}

	/* Fail wins over no data, which wins over pass. */
	r->verdict = VERDICT_PASS;
	for (int i = 0; i < GATE_COUNT; i++) {
		if (r->g[i].verdict == VERDICT_FAIL) {
			r->verdict = VERDICT_FAIL;
			r->decided_by = (enum gate_id)i;
			break;
		}
		if (r->g[i].verdict == VERDICT_NO_DATA &&
		    r->verdict == VERDICT_PASS) {
			r->verdict = VERDICT_NO_DATA;
			r->decided_by = (enum gate_id)i;
		}
	}
	/* Below the traffic minimum, a failing ratio is noise: no data.
	 * Pods and probes do not depend on the traffic. */
	if (r->verdict == VERDICT_FAIL && floor != NULL &&
	    floor->verdict == VERDICT_NO_DATA &&
	    gate_defs[r->decided_by].eval != GATE_EVAL_PODS &&
	    gate_defs[r->decided_by].eval != GATE_EVAL_PROBES) {
		r->verdict = VERDICT_NO_DATA;
		r->decided_by = (enum gate_id)(floor - r->g);
		for (int i = 0; i < GATE_COUNT; i++) {
			if (r->g[i].verdict == VERDICT_FAIL &&
			    (gate_defs[i].eval == GATE_EVAL_PODS ||
			     gate_defs[i].eval == GATE_EVAL_PROBES)) {
				r->verdict = VERDICT_FAIL;
				r->decided_by = (enum gate_id)i;
				break;
			}
		}
	}
}

const char *
gate_summary(const struct gate_result *r, char *buf, size_t len)
{
	const struct gate_def *d = &gate_defs[r->decided_by];
	const struct gate_check *c = &r->g[r->decided_by];
	char v[32];
	char l[32];

	switch (r->verdict) {
	case VERDICT_NONE:
		snprintf(buf, len, "not evaluated");
		break;
	case VERDICT_PASS:
		snprintf(buf, len, "pass: all gates hold");
		break;
	case VERDICT_NO_DATA:
		snprintf(buf, len, "no data: %s (%s)", gate_name(r->decided_by),
			 c->why[0] != '\0' ? c->why : "no value");
		break;
	case VERDICT_FAIL:
		if (d->eval == GATE_EVAL_PODS || d->eval == GATE_EVAL_PROBES) {
			snprintf(buf, len, "fail: %s %s", d->name, c->why);
			break;
		}
		gate_format(d->unit, c->value, false, v, sizeof(v));
		gate_format(d->unit, c->limit, false, l, sizeof(l));
		snprintf(buf, len, "fail: %s %s %s %s", d->name, v,
			 d->dir == GATE_DIR_MIN ? "<" : ">", l);
		break;
	}
	return buf;
}

json_t *
gate_result_json(const struct gate_result *r)
{
	json_t *o = json_object();
	json_t *gates = json_object();

	json_object_set_new(o, "verdict",
			    json_string(cutover_verdict_name(r->verdict)));
	if (r->verdict == VERDICT_FAIL || r->verdict == VERDICT_NO_DATA)
		json_object_set_new(o, "decided_by",
				    json_string(gate_name(r->decided_by)));
	for (int i = 0; i < GATE_COUNT; i++) {
		const struct gate_check *c = &r->g[i];
		json_t *g;

		if (!c->enabled)
			continue;
		g = json_pack("{s:s}", "verdict",
			      cutover_verdict_name(c->verdict));
		json_object_set_new(g, "value", c->have_value ?
				    json_real(c->value) : json_null());
		if (!isnan(c->limit) && gate_defs[i].limit != GATE_LIMIT_NONE)
			json_object_set_new(g, "limit", json_real(c->limit));
		if (c->why[0] != '\0')
			json_object_set_new(g, "why", json_string(c->why));
		json_object_set_new(gates, gate_name((enum gate_id)i), g);
	}
	json_object_set_new(o, "gates", gates);
	return o;
}
