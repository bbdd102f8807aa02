/*
 * promtest — a real Prometheus server on loopback for the live tests.
 *
 * The caller writes an OpenMetrics exposition (through a callback); the
 * helper turns it into TSDB blocks with `promtool tsdb
 * create-blocks-from openmetrics`, starts `prometheus` on 127.0.0.1:<free
 * port> over that data in a fresh temporary directory and waits until it
 * answers /-/ready.  Optionally with basic auth and under the path prefix
 * /prometheus, like a Mimir or an auth proxy.
 *
 * $PROMETHEUS / $PROMTOOL name the binaries (default /usr/bin/...); when
 * either is missing the calling test is skipped (cr_skip_test).  Every wait
 * is a loop with a fixed number of turns.  Criterion helpers: they assert.
 */
#ifndef CUTOVER_TESTS_PROMTEST_H
#define CUTOVER_TESTS_PROMTEST_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Basic auth credentials the server accepts when `auth` is set. */
#define PROMTEST_USER "cutover"
#define PROMTEST_PASSWORD "cutover-test-pw"

struct promtest {
	char dir[64];		/* temporary directory, "" when none */
	pid_t server;		/* -1 when not running */
	int port;
	bool auth;		/* basic auth, served under /prometheus */
};

/* Writes the OpenMetrics text (without "# EOF") to f. */
typedef void (*promtest_writer)(FILE *f, void *arg);

/* The binaries, or skip the test when one is missing. */
void promtest_require(void);

/*
 * Make the directory, write the data, build the blocks, start the server
 * and wait until it is ready.  pt->auth must be set before.
 */
void promtest_start(struct promtest *pt, promtest_writer w, void *arg);

/* Kill the server (SIGKILL) and reap it; the directory stays. */
void promtest_kill(struct promtest *pt);

/* Kill the server if running and remove the directory. */
void promtest_stop(struct promtest *pt);

/* "" or "/prometheus". */
const char *promtest_prefix(const struct promtest *pt);

/* "http://127.0.0.1:<port><prefix>/" (xmalloc'd). */
char *promtest_url(const struct promtest *pt);

/* Path of `name` inside the directory (xmalloc'd). */
char *promtest_path(const struct promtest *pt, const char *name);

#endif
