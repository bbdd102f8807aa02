/*
 * view_json — a session_view as JSON and back (see view_json.h).  The
 * encoder writes every field the dashboard draws; the decoder reads the
 * same names with a range for each, into a scratch copy that replaces the
 * old one only when all of it was good.
 */
#include "config.h"

#include "view_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

/* Longest string field a view may carry (a log line, an error). */
#define VJ_STR_MAX 4096

static const char *const vj_str_key[VIEW_JSON_NSTR] = {
	[VIEW_JSON_PLAN_NAME] = "plan_name",
	[VIEW_JSON_HOST] = "host",
	[VIEW_JSON_CONTEXT] = "context",
	[VIEW_JSON_DRIVER_DESC] = "driver_desc",
	[VIEW_JSON_SOURCE_NOTE] = "source_note",
	[VIEW_JSON_SAVE_ERROR] = "save_error",
	[VIEW_JSON_LAST_FAILURE] = "last_failure",
	[VIEW_JSON_VERIFY_WHY] = "verify_why",
	[VIEW_JSON_DECISION] = "decision",
	[VIEW_JSON_PROBE_ISTIO] = "probe_istio_address",
	[VIEW_JSON_PROBE_APISIX] = "probe_apisix_address",
	[VIEW_JSON_PROBE_ERROR] = "probe_address_error",
	[VIEW_JSON_CHECKLIST_DIR] = "checklist_dir",
};

static const char *const vj_key_name[SESSION_VIEW_KEYS] = {
	[SESSION_VIEW_ADVANCE] = "advance",
	[SESSION_VIEW_FORCE] = "force",
	[SESSION_VIEW_PAUSE] = "pause",
	[SESSION_VIEW_ROLLBACK] = "rollback",
	[SESSION_VIEW_RETRY] = "retry",
};

static const char *const vj_verify_name[] = {
	[VERIFY_NONE] = "none",
	[VERIFY_WATCHING] = "watching",
	[VERIFY_DONE] = "done",
	[VERIFY_LATE] = "late",
};

static const char *const vj_source_name[] = {
	[SOURCE_UNKNOWN] = "unknown",
	[SOURCE_OK] = "ok",
	[SOURCE_ERROR] = "error",
};

static const char *const vj_level_name[] = {
	[EVLOG_INFO] = "info",
	[EVLOG_NOTE] = "note",
	[EVLOG_WARN] = "warn",
	[EVLOG_CRIT] = "crit",
};

static const char *const vj_mark_name[] = {
	[CL_MARK_UNKNOWN] = "unknown",
	[CL_MARK_DONE] = "done",
	[CL_MARK_FAILED] = "failed",
	[CL_MARK_OPERATOR] = "operator",
};

static const char *const vj_preflight_name[] = {
	[PREFLIGHT_UNKNOWN] = "unknown",
	[PREFLIGHT_PASS] = "pass",
	[PREFLIGHT_FAIL] = "fail",
	[PREFLIGHT_SKIP] = "skipped",
};

static const char *const vj_verdict_name[] = {
	[VERDICT_NONE] = "none",
	[VERDICT_PASS] = "pass",
	[VERDICT_FAIL] = "fail",
	[VERDICT_NO_DATA] = "no_data",
};

#define VJ_NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- encoding ----------------------------------------------------------- */

static json_t *
vj_real(double d)
{
	if (isnan(d))
		return json_null();
	if (isinf(d))
		return json_string(d > 0 ? "inf" : "-inf");
	return json_real(d);
}

static json_t *
vj_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
vj_weights(struct weights w)
{
	return json_pack("{s:i, s:i}", "istio", w.istio, "apisix", w.apisix);
}

static json_t *
vj_state(const struct cutover_state *s)
{
	json_t *j = json_object();

	json_object_set_new(j, "nstages", json_integer(s->nstages));
	json_object_set_new(j, "stage", json_integer(s->stage));
	json_object_set_new(j, "target", json_integer(s->target));
	json_object_set_new(j, "phase",
			    json_string(cutover_phase_name(s->phase)));
	json_object_set_new(j, "resume_to",
			    json_string(cutover_phase_name(s->resume_to)));
	json_object_set_new(j, "applied", vj_weights(s->applied));
	json_object_set_new(j, "pending", vj_weights(s->pending));
	json_object_set_new(j, "uncertain", json_boolean(s->uncertain));
	json_object_set_new(j, "retry_rollback",
			    json_boolean(s->retry_rollback));
	json_object_set_new(j, "seq", json_integer((json_int_t)s->seq));
	json_object_set_new(j, "hold_ms", json_integer(s->hold_ms));
	json_object_set_new(j, "last_tick_ms",
			    json_integer(s->last_tick_ms));
	json_object_set_new(j, "last_verdict",
			    json_string(vj_verdict_name[s->last_verdict]));
	json_object_set_new(j, "breaches", json_integer(s->breaches));
	json_object_set_new(j, "blind", json_integer(s->blind));
	json_object_set_new(j, "alarm", json_boolean(s->alarm));
	return j;
}

static json_t *
vj_series(const struct series *se)
{
	json_t *j = json_object();
	json_t *h = json_array();

	json_object_set_new(j, "has_value", json_boolean(se->has_value));
	json_object_set_new(j, "value", vj_real(se->value));
	json_object_set_new(j, "sample_wall_ms",
			    json_integer(se->sample_wall_ms));
	json_object_set_new(j, "fetched_mono_ms",
			    json_integer(se->fetched_mono_ms));
	json_object_set_new(j, "sample_lag_ms",
			    json_integer(se->sample_lag_ms));
	json_object_set_new(j, "empty", json_boolean(se->empty));
	json_object_set_new(j, "partial", json_boolean(se->partial));
	json_object_set_new(j, "state",
			    json_string(vj_source_name[se->state]));
	json_object_set_new(j, "error", json_string(se->error));
	json_object_set_new(j, "warning", json_string(se->warning));
	for (int i = 0; i < se->nhistory && i < METRICS_HISTORY; i++)
		json_array_append_new(h, vj_real(se->history[i]));
	json_object_set_new(j, "history", h);
	json_object_set_new(j, "history_step_ms",
			    json_integer(se->history_step_ms));
	return j;
}

