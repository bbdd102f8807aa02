/*
 * guard_spawn — start the plan's guard from a client (see guard_spawn.h).
 *
 * The client runs `cutover ... guard` as a child with stdin on /dev/null
 * and stdout and stderr on a pipe, and none of its own descriptors (the
 * terminal, the loop's pipes, sockets): the guard must not keep a
 * terminal or an ssh session open.  That child forks the guard into a
 * session of its own (cmd_guard.c), waits for its "ok" and exits 0, or
 * says why it did not start and exits 75 when the lock was taken; the
 * client reaps the child and reads what it said.  The guard writes to
 * the pipe only until its log is open, so the client stops reading when
 * the child has exited, not at the end of the pipe.
 */
#include "config.h"

#include "guard_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"

/* `cutover guard` waits 120 s for the guard's "ok": a little more here. */
#define GUARD_SPAWN_WAIT_MS 130000

/* In the child: stdio, descriptors, signals, then this binary again. */
static void
guard_spawn_exec(const struct plan *p, const struct guard_options *o,
		 int out)
{
	const char *argv[16];
	char speed[32];
	sigset_t none;
	int n = 0, fd;

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		_exit(CLI_IO);
	close_range(3, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	argv[n++] = "cutover";
	if (p->path != NULL) {
		argv[n++] = "-c";
		argv[n++] = p->path;
	}
	if (p->kubernetes.context != NULL) {
		argv[n++] = "--context";
		argv[n++] = p->kubernetes.context;
	}
	if (o->demo) {
		snprintf(speed, sizeof(speed), "%.17g", o->demo_speed);
		argv[n++] = "--demo";
		argv[n++] = "--demo-speed";
		argv[n++] = speed;
		if (!o->autopilot)
			argv[n++] = "--no-autopilot";
	}
	argv[n++] = "guard";
	argv[n] = NULL;
	execv("/proc/self/exe", (char *const *)argv);
	fprintf(stderr, "cutover: cannot run /proc/self/exe: %s\n",
		strerror(errno));
	_exit(CLI_IO);
}

int
guard_spawn(const struct plan *p, const struct guard_options *o, long *pid,
	    bool *locked, struct err *e)
{
	char said[1024];
	size_t n = 0;
	int64_t end = clock_mono(&clock_system) + GUARD_SPAWN_WAIT_MS;
	int pfd[2], status = 0;
	pid_t child, w = 0;
	char *at;

	*locked = false;
	if (pid != NULL)
		*pid = 0;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return err_set(e, "cannot start the guard: pipe: %s",
			       strerror(errno));
	fflush(NULL);
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return err_set(e, "cannot start the guard: fork: %s",
			       strerror(errno));
	}
	if (child == 0)
		guard_spawn_exec(p, o, pfd[1]);
	close(pfd[1]);
	while (w == 0) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		int64_t left = end - clock_mono(&clock_system);
		ssize_t r;

		if (left <= 0) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			close(pfd[0]);
			return err_set(e, "the guard did not say it started "
				       "within %d s", GUARD_SPAWN_WAIT_MS /
				       1000);
		}
		if (poll(&pf, 1, left > 200 ? 200 : (int)left) > 0) {
			char more[256];

			/* Past the first 1 KiB, read and dropped. */
			if (n < sizeof(said) - 1)
				r = read(pfd[0], said + n, sizeof(said) - 1 - n);
			else
				r = read(pfd[0], more, sizeof(more));
			if (r > 0 && n < sizeof(said) - 1)
				n += (size_t)r;
		}
		w = waitpid(child, &status, WNOHANG);
		if (w < 0 && errno != EINTR)
			break;
		if (w < 0)
			w = 0;
	}
	/* What it wrote before it exited is in the pipe. */
	(void)fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	while (n < sizeof(said) - 1) {
		ssize_t r = read(pfd[0], said + n, sizeof(said) - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pfd[0]);
	said[n] = '\0';
	if (w > 0 && WIFEXITED(status) && WEXITSTATUS(status) == CLI_OK) {
		if (pid != NULL && (at = strstr(said, ": pid ")) != NULL)
			*pid = strtol(at + 6, NULL, 10);
		return 0;
	}
	*locked = w > 0 && WIFEXITED(status) &&
		  WEXITSTATUS(status) == CLI_LOCKED;
	said[strcspn(said, "\n")] = '\0';
	at = said;
	if (strncmp(at, "cutover: ", 9) == 0)
		at += 9;
	if (*at != '\0')
		return err_set(e, "%s", at);
	if (w > 0 && WIFSIGNALED(status))
		return err_set(e, "the guard did not start: signal %d",
			       WTERMSIG(status));
	return err_set(e, "the guard did not start (exit %d)",
		       w > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
