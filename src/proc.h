/*
 * proc — a child process on the loop.  Started with posix_spawn (never a
 * shell) in its own process group, stdout and stderr captured through
 * pipes watched by the loop (bounded), a deadline after which it is
 * killed (SIGTERM, then SIGKILL), and a callback with the exit status.
 * The exit decides: once the child exited, its pipes get
 * PROC_OUTPUT_GRACE_MS to reach EOF (something it left behind may hold
 * them), then they are closed and whatever is left of its process group
 * is killed.  Never a blocking wait: SIGCHLD on the loop's self-pipe
 * (proc_sigchld), or a poll timer, notices the exit with WNOHANG.
 */
#ifndef CUTOVER_SRC_PROC_H
#define CUTOVER_SRC_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"

#define PROC_OUTPUT_MAX (64u * 1024)
/* How long the pipes are still read after the child exited (documented
 * in cutover.yaml(5), traffic.exec). */
#define PROC_OUTPUT_GRACE_MS 2000

struct proc_result {
	int exit_code;		/* -1 when killed by a signal */
	int signo;		/* the signal, if any */
	bool timed_out;		/* the child had not exited at the deadline */
	bool spawn_failed;
	char *out;		/* captured stdout, NUL-terminated */
	size_t out_len;
	char *err;		/* captured stderr, NUL-terminated */
	size_t err_len;
	bool out_truncated;
	bool err_truncated;
	bool output_cut;	/* pipes still held after the grace: closed */
	int64_t elapsed_ms;
};

struct proc;
typedef void (*proc_cb)(const struct proc_result *r, void *arg);

/*
 * Start argv[0] (looked up in PATH) with argv; `env` (NULL-terminated
 * "NAME=value", may be NULL) is added to the inherited environment.
 * stdin is /dev/null.  Returns NULL on failure (e filled).
 */
struct proc *proc_start(struct loop *l, char *const argv[],
			char *const env[], int64_t timeout_ms, proc_cb cb,
			void *arg, struct err *e);

/* Kill the child's group (SIGKILL) and forget it; the callback is not
 * called. */
void proc_kill(struct proc *p);

/* Pid of the running child. */
pid_t proc_pid(const struct proc *p);

/* Called by the loop owner on SIGCHLD: reap finished children. */
void proc_sigchld(struct loop *l);

#endif
