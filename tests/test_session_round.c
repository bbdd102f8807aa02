/*
 * test_session_round — a refresh round is judged when its answers are
 * in: the verdict (and the values drawn beside it) are those of the
 * refresh just completed, not of the one before; one evaluation per
 * round however many answers arrive; and a round whose answers are still
 * out when the next refresh is due is judged then, the silent queries as
 * no data, never a pass.  A rollback is verified only on a round asked
 * after it, and answered.
 *
 * A live session on a fake clock against tests/promd.py, a scripted
 * Prometheus whose every query is named by its plan key; the state file
 * puts the session at stage 1, holding, with no traffic driver (the
 * gates are watched, nothing moves) or an exec driver (two scripts) for
 * the rollback.  The clock moves only while nothing is in flight, or a
 * tick at a time; answers are waited for with bounded loops.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "drivers/driver_exec.h"
#include "gate.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "proc.h"
#include "prom.h"
#include "session.h"
#include "session_view.h"
#include "store.h"
#include "testsrv.h"
#include "xmalloc.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define REFRESH_MS 15000
#define TICK_MS 1000
#define WAIT_TURNS 400		/* x 50 ms of real waiting at most */

struct fix {
	char dir[64];
	struct plan plan;
	struct clock_fake clk;
	struct loop *loop;
	struct session s;
	bool open;
	pid_t srv;
	int port;
};

/* Healthy answers for every query the gates read (stage 1's limits). */
static const char healthy[] =
	"{\"values\": {"
	"\"istio_error_rate\": 0.002, \"istio_p95_ms\": 120,"
	"\"istio_request_rate\": 50, \"istio_availability\": 0.9995,"
	"\"mtls_coverage\": 1, \"apisix_error_rate\": 0.002,"
	"\"apisix_p95_ms\": 110, \"apisix_request_rate\": 450,"
	"\"istio_p50_ms\": 40, \"istio_p99_ms\": 200, \"apisix_p50_ms\": 40,"
	"\"apisix_p99_ms\": 190, \"istio_connections\": 10,"
	"\"apisix_connections\": 90}}";

/* An executable script `name` in the fixture's directory (xmalloc'd). */
static char *
fix_script(struct fix *f, const char *name, const char *body)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	FILE *out = fopen(path, "w");

	cr_assert_not_null(out, "%s", path);
	fprintf(out, "#!/bin/sh\n%s", body);
	cr_assert_eq(fclose(out), 0);
	cr_assert_eq(chmod(path, 0755), 0);
	return path;
}

/* The exec driver: set writes the weights where get reads them. */
static void
fix_driver(struct fix *f)
{
	char *body, *sp, *gp, *w0;
	FILE *out;

	w0 = xasprintf("%s/weights", f->dir);
	out = fopen(w0, "w");
	cr_assert_not_null(out);
	fprintf(out, "istio=%d apisix=%d\n", f->plan.stages[0].istio,
		100 - f->plan.stages[0].istio);
	cr_assert_eq(fclose(out), 0);
	body = xasprintf("echo \"istio=$1 apisix=$2\" > '%s'\n", w0);
	sp = fix_script(f, "set.sh", body);
	free(body);
	body = xasprintf("cat '%s'\n", w0);
	gp = fix_script(f, "get.sh", body);
	free(body);
	plan_traffic_use(&f->plan, DRIVER_EXEC);
	driver_exec_settings(&f->plan)->timeout_ms = 10000;
	{
		struct plan_argv *a = &driver_exec_settings(&f->plan)->set;

		a->argv = xcalloc(4, sizeof(*a->argv));
		a->argv[0] = sp;
		a->argv[1] = xstrdup("{istio}");
		a->argv[2] = xstrdup("{apisix}");
		a->argc = 3;
		a = &driver_exec_settings(&f->plan)->get;
		a->argv = xcalloc(2, sizeof(*a->argv));
		a->argv[0] = gp;
		a->argc = 1;
	}
	free(w0);
}

