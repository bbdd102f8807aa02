/*
 * test_view_json — the session's view as JSON and back: a view filled
 * from a running demo session comes back field by field (strings, state,
 * clocks, split, actions, metric series, gates, pod groups, event log),
 * and so does every field a demo leaves at zero (the rollback's alarm and
 * checklist, the preflight, the pinned decision, the probes);
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
	cr_assert_eq(a->apply_in_flight, b->apply_in_flight);
	cr_assert_eq(a->saved_wall_ms, b->saved_wall_ms);
	cr_assert_eq(a->applied_wall_ms, b->applied_wall_ms);
	same_str(a->probe_istio_address, b->probe_istio_address,
		 "probe_istio_address");
	same_str(a->probe_apisix_address, b->probe_apisix_address,
		 "probe_apisix_address");
	same_str(a->probe_address_error, b->probe_address_error,
		 "probe_address_error");
	same_str(a->checklist_dir, b->checklist_dir, "checklist_dir");

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
	cr_assert_eq(a->verify_alarm, b->verify_alarm, "verify_alarm");
	same_str(a->verify_why, b->verify_why, "verify_why");
	cr_assert_eq(a->judged_mono, b->judged_mono, "judged_mono");
	cr_assert_eq(a->have_checklist, b->have_checklist, "have_checklist");
	for (int i = 0; i < CL_COUNT; i++) {
		cr_assert_eq(a->checklist[i].mark, b->checklist[i].mark,
			     "checklist %d", i);
		cr_assert_str_eq(a->checklist[i].text, b->checklist[i].text);
	}
	cr_assert_eq(a->preflight == NULL, b->preflight == NULL, "preflight");
	for (int i = 0; a->preflight != NULL && i < PF_COUNT; i++) {
		cr_assert_eq(a->preflight->c[i].state,
			     b->preflight->c[i].state, "preflight %d", i);
		cr_assert_str_eq(a->preflight->c[i].reason,
				 b->preflight->c[i].reason);
	}
	same_str(a->decision, b->decision, "decision");
	cr_assert_eq(a->decision_wall_ms, b->decision_wall_ms);
	cr_assert_eq(a->decision_level, b->decision_level, "decision_level");
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
	for (int i = 0; i < a->plan->probes.n; i++)
		for (int k = 0; k < PROBE_SIDES; k++) {
			const struct probe_series *x = &a->metrics->probe[i][k];
			const struct probe_series *y = &b->metrics->probe[i][k];

			cr_assert_eq(x->state, y->state, "probe %d/%d", i, k);
			cr_assert_eq(x->last_ok, y->last_ok);
			cr_assert_eq(x->failures, y->failures);
			cr_assert_eq(x->last_status, y->last_status);
			same_real(x->last_ms, y->last_ms, "probe last_ms");
			cr_assert_eq(x->last_mono_ms, y->last_mono_ms);
			cr_assert_str_eq(x->why, y->why);
			cr_assert_eq(x->nhistory, y->nhistory, "probe history");
			for (int h = 0; h < x->nhistory; h++) {
				same_real(x->ok_history[h], y->ok_history[h],
					  "probe ok_history");
				same_real(x->ms_history[h], y->ms_history[h],
					  "probe ms_history");
			}
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
		cr_assert_eq(x->sidecar_missing, y->sidecar_missing,
			     "sidecar_missing");
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

/*
 * Every field the view has besides what a demo session fills, each set to
 * something that is not its zero: the rollback's alarm and checklist, the
 * preflight's checks, the pinned decision, the probes, a group's missing
 * sidecars.  A field the encoder drops or the decoder skips fails here.
 */
Test(view_json, every_field_round_trips, .timeout = 60)
{
	static const char *const marks_why[] = {
		"weights read back: istio 0 / apisix 100", "traffic: waiting",
		"logs: 3 files in rollback-logs", "503 2.50%, 200 97.50%",
		"retry after the fix",
	};
	struct fix f;
	struct session_view v;
	struct view_json vj;
	struct preflight pf;
	struct metrics *m = malloc(sizeof(*m));
	struct group_health *g;
	struct err e;

	fix_open(&f);
	session_view_fill(&f.s, &v);
	v.verify = VERIFY_LATE;
	v.verify_alarm = true;
	v.verify_why = "Istio still serves 12.5 req/s after 5m";
	v.judged_mono = v.now_mono - 1234;
	v.have_checklist = true;
	for (int i = 0; i < CL_COUNT; i++) {
		v.checklist[i].mark = (enum checklist_mark)((i + 1) % 4);
		snprintf(v.checklist[i].text, sizeof(v.checklist[i].text),
			 "%s", marks_why[i]);
	}
	memset(&pf, 0, sizeof(pf));
	for (int i = 0; i < PF_COUNT; i++) {
		pf.c[i].state = (enum preflight_state)((i + 1) % 4);
		snprintf(pf.c[i].reason, sizeof(pf.c[i].reason), "check %d: "
			 "gateway %d/3 ready", i, i % 4);
	}
	pf.evaluated = true;
	v.preflight = &pf;
	v.decision = "rolled back: error_rate 5.27% (limit 1.00%)";
	v.decision_wall_ms = v.now_wall - 4321;
	v.decision_level = EVLOG_CRIT;
	/* The store's record and where the probes and the logs went. */
	v.apply_in_flight = true;
	v.saved_wall_ms = v.now_wall - 777;
	v.applied_wall_ms = v.now_wall - 99999;
	v.probe_istio_address = "10.0.0.7:443";
	v.probe_apisix_address = "";
	v.probe_address_error = "apisix: no LoadBalancer address yet";
	v.checklist_dir = "/var/lib/cutover/rollback-logs";

	/* Two probes, through both gateways, one failing. */
	cr_assert_not_null(m);
	*m = *v.metrics;
	f.plan.probes.n = 2;
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < PROBE_SIDES; k++)
			for (int h = 0; h < 5 + i + k; h++)
				metrics_probe_record(m, i, (enum probe_side)k,
				    (h + i) % 3 != 0, (h + i) % 3 != 0 ? 200 :
				    503, h == 2 ? NAN : 10.5 * h, "HTTP 503",
				    v.now_mono - 1000 * h);
	v.metrics = m;

	g = calloc((size_t)f.plan.ngroups, sizeof(*g));
	cr_assert_not_null(g);
	memcpy(g, v.groups, (size_t)f.plan.ngroups * sizeof(*g));
	g[0].total = 3;
	g[0].sidecar_missing = 2;
	v.groups = g;

	view_json_init(&vj, &f.plan);
	err_clear(&e);
	cr_assert_eq(round_trip(&v, 0, &vj, &e), 0, "%s", e.msg);
	same_view(&v, &vj.v);
	cr_assert_eq(vj.v.metrics->probe[1][PROBE_APISIX].nhistory, 7);
	cr_assert_eq(vj.v.groups[0].sidecar_missing, 2);
	cr_assert_not_null(vj.v.preflight);

	/* Out of stage 0 the preflight is not shown, there as here. */
	v.preflight = NULL;
	cr_assert_eq(round_trip(&v, 0, &vj, &e), 0, "%s", e.msg);
	cr_assert_null(vj.v.preflight);

	view_json_done(&vj);
	f.plan.probes.n = 0;
	free(g);
	free(m);
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

