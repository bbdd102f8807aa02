/*
 * podwatch — the Kubernetes API's watch stream of pods, decoded: bytes
 * cut into lines (newline-delimited JSON, each line at most
 * PODWATCH_LINE_MAX bytes) and each line into one event (ADDED, MODIFIED,
 * DELETED with the pod's struct pod_health and key; BOOKMARK with its
 * resourceVersion; ERROR with the Status code and message).  Every byte
 * is the server's: a line that is not an event is an error, never
 * skipped, and nothing grows without bound.
 */
#ifndef CUTOVER_SRC_PODWATCH_H
#define CUTOVER_SRC_PODWATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "podcache.h"
#include "podhealth.h"

/* Longer than any object the API stores (etcd takes 1.5 MB requests,
 * and a pod near that is unheard of). */
#define PODWATCH_LINE_MAX (1024 * 1024)
/* A resourceVersion is opaque text; longer ones are refused. */
#define PODWATCH_RV_MAX 64

enum podwatch_type {
	PODWATCH_ADDED,
	PODWATCH_MODIFIED,
	PODWATCH_DELETED,
	PODWATCH_BOOKMARK,
	PODWATCH_ERROR,
};

struct podwatch_event {
	enum podwatch_type type;
	char key[PODCACHE_KEY_MAX];	/* metadata.uid, else namespace/name */
	char rv[PODWATCH_RV_MAX];	/* resourceVersion, "" if none */
	struct pod_health ph;		/* ADDED, MODIFIED */
	long code;			/* ERROR: the Status code */
	char message[256];		/* ERROR: its message, sanitised */
};

/* The cache key of a pod (uid, else namespace/name) from its metadata
 * object; -1 (e filled) when there is none or it is too long. */
int podwatch_pod_key(const json_t *meta, char *key, size_t len,
		     struct err *e);

/* Decode one line into ev; -1 (e filled) when it is not a watch event. */
int podwatch_decode(const char *line, size_t len, int64_t now_wall_ms,
		    struct podwatch_event *ev, struct err *e);

/* The part of a line not yet ended by '\n'. */
struct podwatch_lines {
	char *buf;
	size_t len, cap;
};

/* A complete line (no '\n'; a trailing '\r' dropped; never empty);
 * return -1 to stop. */
typedef int (*podwatch_line_cb)(const char *line, size_t len, void *arg);

/*
 * Cut n more bytes into lines, calling cb for each complete one.  -1
 * when cb returned -1 or a line grew past PODWATCH_LINE_MAX (e filled);
 * the stream is then not to be fed again before podwatch_lines_done().
 */
int podwatch_feed(struct podwatch_lines *w, const char *data, size_t n,
		  podwatch_line_cb cb, void *arg, struct err *e);

/* Forget a partial line and free the buffer. */
void podwatch_lines_done(struct podwatch_lines *w);

#endif
