/*
 * test_xmalloc — the secret wipe: xwipe zeroes exactly the bytes it is
 * given, and the freeing forms take NULL and leave nothing behind for
 * ASan to report.  And strbuf, the one growing string built on them.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
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

Test(strbuf, grows_and_stays_terminated)
{
	struct strbuf b = { 0 };
	char want[4096];

	cr_assert_null(b.s);
	strbuf_add(&b, "");
	cr_assert_str_eq(b.s, "");
	for (size_t i = 0; i < sizeof(want) - 1; i++) {
		want[i] = (char)('a' + i % 26);
		strbuf_addn(&b, &want[i], 1);
		cr_assert_eq(b.len, i + 1);
		cr_assert_eq(b.s[b.len], '\0');
		cr_assert_lt(b.len, b.cap);
	}
	want[sizeof(want) - 1] = '\0';
	cr_assert_str_eq(b.s, want);
	/* addn copies n bytes, not up to a NUL. */
	b.len = 0;
	strbuf_addn(&b, "ab\0cd", 5);
	cr_assert_eq(b.len, 5);
	cr_assert_eq(memcmp(b.s, "ab\0cd", 6), 0);
	free(b.s);
}