static json_t *
vj_probe(const struct probe_series *ps)
{
	json_t *j = json_object();
	json_t *ok = json_array();
	json_t *ms = json_array();

	json_object_set_new(j, "state", json_string(vj_source_name[ps->state]));
	json_object_set_new(j, "last_ok", json_boolean(ps->last_ok));
	json_object_set_new(j, "failures", json_integer(ps->failures));
	json_object_set_new(j, "last_status", json_integer(ps->last_status));
	json_object_set_new(j, "last_ms", vj_real(ps->last_ms));
	json_object_set_new(j, "last_mono_ms", json_integer(ps->last_mono_ms));
	json_object_set_new(j, "why", json_string(ps->why));
	for (int i = 0; i < ps->nhistory && i < PROBE_HISTORY; i++) {
		json_array_append_new(ok, vj_real(ps->ok_history[i]));
		json_array_append_new(ms, vj_real(ps->ms_history[i]));
	}
	json_object_set_new(j, "ok_history", ok);
	json_object_set_new(j, "ms_history", ms);
	return j;
}

/* The probes the plan names, each through both gateways. */
static int
vj_nprobes(const struct plan *p)
{
	return p->probes.n < PLAN_PROBES_MAX ? p->probes.n : PLAN_PROBES_MAX;
}

static json_t *
vj_metrics(const struct metrics *m, const struct plan *p)
{
	json_t *j = json_object();
	json_t *q = json_array();
	json_t *probes = json_array();

	for (int i = 0; i < Q_COUNT; i++)
		json_array_append_new(q, vj_series(&m->q[i]));
	json_object_set_new(j, "q", q);
	for (int i = 0; i < vj_nprobes(p); i++) {
		json_t *sides = json_array();

		for (int k = 0; k < PROBE_SIDES; k++)
			json_array_append_new(sides, vj_probe(&m->probe[i][k]));
		json_array_append_new(probes, sides);
	}
	json_object_set_new(j, "probes", probes);
	json_object_set_new(j, "last_refresh_mono_ms",
			    json_integer(m->last_refresh_mono_ms));
	json_object_set_new(j, "in_flight", json_boolean(m->in_flight));
	return j;
}

static json_t *
vj_gates(const struct gate_result *r)
{
	json_t *j = json_object();
	json_t *g = json_array();

	json_object_set_new(j, "stage", json_integer(r->stage));
	json_object_set_new(j, "verdict",
			    json_string(vj_verdict_name[r->verdict]));
	json_object_set_new(j, "decided_by", json_integer(r->decided_by));
	for (int i = 0; i < GATE_COUNT; i++) {
		const struct gate_check *c = &r->g[i];

		json_array_append_new(g, json_pack("{s:b, s:s, s:b, s:o, "
		    "s:o, s:s}", "enabled", c->enabled, "verdict",
		    vj_verdict_name[c->verdict], "have_value", c->have_value,
		    "value", vj_real(c->value), "limit", vj_real(c->limit),
		    "why", c->why));
	}
	json_object_set_new(j, "g", g);
	return j;
}

static json_t *
vj_group(const struct group_health *g)
{
	json_t *j = json_object();
	json_t *pods = json_array();

	json_object_set_new(j, "state", json_string(vj_source_name[g->state]));
	json_object_set_new(j, "error", json_string(g->error));
	json_object_set_new(j, "fetched_mono_ms",
			    json_integer(g->fetched_mono_ms));
	json_object_set_new(j, "total", json_integer(g->total));
	json_object_set_new(j, "ready", json_integer(g->ready));
	json_object_set_new(j, "min_ready", json_integer(g->min_ready));
	json_object_set_new(j, "restarts", json_integer(g->restarts));
	json_object_set_new(j, "recent_restarts",
			    json_integer(g->recent_restarts));
	json_object_set_new(j, "oomkilled", json_integer(g->oomkilled));
	json_object_set_new(j, "terminating", json_integer(g->terminating));
	json_object_set_new(j, "with_sidecar", json_integer(g->with_sidecar));
	json_object_set_new(j, "sidecar_ready",
			    json_integer(g->sidecar_ready));
	json_object_set_new(j, "worst_reason", json_string(g->worst_reason));
	json_object_set_new(j, "sidecar_missing",
			    json_integer(g->sidecar_missing));
	for (int i = 0; i < g->npods && i < VIEW_JSON_PODS_MAX; i++) {
		const struct pod_health *p = &g->pods[i];

		json_array_append_new(pods, json_pack("{s:s, s:s, s:b, s:b, "
		    "s:I, s:s, s:b, s:b, s:b, s:I}", "name", p->name, "phase",
		    p->phase, "ready", p->ready, "terminating", p->terminating,
		    "restarts", (json_int_t)p->restarts, "reason", p->reason,
		    "oomkilled", p->oomkilled, "sidecar", p->sidecar,
		    "sidecar_ready", p->sidecar_ready, "last_restart_wall_ms",
		    (json_int_t)p->last_restart_wall_ms));
	}
	json_object_set_new(j, "pods", pods);
	return j;
}

static json_t *
vj_log(const struct evlog *l, uint64_t from)
{
	json_t *j = json_object();
	json_t *lines = json_array();
	uint64_t first = l->total - (uint64_t)l->n;

	if (from < first)
		from = first;
	for (uint64_t k = from; k < l->total; k++) {
		const struct evlog_line *line = evlog_get(l, (int)(k - first));

		json_array_append_new(lines, json_pack("{s:I, s:s, s:s}",
		    "wall_ms", (json_int_t)line->wall_ms, "level",
		    vj_level_name[line->level], "text", line->text));
	}
	json_object_set_new(j, "total", json_integer((json_int_t)l->total));
	json_object_set_new(j, "from", json_integer((json_int_t)from));
	json_object_set_new(j, "lines", lines);
	return j;
}

