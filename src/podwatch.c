/*
 * podwatch — watch lines and events (see podwatch.h).
 *
 * Lines complete within one chunk are handed to the callback where they
 * lie; only the unfinished end of a chunk is copied, so the buffer holds
 * at most one partial line (< PODWATCH_LINE_MAX) and shrinks back after a
 * long one.  Each line is parsed on its own and the tree freed at once:
 * memory does not grow with the length of the stream.
 */
#include "config.h"

#include "podwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "text.h"
#include "xmalloc.h"

/* The buffer is given back above this once it is empty again. */
#define PODWATCH_KEEP (64 * 1024)

static const char *
podwatch_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* The resourceVersion of meta into ev->rv; -1 when too long. */
static int
podwatch_rv(const json_t *meta, struct podwatch_event *ev, struct err *e)
{
	const char *rv = podwatch_str(meta, "resourceVersion");

	if (strlen(rv) >= sizeof(ev->rv))
		return err_set(e, "watch event: resourceVersion longer than "
			       "%d bytes", PODWATCH_RV_MAX - 1);
	snprintf(ev->rv, sizeof(ev->rv), "%s", rv);
	return 0;
}

int
podwatch_pod_key(const json_t *meta, char *key, size_t len, struct err *e)
{
	const char *uid = podwatch_str(meta, "uid");
	int n;

	if (*uid != '\0')
		n = snprintf(key, len, "%s", uid);
	else
		n = snprintf(key, len, "%s/%s",
			     podwatch_str(meta, "namespace"),
			     podwatch_str(meta, "name"));
	if (n < 0 || (size_t)n >= len)
		return err_set(e, "pod uid or name longer than %zu bytes",
			       len - 1);
	if (strcmp(key, "/") == 0)
		return err_set(e, "pod without uid or name");
	return 0;
}

static int
podwatch_event(const json_t *root, int64_t now_wall_ms,
	       struct podwatch_event *ev, struct err *e)
{
	static const struct {
		const char *name;
		enum podwatch_type type;
	} types[] = {
		{ "ADDED", PODWATCH_ADDED }, { "MODIFIED", PODWATCH_MODIFIED },
		{ "DELETED", PODWATCH_DELETED },
		{ "BOOKMARK", PODWATCH_BOOKMARK }, { "ERROR", PODWATCH_ERROR },
	};
	const char *type = json_string_value(json_object_get(root, "type"));
	const json_t *obj = json_object_get(root, "object");
	const json_t *meta = json_object_get(obj, "metadata");
	size_t i;

	if (!json_is_object(root) || type == NULL || !json_is_object(obj))
		return err_set(e, "watch line is not an event (an object with "
			       "type and object)");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0]))
		return err_set(e, "watch event of unknown type");
	ev->type = types[i].type;
	switch (ev->type) {
	case PODWATCH_ERROR: {
		const json_t *code = json_object_get(obj, "code");

		if (json_is_integer(code) && json_integer_value(code) >= 0 &&
		    json_integer_value(code) < 1000)
			ev->code = (long)json_integer_value(code);
		snprintf(ev->message, sizeof(ev->message), "%s",
			 podwatch_str(obj, "message"));
		text_scrub(ev->message, sizeof(ev->message));
		return 0;
	}
	case PODWATCH_BOOKMARK:
		if (!json_is_object(meta) || podwatch_rv(meta, ev, e) != 0)
			return -1;
		if (ev->rv[0] == '\0')
			return err_set(e, "watch bookmark without a "
				       "resourceVersion");
		return 0;
	case PODWATCH_DELETED:
		if (!json_is_object(meta))
			return err_set(e, "watch event: the object is not a "
				       "pod (no metadata object)");
		return podwatch_pod_key(meta, ev->key, sizeof(ev->key), e) != 0 ||
		       podwatch_rv(meta, ev, e) != 0 ? -1 : 0;
	default:
		if (podhealth_pod(obj, now_wall_ms, &ev->ph, e) != 0 ||
		    podwatch_pod_key(meta, ev->key, sizeof(ev->key), e) != 0 ||
		    podwatch_rv(meta, ev, e) != 0)
			return -1;
		return 0;
	}
}

int
podwatch_decode(const char *line, size_t len, int64_t now_wall_ms,
		struct podwatch_event *ev, struct err *e)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(ev, 0, sizeof(*ev));
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return err_set(e, "watch line is not JSON (column %d: %.80s)",
			       je.column, je.text);
	rc = podwatch_event(root, now_wall_ms, ev, e);
	json_decref(root);
	return rc;
}

/* One complete line at s..s+n (n counts no '\n'). */
static int
podwatch_line(const char *s, size_t n, podwatch_line_cb cb, void *arg)
{
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0)
		return 0;
	return cb(s, n, arg);
}

static int
podwatch_too_long(struct err *e)
{
	return err_set(e, "watch line longer than %d bytes",
		       PODWATCH_LINE_MAX);
}

int
podwatch_feed(struct podwatch_lines *w, const char *data, size_t n,
	      podwatch_line_cb cb, void *arg, struct err *e)
{
	const char *end = data + n, *nl;

	/* Finish the line begun in an earlier chunk. */
	if (w->len > 0) {
		nl = memchr(data, '\n', n);
		if (nl == NULL) {
			if (n > PODWATCH_LINE_MAX - w->len)
				return podwatch_too_long(e);
		} else if ((size_t)(nl - data) > PODWATCH_LINE_MAX - w->len) {
			return podwatch_too_long(e);
		}
		if (nl == NULL) {
			if (w->len + n > w->cap) {
				size_t cap = w->cap ? w->cap : 4096;

				while (cap < w->len + n)
					cap *= 2;
				w->buf = xrealloc(w->buf, cap);
				w->cap = cap;
			}
			memcpy(w->buf + w->len, data, n);
			w->len += n;
			return 0;
		}
		if (w->len + (size_t)(nl - data) > w->cap) {
			size_t cap = w->cap;

			while (cap < w->len + (size_t)(nl - data))
				cap *= 2;
			w->buf = xrealloc(w->buf, cap);
			w->cap = cap;
		}
		memcpy(w->buf + w->len, data, (size_t)(nl - data));
		w->len += (size_t)(nl - data);
		n = w->len;
		w->len = 0;
		if (podwatch_line(w->buf, n, cb, arg) != 0)
			return -1;
		data = nl + 1;
	}
	/* Whole lines straight from the chunk. */
	while (data < end && (nl = memchr(data, '\n',
					  (size_t)(end - data))) != NULL) {
		if ((size_t)(nl - data) > PODWATCH_LINE_MAX)
			return podwatch_too_long(e);
		if (podwatch_line(data, (size_t)(nl - data), cb, arg) != 0)
			return -1;
		data = nl + 1;
	}
	if (w->len == 0 && w->cap > PODWATCH_KEEP) {
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
	/* Keep the unfinished rest. */
	if (data < end) {
		size_t rest = (size_t)(end - data);

		if (rest > PODWATCH_LINE_MAX)
			return podwatch_too_long(e);
		if (rest > w->cap) {
			size_t cap = w->cap ? w->cap : 4096;

			while (cap < rest)
				cap *= 2;
			w->buf = xrealloc(w->buf, cap);
			w->cap = cap;
		}
		memcpy(w->buf, data, rest);
		w->len = rest;
	}
	return 0;
}

void
podwatch_lines_done(struct podwatch_lines *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}
