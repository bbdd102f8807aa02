/*
 * evlog — a ring of log lines (see evlog.h).
 */
#include "config.h"

#include "evlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xmalloc.h"

void
evlog_init(struct evlog *l)
{
	memset(l, 0, sizeof(*l));
}

void
evlog_done(struct evlog *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->lines[(l->first + i) % EVLOG_MAX].text);
	memset(l, 0, sizeof(*l));
}

void
evlog_add(struct evlog *l, int64_t wall_ms, enum evlog_level level,
	  const char *fmt, ...)
{
	struct evlog_line *line;
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* A child's output may carry escape sequences: never to the tty. */
	text_sanitise(buf);
	if (l->n == EVLOG_MAX) {
		free(l->lines[l->first].text);
		l->first = (l->first + 1) % EVLOG_MAX;
		l->n--;
	}
	line = &l->lines[(l->first + l->n) % EVLOG_MAX];
	line->wall_ms = wall_ms;
	line->level = level;
	line->text = xstrdup(buf);
	l->n++;
	l->total++;
}

const struct evlog_line *
evlog_get(const struct evlog *l, int i)
{
	if (i < 0 || i >= l->n)
		return NULL;
	return &l->lines[(l->first + i) % EVLOG_MAX];
}
