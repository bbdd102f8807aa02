/*
 * test_view_json — the session's view as JSON and back: a view filled
 * from a running demo session comes back field by field (strings, state,
 * clocks, split, actions, metric series, gates, pod groups, event log);
 * the log is sent from a line on and appended; a view of another plan,
 * or with a field of the wrong type or out of range, is refused and
 * leaves the decoded view as it was.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"
#include "podhealth.h"
#include "session.h"
#include "session_view.h"
#include "view_json.h"

struct fix {
	char dir[64];
	struct plan plan;
	struct clock_fake clk;
	struct loop *loop;
	struct session s;
};

static void
fix_open(struct fix *f)
{
	struct session_options opt = { .demo = true, .demo_speed = 60 };
	const char *why;
	struct err e;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-vjson.XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	setenv("XDG_STATE_HOME", f->dir, 1);
	err_clear(&e);
	plan_defaults(&f->plan);
	free(f->plan.name);
	f->plan.name = strdup("demo");
	demo_plan(&f->plan, 60);
	cr_assert_eq(plan_finish(&f->plan, &e), 0, "%s", e.msg);
	f->plan.traffic.driver = DRIVER_DEMO;
	clock_fake_init(&f->clk, 1000000, 1767225600000);
	f->loop = loop_new(&f->clk.clock);
	cr_assert_not_null(f->loop);
	cr_assert_eq(session_open(&f->s, &f->plan, &f->clk.clock, f->loop,
				  &opt, false, &e), 0, "%s", e.msg);
	session_start(&f->s, true);
	/* Run the demo a while: metrics, pods, a stage, log lines. */
	for (int i = 0; i < 200; i++) {
		clock_fake_advance(&f->clk, 100);
		loop_run_once(f->loop, 0);
	}
	cr_assert_eq(session_act(&f->s, EV_ADVANCE, false, "test", &why), 0,
		     "%s", why);
	for (int i = 0; i < 200; i++) {
		clock_fake_advance(&f->clk, 100);
		loop_run_once(f->loop, 0);
	}
}

static void
fix_close(struct fix *f)
{
	char cmd[128];

	session_close(&f->s);
	loop_free(f->loop);
	plan_done(&f->plan);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	cr_assert_eq(system(cmd), 0);
}

static void
same_str(const char *a, const char *b, const char *what)
{
	if (a == NULL || b == NULL)
		cr_assert(a == b || (a != NULL && *a == '\0') ||
			  (b != NULL && *b == '\0'), "%s", what);
	else
		cr_assert_str_eq(a, b, "%s", what);
}

static void
same_real(double a, double b, const char *what)
{
	if (isnan(a))
		cr_assert(isnan(b), "%s", what);
	else
		cr_assert(a == b, "%s: %g != %g", what, a, b);
}

static void
same_weights(struct weights a, struct weights b, const char *what)
{
	cr_assert(a.istio == b.istio && a.apisix == b.apisix, "%s", what);
}

