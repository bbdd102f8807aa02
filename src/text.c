/*
 * text — the one redactor and the one sanitiser (see text.h for what
 * each does).
 *
 * The redactor reads the input once and writes a new buffer, so a
 * replacement longer than what it replaces ("x" -> "***") never writes
 * past the input's allocation; the result is then copied back within the
 * caller's capacity.  The sanitiser never lengthens its input, so it
 * works in place.  Both are linear in the input: a key is looked for in
 * at most TEXT_KEY_MAX bytes before its separator.
 */
#include "config.h"

#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "xmalloc.h"

#define TEXT_KEY_MAX 64

/* ------------------------------------------------------------- sanitiser */

/*
 * Length of the well-formed, shortest-form UTF-8 sequence at s (at most
 * n bytes) and its code point, or 0 when there is none.
 */
static size_t
text_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else {
		return 0;	/* continuation, 0xc0, 0xc1, 0xf5.. */
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	v = (v << 6) | (s[1] & 0x3f);
	for (size_t i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/* Whether a terminal shows code point cp as text. */
static bool
text_showable(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return false;
	/* Bidi controls reorder what follows them; separators break lines. */
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return false;
	return true;
}

size_t
text_sanitise_n(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *in = (const unsigned char *)s;
	size_t i = 0, o = 0;

	if (cap == 0)
		return 0;
	/* out may be s: o never passes i. */
	while (i < n) {
		uint32_t cp;
		size_t len = text_utf8(in + i, n - i, &cp);

		if (len == 0 || !text_showable(cp)) {
			if (o + 1 >= cap)
				break;
			out[o++] = '?';
			i += len > 0 ? len : 1;
			continue;
		}
		if (o + len >= cap)
			break;
		memmove(out + o, in + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return o;
}

char *
text_sanitise(char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	text_sanitise_n(s, n + 1, s, n);
	return s;
}

/* -------------------------------------------------------------- redactor */

static bool
text_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

/* Where an unquoted credential ends. */
static bool
text_delim(char c)
{
	return (unsigned char)c < 0x20 || c == ' ' || c == 0x7f ||
	    strchr("\"',;&}])<>", c) != NULL;
}

static bool
text_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static bool
text_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Does s[0..n) end with word, or word + "s", ignoring case? */
static bool
text_ends(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	if (n > w && (s[n - 1] == 's' || s[n - 1] == 'S') &&
	    strncasecmp(s + n - 1 - w, word, w) == 0)
		return true;
	return n >= w && strncasecmp(s + n - w, word, w) == 0;
}

/* Length of the unquoted token at s. */
static size_t
text_token(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0' && !text_delim(s[n]))
		n++;
	return n;
}

/*
 * The key before the separator at s[i] names a secret: 1, or 2 when it is
 * an Authorization header (its value may start with a scheme word).  The
 * key must end with the name ("access_token", "X-Amz-Signature"), so that
 * "InvalidClientTokenId: The token..." keeps its words, and must not be a
 * file name at the end of a path.
 */
static int
text_secret_key(const char *s, size_t i)
{
	static const char *const names[] = {
		"token", "password", "passwd", "secret", "secret_key",
		"apikey", "api_key", "api-key", "access_key", "private_key",
		"credential", "signature", "cookie",
	};
	size_t end = i, start;

	if (end > 0 && (s[end - 1] == '"' || s[end - 1] == '\''))
		end--;
	start = end;
	while (start > 0 && end - start < TEXT_KEY_MAX &&
	       text_key_char(s[start - 1]))
		start--;
	/* The last part of a path names a file: "/etc/x-token: No such". */
	if (start == end || (start > 0 && s[start - 1] == '/'))
		return 0;
	if (text_ends(s + start, end - start, "authorization"))
		return 2;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (text_ends(s + start, end - start, names[k]))
			return 1;
	return 0;
}

/*
 * The value after a secret key's separator at s[i]: copies what stays
 * (spaces, a quote, a scheme word), writes "***" for the rest, and
 * returns the index after it.
 */
static size_t
text_redact_value(const char *s, size_t i, bool scheme, struct strbuf *b)
{
	size_t j = i + 1, tok;

	strbuf_addn(b, s + i, 1);
	while (s[j] == ' ' || s[j] == '\t')
		strbuf_addn(b, s + j++, 1);
	if (s[j] == '"' || s[j] == '\'') {
		char q = s[j];
		size_t k = j + 1;

		while (s[k] != '\0' && s[k] != q) {
			if (s[k] == '\\' && s[k + 1] != '\0')
				k++;
			k++;
		}
		strbuf_addn(b, s + j, 1);
		if (k > j + 1)
			strbuf_addn(b, "***", 3);
		return k;
	}
	tok = text_token(s + j);
	if (scheme && tok > 0 && s[j + tok] == ' ') {
		size_t w = 0;

		while (w < tok && ((s[j + w] >= 'a' && s[j + w] <= 'z') ||
				   (s[j + w] >= 'A' && s[j + w] <= 'Z')))
			w++;
		if (w == tok && text_token(s + j + tok + 1) > 0) {
			strbuf_addn(b, s + j, tok + 1);
			j += tok + 1;
			tok = text_token(s + j);
		}
	}
	if (tok > 0)
		strbuf_addn(b, "***", 3);
	return j + tok;
}

/*
 * The password of a URL's userinfo at s[i] == ':' of "://", or 0.  A
 * password may hold any of "!$&'()*+,;=" (RFC 3986): only what ends the
 * authority ends it.
 */
static size_t
text_redact_userinfo(const char *s, size_t i, struct strbuf *b)
{
	size_t j = i + 3, colon = 0;

	while ((unsigned char)s[j] > ' ' && s[j] != 0x7f && s[j] != '/' &&
	       s[j] != '?' && s[j] != '#' && s[j] != '@') {
		if (s[j] == ':' && colon == 0)
			colon = j;
		j++;
	}
	if (s[j] != '@' || colon == 0)
		return 0;
	strbuf_addn(b, s + i, colon + 1 - i);
	strbuf_addn(b, "***", 3);
	return j;
}

char *
text_redact(char *s, size_t cap)
{
	static const char *const schemes[] = { "bearer", "basic" };
	struct strbuf b = { 0 };
	size_t i = 0, n;

	if (s == NULL || cap == 0)
		return s;
	/* What would be cut anyway is not built. */
	while (s[i] != '\0' && b.len < cap) {
		char c = s[i];
		size_t next;
		int key;

		if (c == ':' && s[i + 1] == '/' && s[i + 2] == '/' &&
		    (next = text_redact_userinfo(s, i, &b)) != 0) {
			i = next;
			continue;
		}
		if ((c == ':' || c == '=') &&
		    (key = text_secret_key(s, i)) > 0) {
			i = text_redact_value(s, i, key == 2, &b);
			continue;
		}
		if (i == 0 || !text_word_char(s[i - 1])) {
			size_t k;

			for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]);
			     k++) {
				size_t w = strlen(schemes[k]), sp = 0, tok;

				if (strncasecmp(s + i, schemes[k], w) != 0)
					continue;
				while (text_space(s[i + w + sp]))
					sp++;
				tok = sp > 0 ? text_token(s + i + w + sp) : 0;
				if (tok == 0)
					continue;
				strbuf_addn(&b, s + i, w + sp);
				strbuf_addn(&b, "***", 3);
				i += w + sp + tok;
				break;
			}
			if (k < sizeof(schemes) / sizeof(schemes[0]))
				continue;
		}
		strbuf_addn(&b, s + i, 1);
		i++;
	}
	n = b.len;
	if (n > cap - 1) {
		/* Cut on a character boundary. */
		n = cap - 1;
		while (n > 0 && ((unsigned char)b.s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(s, b.s, n);
	s[n] = '\0';
	free(b.s);
	return s;
}

char *
text_scrub(char *s, size_t cap)
{
	return text_sanitise(text_redact(s, cap));
}

char *
text_scrub_dup(const char *s)
{
	size_t cap;
	char *d;

	if (s == NULL)
		return NULL;
	/* Room for every 1-byte credential to become "***". */
	cap = strlen(s) * 3 + 1;
	d = xmalloc(cap);
	memcpy(d, s, strlen(s) + 1);
	return text_scrub(d, cap);
}
