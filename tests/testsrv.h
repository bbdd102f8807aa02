/*
 * testsrv — the Python test servers under tests/ (kubeapi.py, route53d.py,
 * cloudflared.py, ...) started from criterion tests: spawned without a
 * shell on 127.0.0.1 at a free port, waited for (bounded) until they
 * print "ready PORT".  A test is skipped when python3 cannot be found,
 * except in CI (CI=true), where a missing tool is a missing install step
 * and the test fails: testsrv_skip() is the one way to skip.
 */
#ifndef CUTOVER_TESTS_TESTSRV_H
#define CUTOVER_TESTS_TESTSRV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

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

#endif
