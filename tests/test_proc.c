/*
 * test_proc — real child processes on a real loop: exit status, output
 * capture and its cap, signals, the deadline, spawn failures, the
 * environment, stdin, late reaping and proc_kill leaving no zombie.
 * The result comes from the exit status: a child that exits while
 * something it started (in its group, or escaped with setsid) still holds
 * its output is reported once the output grace ends, the group's
 * leftovers killed, no zombie and no descriptor left behind; "timed out"
 * only when the command itself outlived its deadline, and a deadline
 * always ends the wait.  Every wait is a bounded number of
 * loop_run_once() passes or a bounded wall-clock time.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "loop.h"
#include "proc.h"
#include "testsrv.h"

#define ITER_CAP 200		/* x 100 ms: 20 s at most */

struct got {
	int calls;
	struct proc_result r;	/* out/err copied */
};

static void
got_cb(const struct proc_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->r = *r;
	cr_assert_not_null(r->out);
	cr_assert_not_null(r->err);
	cr_assert_eq(r->out[r->out_len], '\0');
	cr_assert_eq(r->err[r->err_len], '\0');
	g->r.out = malloc(r->out_len + 1);
	memcpy(g->r.out, r->out, r->out_len + 1);
	g->r.err = malloc(r->err_len + 1);
	memcpy(g->r.err, r->err, r->err_len + 1);
}

static void
got_done(struct got *g)
{
	free(g->r.out);
	free(g->r.err);
}

/* Run the loop until the callback came; returns the passes used. */
static int
run_until(struct loop *l, struct got *g)
{
	int i;

	for (i = 0; i < ITER_CAP && g->calls == 0; i++)
		loop_run_once(l, 100);
	return i;
}

static struct proc *
start_sh(struct loop *l, const char *script, char *const env[],
	 int64_t timeout_ms, struct got *g)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct err e;
	struct proc *p;

	err_clear(&e);
	p = proc_start(l, argv, env, timeout_ms, got_cb, g, &e);
	cr_assert_not_null(p, "proc_start: %s", e.msg);
	return p;
}

Test(proc, exit_zero_and_output)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };

	start_sh(l, "echo hello; echo oops >&2; printf 'no newline'", NULL,
		 5000, &g);
	cr_assert_eq(g.calls, 0, "no callback from inside proc_start");
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_eq(g.calls, 1);
	cr_assert_eq(g.r.exit_code, 0);
	cr_assert_eq(g.r.signo, 0);
	cr_assert(!g.r.timed_out);
	cr_assert(!g.r.spawn_failed);
	cr_assert_str_eq(g.r.out, "hello\nno newline");
	cr_assert_eq(g.r.out_len, strlen("hello\nno newline"));
	cr_assert_str_eq(g.r.err, "oops\n");
	cr_assert(!g.r.out_truncated);
	cr_assert(!g.r.err_truncated);
	cr_assert_geq(g.r.elapsed_ms, 0);
	got_done(&g);
	loop_free(l);
}

Test(proc, nonzero_exit)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };

	start_sh(l, "echo failing >&2; exit 3", NULL, 5000, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_eq(g.r.exit_code, 3);
	cr_assert_eq(g.r.signo, 0);
	cr_assert(!g.r.spawn_failed);
	cr_assert_str_eq(g.r.err, "failing\n");
	got_done(&g);
	loop_free(l);
}

Test(proc, killed_by_signal)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };

	start_sh(l, "kill -KILL $$", NULL, 5000, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_eq(g.r.exit_code, -1);
	cr_assert_eq(g.r.signo, SIGKILL);
	cr_assert(!g.r.timed_out);
	got_done(&g);
	loop_free(l);
}

