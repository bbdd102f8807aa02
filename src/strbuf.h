/*
 * strbuf — a growing NUL-terminated string: request bodies, describe
 * texts, redacted copies.  Zero-initialised is empty; s is NULL until the
 * first add, then always terminated.  The caller owns s (free it, or
 * xfree_secret_str it when it held a secret).
 */
#ifndef CUTOVER_SRC_STRBUF_H
#define CUTOVER_SRC_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *s;
	size_t len, cap;
};

void strbuf_addn(struct strbuf *b, const char *s, size_t n);
void strbuf_add(struct strbuf *b, const char *s);

#endif