static void
fix_open(struct fix *f, bool driver)
{
	const char *t = getenv("top_srcdir");
	char top[1024];
	char url[64];
	struct store st;
	struct store_record rec;
	struct session_options opt = { 0 };
	struct err e;

	memset(f, 0, sizeof(*f));
	snprintf(top, sizeof(top), "%s", t != NULL && *t ? t : TOP_SRCDIR);
	f->srv = testsrv_start(top, "promd.py", NULL, NULL, 10000, NULL,
			       &f->port);
	testsrv_control(f->port, healthy);
	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-round.XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	setenv("XDG_STATE_HOME", f->dir, 1);

	plan_defaults(&f->plan);
	free(f->plan.name);
	f->plan.name = xstrdup("round");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", f->port);
	testsrv_set_str(&f->plan.prometheus.url, url);
	f->plan.prometheus.timeout_ms = 60000;	/* only the round ends it */
	f->plan.refresh_ms = REFRESH_MS;
	f->plan.gates.max_age_given = false;
	for (int i = 0; i < Q_COUNT; i++)
		testsrv_set_str(&f->plan.queries[i].promql,
				plan_query_key((enum query_id)i));
	for (int i = 0; i < f->plan.ngroups; i++) {
		free(f->plan.groups[i].name);
		free(f->plan.groups[i].namespace);
		free(f->plan.groups[i].selector);
	}
	f->plan.ngroups = 0;	/* the metrics alone are judged */
	f->plan.rollback.automatic = false;
	if (driver)
		fix_driver(f);
	err_clear(&e);
	cr_assert_eq(plan_finish(&f->plan, &e), 0, "%s", e.msg);
	cr_assert_eq(f->plan.traffic.driver, driver ? DRIVER_EXEC :
		     DRIVER_NONE);

	/* A run that left the cutover at stage 1, holding. */
	cr_assert_eq(store_open(&st, f->plan.state_file, &e), 0, "%s", e.msg);
	memset(&rec, 0, sizeof(rec));
	cutover_init(&rec.state, &f->plan);
	rec.state.stage = 1;
	rec.state.target = 1;
	rec.state.phase = PHASE_HOLDING;
	rec.state.applied.istio = f->plan.stages[0].istio;
	rec.state.applied.apisix = 100 - f->plan.stages[0].istio;
	rec.state.pending = rec.state.applied;
	plan_fingerprint(&f->plan, rec.fingerprint);
	cr_assert_eq(store_save(&st, &rec, &e), 0, "%s", e.msg);
	store_close(&st);

	clock_fake_init(&f->clk, 1000000, 1767225600000);
	f->loop = loop_new(&f->clk.clock);
	cr_assert_not_null(f->loop);
	cr_assert_eq(session_open(&f->s, &f->plan, &f->clk.clock, f->loop,
				  &opt, false, &e), 0, "%s", e.msg);
	f->open = true;
	cr_assert_not_null(f->s.prom, "%s", f->s.source_note);
	cr_assert_eq(f->s.rec.state.stage, 1);
	session_start(&f->s, true);
	/* The start's read-back, when there is a driver. */
	for (int i = 0; i < WAIT_TURNS && session_busy(&f->s); i++) {
		loop_run_once(f->loop, 50);
		proc_sigchld(f->loop);
	}
	cr_assert_not(session_busy(&f->s));
}

static void
fix_close(struct fix *f)
{
	char cmd[128];

	if (f->open)
		session_close(&f->s);
	if (f->loop != NULL)
		loop_free(f->loop);
	plan_done(&f->plan);
	testsrv_stop(&f->srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	cr_assert_eq(system(cmd), 0);
}

/* Turn the loop, the clock standing still, until every answer is in. */
static void
fix_answers(struct fix *f)
{
	int i;

	loop_run_once(f->loop, 0);
	for (i = 0; i < WAIT_TURNS && prom_busy(f->s.prom); i++)
		loop_run_once(f->loop, 50);
	cr_assert_not(prom_busy(f->s.prom), "prometheus did not answer");
}

/* Let a refresh interval pass a tick at a time: its last tick starts the
 * next refresh. */
static void
fix_interval(struct fix *f)
{
	for (int t = 0; t < REFRESH_MS / TICK_MS; t++) {
		clock_fake_advance(&f->clk, TICK_MS);
		loop_run_once(f->loop, 0);
	}
}

/* The error rate the screen draws beside the verdict. */
static double
shown_error_rate(struct fix *f)
{
	struct session_view v;
	double shown = NAN;

	session_view_fill(&f->s, &v);
	cr_assert(v.gates == &f->s.gates);
	if (!metrics_value(v.metrics, &f->plan, Q_ISTIO_ERROR_RATE,
			   v.judged_mono, f->plan.gates.max_age_ms, &shown))
		return NAN;
	return shown;
}

static void
set_error_rate(struct fix *f, double v)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"values\": {\"istio_error_rate\": "
		 "%.17g}}", v);
	testsrv_control(f->port, body);
}