Test(proc, timeout_kills_child)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *argv[] = { "sleep", "30", NULL };
	struct err e;
	int64_t t0 = clock_mono(&clock_system);

	cr_assert_not_null(proc_start(l, argv, NULL, 300, got_cb, &g, &e));
	cr_assert_lt(run_until(l, &g), ITER_CAP, "iteration cap hit");
	cr_assert_eq(g.calls, 1);
	cr_assert(g.r.timed_out);
	cr_assert_eq(g.r.signo, SIGTERM);
	cr_assert_eq(g.r.exit_code, -1);
	cr_assert_geq(g.r.elapsed_ms, 300);
	cr_assert_lt(clock_mono(&clock_system) - t0, 2000,
		     "SIGTERM should end sleep well before the SIGKILL");
	got_done(&g);
	loop_free(l);
}

Test(proc, timeout_escalates_to_sigkill)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };

	/* Ignores SIGTERM; only the SIGKILL 2 s later ends it. */
	start_sh(l, "trap '' TERM; echo ready; while :; do sleep 0.05; done",
		 NULL, 200, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP, "iteration cap hit");
	cr_assert(g.r.timed_out);
	cr_assert_eq(g.r.signo, SIGKILL);
	cr_assert_geq(g.r.elapsed_ms, 2200);
	cr_assert_str_eq(g.r.out, "ready\n");
	got_done(&g);
	loop_free(l);
}

Test(proc, output_truncated_at_cap)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };

	start_sh(l, "head -c 300000 /dev/zero | tr '\\0' x; "
		 "head -c 100 /dev/zero | tr '\\0' y >&2; exit 0",
		 NULL, 10000, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_eq(g.r.exit_code, 0, "the child finished: excess drained");
	cr_assert_eq(g.r.out_len, PROC_OUTPUT_MAX);
	cr_assert(g.r.out_truncated);
	cr_assert_eq(g.r.out[0], 'x');
	cr_assert_eq(g.r.out[PROC_OUTPUT_MAX - 1], 'x');
	cr_assert_eq(g.r.err_len, 100);
	cr_assert(!g.r.err_truncated);
	got_done(&g);
	loop_free(l);
}

Test(proc, nonexistent_program)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *argv[] = { "cutover-no-such-program-xyz", "a", NULL };
	struct err e;

	err_clear(&e);
	cr_assert_not_null(proc_start(l, argv, NULL, 1000, got_cb, &g, &e));
	cr_assert_eq(g.calls, 0);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert(g.r.spawn_failed);
	cr_assert_eq(g.r.exit_code, 127);
	cr_assert_not_null(strstr(g.r.err, "cutover-no-such-program-xyz"),
			   "err: %s", g.r.err);
	cr_assert_not_null(strstr(g.r.err, "No such file"), "err: %s",
			   g.r.err);
	got_done(&g);
	loop_free(l);
}

Test(proc, empty_argv_refused)
{
	struct loop *l = loop_new(&clock_system);
	char *argv[] = { NULL };
	struct err e;

	err_clear(&e);
	cr_assert_null(proc_start(l, argv, NULL, 1000, got_cb, NULL, &e));
	cr_assert_neq(e.msg[0], '\0');
	loop_free(l);
}

Test(proc, env_added_and_overridden)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *env[] = { "CUTOVER_T_NEW=fresh", "CUTOVER_T_OLD=new", NULL };

	setenv("CUTOVER_T_OLD", "old", 1);
	setenv("CUTOVER_T_KEEP", "kept", 1);
	start_sh(l, "printf '%s %s %s ' \"$CUTOVER_T_NEW\" \"$CUTOVER_T_OLD\" "
		 "\"$CUTOVER_T_KEEP\"; env | grep -c '^CUTOVER_T_OLD='",
		 env, 5000, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_eq(g.r.exit_code, 0);
	cr_assert_str_eq(g.r.out, "fresh new kept 1\n");
	got_done(&g);
	loop_free(l);
}

Test(proc, stdin_is_dev_null)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };

	start_sh(l, "cat; echo \"read:$?\"; readlink /proc/$$/fd/0", NULL,
		 5000, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_str_eq(g.r.out, "read:0\n/dev/null\n");
	got_done(&g);
	loop_free(l);
}

