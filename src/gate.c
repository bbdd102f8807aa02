/*
 * gate — stage gates (see gate.h).  Pure: reads the model, writes a
 * gate_result.  Values are compared in the units the plan stores:
 * fractions for rates and percentages, milliseconds for latency.
 */
#include "config.h"

#include "gate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

static const char *const gate_names[] = {
#define X(id, name) [id] = name,
	GATE_LIST(X)
#undef X
};

const char *
gate_name(enum gate_id id)
{
	return (int)id >= 0 && id < GATE_COUNT ? gate_names[id] : "?";
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
	    const struct metrics *m, double limit, int64_t now)
{
	double istio;
	double apisix;

	c->enabled = !isnan(limit);
	c->limit = limit;
	if (!c->enabled) {
		c->verdict = VERDICT_NONE;
		return;
	}
	if (!metrics_value(m, p, Q_ISTIO_ERROR_RATE, now, p->gates.max_age_ms,
			   &istio)) {
		no_data(c, m, Q_ISTIO_ERROR_RATE, now, p->gates.max_age_ms);
		return;
	}
	if (!metrics_value(m, p, Q_APISIX_ERROR_RATE, now,
			   p->gates.max_age_ms, &apisix)) {
		no_data(c, m, Q_APISIX_ERROR_RATE, now, p->gates.max_age_ms);
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

void
gate_evaluate(const struct plan *p, int stage, const struct metrics *m,
	      const struct group_health *groups, int64_t now,
	      struct gate_result *r)
{
	const struct plan_stage *st;
	struct gate_check *t = &r->g[G_TRAFFIC];

	memset(r, 0, sizeof(*r));
	r->stage = stage;
	r->verdict = VERDICT_NONE;
	if (stage < 1 || stage > p->nstages)
		return;
	st = &p->stages[stage - 1];

	/* Quiet traffic can neither pass nor fail a stage. */
	t->enabled = true;
	t->limit = p->gates.min_request_rate;
	if (!metrics_value(m, p, Q_ISTIO_RPS, now, p->gates.max_age_ms,
			   &t->value)) {
		no_data(t, m, Q_ISTIO_RPS, now, p->gates.max_age_ms);
	} else {
		t->have_value = true;
		if (t->value < t->limit) {
			t->verdict = VERDICT_NO_DATA;
			snprintf(t->why, sizeof(t->why),
				 "no data: %.3g req/s below minimum %.3g",
				 t->value, t->limit);
		} else {
			t->verdict = VERDICT_PASS;
		}
	}
	check_query(&r->g[G_ERROR_RATE], p, m, Q_ISTIO_ERROR_RATE,
		    st->max_error_rate, true, now);
	check_query(&r->g[G_P95], p, m, Q_ISTIO_P95, st->max_p95_ms, true,
		    now);
	check_query(&r->g[G_AVAILABILITY], p, m, Q_ISTIO_AVAILABILITY,
		    st->min_availability, false, now);
	check_query(&r->g[G_MTLS], p, m, Q_MTLS_COVERAGE, st->min_mtls, false,
		    now);
	check_delta(&r->g[G_ERROR_DELTA], p, m, st->max_error_delta, now);
	check_pods(&r->g[G_PODS], p, groups);

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
	/* Below the traffic minimum, a failing ratio is noise: no data. */
	if (r->verdict == VERDICT_FAIL && t->verdict == VERDICT_NO_DATA &&
	    r->decided_by != G_PODS) {
		r->verdict = VERDICT_NO_DATA;
		r->decided_by = G_TRAFFIC;
	}
}

static void
format_value(enum gate_id id, double v, char *buf, size_t len)
{
	switch (id) {
	case G_TRAFFIC:
		snprintf(buf, len, "%.3g req/s", v);
		break;
	case G_P95:
		snprintf(buf, len, "%.0f ms", v);
		break;
	case G_ERROR_DELTA:
		snprintf(buf, len, "%+.2f pts", v * 100);
		break;
	case G_PODS:
		snprintf(buf, len, "%.0f groups", v);
		break;
	default:
		snprintf(buf, len, "%.2f%%", v * 100);
		break;
	}
}

const char *
gate_summary(const struct gate_result *r, char *buf, size_t len)
{
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
		if (r->decided_by == G_PODS) {
			snprintf(buf, len, "fail: pods %s", c->why);
			break;
		}
		format_value(r->decided_by, c->value, v, sizeof(v));
		format_value(r->decided_by, c->limit, l, sizeof(l));
		snprintf(buf, len, "fail: %s %s %s %s", gate_name(r->decided_by),
			 v, r->decided_by == G_AVAILABILITY ||
			    r->decided_by == G_MTLS ? "<" : ">", l);
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
		if (!isnan(c->limit) && i != G_PODS)
			json_object_set_new(g, "limit", json_real(c->limit));
		if (c->why[0] != '\0')
			json_object_set_new(g, "why", json_string(c->why));
		json_object_set_new(gates, gate_name((enum gate_id)i), g);
	}
	json_object_set_new(o, "gates", gates);
	return o;
}
