/*
 * testsrv — the Python test servers under tests/ (kubeapi.py, route53d.py,
 * cloudflared.py, ...) started from criterion tests: spawned without a
 * shell on 127.0.0.1 at a free port, waited for (bounded) until they
 * print "ready PORT".  A test is skipped when python3 cannot be found,
 * except in CI (CI=true), where a missing tool is a missing install step
 * and the test fails: testsrv_skip() is the one way to skip.
 *
 * struct testsrv_drv is the harness of a traffic driver run against such
 * a server (test_route53, test_cloudflare): the loop on a fake clock,
 * the driver, the progress lines it logged, the server, and steps turned
 * until answered within a bounded number of loop passes.
 */
#ifndef CUTOVER_TESTS_TESTSRV_H
#define CUTOVER_TESTS_TESTSRV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "clock.h"
#include "driver.h"
#include "loop.h"
#include "plan.h"

/* cr_skip_test(), or a failure when CI=true (needs criterion included). */
#define testsrv_skip(...)						\
	do {								\
		const char *testsrv_ci_ = getenv("CI");			\
									\
		if (testsrv_ci_ != NULL && strcmp(testsrv_ci_, "true") == 0) \
			cr_assert_fail(__VA_ARGS__);			\
		cr_skip_test(__VA_ARGS__);				\
	} while (0)

/* Monotonic real time in ms (for bounded waits on real processes). */
int64_t testsrv_real_ms(void);

/*
 * Run `$PYTHON3 <top>/tests/<script> --port 0 <args...> <extra...>` (both
 * lists NULL-terminated, either may be NULL) and wait up to timeout_ms for
 * its ready line.  Returns the pid and sets *port.  `why_exit` is added to
 * the failure when the server exits before it is ready (a likely cause).
 */
pid_t testsrv_start(const char *top, const char *script,
		    const char *const *args, const char *const *extra,
		    int64_t timeout_ms, const char *why_exit, int *port);

/* Descriptors open in this process (a leak check around a test). */
int testsrv_fd_count(void);

/* Whether pid is a live process (not a zombie). */
bool testsrv_pid_alive(pid_t pid);

/* SIGTERM the server *pid (0: none) and reap it; *pid becomes 0. */
void testsrv_stop(pid_t *pid);

/* A synchronous request to a test server's controls (/_control,
 * /_state; a POST when json_body is given): its JSON answer, a new
 * reference. */
json_t *testsrv_ctl(int port, const char *path, const char *json_body);

/* POST json_body to the server's /_control. */
void testsrv_control(int port, const char *json_body);
/* The integer `key` of the server's /_state ("changes"). */
int testsrv_state_int(int port, const char *key);

/* Replace a plan string (free the old, copy v; NULL clears). */
void testsrv_set_str(char **field, const char *v);

#define TESTSRV_LOG_MAX 256

struct testsrv_drv {
	char top[1024];		/* $top_srcdir, else TOP_SRCDIR */
	char tmpdir[64];	/* the test's own, removed when done */
	struct clock_fake fc;
	struct loop *loop;
	struct driver drv;
	bool ready;		/* drv is initialised */
	char *logs[TESTSRV_LOG_MAX];	/* the driver's progress lines */
	int nlogs;
	const char *secret;	/* never in a log line nor a failure */
	pid_t server;		/* 0: none */
	int port;
};

/* A loop on a fake clock and a directory /tmp/cutover-test-<name>-*;
 * secret is what must never be shown. */
void testsrv_drv_init(struct testsrv_drv *t, const char *name,
		      const char *secret);
/* Stop the driver, the server and the loop, remove the directory; a log
 * line holding the secret fails the test. */
void testsrv_drv_done(struct testsrv_drv *t);
/* Start the server (testsrv_start) for the harness: t->server, t->port. */
void testsrv_drv_serve(struct testsrv_drv *t, const char *script,
		       const char *const *args, const char *const *extra,
		       const char *why_exit);
/* driver_init on p, logging into t; asserts it works. */
void testsrv_drv_start(struct testsrv_drv *t, const struct plan *p);
/* Log lines holding needle. */
int testsrv_log_count(const struct testsrv_drv *t, const char *needle);
/* One step: apply istio / 100 - istio (stage 2), or read back; the loop
 * turns until the answer, the clock jumping 250 ms while nothing is in
 * flight. */
struct driver_result testsrv_apply(struct testsrv_drv *t, int istio);
struct driver_result testsrv_read_back(struct testsrv_drv *t);
/* Turn the loop until g->calls, as the steps do. */
struct testsrv_got {
	int calls;
	struct driver_result r;
};
void testsrv_got_cb(const struct driver_result *r, void *arg);
void testsrv_run(struct testsrv_drv *t, const struct testsrv_got *g);
/* r failed saying needle, and not the secret. */
void testsrv_expect_fail(const struct testsrv_drv *t, struct driver_result r,
			 const char *needle);

#endif