Test(proc, own_process_group_default_signals)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	struct sigaction sa, old;
	sigset_t block, oldmask;

	/* The parent ignores SIGUSR1 and blocks SIGUSR2; the child must not. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, &old);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	/*
	 * Read the masks of a plain program (exec'd grep), not of the shell:
	 * dash blocks every signal for a moment around each wait.
	 */
	start_sh(l, "ps -o pgid= -p $$ | tr -d ' '; echo $$; "
		 "exec grep -E '^Sig(Blk|Ign)' /proc/self/status", NULL, 5000,
		 &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(SIGUSR1, &old, NULL);
	cr_assert_eq(g.r.exit_code, 0, "%s", g.r.err);
	{
		long pgid = 0, pid = 0;
		unsigned long long blk = 1, ign = 1;
		char *s = g.r.out, *blkp, *ignp;

		pgid = strtol(s, &s, 10);
		pid = strtol(s, &s, 10);
		cr_assert_eq(pgid, pid, "out: %s", g.r.out);
		blkp = strstr(g.r.out, "SigBlk:");
		ignp = strstr(g.r.out, "SigIgn:");
		cr_assert_not_null(blkp);
		cr_assert_not_null(ignp);
		blk = strtoull(blkp + 7, NULL, 16);
		ign = strtoull(ignp + 7, NULL, 16);
		cr_assert_eq(blk & (1ull << (SIGUSR2 - 1)), 0);
		cr_assert_eq(ign & (1ull << (SIGUSR1 - 1)), 0);
	}
	got_done(&g);
	loop_free(l);
}

/*
 * A child starts a session of its own: it has no controlling terminal,
 * so nothing it runs can write to the dashboard's terminal through
 * /dev/tty (a shell's "Terminated", a prompt) while curses draws there.
 */
Test(proc, own_session_no_controlling_terminal)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	long sid = 0, pid = 0;
	char *s;

	start_sh(l, "ps -o sid= -p $$ | tr -d ' '; echo $$; "
		 "if (exec 3</dev/tty) 2>/dev/null; then echo tty; "
		 "else echo no-tty; fi", NULL, 5000, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_eq(g.r.exit_code, 0, "%s", g.r.err);
	s = g.r.out;
	sid = strtol(s, &s, 10);
	pid = strtol(s, &s, 10);
	cr_assert_eq(sid, pid, "the child leads its own session: %s",
		     g.r.out);
	cr_assert_neq(sid, (long)getsid(0));
	cr_assert_not_null(strstr(g.r.out, "no-tty"), "out: %s", g.r.out);
	got_done(&g);
	loop_free(l);
}

Test(proc, closed_pipes_then_exit_reaped_without_blocking)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	int i, slow = 0;

	start_sh(l, "exec >&- 2>&-; sleep 0.4; exit 5", NULL, 5000, &g);
	for (i = 0; i < ITER_CAP && g.calls == 0; i++) {
		int64_t t0 = clock_mono(&clock_system);

		loop_run_once(l, 100);
		if (clock_mono(&clock_system) - t0 > 250)
			slow++;
	}
	cr_assert_lt(i, ITER_CAP);
	cr_assert_gt(i, 1, "reaped on a later pass, not by waiting");
	cr_assert_eq(slow, 0, "a loop pass blocked");
	cr_assert_eq(g.r.exit_code, 5);
	cr_assert_eq(g.r.out_len, 0);
	got_done(&g);
	loop_free(l);
}

Test(proc, sigchld_reaps_early_exit)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	int i;

	/* Exits at once but a grandchild keeps the pipes a moment longer. */
	start_sh(l, "(sleep 0.3; echo late) & exit 4", NULL, 5000, &g);
	for (i = 0; i < ITER_CAP && g.calls == 0; i++) {
		loop_run_once(l, 50);
		proc_sigchld(l);
	}
	cr_assert_lt(i, ITER_CAP);
	cr_assert_eq(g.r.exit_code, 4);
	cr_assert_str_eq(g.r.out, "late\n");
	got_done(&g);
	loop_free(l);
}