Test(session_round, verdict_is_the_refresh_just_completed, .timeout = 60)
{
	struct fix f;
	const struct gate_result *g;

	fix_open(&f, false);
	g = &f.s.gates;
	/* Round 0: fetched at the start, judged when its answers are in. */
	fix_answers(&f);
	cr_assert_eq(g->verdict, VERDICT_PASS, "%s",
		     cutover_verdict_name(g->verdict));
	cr_assert_float_eq(g->g[G_ERROR_RATE].value, 0.002, 1e-12);
	cr_assert_eq(f.s.seen_mono, f.clk.mono);

	/* Round 1 fetches 5 %: its own verdict fails on it. */
	set_error_rate(&f, 0.05);
	fix_interval(&f);
	fix_answers(&f);
	cr_assert_float_eq(f.s.metrics.q[Q_ISTIO_ERROR_RATE].value, 0.05,
			   1e-12);
	cr_assert_eq(g->verdict, VERDICT_FAIL, "refresh 1 fetched 5 %% and "
		     "was judged %s on %g", cutover_verdict_name(g->verdict),
		     g->g[G_ERROR_RATE].value);
	cr_assert_eq(g->decided_by, G_ERROR_RATE);
	cr_assert_float_eq(g->g[G_ERROR_RATE].value, 0.05, 1e-12);
	cr_assert_float_eq(shown_error_rate(&f), 0.05, 1e-12);
	cr_assert_eq(f.s.seen_mono, f.clk.mono, "judged when it came");
	cr_assert_eq(f.s.rec.state.phase, PHASE_BREACH);
	/* Fourteen answers came in; the round was judged once. */
	cr_assert_eq(f.s.rec.state.breaches, 1);

	/* Round 2 fails again: the second breach, not the fifteenth. */
	fix_interval(&f);
	fix_answers(&f);
	cr_assert_eq(g->verdict, VERDICT_FAIL);
	cr_assert_eq(f.s.rec.state.breaches, 2);

	/* Round 3 fetches 0.2 % again: it passes on its own values. */
	set_error_rate(&f, 0.002);
	fix_interval(&f);
	fix_answers(&f);
	cr_assert_eq(g->verdict, VERDICT_PASS, "refresh 3 fetched 0.2 %% and "
		     "was judged %s on %g", cutover_verdict_name(g->verdict),
		     g->g[G_ERROR_RATE].value);
	cr_assert_float_eq(shown_error_rate(&f), 0.002, 1e-12);
	cr_assert_eq(f.s.rec.state.breaches, 0);
	cr_assert_eq(f.s.rec.state.phase, PHASE_HOLDING);
	fix_close(&f);
}

/*
 * A round still out when the next refresh is due is judged then: the
 * queries that did not answer are no data (the screen says why), never
 * the last round's pass.  Their late answers judge the next round.
 */
