/*
 * test_session_view — the dashboard's read-only view of a session: it
 * says what the session says (state, what each action would do and why),
 * the change bits and the bell are taken once, and the session keeps
 * SIGCHLD for itself while passing the other signals on.  A demo session
 * on a fake clock, its state in a temporary directory.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"
#include "session.h"
#include "session_view.h"

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
	struct err e;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cutover-view.XXXXXX");
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
	session_start(&f->s, false);
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

Test(session_view, says_what_the_session_says, .timeout = 60)
{
	struct fix f;
	struct session_view v;
	const char *why;

	fix_open(&f);
	session_view_fill(&f.s, &v);
	cr_assert_str_eq(v.plan_name, "demo");
	cr_assert_eq(v.state.stage, 0);
	cr_assert_eq(v.state.phase, PHASE_READY);
	cr_assert_eq(v.state.nstages, f.plan.nstages);
	cr_assert_not(v.read_only);
	cr_assert_eq(v.pid, (long)getpid());
	cr_assert_eq(v.plan, &f.plan);
	cr_assert_eq(v.now_mono, f.clk.mono);

	/*
	 * Nothing observed and nothing read back yet: the preflight does not
	 * know, and the first shift waits for it (or --force).
	 */
	cr_assert_not(v.act[SESSION_VIEW_ADVANCE].allowed);
	cr_assert_not_null(strstr(v.act[SESSION_VIEW_ADVANCE].why,
				  "preflight: "), "%s",
			   v.act[SESSION_VIEW_ADVANCE].why);
	cr_assert(v.act[SESSION_VIEW_FORCE].allowed);
	for (int i = 0; i < 600 && session_busy(&f.s); i++) {
		clock_fake_advance(&f.clk, 100);
		loop_run_once(f.loop, 0);
	}
	session_refresh_once(&f.s);
	session_view_fill(&f.s, &v);

	/* Each action as session_can() judges it, with the same reason. */
	cr_assert_eq(v.act[SESSION_VIEW_ADVANCE].allowed,
		     session_can(&f.s, EV_ADVANCE, false, &why));
	cr_assert(v.act[SESSION_VIEW_ADVANCE].allowed);
	cr_assert_null(v.act[SESSION_VIEW_ADVANCE].why);
	cr_assert(v.act[SESSION_VIEW_FORCE].allowed);
	cr_assert_not(v.act[SESSION_VIEW_PAUSE].allowed);
	cr_assert_not(session_can(&f.s, EV_PAUSE, false, &why));
	cr_assert_str_eq(v.act[SESSION_VIEW_PAUSE].why, why);
	cr_assert_not(v.act[SESSION_VIEW_RETRY].allowed);
	cr_assert_not_null(v.act[SESSION_VIEW_RETRY].why);

	/* An advance taken: the next view says so. */
	cr_assert_eq(session_act(&f.s, EV_ADVANCE, false, NULL, &why), 0,
		     "%s", why);
	/* The demo driver answers on a timer of the (fake) clock. */
	for (int i = 0; i < 600 && session_busy(&f.s); i++) {
		clock_fake_advance(&f.clk, 100);
		loop_run_once(f.loop, 0);
	}
	session_view_fill(&f.s, &v);
	cr_assert_eq(v.state.stage, 1);
	cr_assert_eq(v.state.applied.istio, f.plan.stages[0].istio);
	cr_assert_not(v.busy);
	fix_close(&f);
}

static int changes;

static void
count_change(void *arg)
{
	(void)arg;
	changes++;
}

