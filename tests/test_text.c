/*
 * test_text — the sanitiser and the redactor against hostile input:
 * escape sequences, C1 controls as bytes and as UTF-8, invalid and
 * overlong UTF-8, surrogates, NUL, bidi overrides, huge input; and the
 * credential forms the redactor promises to blank.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static const char *
clean(const char *in)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s", in);
	return text_sanitise(buf);
}

static const char *
redact(const char *in)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s", in);
	return text_redact(buf, sizeof(buf));
}

Test(text, sanitise_controls)
{
	cr_assert_str_eq(clean("plain text, 100% fine"),
			 "plain text, 100% fine");
	cr_assert_str_eq(clean("\x1b]0;pwned\x07"), "?]0;pwned?");
	cr_assert_str_eq(clean("a\x1b[31mred\x1b[0m"), "a?[31mred?[0m");
	cr_assert_str_eq(clean("tab\there\r\nline"), "tab?here??line");
	cr_assert_str_eq(clean("del\x7f"), "del?");
	/* C1 CSI as a raw byte (invalid UTF-8) and as UTF-8 (U+009B). */
	cr_assert_str_eq(clean("x\x9b" "2Jy"), "x?2Jy");
	cr_assert_str_eq(clean("x\xc2\x9b" "2Jy"), "x?2Jy");
	cr_assert_str_eq(clean("\xc2\x85next"), "?next");
}

Test(text, sanitise_utf8)
{
	/* Printable UTF-8 stays. */
	cr_assert_str_eq(clean("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80"),
			 "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80");
	/* Overlong forms of '/' and ESC, a surrogate, past U+10FFFF. */
	cr_assert_str_eq(clean("\xc0\xaf"), "??");
	cr_assert_str_eq(clean("\xc0\x9b"), "??");
	cr_assert_str_eq(clean("\xe0\x80\x9b"), "???");
	cr_assert_str_eq(clean("\xf0\x80\x80\x9b"), "????");
	cr_assert_str_eq(clean("\xed\xa0\x80"), "???");
	cr_assert_str_eq(clean("\xf4\x90\x80\x80"), "????");
	cr_assert_str_eq(clean("\xff\xfe"), "??");
	/* Truncated sequences, at the end and in the middle. */
	cr_assert_str_eq(clean("ab\xe2\x86"), "ab??");
	cr_assert_str_eq(clean("\xe2\x86z"), "??z");
	/* A lone continuation byte. */
	cr_assert_str_eq(clean("\x80" "a"), "?a");
	/* Bidi overrides and the line separator. */
	cr_assert_str_eq(clean("a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xe2\x80\xa8"),
			 "a?b?c?");
}

Test(text, sanitise_n_nul_and_bounds)
{
	char out[16];

	cr_assert_eq(text_sanitise_n(out, sizeof(out), "a\0b\x1b", 4), 4);
	cr_assert_str_eq(out, "a?b?");
	/* Cut on a character boundary, never inside one. */
	cr_assert_eq(text_sanitise_n(out, 4, "ab\xc3\xa9", 4), 2);
	cr_assert_str_eq(out, "ab");
	cr_assert_eq(text_sanitise_n(out, 1, "abc", 3), 0);
	cr_assert_str_eq(out, "");
	cr_assert_null(text_sanitise(NULL));
}

Test(text, sanitise_huge_input)
{
	size_t n = 8u << 20;
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(i % 7 == 0 ? 0x1b : i % 7 == 1 ? 0x9b :
			      i % 7 == 2 ? 0xc2 : 'a' + (char)(i % 5));
	s[n] = '\0';
	text_sanitise(s);
	cr_assert_eq(strlen(s), n);
	cr_assert_null(strchr(s, 0x1b));
	cr_assert_null(strchr(s, (char)0x9b));
	free(s);
}

Test(text, redact_schemes)
{
	cr_assert_str_eq(redact("<>bearer $"), "<>bearer ***");
	cr_assert_str_eq(redact("Authorization: Bearer abc.def.ghi"),
			 "Authorization: Bearer ***");
	cr_assert_str_eq(redact("Basic dXNlcjpwYXNz= given"),
			 "Basic *** given");
	cr_assert_str_eq(redact("bearer\tx, bearer y"),
			 "bearer\t***, bearer ***");
	cr_assert_str_eq(redact("Bearer abc\x1b[31m"), "Bearer ***\x1b[31m");
	/* Not a scheme: inside a word, or no credential after it. */
	cr_assert_str_eq(redact("subbasic x"), "subbasic x");
	cr_assert_str_eq(redact("Bearer"), "Bearer");
	cr_assert_str_eq(redact("Bearer ,x"), "Bearer ,x");
}

