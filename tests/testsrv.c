/*
 * testsrv — start a Python test server and wait for it, and run a traffic
 * driver against one (see testsrv.h).
 */
#include "config.h"

#include "testsrv.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

extern char **environ;

#define TESTSRV_ARGV_MAX 24
#define TESTSRV_ITER_CAP 3000

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

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

void
testsrv_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

static size_t
ctl_write(char *data, size_t size, size_t n, void *arg)
{
	json_t **out = arg;
	json_error_t je;

	json_decref(*out);
	*out = json_loadb(data, size * n, 0, &je);
	return size * n;
}

json_t *
testsrv_ctl(int port, const char *path, const char *json_body)
{
	CURL *c = curl_easy_init();
	char url[256];
	json_t *out = NULL;
	CURLcode rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
	if (json_body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	cr_assert_eq(rc, CURLE_OK, "control %s: %s", path,
		     curl_easy_strerror(rc));
	return out;
}

void
testsrv_control(int port, const char *json_body)
{
	json_decref(testsrv_ctl(port, "/_control", json_body));
}

int
testsrv_state_int(int port, const char *key)
{
	json_t *s = testsrv_ctl(port, "/_state", NULL);
	int n = (int)json_integer_value(json_object_get(s, key));

	json_decref(s);
	return n;
}

void
testsrv_set_str(char **field, const char *v)
{
	free(*field);
	*field = v != NULL ? strdup(v) : NULL;
	cr_assert(v == NULL || *field != NULL);
}

void
testsrv_drv_init(struct testsrv_drv *t, const char *name, const char *secret)
{
	const char *ts = getenv("top_srcdir");

	memset(t, 0, sizeof(*t));
	snprintf(t->top, sizeof(t->top), "%s", ts && *ts ? ts : TOP_SRCDIR);
	snprintf(t->tmpdir, sizeof(t->tmpdir), "/tmp/cutover-test-%s-XXXXXX",
		 name);
	cr_assert_not_null(mkdtemp(t->tmpdir));
	t->secret = secret;
	clock_fake_init(&t->fc, 1000000, 1700000000000);
	t->loop = loop_new(&t->fc.clock);
}

void
testsrv_drv_done(struct testsrv_drv *t)
{
	if (t->ready)
		driver_done(&t->drv);
	t->ready = false;
	loop_free(t->loop);
	t->loop = NULL;
	for (int i = 0; i < t->nlogs; i++) {
		cr_expect_null(strstr(t->logs[i], t->secret),
			       "secret in log: %s", t->logs[i]);
		free(t->logs[i]);
	}
	t->nlogs = 0;
	testsrv_stop(&t->server);
	if (t->tmpdir[0] != '\0') {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->tmpdir);
		cr_assert_eq(system(cmd), 0);
	}
}

void
testsrv_drv_serve(struct testsrv_drv *t, const char *script,
		  const char *const *args, const char *const *extra,
		  const char *why_exit)
{
	t->server = testsrv_start(t->top, script, args, extra, 15000,
				  why_exit, &t->port);
}

static void
drv_log(const char *line, void *arg)
{
	struct testsrv_drv *t = arg;

	if (t->nlogs < TESTSRV_LOG_MAX)
		t->logs[t->nlogs++] = strdup(line);
}

void
testsrv_drv_start(struct testsrv_drv *t, const struct plan *p)
{
	struct err e;

	err_clear(&e);
	cr_assert_eq(driver_init(&t->drv, p, t->loop, drv_log, t, &e), 0,
		     "%s", e.msg);
	t->ready = true;
}

int
testsrv_log_count(const struct testsrv_drv *t, const char *needle)
{
	int n = 0;

	for (int i = 0; i < t->nlogs; i++)
		if (strstr(t->logs[i], needle) != NULL)
			n++;
	return n;
}

void
testsrv_got_cb(const struct driver_result *r, void *arg)
{
	struct testsrv_got *g = arg;

	g->calls++;
	g->r = *r;
}

void
testsrv_run(struct testsrv_drv *t, const struct testsrv_got *g)
{
	for (int i = 0; i < TESTSRV_ITER_CAP && g->calls == 0; i++) {
		loop_run_once(t->loop, 20);
		if (g->calls == 0 && loop_transfers(t->loop) == 0)
			clock_fake_advance(&t->fc, 250);
	}
	cr_assert_eq(g->calls, 1, "no answer within the iteration cap");
}

struct driver_result
testsrv_apply(struct testsrv_drv *t, int istio)
{
	struct testsrv_got g = { 0 };
	struct err e;

	err_clear(&e);
	cr_assert_eq(driver_apply(&t->drv, (struct weights){ istio,
				  100 - istio }, 2, testsrv_got_cb, &g, &e), 0,
		     "%s", e.msg);
	testsrv_run(t, &g);
	return g.r;
}

struct driver_result
testsrv_read_back(struct testsrv_drv *t)
{
	struct testsrv_got g = { 0 };
	struct err e;

	err_clear(&e);
	cr_assert_eq(driver_read_back(&t->drv, testsrv_got_cb, &g, &e), 0,
		     "%s", e.msg);
	testsrv_run(t, &g);
	return g.r;
}

void
testsrv_expect_fail(const struct testsrv_drv *t, struct driver_result r,
		    const char *needle)
{
	cr_assert_not(r.ok, "succeeded: %s", r.message);
	cr_assert_not_null(strstr(r.message, needle),
			   "message \"%s\" lacks \"%s\"", r.message, needle);
	cr_assert_null(strstr(r.message, t->secret));
}
