/*
 * test_xmalloc — the secret wipe: xwipe zeroes exactly the bytes it is
 * given, and the freeing forms take NULL and leave nothing behind for
 * ASan to report.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

Test(xwipe, zeroes_exactly_len_bytes)
{
	char buf[32];

	memset(buf, 'S', sizeof(buf));
	xwipe(buf + 4, 20);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], i >= 4 && i < 24 ? '\0' : 'S',
			     "byte %zu", i);
}

Test(xwipe, a_heap_secret)
{
	char *tok = xstrdup("eyJhbGciOiJSUzI1NiJ9.secret");
	size_t n = strlen(tok);

	xwipe(tok, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(tok[i], '\0', "byte %zu", i);
	free(tok);
}

Test(xwipe, nothing_to_wipe)
{
	char c = 'x';

	xwipe(NULL, 0);
	xwipe(NULL, 8);
	xwipe(&c, 0);
	cr_assert_eq(c, 'x');
}

Test(xfree_secret, frees_and_takes_null)
{
	char *key = xmalloc(64);

	memset(key, 'K', 64);
	xfree_secret(key, 64);
	xfree_secret(NULL, 64);
	xfree_secret_str(xstrdup("hunter2"));
	xfree_secret_str(xstrdup(""));
	xfree_secret_str(NULL);
}