Test(proc, kill_leaves_no_zombie_and_no_callback)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *argv[] = { "sleep", "30", NULL };
	struct err e;
	struct proc *p;
	pid_t pid;
	int i;

	p = proc_start(l, argv, NULL, 10000, got_cb, &g, &e);
	cr_assert_not_null(p);
	pid = proc_pid(p);
	cr_assert_gt(pid, 0);
	loop_run_once(l, 10);
	proc_kill(p);
	for (i = 0; i < ITER_CAP; i++) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			break;	/* reaped: a zombie would still answer */
		loop_run_once(l, 100);
		proc_sigchld(l);
	}
	cr_assert_lt(i, ITER_CAP, "child %d never reaped", (int)pid);
	cr_assert_eq(waitpid(pid, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	/* Nothing more is pending for it either. */
	for (i = 0; i < 5; i++)
		loop_run_once(l, 30);
	cr_assert_eq(g.calls, 0);
	loop_free(l);
}

Test(proc, kill_after_exit_before_eof)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	struct proc *p;
	int i;

	/* The shell exits; the sleep it leaves holds the pipes open. */
	p = start_sh(l, "sleep 30 & exit 0", NULL, 10000, &g);
	for (i = 0; i < 5; i++) {
		loop_run_once(l, 50);
		proc_sigchld(l);
		if (g.calls != 0)
			break;
	}
	proc_kill(p);
	cr_assert_eq(g.calls, 0);
	for (i = 0; i < 5; i++)
		loop_run_once(l, 30);
	cr_assert_eq(g.calls, 0);
	loop_free(l);
}

static int chain_count;

static void
chain_cb(const struct proc_result *r, void *arg)
{
	struct loop *l = arg;
	char *argv[] = { "true", NULL };
	struct err e;

	cr_assert_eq(r->exit_code, 0);
	if (++chain_count < 3)
		cr_assert_not_null(proc_start(l, argv, NULL, 5000, chain_cb,
					      l, &e));
}

Test(proc, callback_may_start_another)
{
	struct loop *l = loop_new(&clock_system);
	char *argv[] = { "true", NULL };
	struct err e;
	int i;

	chain_count = 0;
	cr_assert_not_null(proc_start(l, argv, NULL, 5000, chain_cb, l, &e));
	for (i = 0; i < ITER_CAP && chain_count < 3; i++) {
		loop_run_once(l, 100);
		proc_sigchld(l);
	}
	cr_assert_eq(chain_count, 3);
	loop_free(l);
}

static int sigchld_seen;

static void
sig_cb(int signo, void *arg)
{
	if (signo == SIGCHLD) {
		sigchld_seen++;
		proc_sigchld(arg);
	}
}

Test(proc, reaped_from_the_loops_sigchld)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	struct err e;

	sigchld_seen = 0;
	cr_assert_eq(loop_signals(l, sig_cb, l, &e), 0, "%s", e.msg);
	/* Exits at once; a grandchild holds the pipes for a while. */
	start_sh(l, "(sleep 0.3; echo late) & exit 6", NULL, 5000, &g);
	cr_assert_lt(run_until(l, &g), ITER_CAP);
	cr_assert_gt(sigchld_seen, 0);
	cr_assert_eq(g.r.exit_code, 6);
	cr_assert_str_eq(g.r.out, "late\n");
	got_done(&g);
	loop_free(l);
}

Test(proc, kill_before_spawn_failure_reported)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *argv[] = { "cutover-no-such-program-xyz", NULL };
	struct err e;
	struct proc *p;
	int i;

	p = proc_start(l, argv, NULL, 1000, got_cb, &g, &e);
	cr_assert_not_null(p);
	proc_kill(p);
	for (i = 0; i < 5; i++)
		loop_run_once(l, 20);
	cr_assert_eq(g.calls, 0);
	loop_free(l);
}

/* --- the exit decides, not the pipes ------------------------------------- */

/* Sleepers a test started; killed after the test whatever its outcome. */
static pid_t strays[8];
static int nstrays;

static void
strays_kill(void)
{
	for (int i = 0; i < nstrays; i++)
		if (testsrv_pid_alive(strays[i]))
			(void)kill(strays[i], SIGKILL);
	nstrays = 0;
}

/* The pid a script wrote to `path`, waiting (bounded) for the file; the
 * process is killed after the test. */
