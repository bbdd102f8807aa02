/*
 * fuzz_podwatch — a pod watch stream as kube.c reads it: the bytes cut
 * into chunks (the first byte of the input says how long), the chunks
 * into lines, each line decoded into an event and applied to a pod cache,
 * whose published totals must then agree with its own count.
 */
#include "config.h"

#include "fuzz.h"
#include "podcache.h"
#include "podwatch.h"

#define FUZZ_NOW_MS 1795000000000LL	/* 2026-11-18, a fixed wall clock */

static int
fuzz_line(const char *line, size_t len, void *arg)
{
	struct podcache *c = arg;
	struct podwatch_event ev;
	struct err e;

	if (podwatch_decode(line, len, FUZZ_NOW_MS, &ev, &e) != 0)
		return 0;	/* kube.c stops here; go on to fuzz more */
	if (ev.type == PODWATCH_ADDED || ev.type == PODWATCH_MODIFIED)
		podcache_put(c, ev.key, &ev.ph, FUZZ_NOW_MS);
	else if (ev.type == PODWATCH_DELETED)
		podcache_del(c, ev.key);
	return ev.type == PODWATCH_ERROR ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct podcache *c = podcache_new();
	struct podwatch_lines w = { 0 };
	struct group_health g;
	size_t chunk = size > 0 ? (size_t)data[0] * 7 + 1 : 1;
	struct err e;

	if (size > 0) {
		data++;
		size--;
	}
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (podwatch_feed(&w, (const char *)data + off, n, fuzz_line,
				  c, &e) != 0)
			break;
		if (w.len >= PODWATCH_LINE_MAX)
			abort();
	}
	group_health_init(&g, 1);
	podcache_publish(c, &g, FUZZ_NOW_MS, 1);
	if (g.total != podcache_count(c) || g.ready > g.total ||
	    g.terminating > g.total || g.sidecar_missing > g.total ||
	    g.recent_restarts > g.total)
		abort();
	group_health_done(&g);
	podwatch_lines_done(&w);
	podcache_free(c);
	return 0;
}
