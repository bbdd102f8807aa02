/*
 * err — the error report every fallible function in src/ fills.
 *
 * Functions return 0 on success and -1 on failure; on failure they fill a
 * caller-owned struct err.  Line and column are 1-based positions in the
 * file named by `file` (0 when not about a file).  The message never
 * contains a secret: callers must not format tokens or keys into it.
 */
#ifndef CUTOVER_SRC_ERR_H
#define CUTOVER_SRC_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 512
#define ERR_FILE_MAX 256

struct err {
	char file[ERR_FILE_MAX];
	int line;
	int column;
	char msg[ERR_MSG_MAX];
};

/* Clear an error report. */
void err_clear(struct err *e);

/* Set the message (printf style); keeps file/line/column. Returns -1. */
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set message and position in `file`. Returns -1. */
int err_set_at(struct err *e, const char *file, int line, int column,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Put "prefix: " in front of the current message. Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Format as "file:line:column: msg" (or just msg) into buf. */
const char *err_str(const struct err *e, char *buf, size_t len);

#endif