static json_t *
vj_checklist(const struct checklist_item *it)
{
	json_t *j = json_array();

	for (int i = 0; i < CL_COUNT; i++)
		json_array_append_new(j, json_pack("{s:s, s:s}", "mark",
		    vj_mark_name[it[i].mark], "text", it[i].text));
	return j;
}

/* The preflight's checks (null: none shown, not at stage 0). */
static json_t *
vj_preflight(const struct preflight *pf)
{
	json_t *c;

	if (pf == NULL)
		return json_null();
	c = json_array();
	for (int i = 0; i < PF_COUNT; i++)
		json_array_append_new(c, json_pack("{s:s, s:s}", "state",
		    vj_preflight_name[pf->c[i].state], "reason",
		    pf->c[i].reason));
	return json_pack("{s:o}", "checks", c);
}

json_t *
view_json_encode(const struct session_view *v, uint64_t log_from)
{
	json_t *j = json_object();
	json_t *act = json_object();
	json_t *groups = json_array();
	const char *s[VIEW_JSON_NSTR] = {
		[VIEW_JSON_PLAN_NAME] = v->plan_name,
		[VIEW_JSON_HOST] = v->host,
		[VIEW_JSON_CONTEXT] = v->context,
		[VIEW_JSON_DRIVER_DESC] = v->driver_desc,
		[VIEW_JSON_SOURCE_NOTE] = v->source_note,
		[VIEW_JSON_SAVE_ERROR] = v->save_error,
		[VIEW_JSON_LAST_FAILURE] = v->last_failure,
		[VIEW_JSON_VERIFY_WHY] = v->verify_why,
		[VIEW_JSON_DECISION] = v->decision,
		[VIEW_JSON_PROBE_ISTIO] = v->probe_istio_address,
		[VIEW_JSON_PROBE_APISIX] = v->probe_apisix_address,
		[VIEW_JSON_PROBE_ERROR] = v->probe_address_error,
		[VIEW_JSON_CHECKLIST_DIR] = v->checklist_dir,
	};
	char fp[17];

	plan_fingerprint(v->plan, fp);
	json_object_set_new(j, "fingerprint", json_string(fp));
	for (int i = 0; i < VIEW_JSON_NSTR; i++)
		json_object_set_new(j, vj_str_key[i], vj_str(s[i]));
	json_object_set_new(j, "tls_unverified",
			    json_boolean(v->tls_unverified));
	json_object_set_new(j, "read_only", json_boolean(v->read_only));
	json_object_set_new(j, "autopilot", json_boolean(v->autopilot));
	json_object_set_new(j, "holder", json_pack("{s:I, s:s, s:s, s:s, "
	    "s:s}", "pid", (json_int_t)v->holder.pid, "user", v->holder.user,
	    "tty", v->holder.tty, "host", v->holder.host, "since",
	    v->holder.since));
	json_object_set_new(j, "pid", json_integer(v->pid));
	json_object_set_new(j, "apply_in_flight",
			    json_boolean(v->apply_in_flight));
	json_object_set_new(j, "saved_wall_ms", json_integer(v->saved_wall_ms));
	json_object_set_new(j, "applied_wall_ms",
			    json_integer(v->applied_wall_ms));

	json_object_set_new(j, "state", vj_state(&v->state));
	json_object_set_new(j, "now_mono", json_integer(v->now_mono));
	json_object_set_new(j, "now_wall", json_integer(v->now_wall));
	json_object_set_new(j, "hold_left_ms", json_integer(v->hold_left_ms));
	json_object_set_new(j, "busy", json_boolean(v->busy));
	json_object_set_new(j, "reading_back", json_boolean(v->reading_back));
	json_object_set_new(j, "drift", json_boolean(v->drift));
	json_object_set_new(j, "drift_weights", vj_weights(v->drift_weights));

	json_object_set_new(j, "have_read_back",
			    json_boolean(v->have_read_back));
	json_object_set_new(j, "read_back", vj_weights(v->read_back));
	json_object_set_new(j, "read_back_wall_ms",
			    json_integer(v->read_back_wall_ms));
	json_object_set_new(j, "can_read_back",
			    json_boolean(v->can_read_back));
	json_object_set_new(j, "have_measured",
			    json_boolean(v->have_measured));
	json_object_set_new(j, "measured_istio", vj_real(v->measured_istio));
	json_object_set_new(j, "measured_rps", vj_real(v->measured_rps));
	json_object_set_new(j, "split_mismatch",
			    json_boolean(v->split_mismatch));
	json_object_set_new(j, "verify",
			    json_string(vj_verify_name[v->verify]));
	json_object_set_new(j, "verify_since_mono",
			    json_integer(v->verify_since_mono));
	json_object_set_new(j, "verify_took_ms",
			    json_integer(v->verify_took_ms));
	json_object_set_new(j, "verify_alarm", json_boolean(v->verify_alarm));
	json_object_set_new(j, "judged_mono", json_integer(v->judged_mono));
	json_object_set_new(j, "have_checklist",
			    json_boolean(v->have_checklist));
	json_object_set_new(j, "checklist", vj_checklist(v->checklist));
	json_object_set_new(j, "preflight", vj_preflight(v->preflight));
	json_object_set_new(j, "decision_wall_ms",
			    json_integer(v->decision_wall_ms));
	json_object_set_new(j, "decision_level",
			    json_string(vj_level_name[v->decision_level]));

	for (int k = 0; k < SESSION_VIEW_KEYS; k++)
		json_object_set_new(act, vj_key_name[k], json_pack("{s:b, s:o}",
		    "allowed", v->act[k].allowed, "why", vj_str(v->act[k].why)));
	json_object_set_new(j, "act", act);

	json_object_set_new(j, "metrics", vj_metrics(v->metrics, v->plan));
	json_object_set_new(j, "gates", vj_gates(v->gates));
	for (int i = 0; i < v->plan->ngroups; i++)
		json_array_append_new(groups, vj_group(&v->groups[i]));
	json_object_set_new(j, "groups", groups);
	json_object_set_new(j, "log", vj_log(v->log, log_from));
	return j;
}

/* ---- decoding ----------------------------------------------------------- */