Test(session_round, unanswered_round_is_no_data_at_its_deadline,
     .timeout = 90)
{
	struct fix f;
	const struct gate_result *g;
	struct session_view v;
	int i;

	fix_open(&f, false);
	g = &f.s.gates;
	fix_answers(&f);
	cr_assert_eq(g->verdict, VERDICT_PASS);
	cr_assert_eq(f.s.rec.state.breaches, 0);

	testsrv_control(f.port, "{\"hold\": true}");
	fix_interval(&f);		/* round 1 asks; nothing answers */
	for (i = 0; i < WAIT_TURNS &&
	     testsrv_state_int(f.port, "held") < Q_COUNT; i++)
		loop_run_once(f.loop, 50);
	cr_assert_eq(testsrv_state_int(f.port, "held"), Q_COUNT);
	cr_assert(f.s.metrics.in_flight);
	cr_assert_eq(g->verdict, VERDICT_PASS, "round 0's verdict stands "
		     "while round 1 is out");

	fix_interval(&f);		/* round 1's deadline: round 2 due */
	cr_assert_eq(g->verdict, VERDICT_NO_DATA, "a round without answers "
		     "was judged %s", cutover_verdict_name(g->verdict));
	cr_assert_eq(f.s.rec.state.blind, 1);
	session_view_fill(&f.s, &v);
	cr_assert_neq(v.metrics->q[Q_ISTIO_ERROR_RATE].state, SOURCE_OK);
	cr_assert_not_null(strstr(v.metrics->q[Q_ISTIO_ERROR_RATE].error,
				  "no answer"), "%s",
			   v.metrics->q[Q_ISTIO_ERROR_RATE].error);
	cr_assert(isnan(shown_error_rate(&f)));

	/* The answers come late, in round 2: judged once, with them. */
	testsrv_control(f.port, "{\"hold\": false}");
	fix_answers(&f);
	cr_assert_eq(g->verdict, VERDICT_PASS, "%s",
		     cutover_verdict_name(g->verdict));
	cr_assert_eq(f.s.rec.state.blind, 0);
	fix_close(&f);
}

/*
 * Verification after a rollback judges only a round asked after it: the
 * answers of a round asked before (Istio's rate then) prove nothing, and
 * neither does a round whose answers did not come.
 */
Test(session_round, rollback_verified_only_on_a_round_asked_after_it,
     .timeout = 90)
{
	struct fix f;
	const char *why = NULL;
	int64_t judged;
	int i;

	fix_open(&f, true);
	/* Istio low enough to count as drained throughout. */
	testsrv_control(f.port, "{\"values\": {\"istio_request_rate\": 0.2}}");
	fix_answers(&f);

	/* Round 1 asks; the rollback completes while it is out. */
	testsrv_control(f.port, "{\"hold\": true}");
	fix_interval(&f);
	for (i = 0; i < WAIT_TURNS &&
	     testsrv_state_int(f.port, "held") < Q_COUNT; i++)
		loop_run_once(f.loop, 50);
	clock_fake_advance(&f.clk, TICK_MS);
	loop_run_once(f.loop, 0);
	cr_assert_eq(session_act(&f.s, EV_ROLLBACK, false, "test", &why), 0,
		     "%s", why);
	for (i = 0; i < WAIT_TURNS && session_busy(&f.s); i++) {
		loop_run_once(f.loop, 50);
		proc_sigchld(f.loop);
	}
	cr_assert_eq(f.s.rec.state.phase, PHASE_ROLLED_BACK);
	cr_assert_eq(f.s.verify, VERIFY_WATCHING);

	/* Its answers, asked before the rollback, are judged: not proof. */
	testsrv_control(f.port, "{\"hold\": false}");
	fix_answers(&f);
	cr_assert_lt(f.s.round_start_mono, f.s.verify_since_mono);
	cr_assert_eq(f.s.seen_mono, f.clk.mono, "round 1 was judged");
	cr_assert_eq(f.s.verify, VERIFY_WATCHING, "verified on a rate asked "
		     "before the rollback");
	judged = f.s.seen_mono;

	/* Round 2 does not answer before round 3 is due: not proof. */
	testsrv_control(f.port, "{\"hold\": true}");
	fix_interval(&f);
	fix_interval(&f);
	cr_assert_gt(f.s.seen_mono, judged, "round 2 was judged late");
	cr_assert_neq(f.s.seen.q[Q_ISTIO_RPS].state, SOURCE_OK);
	cr_assert_eq(f.s.verify, VERIFY_WATCHING, "verified on a rate "
		     "Prometheus did not give again");

	/* Round 3, asked after the rollback, answers: verified. */
	testsrv_control(f.port, "{\"hold\": false}");
	fix_answers(&f);
	cr_assert_geq(f.s.round_start_mono, f.s.verify_since_mono);
	cr_assert_eq(f.s.verify, VERIFY_DONE);
	fix_close(&f);
}
