/*
 * xmalloc — allocation that never returns NULL.  On failure it runs the
 * registered out-of-memory hook (the UI restores the terminal there), prints
 * one line and aborts.  Nothing else in the program checks malloc results.
 *
 * Secrets (tokens, keys, passwords, client certificates and keys, the
 * SigV4 secret, header values that may carry credentials) are wiped with
 * xwipe, or wiped and freed with xfree_secret, and nothing else: a memset
 * before free() is a dead store that the optimiser removes.
 */
#ifndef CUTOVER_SRC_XMALLOC_H
#define CUTOVER_SRC_XMALLOC_H

#include <stddef.h>

/* Hook run once before aborting on out-of-memory (may be NULL). */
void xmalloc_set_oom_hook(void (*hook)(void));

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Resize an array to n elements of `size` bytes (overflow checked). */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Allocate a formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Zero len bytes so that no optimiser can drop it (explicit_bzero). */
void xwipe(void *p, size_t len);
/* Wipe len bytes of a secret, then free it; NULL is fine. */
void xfree_secret(void *p, size_t len);
/* Wipe a secret string up to its terminator, then free it; NULL is fine. */
void xfree_secret_str(char *s);

#endif