static pid_t
pid_from(const char *path)
{
	int i;

	for (i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		int pid = 0;

		if (f != NULL) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid > 0) {
			if (nstrays < 8)
				strays[nstrays++] = (pid_t)pid;
			return (pid_t)pid;
		}
		usleep(10 * 1000);
	}
	cr_assert_fail("no pid in %s", path);
	return -1;
}

/* Wait (at most 5 s) for pid to be gone; true if it is. */
static bool
pid_gone(pid_t pid)
{
	int64_t end = clock_mono(&clock_system) + 5000;

	while (testsrv_pid_alive(pid) && clock_mono(&clock_system) < end)
		usleep(10 * 1000);
	return !testsrv_pid_alive(pid);
}

/* Run the loop, without SIGCHLD, until the callback or `ms` elapsed. */
static int64_t
run_for(struct loop *l, struct got *g, int64_t ms)
{
	int64_t t0 = clock_mono(&clock_system);

	while (g->calls == 0 && clock_mono(&clock_system) - t0 < ms)
		loop_run_once(l, 50);
	return clock_mono(&clock_system) - t0;
}

/* A temporary directory for pid files; the caller removes it. */
static char *
tmpdir_new(void)
{
	char *d = strdup("/tmp/cutover-test-proc-XXXXXX");

	cr_assert_not_null(mkdtemp(d));
	return d;
}

static void
tmpdir_free(char *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	cr_assert_eq(system(cmd), 0);
	free(d);
}

