/*
 * text — outside text made fit to show and to keep.  Two functions do it
 * for the whole program: text_redact() blanks credentials a server, a
 * plugin or a script echoed back, text_sanitise() turns bytes into
 * something a terminal shows as text.  Every error text from a backend
 * goes through text_scrub() (both) where it enters the model; text that
 * is stored (plan strings, the audit log) goes through them where a
 * one-shot command prints it.
 *
 * What is redacted (case-insensitive), always replaced by "***":
 * - the credential after an HTTP auth scheme: "Bearer X", "Basic X";
 * - the value of a key that names a secret, in "key=value", "key: value"
 *   and JSON "\"key\":\"value\"" forms: keys ending in token, password,
 *   passwd, secret, apikey/api_key/api-key, access_key, private_key,
 *   credential, signature, authorization or cookie, with or without a
 *   plural s ("access_token=", "X-Amz-Signature=", "client_secret:");
 *   an "Authorization: Negotiate X" value keeps its scheme word, loses X;
 * - the password of a URL's userinfo: "https://user:X@host".
 * A word that merely looks like one ("bearer of") costs some text; a
 * secret never survives.
 *
 * What is sanitised: C0 controls (with TAB, LF and NUL), DEL, C1 controls
 * (as bytes or as UTF-8), bidi overrides and line separators, and every
 * byte that is not part of a well-formed, shortest-form UTF-8 sequence
 * become '?', one per character or invalid byte (what the dashboard's
 * widgets show).  Printable UTF-8 stays.  The output is never longer than
 * the input, so it is valid UTF-8 for jansson too.
 */
#ifndef CUTOVER_SRC_TEXT_H
#define CUTOVER_SRC_TEXT_H

#include <stddef.h>

/* Sanitise the NUL-terminated s in place; returns s. */
char *text_sanitise(char *s);

/*
 * Sanitise n bytes at s (NULs included) into out (cap > 0 bytes), cut on
 * a character boundary; returns the length written.
 */
size_t text_sanitise_n(char *out, size_t cap, const char *s, size_t n);

/*
 * Redact s in place; s has room for cap bytes.  A text that grows past
 * cap is cut on a character boundary.  Returns s.
 */
char *text_redact(char *s, size_t cap);

/* Redact, then sanitise: for every error text from outside. */
char *text_scrub(char *s, size_t cap);

/* A scrubbed copy of s (NULL gives NULL); the caller frees it. */
char *text_scrub_dup(const char *s);

#endif