Test(text, redact_keys)
{
	cr_assert_str_eq(redact("GET /q?access_token=s3cr3t&x=1"),
			 "GET /q?access_token=***&x=1");
	cr_assert_str_eq(redact("password=hunter2 rejected"),
			 "password=*** rejected");
	cr_assert_str_eq(redact("{\"token\":\"a b\\\"c\",\"n\":1}"),
			 "{\"token\":\"***\",\"n\":1}");
	cr_assert_str_eq(redact("client_secret: 'xyz'"),
			 "client_secret: '***'");
	cr_assert_str_eq(redact("X-Api-Key: k1, X-Auth-Token:t2"),
			 "X-Api-Key: ***, X-Auth-Token:***");
	cr_assert_str_eq(redact("Authorization: Negotiate YIIabc"),
			 "Authorization: Negotiate ***");
	cr_assert_str_eq(redact("authorization=raw"), "authorization=***");
	cr_assert_str_eq(redact("Cookie: sid=42"), "Cookie: ***");
	cr_assert_str_eq(redact("X-Amz-Credential=AKID/1/r/aws4_request, "
				"X-Amz-Signature=abcd"),
			 "X-Amz-Credential=***, X-Amz-Signature=***");
	/* Ordinary keys and empty values stay. */
	cr_assert_str_eq(redact("code=500 reason: busy"),
			 "code=500 reason: busy");
	cr_assert_str_eq(redact("InvalidClientTokenId: The security token"),
			 "InvalidClientTokenId: The security token");
	cr_assert_str_eq(redact("password_file: /etc/p"),
			 "password_file: /etc/p");
	cr_assert_str_eq(redact("bearer_token_file /etc/prom-token: No such "
				"file"), "bearer_token_file /etc/prom-token: "
			 "No such file");
	cr_assert_str_eq(redact("Tokens: a"), "Tokens: ***");
	cr_assert_str_eq(redact("\"token\":\"\""), "\"token\":\"\"");
}

Test(text, redact_userinfo)
{
	cr_assert_str_eq(redact("GET http://u:hunter2@127.0.0.1:1/x failed"),
			 "GET http://u:***@127.0.0.1:1/x failed");
	cr_assert_str_eq(redact("https://user@host/"), "https://user@host/");
	cr_assert_str_eq(redact("http://host:9090/api"),
			 "http://host:9090/api");
	cr_assert_str_eq(redact("http://:p@h"), "http://:***@h");
	cr_assert_str_eq(redact("url: https://u:p;a,s'(s)@h:1/"),
			 "url: https://u:***@h:1/");
}

/* Many short credentials in a row grow the text past its buffer. */
Test(text, redact_grows_within_cap)
{
	char buf[64];
	char *d;

	snprintf(buf, sizeof(buf), "%s", "bearer a bearer b bearer c bearer d"
		 " bearer e bearer f");
	text_redact(buf, sizeof(buf));
	cr_assert_lt(strlen(buf), sizeof(buf));
	cr_assert(strncmp(buf, "bearer *** bearer *** bearer ***", 32) == 0,
		  "%s", buf);
	cr_assert_null(strstr(buf, " a"), "%s", buf);

	d = text_scrub_dup("Bearer x Bearer y \x1b]0;pwned\x07 password=z");
	cr_assert_str_eq(d, "Bearer *** Bearer *** ?]0;pwned? password=***");
	free(d);
	cr_assert_null(text_scrub_dup(NULL));
}

Test(text, redact_huge_input)
{
	size_t n = 4u << 20;
	char *s = malloc(n + 1), *d;

	cr_assert_not_null(s);
	for (size_t i = 0; i < n; i += 9)
		memcpy(s + i, i + 9 <= n ? "bearer x " : "         ",
		       i + 9 <= n ? 9 : n - i);
	s[n] = '\0';
	d = text_scrub_dup(s);
	cr_assert_null(strstr(d, " x "));
	cr_assert_eq(strlen(d), n / 9 * 11 + n % 9);
	/* In place, within the same allocation: cut, not overflowed. */
	text_redact(s, n + 1);
	cr_assert_eq(strlen(s), n);
	free(d);
	free(s);
}