/* The member `key` of object o, or an error naming it. */
static json_t *
vj_get(const json_t *o, const char *key, struct err *e)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;

	if (v == NULL)
		err_set(e, "view: \"%s\" is missing", key);
	return v;
}

static int
vj_get_int(const json_t *o, const char *key, int64_t lo, int64_t hi,
	   int64_t *out, struct err *e)
{
	json_t *v = vj_get(o, key, e);

	if (v == NULL)
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return err_set(e, "view: \"%s\" is not an integer in %lld..%lld",
			       key, (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

/* An int field of a struct; `lo`..`hi` within int. */
#define VJ_INT(o, key, lo, hi, dst)                                           \
	do {                                                                  \
		int64_t vj_v_;                                                \
		if (vj_get_int((o), (key), (lo), (hi), &vj_v_, e) != 0)       \
			return -1;                                            \
		(dst) = vj_v_;                                                \
	} while (0)

/* Times: any int64 a clock may give (the monotonic clock is shared). */
#define VJ_TIME(o, key, dst) VJ_INT(o, key, INT64_MIN, INT64_MAX, dst)

static int
vj_get_bool(const json_t *o, const char *key, bool *out, struct err *e)
{
	json_t *v = vj_get(o, key, e);

	if (v == NULL)
		return -1;
	if (!json_is_boolean(v))
		return err_set(e, "view: \"%s\" is not true or false", key);
	*out = json_is_true(v);
	return 0;
}

#define VJ_BOOL(o, key, dst)                                                  \
	do {                                                                  \
		if (vj_get_bool((o), (key), &(dst), e) != 0)                  \
			return -1;                                            \
	} while (0)

/* A number as vj_real() wrote it; -1 when v is none. */
static int
vj_real_of(const json_t *v, double *out)
{
	const char *s;

	if (json_is_null(v))
		*out = NAN;
	else if (json_is_number(v))
		*out = json_number_value(v);
	else if ((s = json_string_value(v)) != NULL && strcmp(s, "inf") == 0)
		*out = INFINITY;
	else if (s != NULL && strcmp(s, "-inf") == 0)
		*out = -INFINITY;
	else
		return -1;
	return 0;
}

static int
vj_get_real(const json_t *o, const char *key, double *out, struct err *e)
{
	json_t *v = vj_get(o, key, e);

	if (v == NULL)
		return -1;
	if (vj_real_of(v, out) != 0)
		return err_set(e, "view: \"%s\" is not a number", key);
	return 0;
}

#define VJ_REAL(o, key, dst)                                                  \
	do {                                                                  \
		if (vj_get_real((o), (key), &(dst), e) != 0)                  \
			return -1;                                            \
	} while (0)

/*
 * A string into buf (cap bytes), sanitised; longer is an error, not a
 * cut (a view is made by a guard that knows the sizes).
 */
static int
vj_get_buf(const json_t *o, const char *key, char *buf, size_t cap,
	   struct err *e)
{
	json_t *v = vj_get(o, key, e);

	if (v == NULL)
		return -1;
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return err_set(e, "view: \"%s\" is not a string shorter than "
			       "%zu bytes", key, cap);
	text_sanitise_n(buf, cap, json_string_value(v), json_string_length(v));
	return 0;
}

#define VJ_BUF(o, key, dst)                                                   \
	do {                                                                  \
		if (vj_get_buf((o), (key), (dst), sizeof(dst), e) != 0)       \
			return -1;                                            \
	} while (0)

/* A string or null, into a new allocation (NULL for null). */
static int
vj_get_dup(const json_t *o, const char *key, char **out, struct err *e)
{
	json_t *v = vj_get(o, key, e);
	char *s;

	if (v == NULL)
		return -1;
	if (json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= VJ_STR_MAX)
		return err_set(e, "view: \"%s\" is not a string shorter than "
			       "%d bytes", key, VJ_STR_MAX);
	s = xmalloc(json_string_length(v) + 1);
	text_sanitise_n(s, json_string_length(v) + 1, json_string_value(v),
			json_string_length(v));
	*out = s;
	return 0;
}

/* A name of table t (n entries) into *out. */
static int
vj_get_enum(const json_t *o, const char *key, const char *const *t, int n,
	    int *out, struct err *e)
{
	json_t *v = vj_get(o, key, e);
	const char *s = json_string_value(v);

	if (v == NULL)
		return -1;
	for (int i = 0; s != NULL && i < n; i++)
		if (t[i] != NULL && strcmp(s, t[i]) == 0) {
			*out = i;
			return 0;
		}
	return err_set(e, "view: \"%s\" is not a known name", key);
}

#define VJ_ENUM(o, key, table, dst)                                           \
	do {                                                                  \
		int vj_i_;                                                    \
		if (vj_get_enum((o), (key), (table), VJ_NELEM(table), &vj_i_, \
				e) != 0)                                      \
			return -1;                                            \
		(dst) = vj_i_;                                                \
	} while (0)

/* Weights adding up to 100; with `none`, 0/0 too (none known yet). */
static int
vj_get_weights(const json_t *o, const char *key, bool none,
	       struct weights *w, struct err *e)
{
	json_t *v = vj_get(o, key, e);

	if (v == NULL)
		return -1;
	VJ_INT(v, "istio", 0, 100, w->istio);
	VJ_INT(v, "apisix", 0, 100, w->apisix);
	if (w->istio + w->apisix != 100 &&
	    !(none && w->istio == 0 && w->apisix == 0))
		return err_set(e, "view: \"%s\" does not add up to 100", key);
	return 0;
}

#define VJ_WEIGHTS(o, key, dst)                                               \
	do {                                                                  \
		if (vj_get_weights((o), (key), false, &(dst), e) != 0)        \
			return -1;                                            \
	} while (0)

/* Weights that may not be known yet (pending, read back, drift). */
#define VJ_WEIGHTS0(o, key, dst)                                              \
	do {                                                                  \
		if (vj_get_weights((o), (key), true, &(dst), e) != 0)         \
			return -1;                                            \
	} while (0)

static int
vj_phase(const json_t *o, const char *key, enum phase *ph, struct err *e)
{
	json_t *v = vj_get(o, key, e);

	if (v == NULL)
		return -1;
	if (!json_is_string(v) ||
	    cutover_phase_parse(json_string_value(v), ph) != 0)
		return err_set(e, "view: \"%s\" is not a phase", key);
	return 0;
}

static int
vj_dec_state(const json_t *j, const struct plan *p, struct cutover_state *s,
	     struct err *e)
{
	VJ_INT(j, "nstages", p->nstages, p->nstages, s->nstages);
	VJ_INT(j, "stage", 0, p->nstages, s->stage);
	VJ_INT(j, "target", 0, p->nstages, s->target);
	if (vj_phase(j, "phase", &s->phase, e) != 0 ||
	    vj_phase(j, "resume_to", &s->resume_to, e) != 0)
		return -1;
	VJ_WEIGHTS(j, "applied", s->applied);
	VJ_WEIGHTS0(j, "pending", s->pending);
	VJ_BOOL(j, "uncertain", s->uncertain);
	VJ_BOOL(j, "retry_rollback", s->retry_rollback);
	VJ_INT(j, "seq", 0, UINT32_MAX, s->seq);
	VJ_INT(j, "hold_ms", 0, INT64_MAX, s->hold_ms);
	VJ_TIME(j, "last_tick_ms", s->last_tick_ms);
	VJ_ENUM(j, "last_verdict", vj_verdict_name, s->last_verdict);
	VJ_INT(j, "breaches", 0, INT32_MAX, s->breaches);
	VJ_INT(j, "blind", 0, INT32_MAX, s->blind);
	VJ_BOOL(j, "alarm", s->alarm);
	return 0;
}

static int
vj_dec_series(const json_t *j, struct series *se, struct err *e)
{
	json_t *h;

	VJ_BOOL(j, "has_value", se->has_value);
	VJ_REAL(j, "value", se->value);
	VJ_TIME(j, "sample_wall_ms", se->sample_wall_ms);
	VJ_TIME(j, "fetched_mono_ms", se->fetched_mono_ms);
	VJ_TIME(j, "sample_lag_ms", se->sample_lag_ms);
	VJ_BOOL(j, "empty", se->empty);
	VJ_BOOL(j, "partial", se->partial);
	VJ_ENUM(j, "state", vj_source_name, se->state);
	VJ_BUF(j, "error", se->error);
	VJ_BUF(j, "warning", se->warning);
	if ((h = vj_get(j, "history", e)) == NULL)
		return -1;
	if (!json_is_array(h) || json_array_size(h) > METRICS_HISTORY)
		return err_set(e, "view: \"history\" is not an array of at "
			       "most %d", METRICS_HISTORY);
	se->nhistory = (int)json_array_size(h);
	for (int i = 0; i < se->nhistory; i++)
		if (vj_real_of(json_array_get(h, i), &se->history[i]) != 0)
			return err_set(e, "view: \"history\" has a point that "
				       "is not a number");
	VJ_INT(j, "history_step_ms", 0, INT64_MAX, se->history_step_ms);
	return 0;
}

/* A list of reals as vj_real() wrote them, at most `max`, into out. */
static int
vj_get_reals(const json_t *o, const char *key, double *out, int max, int *n,
	     struct err *e)
{
	json_t *a = vj_get(o, key, e);

	if (a == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) > (size_t)max)
		return err_set(e, "view: \"%s\" is not an array of at most %d",
			       key, max);
	*n = (int)json_array_size(a);
	for (int i = 0; i < *n; i++)
		if (vj_real_of(json_array_get(a, i), &out[i]) != 0)
			return err_set(e, "view: \"%s\" has a point that is "
				       "not a number", key);
	return 0;
}

static int
vj_dec_probe(const json_t *j, struct probe_series *ps, struct err *e)
{
	int nok, nms;

	VJ_ENUM(j, "state", vj_source_name, ps->state);
	VJ_BOOL(j, "last_ok", ps->last_ok);
	VJ_INT(j, "failures", 0, INT32_MAX, ps->failures);
	VJ_INT(j, "last_status", 0, INT32_MAX, ps->last_status);
	VJ_REAL(j, "last_ms", ps->last_ms);
	VJ_TIME(j, "last_mono_ms", ps->last_mono_ms);
	VJ_BUF(j, "why", ps->why);
	if (vj_get_reals(j, "ok_history", ps->ok_history, PROBE_HISTORY,
			 &nok, e) != 0 ||
	    vj_get_reals(j, "ms_history", ps->ms_history, PROBE_HISTORY,
			 &nms, e) != 0)
		return -1;
	if (nok != nms)
		return err_set(e, "view: a probe's \"ok_history\" and "
			       "\"ms_history\" differ in length");
	ps->nhistory = nok;
	return 0;
}

static int
vj_dec_probes(const json_t *j, const struct plan *p, struct metrics *m,
	      struct err *e)
{
	json_t *a = vj_get(j, "probes", e);

	if (a == NULL)
		return -1;
	if (!json_is_array(a) || json_array_size(a) != (size_t)vj_nprobes(p))
		return err_set(e, "view: \"probes\" is not an array of the "
			       "plan's %d probes", vj_nprobes(p));
	for (int i = 0; i < vj_nprobes(p); i++) {
		json_t *sides = json_array_get(a, (size_t)i);

		if (!json_is_array(sides) ||
		    json_array_size(sides) != PROBE_SIDES)
			return err_set(e, "view: a probe is not an array of "
				       "%d gateways", PROBE_SIDES);
		for (int k = 0; k < PROBE_SIDES; k++)
			if (vj_dec_probe(json_array_get(sides, (size_t)k),
					 &m->probe[i][k], e) != 0)
				return err_prefix(e, "probe %d: ", i + 1);
	}
	return 0;
}

static int
vj_dec_metrics(const json_t *j, const struct plan *p, struct metrics *m,
	       struct err *e)
{
	json_t *q = vj_get(j, "q", e);

	if (q == NULL)
		return -1;
	if (!json_is_array(q) || json_array_size(q) != Q_COUNT)
		return err_set(e, "view: \"q\" is not an array of %d series",
			       Q_COUNT);
	for (int i = 0; i < Q_COUNT; i++)
		if (vj_dec_series(json_array_get(q, i), &m->q[i], e) != 0)
			return err_prefix(e, "query %s: ",
					  plan_query_key((enum query_id)i));
	if (vj_dec_probes(j, p, m, e) != 0)
		return -1;
	VJ_TIME(j, "last_refresh_mono_ms", m->last_refresh_mono_ms);
	VJ_BOOL(j, "in_flight", m->in_flight);
	return 0;
}

static int
vj_dec_checklist(const json_t *j, struct checklist_item *it, struct err *e)
{
	if (!json_is_array(j) || json_array_size(j) != CL_COUNT)
		return err_set(e, "view: \"checklist\" is not an array of %d "
			       "items", CL_COUNT);
	for (int i = 0; i < CL_COUNT; i++) {
		const json_t *c = json_array_get(j, (size_t)i);

		VJ_ENUM(c, "mark", vj_mark_name, it[i].mark);
		VJ_BUF(c, "text", it[i].text);
	}
	return 0;
}

/* The preflight's checks, or null (pf left as it is: not shown). */
static int
vj_dec_preflight(const json_t *j, struct preflight *pf, struct err *e)
{
	json_t *c;

	if (json_is_null(j))
		return 0;
	if ((c = vj_get(j, "checks", e)) == NULL)
		return -1;
	if (!json_is_array(c) || json_array_size(c) != PF_COUNT)
		return err_set(e, "view: the preflight's \"checks\" are not "
			       "an array of %d", PF_COUNT);
	for (int i = 0; i < PF_COUNT; i++) {
		const json_t *ck = json_array_get(c, (size_t)i);

		VJ_ENUM(ck, "state", vj_preflight_name, pf->c[i].state);
		VJ_BUF(ck, "reason", pf->c[i].reason);
	}
	pf->evaluated = true;
	return 0;
}

static int
vj_dec_gates(const json_t *j, const struct plan *p, struct gate_result *r,
	     struct err *e)
{
	json_t *g;

	VJ_INT(j, "stage", 0, p->nstages, r->stage);
	VJ_ENUM(j, "verdict", vj_verdict_name, r->verdict);
	VJ_INT(j, "decided_by", 0, GATE_COUNT - 1, r->decided_by);
	if ((g = vj_get(j, "g", e)) == NULL)
		return -1;
	if (!json_is_array(g) || json_array_size(g) != GATE_COUNT)
		return err_set(e, "view: \"g\" is not an array of %d gates",
			       GATE_COUNT);
	for (int i = 0; i < GATE_COUNT; i++) {
		const json_t *c = json_array_get(g, i);
		struct gate_check *gc = &r->g[i];

		VJ_BOOL(c, "enabled", gc->enabled);
		VJ_ENUM(c, "verdict", vj_verdict_name, gc->verdict);
		VJ_BOOL(c, "have_value", gc->have_value);
		VJ_REAL(c, "value", gc->value);
		VJ_REAL(c, "limit", gc->limit);
		VJ_BUF(c, "why", gc->why);
	}
	return 0;
}

static int
vj_dec_pod(const json_t *j, struct pod_health *p, struct err *e)
{
	VJ_BUF(j, "name", p->name);
	VJ_BUF(j, "phase", p->phase);
	VJ_BOOL(j, "ready", p->ready);
	VJ_BOOL(j, "terminating", p->terminating);
	VJ_INT(j, "restarts", 0, INT64_MAX, p->restarts);
	VJ_BUF(j, "reason", p->reason);
	VJ_BOOL(j, "oomkilled", p->oomkilled);
	VJ_BOOL(j, "sidecar", p->sidecar);
	VJ_BOOL(j, "sidecar_ready", p->sidecar_ready);
	VJ_TIME(j, "last_restart_wall_ms", p->last_restart_wall_ms);
	return 0;
}

static int
vj_dec_group(const json_t *j, struct group_health *g, struct err *e)
{
	json_t *pods;
	size_t n;

	VJ_ENUM(j, "state", vj_source_name, g->state);
	VJ_BUF(j, "error", g->error);
	VJ_TIME(j, "fetched_mono_ms", g->fetched_mono_ms);
	VJ_INT(j, "total", 0, INT32_MAX, g->total);
	VJ_INT(j, "ready", 0, g->total, g->ready);
	VJ_INT(j, "min_ready", 0, INT32_MAX, g->min_ready);
	VJ_INT(j, "restarts", 0, INT64_MAX, g->restarts);
	VJ_INT(j, "recent_restarts", 0, INT32_MAX, g->recent_restarts);
	VJ_INT(j, "oomkilled", 0, g->total, g->oomkilled);
	VJ_INT(j, "terminating", 0, g->total, g->terminating);
	VJ_INT(j, "with_sidecar", 0, g->total, g->with_sidecar);
	VJ_INT(j, "sidecar_ready", 0, g->total, g->sidecar_ready);
	VJ_BUF(j, "worst_reason", g->worst_reason);
	VJ_INT(j, "sidecar_missing", -1, g->total, g->sidecar_missing);
	if ((pods = vj_get(j, "pods", e)) == NULL)
		return -1;
	if (!json_is_array(pods) ||
	    (n = json_array_size(pods)) > VIEW_JSON_PODS_MAX)
		return err_set(e, "view: \"pods\" is not an array of at most "
			       "%d", VIEW_JSON_PODS_MAX);
	g->pods = n > 0 ? xcalloc(n, sizeof(*g->pods)) : NULL;
	g->npods = (int)n;
	for (size_t i = 0; i < n; i++)
		if (vj_dec_pod(json_array_get(pods, i), &g->pods[i], e) != 0)
			return -1;
	return 0;
}

/* The log's lines, checked before any is taken. */
static int
vj_check_log(const json_t *j, uint64_t *total, uint64_t *from,
	     struct err *e)
{
	json_t *lines;
	size_t n;

	VJ_INT(j, "total", 0, INT64_MAX, *total);
	VJ_INT(j, "from", 0, (int64_t)*total, *from);
	if ((lines = vj_get(j, "lines", e)) == NULL)
		return -1;
	if (!json_is_array(lines) || (n = json_array_size(lines)) >
	    EVLOG_MAX || n != *total - *from)
		return err_set(e, "view: the log's \"lines\" are not its lines "
			       "%llu to %llu", (unsigned long long)*from,
			       (unsigned long long)*total);
	for (size_t i = 0; i < n; i++) {
		const json_t *l = json_array_get(lines, i);
		int64_t wall;
		int level;
		json_t *t;

		VJ_TIME(l, "wall_ms", wall);
		VJ_ENUM(l, "level", vj_level_name, level);
		if ((t = vj_get(l, "text", e)) == NULL)
			return -1;
		if (!json_is_string(t) || json_string_length(t) >= VJ_STR_MAX)
			return err_set(e, "view: a log line is not a string "
				       "shorter than %d bytes", VJ_STR_MAX);
		(void)wall;
		(void)level;
	}
	return 0;
}

static void
vj_take_log(struct view_json *vj, const json_t *j, uint64_t total,
	    uint64_t from)
{
	const json_t *lines = json_object_get(j, "lines");
	struct evlog *l = &vj->log;

	if (total < vj->log_total)	/* another guard: its lines anew */
		vj->log_total = 0;
	/* The first lines: number them as the guard does. */
	if (l->total == 0)
		l->total = from > vj->log_total ? from : vj->log_total;
	for (uint64_t k = from; k < total; k++) {
		const json_t *line = json_array_get(lines, (size_t)(k - from));
		const char *lv = json_string_value(json_object_get(line,
								   "level"));
		int level = EVLOG_INFO;

		if (k < vj->log_total)
			continue;	/* seen */
		for (int i = 0; i < VJ_NELEM(vj_level_name); i++)
			if (strcmp(lv, vj_level_name[i]) == 0)
				level = i;
		evlog_add(l, json_integer_value(json_object_get(line,
		    "wall_ms")), (enum evlog_level)level, "%s",
		    json_string_value(json_object_get(line, "text")));
	}
	vj->log_total = total;
}

static void
vj_parts_done(struct view_json *vj)
{
	for (int i = 0; i < VIEW_JSON_NSTR; i++) {
		free(vj->str[i]);
		vj->str[i] = NULL;
	}
	for (int k = 0; k < SESSION_VIEW_KEYS; k++) {
		free(vj->why[k]);
		vj->why[k] = NULL;
	}
	for (int i = 0; i < vj->ngroups; i++)
		group_health_done(&vj->groups[i]);
	free(vj->groups);
	vj->groups = NULL;
	vj->ngroups = 0;
}

/* Point the session_view at the parts it was decoded into. */
static void
vj_point(struct view_json *vj)
{
	struct session_view *v = &vj->v;

	v->plan_name = vj->str[VIEW_JSON_PLAN_NAME] != NULL ?
		       vj->str[VIEW_JSON_PLAN_NAME] : "";
	v->host = vj->str[VIEW_JSON_HOST];
	v->context = vj->str[VIEW_JSON_CONTEXT];
	v->driver_desc = vj->str[VIEW_JSON_DRIVER_DESC] != NULL ?
			 vj->str[VIEW_JSON_DRIVER_DESC] : "";
	v->source_note = vj->str[VIEW_JSON_SOURCE_NOTE] != NULL ?
			 vj->str[VIEW_JSON_SOURCE_NOTE] : "";
	v->save_error = vj->str[VIEW_JSON_SAVE_ERROR] != NULL ?
			vj->str[VIEW_JSON_SAVE_ERROR] : "";
	v->last_failure = vj->str[VIEW_JSON_LAST_FAILURE] != NULL ?
			  vj->str[VIEW_JSON_LAST_FAILURE] : "";
	v->verify_why = vj->str[VIEW_JSON_VERIFY_WHY] != NULL ?
			vj->str[VIEW_JSON_VERIFY_WHY] : "";
	v->decision = vj->str[VIEW_JSON_DECISION] != NULL ?
		      vj->str[VIEW_JSON_DECISION] : "";
	v->probe_istio_address = vj->str[VIEW_JSON_PROBE_ISTIO];
	v->probe_apisix_address = vj->str[VIEW_JSON_PROBE_APISIX];
	v->probe_address_error = vj->str[VIEW_JSON_PROBE_ERROR];
	v->checklist_dir = vj->str[VIEW_JSON_CHECKLIST_DIR] != NULL ?
			   vj->str[VIEW_JSON_CHECKLIST_DIR] : "";
	for (int k = 0; k < SESSION_VIEW_KEYS; k++)
		v->act[k].why = vj->why[k];
	v->metrics = &vj->metrics;
	v->gates = &vj->gates;
	vj->pf.plan = v->plan;
	v->preflight = vj->pf.evaluated ? &vj->pf : NULL;
	v->groups = vj->groups;
	v->log = &vj->log;
}

void
view_json_init(struct view_json *vj, const struct plan *p)
{
	memset(vj, 0, sizeof(*vj));
	metrics_init(&vj->metrics);
	evlog_init(&vj->log);
	vj->ngroups = p->ngroups;
	vj->groups = xcalloc((size_t)p->ngroups + 1, sizeof(*vj->groups));
	for (int i = 0; i < p->ngroups; i++)
		group_health_init(&vj->groups[i], p->groups[i].min_ready);
	cutover_init(&vj->v.state, p);
	vj->v.plan = p;
	vj->v.hold_left_ms = -1;
	vj_point(vj);
}

void
view_json_done(struct view_json *vj)
{
	vj_parts_done(vj);
	evlog_done(&vj->log);
}

/* Everything but the log, into n (zeroed, its plan set). */
static int
vj_dec(struct view_json *n, const json_t *j, struct err *e)
{
	const struct plan *p = n->v.plan;
	struct session_view *v = &n->v;
	json_t *o;
	char fp[17], got[17];

	if (!json_is_object(j))
		return err_set(e, "view: not an object");
	plan_fingerprint(p, fp);
	VJ_BUF(j, "fingerprint", got);
	if (strcmp(fp, got) != 0)
		return err_set(e, "view: the guard runs plan %s, this is plan "
			       "%s (the plan file changed: restart the guard)",
			       got, fp);
	for (int i = 0; i < VIEW_JSON_NSTR; i++)
		if (vj_get_dup(j, vj_str_key[i], &n->str[i], e) != 0)
			return -1;
	VJ_BOOL(j, "tls_unverified", v->tls_unverified);
	VJ_BOOL(j, "read_only", v->read_only);
	VJ_BOOL(j, "autopilot", v->autopilot);
	if ((o = vj_get(j, "holder", e)) == NULL)
		return -1;
	VJ_INT(o, "pid", 0, INT32_MAX, v->holder.pid);
	VJ_BUF(o, "user", v->holder.user);
	VJ_BUF(o, "tty", v->holder.tty);
	VJ_BUF(o, "host", v->holder.host);
	VJ_BUF(o, "since", v->holder.since);
	VJ_INT(j, "pid", 0, INT32_MAX, v->pid);
	VJ_BOOL(j, "apply_in_flight", v->apply_in_flight);
	VJ_INT(j, "saved_wall_ms", 0, INT64_MAX, v->saved_wall_ms);
	VJ_INT(j, "applied_wall_ms", 0, INT64_MAX, v->applied_wall_ms);

	if ((o = vj_get(j, "state", e)) == NULL ||
	    vj_dec_state(o, p, &v->state, e) != 0)
		return -1;
	VJ_TIME(j, "now_mono", v->now_mono);
	VJ_TIME(j, "now_wall", v->now_wall);
	VJ_INT(j, "hold_left_ms", -1, INT64_MAX, v->hold_left_ms);
	VJ_BOOL(j, "busy", v->busy);
	VJ_BOOL(j, "reading_back", v->reading_back);
	VJ_BOOL(j, "drift", v->drift);
	VJ_WEIGHTS0(j, "drift_weights", v->drift_weights);

	VJ_BOOL(j, "have_read_back", v->have_read_back);
	VJ_WEIGHTS0(j, "read_back", v->read_back);
	VJ_TIME(j, "read_back_wall_ms", v->read_back_wall_ms);
	VJ_BOOL(j, "can_read_back", v->can_read_back);
	VJ_BOOL(j, "have_measured", v->have_measured);
	VJ_REAL(j, "measured_istio", v->measured_istio);
	VJ_REAL(j, "measured_rps", v->measured_rps);
	VJ_BOOL(j, "split_mismatch", v->split_mismatch);
	VJ_ENUM(j, "verify", vj_verify_name, v->verify);
	VJ_TIME(j, "verify_since_mono", v->verify_since_mono);
	VJ_INT(j, "verify_took_ms", INT64_MIN, INT64_MAX, v->verify_took_ms);
	VJ_BOOL(j, "verify_alarm", v->verify_alarm);
	VJ_TIME(j, "judged_mono", v->judged_mono);
	VJ_BOOL(j, "have_checklist", v->have_checklist);
	if ((o = vj_get(j, "checklist", e)) == NULL ||
	    vj_dec_checklist(o, v->checklist, e) != 0 ||
	    (o = vj_get(j, "preflight", e)) == NULL ||
	    vj_dec_preflight(o, &n->pf, e) != 0)
		return -1;
	VJ_TIME(j, "decision_wall_ms", v->decision_wall_ms);
	VJ_ENUM(j, "decision_level", vj_level_name, v->decision_level);

	if ((o = vj_get(j, "act", e)) == NULL)
		return -1;
	for (int k = 0; k < SESSION_VIEW_KEYS; k++) {
		json_t *a = vj_get(o, vj_key_name[k], e);

		if (a == NULL)
			return -1;
		VJ_BOOL(a, "allowed", v->act[k].allowed);
		if (vj_get_dup(a, "why", &n->why[k], e) != 0)
			return -1;
	}

	metrics_init(&n->metrics);
	if ((o = vj_get(j, "metrics", e)) == NULL ||
	    vj_dec_metrics(o, p, &n->metrics, e) != 0)
		return -1;
	if ((o = vj_get(j, "gates", e)) == NULL ||
	    vj_dec_gates(o, p, &n->gates, e) != 0)
		return -1;
	if ((o = vj_get(j, "groups", e)) == NULL)
		return -1;
	if (!json_is_array(o) || json_array_size(o) != (size_t)p->ngroups)
		return err_set(e, "view: \"groups\" is not an array of the "
			       "plan's %d pod groups", p->ngroups);
	for (int i = 0; i < p->ngroups; i++)
		if (vj_dec_group(json_array_get(o, i), &n->groups[i], e) != 0)
			return err_prefix(e, "pod group %s: ",
					  p->groups[i].name);
	return 0;
}

int
view_json_decode(struct view_json *vj, const json_t *j, struct err *e)
{
	const struct plan *p = vj->v.plan;
	struct view_json n;
	json_t *log, *ch;
	uint64_t total, from;

	memset(&n, 0, sizeof(n));
	n.v.plan = p;
	n.ngroups = p->ngroups;
	n.groups = xcalloc((size_t)p->ngroups + 1, sizeof(*n.groups));
	if (vj_dec(&n, j, e) != 0 ||
	    (log = vj_get(j, "log", e)) == NULL ||
	    vj_check_log(log, &total, &from, e) != 0) {
		vj_parts_done(&n);
		return -1;
	}
	ch = json_object_get(j, "changed");
	n.changed = json_is_integer(ch) && json_integer_value(ch) >= 0 &&
		    json_integer_value(ch) <= SESSION_DIRTY_ALL ?
		    (unsigned)json_integer_value(ch) : SESSION_DIRTY_ALL;
	n.bell = json_is_true(json_object_get(j, "bell"));
	vj_parts_done(vj);
	n.log = vj->log;	/* the log stays; everything else is new */
	n.log_total = vj->log_total;
	*vj = n;
	vj_take_log(vj, log, total, from);
	vj_point(vj);
	return 0;
}
