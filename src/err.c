/*
 * err — formatting of error reports.  No allocation, so it works when the
 * process is out of memory.
 */
#include "config.h"

#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
err_clear(struct err *e)
{
	memset(e, 0, sizeof(*e));
}

int
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_set_at(struct err *e, const char *file, int line, int column,
	   const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->column = column;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char head[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", head, old);
	return -1;
}

const char *
err_str(const struct err *e, char *buf, size_t len)
{
	if (e->file[0] != '\0' && e->line > 0)
		snprintf(buf, len, "%s:%d:%d: %s", e->file, e->line, e->column,
			 e->msg);
	else if (e->file[0] != '\0')
		snprintf(buf, len, "%s: %s", e->file, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
	return buf;
}