static void
same_view(const struct session_view *a, const struct session_view *b)
{
	same_str(a->plan_name, b->plan_name, "plan_name");
	same_str(a->host, b->host, "host");
	same_str(a->context, b->context, "context");
	cr_assert_eq(a->tls_unverified, b->tls_unverified);
	cr_assert_eq(a->read_only, b->read_only);
	cr_assert_eq(a->autopilot, b->autopilot);
	cr_assert_eq(memcmp(&a->holder, &b->holder, sizeof(a->holder)), 0);
	cr_assert_eq(a->pid, b->pid);
	same_str(a->driver_desc, b->driver_desc, "driver_desc");
	same_str(a->source_note, b->source_note, "source_note");
	same_str(a->save_error, b->save_error, "save_error");
	same_str(a->last_failure, b->last_failure, "last_failure");

	cr_assert_eq(memcmp(&a->state, &b->state, sizeof(a->state)), 0,
		     "state");
	cr_assert_eq(a->now_mono, b->now_mono);
	cr_assert_eq(a->now_wall, b->now_wall);
	cr_assert_eq(a->hold_left_ms, b->hold_left_ms);
	cr_assert_eq(a->busy, b->busy);
	cr_assert_eq(a->reading_back, b->reading_back);
	cr_assert_eq(a->drift, b->drift);
	same_weights(a->drift_weights, b->drift_weights, "drift_weights");
	cr_assert_eq(a->have_read_back, b->have_read_back);
	same_weights(a->read_back, b->read_back, "read_back");
	cr_assert_eq(a->read_back_wall_ms, b->read_back_wall_ms);
	cr_assert_eq(a->can_read_back, b->can_read_back);
	cr_assert_eq(a->have_measured, b->have_measured);
	same_real(a->measured_istio, b->measured_istio, "measured_istio");
	same_real(a->measured_rps, b->measured_rps, "measured_rps");
	cr_assert_eq(a->split_mismatch, b->split_mismatch);
	cr_assert_eq(a->verify, b->verify);
	cr_assert_eq(a->verify_since_mono, b->verify_since_mono);
	cr_assert_eq(a->verify_took_ms, b->verify_took_ms);
	for (int k = 0; k < SESSION_VIEW_KEYS; k++) {
		cr_assert_eq(a->act[k].allowed, b->act[k].allowed, "act %d", k);
		same_str(a->act[k].why, b->act[k].why, "why");
	}

	for (int q = 0; q < Q_COUNT; q++) {
		const struct series *x = &a->metrics->q[q], *y = &b->metrics->q[q];

		cr_assert_eq(x->has_value, y->has_value, "q %d", q);
		same_real(x->value, y->value, "value");
		cr_assert_eq(x->sample_wall_ms, y->sample_wall_ms);
		cr_assert_eq(x->fetched_mono_ms, y->fetched_mono_ms);
		cr_assert_eq(x->sample_lag_ms, y->sample_lag_ms);
		cr_assert_eq(x->empty, y->empty);
		cr_assert_eq(x->partial, y->partial);
		cr_assert_eq(x->state, y->state);
		cr_assert_str_eq(x->error, y->error);
		cr_assert_str_eq(x->warning, y->warning);
		cr_assert_eq(x->nhistory, y->nhistory, "q %d history", q);
		for (int i = 0; i < x->nhistory; i++)
			same_real(x->history[i], y->history[i], "history");
		cr_assert_eq(x->history_step_ms, y->history_step_ms);
	}
	cr_assert_eq(a->metrics->last_refresh_mono_ms,
		     b->metrics->last_refresh_mono_ms);
	cr_assert_eq(a->metrics->in_flight, b->metrics->in_flight);

	cr_assert_eq(a->gates->stage, b->gates->stage);
	cr_assert_eq(a->gates->verdict, b->gates->verdict);
	cr_assert_eq(a->gates->decided_by, b->gates->decided_by);
	for (int g = 0; g < GATE_COUNT; g++) {
		const struct gate_check *x = &a->gates->g[g];
		const struct gate_check *y = &b->gates->g[g];

		cr_assert_eq(x->enabled, y->enabled, "gate %d", g);
		cr_assert_eq(x->verdict, y->verdict);
		cr_assert_eq(x->have_value, y->have_value);
		same_real(x->value, y->value, "gate value");
		same_real(x->limit, y->limit, "gate limit");
		cr_assert_str_eq(x->why, y->why);
	}

	for (int i = 0; i < a->plan->ngroups; i++) {
		const struct group_health *x = &a->groups[i], *y = &b->groups[i];

		cr_assert_eq(x->state, y->state, "group %d", i);
		cr_assert_str_eq(x->error, y->error);
		cr_assert_eq(x->fetched_mono_ms, y->fetched_mono_ms);
		cr_assert_eq(x->total, y->total);
		cr_assert_eq(x->ready, y->ready);
		cr_assert_eq(x->min_ready, y->min_ready);
		cr_assert_eq(x->restarts, y->restarts);
		cr_assert_eq(x->recent_restarts, y->recent_restarts);
		cr_assert_eq(x->oomkilled, y->oomkilled);
		cr_assert_eq(x->terminating, y->terminating);
		cr_assert_eq(x->with_sidecar, y->with_sidecar);
		cr_assert_eq(x->sidecar_ready, y->sidecar_ready);
		cr_assert_str_eq(x->worst_reason, y->worst_reason);
		cr_assert_eq(x->npods, y->npods);
		for (int k = 0; k < x->npods; k++)
			cr_assert_eq(memcmp(&x->pods[k], &y->pods[k],
					    sizeof(x->pods[k])), 0, "pod %d", k);
	}

	cr_assert_eq(a->log->total, b->log->total);
	cr_assert_eq(a->log->n, b->log->n);
	for (int i = 0; i < a->log->n; i++) {
		const struct evlog_line *x = evlog_get(a->log, i);
		const struct evlog_line *y = evlog_get(b->log, i);

		cr_assert_eq(x->wall_ms, y->wall_ms);
		cr_assert_eq(x->level, y->level);
		cr_assert_str_eq(x->text, y->text);
	}
	cr_assert_eq(b->plan, a->plan);
}

