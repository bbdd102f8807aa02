/*
 * test_podwatch — the watch stream's lines and events: a stream cut at
 * every byte gives the same lines as in one piece, CRLF and blank lines,
 * a line one byte over the limit refused (in one chunk and across
 * chunks) and the buffer given back after a long line; each event type
 * decoded, and what is not an event refused.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podwatch.h"

#define NOW_WALL 1795514700000LL

struct seen {
	char text[4096];
	int n;
	int stop_at;	/* line number to answer -1, 0: never */
};

static int
collect(const char *line, size_t len, void *arg)
{
	struct seen *s = arg;
	size_t used = strlen(s->text);

	s->n++;
	snprintf(s->text + used, sizeof(s->text) - used, "[%.*s]", (int)len,
		 line);
	return s->n == s->stop_at ? -1 : 0;
}

Test(podwatch, lines_are_the_same_however_the_stream_is_cut)
{
	static const char stream[] = "{\"a\":1}\n\r\n{\"b\":2}\r\n\n{\"c\":"
				     "3}\nrest";
	size_t n = strlen(stream);

	for (size_t cut = 0; cut <= n; cut++) {
		for (size_t step = 1; step <= n; step++) {
			struct podwatch_lines w = { 0 };
			struct seen s = { .n = 0 };
			struct err e;
			size_t off = 0;

			cr_assert_eq(podwatch_feed(&w, stream, cut, collect, &s,
						   &e), 0);
			for (off = cut; off < n; off += step) {
				size_t len = n - off < step ? n - off : step;

				cr_assert_eq(podwatch_feed(&w, stream + off,
							   len, collect, &s,
							   &e), 0);
			}
			cr_assert_str_eq(s.text, "[{\"a\":1}][{\"b\":2}]"
					 "[{\"c\":3}]", "cut %zu step %zu", cut,
					 step);
			cr_assert_eq(w.len, 4, "\"rest\" waits for its end");
			podwatch_lines_done(&w);
		}
	}
}

Test(podwatch, callback_stops_the_stream)
{
	struct podwatch_lines w = { 0 };
	struct seen s = { .stop_at = 2 };
	struct err e;

	cr_assert_eq(podwatch_feed(&w, "a\nb\nc\n", 6, collect, &s, &e), -1);
	cr_assert_str_eq(s.text, "[a][b]");
	podwatch_lines_done(&w);
}

static void
too_long(size_t chunk)
{
	size_t n = PODWATCH_LINE_MAX + 1;
	char *big = malloc(n + 1);
	struct podwatch_lines w = { 0 };
	struct seen s = { .n = 0 };
	struct err e;
	int rc = 0;

	memset(big, 'x', n);
	big[n] = '\n';
	/* Exactly the limit passes ... */
	for (size_t off = 0; off < n - 1 && rc == 0; off += chunk)
		rc = podwatch_feed(&w, big + off, n - 1 - off < chunk ?
				   n - 1 - off : chunk, collect, &s, &e);
	cr_assert_eq(rc, 0);
	cr_assert_eq(podwatch_feed(&w, "\n", 1, collect, &s, &e), 0);
	cr_assert_eq(s.n, 1);
	cr_assert_leq(w.cap, 64 * 1024, "the buffer is given back");
	/* ... one more byte does not, however it comes. */
	for (size_t off = 0; off < n + 1 && rc == 0; off += chunk)
		rc = podwatch_feed(&w, big + off, n + 1 - off < chunk ?
				   n + 1 - off : chunk, collect, &s, &e);
	cr_assert_eq(rc, -1, "chunk %zu", chunk);
	cr_assert(strstr(e.msg, "watch line longer than") != NULL, "%s",
		  e.msg);
	cr_assert_eq(s.n, 1);
	podwatch_lines_done(&w);
	free(big);
}

Test(podwatch, line_over_the_limit_is_refused_in_one_chunk)
{
	too_long(PODWATCH_LINE_MAX + 2);
}

Test(podwatch, line_over_the_limit_is_refused_across_chunks)
{
	too_long(16384);
}

static int
decode(const char *line, struct podwatch_event *ev, struct err *e)
{
	return podwatch_decode(line, strlen(line), NOW_WALL, ev, e);
}

Test(podwatch, events_are_decoded)
{
	struct podwatch_event ev;
	struct err e;

	cr_assert_eq(decode("{\"type\":\"ADDED\",\"object\":{\"metadata\":"
			    "{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":"
			    "\"u-1\",\"resourceVersion\":\"77\"},\"status\":"
			    "{\"phase\":\"Running\",\"conditions\":[{\"type\":"
			    "\"Ready\",\"status\":\"True\"}]}}}", &ev, &e), 0,
		     "%s", e.msg);
	cr_assert_eq(ev.type, PODWATCH_ADDED);
	cr_assert_str_eq(ev.key, "u-1");
	cr_assert_str_eq(ev.rv, "77");
	cr_assert_str_eq(ev.ph.name, "p");
	cr_assert(ev.ph.ready);

	cr_assert_eq(decode("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":"
			    "{\"name\":\"p\",\"namespace\":\"ns\"}}}", &ev,
			    &e), 0, "%s", e.msg);
	cr_assert_eq(ev.type, PODWATCH_MODIFIED);
	cr_assert_str_eq(ev.key, "ns/p", "no uid: namespace/name");
	cr_assert_str_eq(ev.rv, "");

	cr_assert_eq(decode("{\"type\":\"DELETED\",\"object\":{\"metadata\":"
			    "{\"uid\":\"u-1\",\"resourceVersion\":\"78\"}}}",
			    &ev, &e), 0, "%s", e.msg);
	cr_assert_eq(ev.type, PODWATCH_DELETED);
	cr_assert_str_eq(ev.key, "u-1");

	cr_assert_eq(decode("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":"
			    "\"Pod\",\"metadata\":{\"resourceVersion\":"
			    "\"90\"}}}", &ev, &e), 0, "%s", e.msg);
	cr_assert_eq(ev.type, PODWATCH_BOOKMARK);
	cr_assert_str_eq(ev.rv, "90");

	cr_assert_eq(decode("{\"type\":\"ERROR\",\"object\":{\"kind\":"
			    "\"Status\",\"code\":410,\"reason\":\"Expired\","
			    "\"message\":\"too old\\u001b[2J\"}}", &ev, &e), 0);
	cr_assert_eq(ev.type, PODWATCH_ERROR);
	cr_assert_eq(ev.code, 410);
	cr_assert_null(strchr(ev.message, '\033'), "sanitised: %s",
		       ev.message);
}

Test(podwatch, what_is_not_an_event_is_refused)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"type\":\"ADDED\"}",
		"{\"type\":\"ADDED\",\"object\":[]}",
		"{\"type\":\"RENAMED\",\"object\":{\"metadata\":{}}}",
		"{\"type\":7,\"object\":{\"metadata\":{}}}",
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}}",
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}",
		"{\"type\":\"DELETED\",\"object\":{}}",
		"{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":"
		"{\"metadata\":{\"uid\":\"u\"}}}",
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
		"{\"resourceVersion\":\"1234567890123456789012345678901234567"
		"8901234567890123456789012345\"}}}",
	};
	struct podwatch_event ev;
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		cr_assert_eq(decode(bad[i], &ev, &e), -1, "%s", bad[i]);
		cr_assert_neq(e.msg[0], '\0', "%s", bad[i]);
	}
}
