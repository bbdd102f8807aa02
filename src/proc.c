/*
 * proc — child processes on the loop.
 *
 * A child is started with posix_spawnp (never a shell) in its own session
 * (no controlling terminal) and process group, with default signal
 * dispositions, an empty signal mask, stdin on /dev/null and
 * stdout/stderr into pipes whose parent ends are
 * non-blocking and watched by the loop.  Output beyond PROC_OUTPUT_MAX per
 * stream is read and thrown away so the child never blocks on a full pipe.
 *
 * The exit decides, not the pipes: a command may leave something behind
 * that holds its stdout (a daemon, `sleep &`, even one that left the group
 * with setsid).  So the exit is watched for itself (proc_sigchld, and a
 * poll timer backing off to PROC_POLL_MAX_MS for loops without SIGCHLD);
 * once it is known the pipes get PROC_OUTPUT_GRACE_MS more to reach EOF,
 * then are closed whoever still holds them, and the result is the exit
 * status.  The exit is seen with waitid(WNOWAIT): the child stays a zombie
 * until the result is reported, so its pid, and the id of its process
 * group, cannot be reused while what is left of the group is SIGKILLed.
 *
 * Invariants:
 * - Nothing here ever blocks: every wait is WNOHANG, every read is on a
 *   non-blocking pipe.
 * - The callback runs exactly once, from loop context (never from inside
 *   proc_start), after the exit and the end of the output (EOF or the
 *   grace); the proc is freed right after it.  A spawn error (program not
 *   found) is reported through the callback too, with spawn_failed set.
 * - timed_out means the command itself had not exited at its deadline: it
 *   then gets SIGTERM, SIGKILL PROC_KILL_GRACE_MS later, and should even
 *   that not end it, the result is reported PROC_KILL_GRACE_MS after the
 *   SIGKILL anyway.  A deadline always ends the wait.
 * - proc_kill() sends SIGKILL to the group and never calls back; a child
 *   that cannot be reaped yet stays on the live list as a bare record that
 *   proc_sigchld() or the poll timer reaps, so no zombie is left behind.
 * - Every live proc (and kill record) is on one static list, keyed by its
 *   loop, so proc_sigchld(l) finds the children of that loop.
 */
#include "config.h"

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "xmalloc.h"

extern char **environ;

/* The exit poll starts at PROC_POLL_MIN_MS and backs off to the max. */
#define PROC_POLL_MIN_MS 10
#define PROC_POLL_MAX_MS 250
/* Grace between SIGTERM and SIGKILL after the deadline, and between the
 * SIGKILL and giving up on the exit. */
#define PROC_KILL_GRACE_MS 2000
/* Reads per readiness callback, so an endless writer cannot starve us. */
#define PROC_READS_PER_CB 16

struct proc_buf {
	char *data;
	size_t len;
	bool truncated;
};

struct proc {
	struct loop *loop;
	pid_t pid;		/* 0 when spawning failed */
	int fd_out;		/* -1 once at EOF or closed */
	int fd_err;
	struct proc_buf out;
	struct proc_buf err;
	int64_t start_ms;
	struct loop_timer *deadline_timer;
	struct loop_timer *kill_timer;
	struct loop_timer *poll_timer;	/* exit poll; reap of a bare record */
	struct loop_timer *grace_timer;	/* output after the exit */
	struct loop_timer *fail_timer;	/* reports a spawn failure */
	int poll_ms;		/* next exit poll interval */
	bool timed_out;
	bool sigkilled;		/* the deadline's SIGKILL was sent */
	bool output_cut;	/* pipes closed while still held */
	bool exited;		/* the exit is known (a zombie until reaped) */
	bool reaped;
	bool status_known;	/* false if someone else reaped the child */
	int exit_code;		/* once exited, when status_known */
	int signo;
	bool killed;		/* proc_kill'ed: bare record, no callback */
	char *spawn_error;	/* set when posix_spawnp failed */
	char *prog;		/* argv[0], for messages */
	proc_cb cb;
	void *arg;
	struct proc *next;
};