/* Encode, print, parse, decode: as it goes over the socket. */
static int
round_trip(const struct session_view *v, uint64_t log_from,
	   struct view_json *vj, struct err *e)
{
	json_t *j = view_json_encode(v, log_from);
	char *text = json_dumps(j, JSON_COMPACT);
	json_t *back;
	int rc;

	cr_assert_not_null(text);
	back = json_loads(text, 0, NULL);
	cr_assert_not_null(back, "%s", text);
	rc = view_json_decode(vj, back, e);
	json_decref(back);
	json_decref(j);
	free(text);
	return rc;
}

Test(view_json, round_trip, .timeout = 60)
{
	struct fix f;
	struct session_view v;
	struct view_json vj;
	struct err e;
	int groups_with_pods = 0, with_history = 0;

	fix_open(&f);
	/* The demo has no pods: give the first group two, one unwell. */
	struct pod_health *pods = calloc(2, sizeof(*pods));

	strcpy(pods[0].name, "istio-ingressgateway-7f9c-abcde");
	strcpy(pods[0].phase, "Running");
	pods[0].ready = pods[0].sidecar = pods[0].sidecar_ready = true;
	strcpy(pods[1].name, "istio-ingressgateway-7f9c-fghij");
	strcpy(pods[1].phase, "Running");
	strcpy(pods[1].reason, "CrashLoopBackOff");
	pods[1].restarts = 7;
	pods[1].last_restart_wall_ms = f.clk.wall - 60000;
	podhealth_take(&f.s.groups[0], pods, 2, f.clk.wall, f.clk.mono);
	session_view_fill(&f.s, &v);
	/* The demo gave each part something to carry. */
	cr_assert_gt(v.state.stage, 0);
	cr_assert_gt(v.log->n, 2);
	for (int q = 0; q < Q_COUNT; q++)
		with_history += v.metrics->q[q].nhistory > 0;
	cr_assert_gt(with_history, 0);
	for (int i = 0; i < f.plan.ngroups; i++)
		groups_with_pods += v.groups[i].npods > 0;
	cr_assert_gt(groups_with_pods, 0);
	cr_assert_neq(v.gates->verdict, VERDICT_NONE);

	view_json_init(&vj, &f.plan);
	err_clear(&e);
	cr_assert_eq(round_trip(&v, 0, &vj, &e), 0, "%s", e.msg);
	same_view(&v, &vj.v);

	/* Again, later, sending only the new log lines. */
	uint64_t seen = v.log->total;
	session_log(&f.s, EVLOG_WARN, "a line after the first view");
	for (int i = 0; i < 50; i++) {
		clock_fake_advance(&f.clk, 100);
		loop_run_once(f.loop, 0);
	}
	session_view_fill(&f.s, &v);
	cr_assert_gt(v.log->total, seen);
	cr_assert_eq(round_trip(&v, seen, &vj, &e), 0, "%s", e.msg);
	same_view(&v, &vj.v);

	view_json_done(&vj);
	fix_close(&f);
}

/* Decode j after one change made by `edit` to the encoded view. */
static int
decode_edited(const struct session_view *v, struct view_json *vj,
	      void (*edit)(json_t *), struct err *e)
{
	json_t *j = view_json_encode(v, 0);
	int rc;

	edit(j);
	rc = view_json_decode(vj, j, e);
	json_decref(j);
	return rc;
}

static void edit_fingerprint(json_t *j)
{
	json_object_set_new(j, "fingerprint", json_string("0123456789abcdef"));
}

static void edit_stage(json_t *j)
{
	json_object_set_new(json_object_get(j, "state"), "stage",
			    json_integer(99));
}

static void edit_weights(json_t *j)
{
	json_object_set_new(json_object_get(json_object_get(j, "state"),
					    "applied"), "istio",
			    json_integer(60));
}

