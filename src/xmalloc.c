/*
 * xmalloc — the one place that handles allocation failure, and the one
 * place that wipes a secret before its memory goes back to the allocator.
 */
#include "config.h"

#include "xmalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void (*oom_hook)(void);

void
xmalloc_set_oom_hook(void (*hook)(void))
{
	oom_hook = hook;
}

static void
oom(void)
{
	static const char msg[] = "cutover: out of memory\n";
	void (*hook)(void) = oom_hook;

	oom_hook = NULL;
	if (hook != NULL)
		hook();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more can be done */
	}
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		oom();
	return q;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		oom();
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

#ifndef HAVE_EXPLICIT_BZERO
/* Called through a volatile pointer, memset cannot be proven dead. */
static void *(*volatile xwipe_memset)(void *, int, size_t) = memset;
#endif

void
xwipe(void *p, size_t len)
{
	if (p == NULL || len == 0)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#else
	xwipe_memset(p, 0, len);
#endif
}

void
xfree_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	xwipe(p, len);
	free(p);
}

void
xfree_secret_str(char *s)
{
	if (s == NULL)
		return;
	xfree_secret(s, strlen(s));
}