static struct proc *proc_live;

static void proc_step(struct proc *p);

static void
proc_list_add(struct proc *p)
{
	p->next = proc_live;
	proc_live = p;
}

static void
proc_list_remove(struct proc *p)
{
	struct proc **pp;

	for (pp = &proc_live; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			return;
		}
	}
}

/*
 * Signal the child's group.  Safe while the child is not reaped: a zombie
 * leader keeps its pid, and so the group id, from being reused.
 */
static void
proc_signal_group(struct proc *p, int sig)
{
	if (p->pid <= 0 || p->reaped)
		return;
	if (kill(-p->pid, sig) == -1 && errno == ESRCH)
		(void)kill(p->pid, sig);
}

static void
proc_close_fd(struct proc *p, int *fd)
{
	if (*fd < 0)
		return;
	loop_del_fd(p->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void
proc_cancel_timer(struct proc *p, struct loop_timer **t)
{
	if (*t != NULL) {
		loop_timer_cancel(p->loop, *t);
		*t = NULL;
	}
}

static void
proc_cancel_timers(struct proc *p)
{
	proc_cancel_timer(p, &p->deadline_timer);
	proc_cancel_timer(p, &p->kill_timer);
	proc_cancel_timer(p, &p->poll_timer);
	proc_cancel_timer(p, &p->grace_timer);
	proc_cancel_timer(p, &p->fail_timer);
}

static void
proc_free(struct proc *p)
{
	proc_close_fd(p, &p->fd_out);
	proc_close_fd(p, &p->fd_err);
	proc_cancel_timers(p);
	free(p->out.data);
	free(p->err.data);
	free(p->spawn_error);
	free(p->prog);
	free(p);
}

/*
 * Whether the child has exited.  The status is taken with WNOWAIT: the
 * child stays a zombie (its pid ours) until proc_try_reap.
 */
static bool
proc_poll_exit(struct proc *p)
{
	siginfo_t si;
	int r;

	if (p->exited)
		return true;
	if (p->pid <= 0) {
		p->exited = p->reaped = true;
		return true;
	}
	memset(&si, 0, sizeof(si));
	do
		r = waitid(P_PID, (id_t)p->pid, &si,
		    WEXITED | WNOHANG | WNOWAIT);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		/* ECHILD: reaped by someone else; the status is lost. */
		p->exited = p->reaped = true;
		return true;
	}
	if (si.si_pid == 0)
		return false;
	p->exited = true;
	p->status_known = true;
	if (si.si_code == CLD_EXITED) {
		p->exit_code = si.si_status;
	} else {
		p->exit_code = -1;
		p->signo = si.si_status;
	}
	return true;
}

/* Try a non-blocking reap; true once the child is gone for good. */
static bool
proc_try_reap(struct proc *p)
{
	pid_t r;

	if (p->reaped || p->pid <= 0)
		return true;
	do
		r = waitpid(p->pid, NULL, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return false;
	p->reaped = true;
	return true;
}

static void proc_poll_timer_cb(void *arg);

static void
proc_arm_poll(struct proc *p)
{
	if (p->poll_timer != NULL)
		return;
	p->poll_timer = loop_timer_at(p->loop, loop_now(p->loop) + p->poll_ms,
	    proc_poll_timer_cb, p);
	p->poll_ms = p->poll_ms * 2 > PROC_POLL_MAX_MS ? PROC_POLL_MAX_MS :
	    p->poll_ms * 2;
}

static void
proc_poll_timer_cb(void *arg)
{
	struct proc *p = arg;

	p->poll_timer = NULL;
	if (p->killed) {
		if (proc_try_reap(p)) {
			proc_list_remove(p);
			proc_free(p);
		} else {
			proc_arm_poll(p);
		}
		return;
	}
	proc_step(p);
}

static void
proc_buf_terminate(struct proc_buf *b)
{
	if (b->data == NULL)
		b->data = xstrdup("");
	else
		b->data[b->len] = '\0';
}

/* Turn p into a bare record that the poll timer reaps. */
static void
proc_keep_for_reaping(struct proc *p)
{
	proc_close_fd(p, &p->fd_out);
	proc_close_fd(p, &p->fd_err);
	proc_cancel_timers(p);
	p->cb = NULL;
	p->arg = NULL;
	p->killed = true;
	free(p->out.data);
	free(p->err.data);
	p->out.data = p->err.data = NULL;
	p->poll_ms = PROC_POLL_MIN_MS;
	proc_list_add(p);
	proc_arm_poll(p);
}

/*
 * The exit is known and the output is over (EOF or the grace), or the
 * child would not even die: kill what is left of the group, report, free.
 */
static void
proc_finish(struct proc *p)
{
	struct proc_result r;
	bool gone;

	proc_close_fd(p, &p->fd_out);
	proc_close_fd(p, &p->fd_err);
	proc_cancel_timers(p);
	proc_signal_group(p, SIGKILL);
	gone = p->exited && proc_try_reap(p);

	memset(&r, 0, sizeof(r));
	proc_buf_terminate(&p->out);
	proc_buf_terminate(&p->err);
	r.exit_code = -1;
	r.timed_out = p->timed_out;
	r.output_cut = p->output_cut;
	if (p->spawn_error != NULL) {
		r.spawn_failed = true;
		r.exit_code = 127;
		free(p->err.data);
		p->err.data = p->spawn_error;
		p->err.len = strlen(p->spawn_error);
		p->spawn_error = NULL;
	} else if (p->status_known && p->exit_code >= 0) {
		r.exit_code = p->exit_code;
		if (r.exit_code == 127 && p->out.len == 0 && p->err.len == 0) {
			/* A libc whose child exits 127 when exec fails. */
			r.spawn_failed = true;
			free(p->err.data);
			p->err.data = xasprintf("cannot run %s (exit status "
			    "127)", p->prog);
			p->err.len = strlen(p->err.data);
		}
	} else if (p->status_known) {
		r.signo = p->signo;
	}
	r.out = p->out.data;
	r.out_len = p->out.len;
	r.err = p->err.data;
	r.err_len = p->err.len;
	r.out_truncated = p->out.truncated;
	r.err_truncated = p->err.truncated;
	r.elapsed_ms = loop_now(p->loop) - p->start_ms;

	proc_list_remove(p);
	if (p->cb != NULL)
		p->cb(&r, p->arg);
	if (gone)
		proc_free(p);
	else
		proc_keep_for_reaping(p);
}

static bool proc_read(struct proc *p, int *pfd);

static void
proc_grace_cb(void *arg)
{
	struct proc *p = arg;

	p->grace_timer = NULL;
	/* Take what is already in the pipes; whoever still holds them, we
	 * are done listening. */
	if (p->fd_out >= 0)
		(void)proc_read(p, &p->fd_out);
	if (p->fd_err >= 0)
		(void)proc_read(p, &p->fd_err);
	if (p->fd_out >= 0 || p->fd_err >= 0)
		p->output_cut = true;
	proc_finish(p);
}

/*
 * Move p on: while it runs, poll for the exit; once it exited, report if
 * the output is over, else give the output its grace.  May free p.
 */
static void
proc_step(struct proc *p)
{
	if (!proc_poll_exit(p)) {
		proc_arm_poll(p);
		return;
	}
	proc_cancel_timer(p, &p->poll_timer);
	proc_cancel_timer(p, &p->deadline_timer);
	proc_cancel_timer(p, &p->kill_timer);
	if (p->fd_out < 0 && p->fd_err < 0) {
		proc_finish(p);
		return;
	}
	if (p->grace_timer == NULL)
		p->grace_timer = loop_timer_at(p->loop, loop_now(p->loop) +
		    PROC_OUTPUT_GRACE_MS, proc_grace_cb, p);
}

static void
proc_buf_add(struct proc_buf *b, const char *data, size_t n)
{
	size_t room;

	if (b->data == NULL)
		b->data = xmalloc(PROC_OUTPUT_MAX + 1);
	room = PROC_OUTPUT_MAX - b->len;
	if (n > room) {
		b->truncated = true;
		n = room;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

/* Read what *pfd has (bounded); true when it reached EOF and was closed. */
static bool
proc_read(struct proc *p, int *pfd)
{
	struct proc_buf *b = pfd == &p->fd_out ? &p->out : &p->err;
	char chunk[8192];
	ssize_t n;
	int i;

	for (i = 0; i < PROC_READS_PER_CB; i++) {
		n = read(*pfd, chunk, sizeof(chunk));
		if (n > 0) {
			proc_buf_add(b, chunk, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		/* EOF, or an error that will not go away. */
		proc_close_fd(p, pfd);
		return true;
	}
	return false;
}

static void
proc_fd_cb(int fd, short revents, void *arg)
{
	struct proc *p = arg;

	(void)revents;
	if (proc_read(p, fd == p->fd_out ? &p->fd_out : &p->fd_err)) {
		if (p->fd_out < 0 && p->fd_err < 0 && !p->exited) {
			/* The exit is near: look again soon. */
			proc_cancel_timer(p, &p->poll_timer);
			p->poll_ms = PROC_POLL_MIN_MS;
		}
		proc_step(p);
	}
}

static void
proc_kill_timer_cb(void *arg)
{
	struct proc *p = arg;

	p->kill_timer = NULL;
	if (proc_poll_exit(p)) {
		proc_step(p);
		return;
	}
	if (!p->sigkilled) {
		p->sigkilled = true;
		proc_signal_group(p, SIGKILL);
		p->kill_timer = loop_timer_at(p->loop, loop_now(p->loop) +
		    PROC_KILL_GRACE_MS, proc_kill_timer_cb, p);
		return;
	}
	/* Not even SIGKILL ended it (stuck in the kernel): report now, reap
	 * whenever it goes. */
	if (p->fd_out >= 0 || p->fd_err >= 0)
		p->output_cut = true;
	proc_finish(p);
}

static void
proc_deadline_cb(void *arg)
{
	struct proc *p = arg;

	p->deadline_timer = NULL;
	if (proc_poll_exit(p)) {
		/* It did exit in time; we had not looked yet. */
		proc_step(p);
		return;
	}
	p->timed_out = true;
	proc_signal_group(p, SIGTERM);
	p->kill_timer = loop_timer_at(p->loop,
	    loop_now(p->loop) + PROC_KILL_GRACE_MS, proc_kill_timer_cb, p);
}

static void
proc_fail_timer_cb(void *arg)
{
	struct proc *p = arg;

	p->fail_timer = NULL;
	proc_finish(p);
}

/* Move a descriptor above 2 so dup2 onto 1/2 always clears CLOEXEC. */
static int
proc_fd_high(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static int
proc_pipe(int fds[2], struct err *e)
{
	if (pipe2(fds, O_CLOEXEC) == -1)
		return err_set(e, "cannot create a pipe: %s", strerror(errno));
	fds[0] = proc_fd_high(fds[0]);
	fds[1] = proc_fd_high(fds[1]);
	if (fds[0] < 0 || fds[1] < 0 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1) {
		int saved = errno;

		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return err_set(e, "cannot set up a pipe: %s",
			       strerror(saved));
	}
	return 0;
}

/* Length of the NAME part of "NAME=value" (whole string if no '='). */
static size_t
proc_env_namelen(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq != NULL ? (size_t)(eq - s) : strlen(s);
}

/* The inherited environment with `env` added or overriding; free the
 * array only (the strings are borrowed). */
static char **
proc_env_merge(char *const env[])
{
	size_t n = 0, m = 0, i, j, k = 0;
	char **out;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (env != NULL && env[m] != NULL)
		m++;
	out = xcalloc(n + m + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		size_t len = proc_env_namelen(environ[i]);
		bool overridden = false;

		for (j = 0; j < m; j++) {
			if (proc_env_namelen(env[j]) == len &&
			    strncmp(env[j], environ[i], len) == 0) {
				overridden = true;
				break;
			}
		}
		if (!overridden)
			out[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		out[k++] = env[j];
	out[k] = NULL;
	return out;
}

struct proc *
proc_start(struct loop *l, char *const argv[], char *const env[],
	   int64_t timeout_ms, proc_cb cb, void *arg, struct err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int out[2], errp[2];
	char **envp;
	struct proc *p;
	pid_t pid = 0;
	int rc;

	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		err_set(e, "no program to run");
		return NULL;
	}
	if (proc_pipe(out, e) == -1)
		return NULL;
	if (proc_pipe(errp, e) == -1) {
		close(out[0]);
		close(out[1]);
		return NULL;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawnattr_init(&attr);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	/*
	 * A session of its own (and so a group of its own): no controlling
	 * terminal, so nothing the child runs can reach the dashboard's
	 * terminal through /dev/tty while curses draws there, nor get the
	 * terminal's signals.
	 */
#ifdef POSIX_SPAWN_SETSID
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
#else
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
#endif

	envp = proc_env_merge(env);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
	free(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	close(errp[1]);

	p = xcalloc(1, sizeof(*p));
	p->loop = l;
	p->fd_out = out[0];
	p->fd_err = errp[0];
	p->start_ms = loop_now(l);
	p->poll_ms = PROC_POLL_MIN_MS;
	p->prog = xstrdup(argv[0]);
	p->cb = cb;
	p->arg = arg;

	if (rc != 0) {
		/* Not found, not executable...: report from the loop. */
		close(out[0]);
		close(errp[0]);
		p->fd_out = p->fd_err = -1;
		p->exited = p->reaped = true;
		p->spawn_error = xasprintf("cannot run %s: %s", argv[0],
		    strerror(rc));
		p->fail_timer = loop_timer_at(l, p->start_ms,
		    proc_fail_timer_cb, p);
		proc_list_add(p);
		return p;
	}
	p->pid = pid;
	proc_list_add(p);

	if (loop_add_fd(l, p->fd_out, POLLIN, proc_fd_cb, p) == -1 ||
	    loop_add_fd(l, p->fd_err, POLLIN, proc_fd_cb, p) == -1) {
		err_set(e, "cannot watch the output of %s", argv[0]);
		proc_kill(p);
		return NULL;
	}
	if (timeout_ms > 0)
		p->deadline_timer = loop_timer_at(l, p->start_ms + timeout_ms,
		    proc_deadline_cb, p);
	proc_arm_poll(p);
	return p;
}

void
proc_kill(struct proc *p)
{
	if (p == NULL)
		return;
	proc_signal_group(p, SIGKILL);
	proc_list_remove(p);
	if (proc_try_reap(p)) {
		proc_free(p);
		return;
	}
	/* Keep a bare record until the child can be reaped. */
	proc_keep_for_reaping(p);
}

pid_t
proc_pid(const struct proc *p)
{
	return p->pid;
}

void
proc_sigchld(struct loop *l)
{
	struct proc *p;

restart:
	for (p = proc_live; p != NULL; p = p->next) {
		if (p->loop != l)
			continue;
		if (p->killed) {
			if (!proc_try_reap(p))
				continue;
			proc_list_remove(p);
			proc_free(p);
			goto restart;
		}
		if (p->exited || !proc_poll_exit(p))
			continue;
		/* The callback may start or kill procs: rescan. */
		proc_step(p);
		goto restart;
	}
}
