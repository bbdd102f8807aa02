/*
 * promtest — a real Prometheus for the live tests (see promtest.h).
 *
 * The server is a child of the test process, started with execv (no
 * shell), its output in <dir>/prometheus.log.  Readiness is polled with a
 * blocking curl handle and a short nanosleep between turns: that waits
 * for another process, not for time to pass in the code under test.
 */
#include "config.h"

#include "promtest.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "xmalloc.h"
#include "testsrv.h"

/* bcrypt (cost 4) of PROMTEST_PASSWORD, made for these tests only. */
#define PROMTEST_BCRYPT \
	"$2b$04$UAZVmwN2MNRnqmKA.U2mw.YWo4LcuC045w3vqnDQaZZ32vZCXO/KO"

static const char *
promtest_tool(const char *env, const char *dflt)
{
	const char *p = getenv(env);

	return p != NULL && p[0] != '\0' ? p : dflt;
}

void
promtest_require(void)
{
	const char *prometheus = promtest_tool("PROMETHEUS",
					       "/usr/bin/prometheus");
	const char *promtool = promtest_tool("PROMTOOL", "/usr/bin/promtool");

	if (access(prometheus, X_OK) != 0 || access(promtool, X_OK) != 0)
		testsrv_skip("prometheus/promtool not found (%s, %s)",
			     prometheus, promtool);
}

static int
promtest_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Fork and exec argv with stdout/stderr appended to log. */
static pid_t
promtest_spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static size_t
promtest_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* GET /-/ready until 200; bounded to ~30 s. */
static void
promtest_wait_ready(struct promtest *pt)
{
	char url[128];
	CURL *c = curl_easy_init();
	long code = 0;
	int i;

	cr_assert_not_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s/-/ready", pt->port,
		 promtest_prefix(pt));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, promtest_discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	if (pt->auth)
		curl_easy_setopt(c, CURLOPT_USERPWD,
				 PROMTEST_USER ":" PROMTEST_PASSWORD);
	for (i = 0; i < 300; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int st;

		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK && code == 200)
			break;
		cr_assert_eq(waitpid(pt->server, &st, WNOHANG), 0,
			     "prometheus exited; see %s/prometheus.log",
			     pt->dir);
		nanosleep(&ts, NULL);	/* polling a child, not a timer */
	}
	curl_easy_cleanup(c);
	cr_assert_eq(code, 200, "prometheus not ready after 30 s");
}

static void
promtest_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

void
promtest_start(struct promtest *pt, promtest_writer w, void *arg)
{
	const char *prometheus = promtest_tool("PROMETHEUS",
					       "/usr/bin/prometheus");
	const char *promtool = promtest_tool("PROMTOOL", "/usr/bin/promtool");
	char om[128], data[128], conf[128], log[128], web[128], a1[192],
	    a2[192], a3[64], a4[192];
	FILE *f;
	int st;

	pt->server = -1;
	promtest_require();
	snprintf(pt->dir, sizeof(pt->dir), "/tmp/cutover-prom.XXXXXX");
	cr_assert_not_null(mkdtemp(pt->dir));
	snprintf(om, sizeof(om), "%s/series.om", pt->dir);
	snprintf(data, sizeof(data), "%s/data", pt->dir);
	snprintf(conf, sizeof(conf), "%s/prometheus.yml", pt->dir);
	snprintf(log, sizeof(log), "%s/prometheus.log", pt->dir);
	snprintf(web, sizeof(web), "%s/web.yml", pt->dir);

	f = fopen(om, "w");
	cr_assert_not_null(f);
	w(f, arg);
	fprintf(f, "# EOF\n");
	cr_assert_eq(fclose(f), 0);
	{
		char *argv[] = { (char *)promtool, "tsdb",
			"create-blocks-from", "openmetrics", om, data, NULL };
		pid_t pid = promtest_spawn(argv, log);

		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			  "promtool failed; see %s", log);
	}
	promtest_write(conf, "global:\n  scrape_interval: 15s\n");
	promtest_write(web, pt->auth ? "basic_auth_users:\n  " PROMTEST_USER
		       ": '" PROMTEST_BCRYPT "'\n" : "");

	pt->port = promtest_free_port();
	snprintf(a1, sizeof(a1), "--config.file=%s", conf);
	snprintf(a2, sizeof(a2), "--storage.tsdb.path=%s", data);
	snprintf(a3, sizeof(a3), "--web.listen-address=127.0.0.1:%d",
		 pt->port);
	snprintf(a4, sizeof(a4), "--web.config.file=%s", web);
	{
		char *argv[] = { (char *)prometheus, a1, a2, a3, a4,
			"--log.level=warn", pt->auth ?
			"--web.route-prefix=/prometheus" : NULL, NULL };

		pt->server = promtest_spawn(argv, log);
	}
	promtest_wait_ready(pt);
}

void
promtest_kill(struct promtest *pt)
{
	if (pt->server > 0) {
		kill(pt->server, SIGKILL);
		waitpid(pt->server, NULL, 0);
		pt->server = -1;
	}
}

void
promtest_stop(struct promtest *pt)
{
	char cmd[128];

	promtest_kill(pt);
	if (pt->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pt->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", pt->dir);
		pt->dir[0] = '\0';
	}
}

const char *
promtest_prefix(const struct promtest *pt)
{
	return pt->auth ? "/prometheus" : "";
}

char *
promtest_url(const struct promtest *pt)
{
	return xasprintf("http://127.0.0.1:%d%s/", pt->port,
			 promtest_prefix(pt));
}

char *
promtest_path(const struct promtest *pt, const char *name)
{
	return xasprintf("%s/%s", pt->dir, name);
}