static void edit_sidecar_missing(json_t *j)
{
	json_t *g = json_array_get(json_object_get(j, "groups"), 0);

	json_object_set_new(g, "sidecar_missing", json_integer(
	    json_integer_value(json_object_get(g, "total")) + 1));
}

static void edit_checklist(json_t *j)
{
	json_array_remove(json_object_get(j, "checklist"), 0);
}

static void edit_checklist_mark(json_t *j)
{
	json_object_set_new(json_array_get(json_object_get(j, "checklist"), 1),
			    "mark", json_string("maybe"));
}

static void edit_preflight(json_t *j)
{
	json_t *c = json_array();

	for (int i = 0; i < PF_COUNT; i++)
		json_array_append_new(c, json_pack("{s:s, s:s}", "state",
		    i == 3 ? "green" : "pass", "reason", ""));
	json_object_set_new(j, "preflight", json_pack("{s:o}", "checks", c));
}

static void edit_preflight_short(json_t *j)
{
	json_object_set_new(j, "preflight", json_pack("{s:[]}", "checks"));
}

static void edit_probes(json_t *j)
{
	/* The plan names no probe: one is one too many. */
	json_array_append_new(json_object_get(json_object_get(j, "metrics"),
					      "probes"), json_array());
}

static void edit_decision_level(json_t *j)
{
	json_object_set_new(j, "decision_level", json_integer(3));
}

static void edit_verify_why(json_t *j)
{
	json_object_set_new(j, "verify_why", json_integer(1));
}

static void edit_saved_wall_ms(json_t *j)
{
	json_object_set_new(j, "saved_wall_ms", json_integer(-1));
}

static void edit_apply_in_flight(json_t *j)
{
	json_object_set_new(j, "apply_in_flight", json_string("yes"));
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
		edit_missing, edit_long, edit_sidecar_missing, edit_checklist,
		edit_checklist_mark, edit_preflight, edit_preflight_short,
		edit_probes, edit_decision_level, edit_verify_why,
		edit_saved_wall_ms, edit_apply_in_flight,
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

/*
 * What changed and the bell, which the guard sets beside the view: taken
 * when in range, everything changed otherwise (a hostile or older guard
 * costs a redraw, never a pane left stale).
 */
Test(view_json, what_changed_and_the_bell, .timeout = 60)
{
	static const struct {
		const char *changed;	/* JSON, NULL: absent */
		unsigned want;
	} cases[] = {
		{ "32", SESSION_DIRTY_CLOCK },
		{ "0", 0 },
		{ NULL, SESSION_DIRTY_ALL },
		{ "-1", SESSION_DIRTY_ALL },
		{ "65536", SESSION_DIRTY_ALL },
		{ "99999999999999999999", SESSION_DIRTY_ALL },
		{ "2.5", SESSION_DIRTY_ALL },
		{ "\"32\"", SESSION_DIRTY_ALL },
	};
	struct fix f;
	struct session_view v;
	struct view_json vj;
	struct err e;

	fix_open(&f);
	session_view_fill(&f.s, &v);
	view_json_init(&vj, &f.plan);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = view_json_encode(&v, 0);

		if (cases[i].changed != NULL)
			json_object_set_new(j, "changed", json_loads(
			    cases[i].changed, JSON_DECODE_ANY, NULL));
		json_object_set_new(j, "bell", i == 0 ? json_true() :
				    json_string("true"));
		err_clear(&e);
		cr_assert_eq(view_json_decode(&vj, j, &e), 0, "%s", e.msg);
		cr_expect_eq(vj.changed, cases[i].want, "changed %s: %u",
			     cases[i].changed ? cases[i].changed : "absent",
			     vj.changed);
		cr_expect_eq(vj.bell, i == 0, "bell only when true");
		json_decref(j);
	}
	view_json_done(&vj);
	fix_close(&f);
}
