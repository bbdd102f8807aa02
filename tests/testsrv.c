/*
 * testsrv — start a Python test server and wait for it (see testsrv.h).
 */
#include "config.h"

#include "testsrv.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TESTSRV_ARGV_MAX 24

int64_t
testsrv_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pid_t
testsrv_start(const char *top, const char *script, const char *const *args,
	      const char *const *extra, int64_t timeout_ms,
	      const char *why_exit, int *port)
{
	const char *py = getenv("PYTHON3");
	char path[1200], line[64];
	char *argv[TESTSRV_ARGV_MAX];
	posix_spawn_file_actions_t fa;
	int p[2], rc, n = 0;
	size_t got = 0;
	int64_t give_up;
	pid_t pid;

	if (py == NULL || *py == '\0')
		py = "python3";
	snprintf(path, sizeof(path), "%s/tests/%s", top, script);
	argv[n++] = (char *)py;
	argv[n++] = path;
	argv[n++] = "--port";
	argv[n++] = "0";
	for (; args != NULL && *args != NULL && n < TESTSRV_ARGV_MAX - 1;
	     args++)
		argv[n++] = (char *)*args;
	for (; extra != NULL && *extra != NULL && n < TESTSRV_ARGV_MAX - 1;
	     extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;

	cr_assert_eq(pipe(p), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	rc = posix_spawnp(&pid, py, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc == ENOENT) {
		close(p[0]);
		testsrv_skip("%s not found", py);
	}
	cr_assert_eq(rc, 0, "cannot run %s: %s", py, strerror(rc));
	give_up = testsrv_real_ms() + timeout_ms;
	memset(line, 0, sizeof(line));
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = give_up - testsrv_real_ms();
		ssize_t r;

		cr_assert_gt(left, 0, "%s did not start", script);
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(p[0], line + got, sizeof(line) - 1 - got);
		cr_assert_gt(r, 0, "%s exited%s", script,
			     why_exit != NULL ? why_exit : "");
		got += (size_t)r;
	}
	close(p[0]);
	cr_assert_eq(sscanf(line, "ready %d", port), 1, "said %s", line);
	return pid;
}

int
testsrv_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

bool
testsrv_pid_alive(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp != NULL && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}