static void edit_phase(json_t *j)
{
	json_object_set_new(json_object_get(j, "state"), "phase",
			    json_string("dancing"));
}

static void edit_type(json_t *j)
{
	json_object_set_new(j, "busy", json_string("yes"));
}

static void edit_groups(json_t *j)
{
	json_array_remove(json_object_get(j, "groups"), 0);
}

static void edit_history(json_t *j)
{
	json_t *q = json_array_get(json_object_get(json_object_get(j,
	    "metrics"), "q"), 0);
	json_t *h = json_array();

	for (int i = 0; i <= METRICS_HISTORY; i++)
		json_array_append_new(h, json_real(1));
	json_object_set_new(q, "history", h);
}

static void edit_ready(json_t *j)
{
	json_t *g = json_array_get(json_object_get(j, "groups"), 0);

	json_object_set_new(g, "ready", json_integer(
	    json_integer_value(json_object_get(g, "total")) + 1));
}

static void edit_log(json_t *j)
{
	json_object_set_new(json_object_get(j, "log"), "from",
			    json_integer(0));
	json_array_remove(json_object_get(json_object_get(j, "log"),
					  "lines"), 0);
}

static void edit_missing(json_t *j)
{
	json_object_del(j, "act");
}

static void edit_long(json_t *j)
{
	char *s = malloc(10000);

	memset(s, 'x', 9999);
	s[9999] = '\0';
	json_object_set_new(j, "source_note", json_string(s));
	free(s);
}

Test(view_json, refuses_what_does_not_fit, .timeout = 60)
{
	void (*edits[])(json_t *) = {
		edit_fingerprint, edit_stage, edit_weights, edit_phase,
		edit_type, edit_groups, edit_history, edit_ready, edit_log,
		edit_missing, edit_long,
	};
	struct fix f;
	struct session_view v;
	struct view_json vj;
	struct err e;

	fix_open(&f);
	session_view_fill(&f.s, &v);
	view_json_init(&vj, &f.plan);
	err_clear(&e);
	cr_assert_eq(round_trip(&v, 0, &vj, &e), 0, "%s", e.msg);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		err_clear(&e);
		cr_assert_eq(decode_edited(&v, &vj, edits[i], &e), -1,
			     "edit %zu was taken", i);
		cr_assert_neq(e.msg[0], '\0', "edit %zu: no reason", i);
		/* What was decoded before stays, whole. */
		same_view(&v, &vj.v);
	}
	err_clear(&e);
	cr_assert_eq(decode_edited(&v, &vj, edit_fingerprint, &e), -1);
	cr_assert(strstr(e.msg, "plan") != NULL, "%s", e.msg);
	view_json_done(&vj);
	fix_close(&f);
}

/* Weights not known yet (0/0) travel too: a guard just started. */
Test(view_json, unknown_weights_are_not_an_error, .timeout = 60)
{
	struct fix f;
	struct session_view v;
	struct view_json vj;
	struct err e;

	fix_open(&f);
	session_view_fill(&f.s, &v);
	v.drift_weights = (struct weights){ 0, 0 };
	v.read_back = (struct weights){ 0, 0 };
	v.state.pending = (struct weights){ 0, 0 };
	view_json_init(&vj, &f.plan);
	err_clear(&e);
	cr_assert_eq(round_trip(&v, 0, &vj, &e), 0, "%s", e.msg);
	same_view(&v, &vj.v);
	view_json_done(&vj);
	fix_close(&f);
}

Test(view_json, control_characters_are_sanitised, .timeout = 60)
{
	struct fix f;
	struct session_view v;
	struct view_json vj;
	struct err e;
	json_t *j;

	fix_open(&f);
	session_view_fill(&f.s, &v);
	view_json_init(&vj, &f.plan);
	j = view_json_encode(&v, 0);
	json_object_set_new(j, "source_note",
			    json_string("evil \033]0;title\007 text"));
	err_clear(&e);
	cr_assert_eq(view_json_decode(&vj, j, &e), 0, "%s", e.msg);
	cr_assert_null(strchr(vj.v.source_note, '\033'));
	cr_assert_null(strchr(vj.v.source_note, '\007'));
	json_decref(j);
	view_json_done(&vj);
	fix_close(&f);
}
