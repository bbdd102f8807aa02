/*
 * strbuf — a growing string (strbuf.h).  Growth doubles what is needed,
 * so appending byte by byte stays linear; a length that would wrap
 * aborts, as an allocation that fails does (xmalloc.h).
 */
#include "config.h"

#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void
strbuf_addn(struct strbuf *b, const char *s, size_t n)
{
	if (n >= SIZE_MAX - b->len)
		abort();
	if (b->len + n + 1 > b->cap) {
		/* xreallocarray dies rather than wrap the doubling. */
		b->s = xreallocarray(b->s, b->len + n + 1, 2);
		b->cap = (b->len + n + 1) * 2;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
strbuf_add(struct strbuf *b, const char *s)
{
	strbuf_addn(b, s, strlen(s));
}
