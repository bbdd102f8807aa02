/*
 * evlog — the event log the operator reads: transitions, driver output,
 * breaches, errors.  A ring of the last EVLOG_MAX lines, each with its
 * wall time and a severity; the oldest line is dropped when full.  Lines
 * are copied; nothing secret may be logged (callers' duty, as for err).
 */
#ifndef CUTOVER_SRC_EVLOG_H
#define CUTOVER_SRC_EVLOG_H

#include <stdint.h>

#define EVLOG_MAX 500

enum evlog_level {
	EVLOG_INFO,
	EVLOG_NOTE,		/* a transition or an operator action */
	EVLOG_WARN,
	EVLOG_CRIT,
};

struct evlog_line {
	int64_t wall_ms;
	enum evlog_level level;
	char *text;
};

struct evlog {
	struct evlog_line lines[EVLOG_MAX];
	int first;		/* index of the oldest line */
	int n;
	uint64_t total;		/* lines ever added (for "new lines" marks) */
};

void evlog_init(struct evlog *l);
void evlog_done(struct evlog *l);

/* Add a line (printf style); control characters become '?'. */
void evlog_add(struct evlog *l, int64_t wall_ms, enum evlog_level level,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The i-th line, 0 = oldest kept; NULL when out of range. */
const struct evlog_line *evlog_get(const struct evlog *l, int i);

#endif
