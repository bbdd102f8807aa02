/*
 * testsrv — the Python test servers under tests/ (kubeapi.py, route53d.py,
 * cloudflared.py, ...) started from criterion tests: spawned without a
 * shell on 127.0.0.1 at a free port, waited for (bounded) until they
 * print "ready PORT".  A test is skipped when python3 cannot be found.
 */
#ifndef CUTOVER_TESTS_TESTSRV_H
#define CUTOVER_TESTS_TESTSRV_H

#include <stdint.h>
#include <sys/types.h>

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

#endif