Test(session_view, dirt_and_bell_are_taken_once, .timeout = 60)
{
	struct fix f;

	fix_open(&f);
	session_view_on_change(&f.s, count_change, NULL);
	(void)session_view_take_dirty(&f.s);
	cr_assert_eq(session_view_take_dirty(&f.s), 0);
	changes = 0;
	session_log(&f.s, EVLOG_INFO, "a line");
	cr_assert_eq(changes, 1);
	cr_assert(session_view_take_dirty(&f.s) & SESSION_DIRTY_LOG);
	cr_assert_eq(session_view_take_dirty(&f.s), 0);
	session_view_on_change(&f.s, NULL, NULL);
	session_log(&f.s, EVLOG_INFO, "another");
	cr_assert_eq(changes, 1);

	cr_assert_not(session_view_take_bell(&f.s));
	f.s.bell = true;
	cr_assert(session_view_take_bell(&f.s));
	cr_assert_not(session_view_take_bell(&f.s));
	fix_close(&f);
}

static int got[NSIG];

static void
on_signal(int signo, void *arg)
{
	(void)arg;
	got[signo]++;
}

Test(session_view, the_session_keeps_sigchld, .timeout = 60)
{
	struct fix f;
	struct err e;

	fix_open(&f);
	memset(got, 0, sizeof(got));
	cr_assert_eq(session_signals(&f.s, on_signal, NULL, &e), 0, "%s",
		     e.msg);
	cr_assert_eq(kill(getpid(), SIGCHLD), 0);
	cr_assert_eq(kill(getpid(), SIGWINCH), 0);
	for (int i = 0; i < 100 && got[SIGWINCH] == 0; i++)
		loop_run_once(f.loop, 10);
	cr_assert_eq(got[SIGWINCH], 1);
	cr_assert_eq(got[SIGCHLD], 0);
	fix_close(&f);
}

/*
 * The demo's restart counts only grow: the gateway's restarts during the
 * spike stay counted after the rollback (only the recent ones go), as a
 * real pod's restartCount does.  The autopilot walks the demo to its
 * spike and rollback on the fake clock, a second at a time, bounded.
 */
Test(session_view, demo_restarts_survive_its_rollback, .timeout = 120)
{
	struct session_options opt = { .demo = true, .demo_speed = 60,
				       .autopilot = true };
	struct fix f;
	struct err e;
	int gw = -1;
	int64_t seen_max = 0;
	bool rolled_back = false;
	int i;

	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/cutover-view.XXXXXX");
	cr_assert_not_null(mkdtemp(f.dir));
	setenv("XDG_STATE_HOME", f.dir, 1);
	err_clear(&e);
	plan_defaults(&f.plan);
	demo_plan(&f.plan, 60);
	cr_assert_eq(plan_finish(&f.plan, &e), 0, "%s", e.msg);
	f.plan.traffic.driver = DRIVER_DEMO;
	for (i = 0; i < f.plan.ngroups; i++)
		if (f.plan.groups[i].side == SIDE_ISTIO)
			gw = i;
	cr_assert_geq(gw, 0, "the demo has an Istio gateway group");
	clock_fake_init(&f.clk, 1000000, 1767225600000);
	f.loop = loop_new(&f.clk.clock);
	cr_assert_eq(session_open(&f.s, &f.plan, &f.clk.clock, f.loop, &opt,
				  false, &e), 0, "%s", e.msg);
	session_start(&f.s, true);
	for (i = 0; i < 20000 && !rolled_back; i++) {
		clock_fake_advance(&f.clk, 1000);
		loop_run_once(f.loop, 0);
		if (f.s.groups[gw].restarts > seen_max)
			seen_max = f.s.groups[gw].restarts;
		rolled_back = f.s.rec.state.phase == PHASE_ROLLED_BACK;
	}
	cr_assert(rolled_back, "the demo rolls back by itself (after %d s)", i);
	cr_assert_gt(seen_max, 0, "the spike restarted gateway pods");
	/* Well after the rollback: the count is still there. */
	for (i = 0; i < 120; i++) {
		clock_fake_advance(&f.clk, 1000);
		loop_run_once(f.loop, 0);
	}
	cr_expect_eq(f.s.groups[gw].restarts, seen_max,
		     "restarts %lld after the rollback, %lld during the spike",
		     (long long)f.s.groups[gw].restarts, (long long)seen_max);
	cr_expect_eq(f.s.groups[gw].recent_restarts, 0,
		     "only the recent ones go");
	fix_close(&f);
}