Test(proc, exit_decides_while_a_grandchild_holds_stdout,
     .fini = strays_kill)
{
	int fds = testsrv_fd_count();
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *dir = tmpdir_new(), *script, *pidf;
	struct proc *p;
	pid_t leader, bg;

	cr_assert_geq(asprintf(&pidf, "%s/bg.pid", dir), 0);
	/* The shell exits 0 at once; its grandchild keeps stdout and
	 * stderr open for 30 s. */
	cr_assert_geq(asprintf(&script, "(sh -c 'echo $$ > %s; exec sleep 30' "
	    "&); echo done; exit 0", pidf), 0);
	/* Deadline 4 s, twice the output grace: an answer must come from
	 * the exit, and say so (not timed out). */
	p = start_sh(l, script, NULL, 4000, &g);
	leader = proc_pid(p);
	bg = pid_from(pidf);
	run_for(l, &g, 6000);
	cr_assert_eq(g.calls, 1, "no answer");
	cr_assert(!g.r.timed_out, "the command exited: not a timeout");
	cr_assert_eq(g.r.exit_code, 0);
	cr_assert_eq(g.r.signo, 0);
	cr_assert_str_eq(g.r.out, "done\n");
	cr_assert(g.r.output_cut, "the pipes were still held");
	/* What was left of the group is gone, the shell was reaped. */
	cr_assert(pid_gone(bg), "the grandchild %d survived", (int)bg);
	cr_assert_eq(waitpid(leader, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	got_done(&g);
	loop_free(l);
	cr_assert_eq(testsrv_fd_count(), fds, "a descriptor leaked");
	free(script);
	free(pidf);
	tmpdir_free(dir);
}

Test(proc, exit_decides_while_an_escaped_child_holds_stdout,
     .fini = strays_kill)
{
	int fds = testsrv_fd_count();
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *dir = tmpdir_new(), *script, *pidf;
	struct proc *p;
	pid_t leader, esc;

	cr_assert_geq(asprintf(&pidf, "%s/esc.pid", dir), 0);
	/* The child leaves the process group (setsid): no group kill can
	 * reach it, and it keeps the pipes for 30 s. */
	cr_assert_geq(asprintf(&script, "setsid sh -c 'echo $$ > %s; exec "
	    "sleep 30' & echo done; exit 0", pidf), 0);
	/* Deadline 4 s, twice the output grace: an answer must come from
	 * the exit, and say so (not timed out). */
	p = start_sh(l, script, NULL, 4000, &g);
	leader = proc_pid(p);
	esc = pid_from(pidf);
	run_for(l, &g, 6000);
	cr_assert_eq(g.calls, 1, "no answer");
	cr_assert(!g.r.timed_out);
	cr_assert_eq(g.r.exit_code, 0);
	cr_assert_str_eq(g.r.out, "done\n");
	cr_assert(g.r.output_cut);
	cr_assert(testsrv_pid_alive(esc), "the escaped child is out of our reach");
	cr_assert_eq(waitpid(leader, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	got_done(&g);
	loop_free(l);
	cr_assert_eq(testsrv_fd_count(), fds, "a descriptor leaked");
	free(script);
	free(pidf);
	tmpdir_free(dir);
}

Test(proc, output_written_after_the_exit_is_kept)
{
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };

	/* No SIGCHLD here: the loop alone notices the exit. */
	start_sh(l, "(sleep 0.3; echo late) & echo early; exit 0", NULL,
		 5000, &g);
	run_for(l, &g, 5000);
	cr_assert_eq(g.calls, 1);
	cr_assert_eq(g.r.exit_code, 0);
	cr_assert(!g.r.timed_out);
	cr_assert_str_eq(g.r.out, "early\nlate\n");
	cr_assert(!g.r.output_cut, "the writer finished within the grace");
	got_done(&g);
	loop_free(l);
}

Test(proc, never_exits_times_out_and_the_group_is_killed,
     .fini = strays_kill)
{
	int fds = testsrv_fd_count();
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *dir = tmpdir_new(), *script, *pidf;
	struct proc *p;
	pid_t leader, bg;

	cr_assert_geq(asprintf(&pidf, "%s/bg.pid", dir), 0);
	cr_assert_geq(asprintf(&script, "sh -c 'echo $$ > %s; exec sleep 30' "
	    "& exec sleep 30", pidf), 0);
	p = start_sh(l, script, NULL, 300, &g);
	leader = proc_pid(p);
	bg = pid_from(pidf);
	run_for(l, &g, 300 + 2000 + PROC_OUTPUT_GRACE_MS + 1500);
	cr_assert_eq(g.calls, 1, "no answer");
	cr_assert(g.r.timed_out);
	cr_assert_eq(g.r.signo, SIGTERM);
	cr_assert(pid_gone(bg), "the background sleeper %d survived",
		  (int)bg);
	cr_assert_eq(waitpid(leader, NULL, WNOHANG), -1);
	cr_assert_eq(errno, ECHILD);
	got_done(&g);
	loop_free(l);
	cr_assert_eq(testsrv_fd_count(), fds, "a descriptor leaked");
	free(script);
	free(pidf);
	tmpdir_free(dir);
}

Test(proc, deadline_ends_the_wait_despite_an_escaped_holder,
     .fini = strays_kill)
{
	int fds = testsrv_fd_count();
	struct loop *l = loop_new(&clock_system);
	struct got g = { 0 };
	char *dir = tmpdir_new(), *script, *pidf;
	pid_t esc;
	int64_t took;

	cr_assert_geq(asprintf(&pidf, "%s/esc.pid", dir), 0);
	/* Never exits by itself, and what it started outside the group
	 * holds the pipes after the kill. */
	cr_assert_geq(asprintf(&script, "setsid sh -c 'echo $$ > %s; exec "
	    "sleep 30' & exec sleep 30", pidf), 0);
	start_sh(l, script, NULL, 300, &g);
	esc = pid_from(pidf);
	took = run_for(l, &g, 300 + PROC_OUTPUT_GRACE_MS + 3000);
	cr_assert_eq(g.calls, 1, "no answer %lld ms after the deadline",
		     (long long)took);
	cr_assert(g.r.timed_out);
	cr_assert_eq(g.r.signo, SIGTERM);
	cr_assert(g.r.output_cut);
	cr_assert(testsrv_pid_alive(esc), "the escaped child is out of our reach");
	got_done(&g);
	loop_free(l);
	cr_assert_eq(testsrv_fd_count(), fds, "a descriptor leaked");
	free(script);
	free(pidf);
	tmpdir_free(dir);
}
