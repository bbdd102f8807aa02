/*
 * store — the state file and the lock (see store.h).
 *
 * The file is small JSON written in full on every save:
 *   { "version": 1, "fingerprint": "...", "saved": "<RFC 3339>",
 *     "saved_wall_ms": N, "apply_in_flight": bool,
 *     "state": { "phase": "holding", "stage": 2, ... },
 *     "read_back": { "istio": 25, "apisix": 75, "wall_ms": N } | null }
 * Loading is strict: a file that does not parse, or whose values are out of
 * range, is an error that names the file; it is never silently replaced by
 * a fresh state (that would forget a shift in force).
 */
#include "config.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "xmalloc.h"

#define STORE_HOLD_MAX_MS (366LL * 24 * 3600 * 1000)
#define STORE_WALL_MAX_MS 253402300799999LL	/* 9999-12-31, in ms */
#define STORE_VERSION 1

static int
mkdir_p(const char *dir, struct err *e)
{
	char *copy = xstrdup(dir);
	int rc = 0;

	for (char *p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			rc = err_set(e, "cannot create %s: %s", copy,
				     strerror(errno));
			break;
		}
		*p = '/';
	}
	if (rc == 0 && mkdir(copy, 0700) != 0 && errno != EEXIST)
		rc = err_set(e, "cannot create %s: %s", copy, strerror(errno));
	free(copy);
	return rc;
}

int
store_open(struct store *st, const char *state_file, struct err *e)
{
	char *copy;
	int rc;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->path = xstrdup(state_file);
	st->lock_path = xasprintf("%s.lock", state_file);
	copy = xstrdup(state_file);
	rc = mkdir_p(dirname(copy), e);
	free(copy);
	if (rc != 0)
		store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st->lock_fd >= 0) {
		/* Leave the holder text: it is only read while locked. */
		close(st->lock_fd);
		st->lock_fd = -1;
	}
	free(st->path);
	free(st->lock_path);
	st->path = NULL;
	st->lock_path = NULL;
}

static void
holder_read(int fd, struct store_holder *h)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	json_t *j;

	memset(h, 0, sizeof(*h));
	if (n <= 0)
		return;
	buf[n] = '\0';
	j = json_loads(buf, 0, NULL);
	if (j == NULL)
		return;
	h->pid = (long)json_integer_value(json_object_get(j, "pid"));
#define STR(field)                                                            \
	snprintf(h->field, sizeof(h->field), "%s",                            \
		 json_string_value(json_object_get(j, #field)) ?              \
			 json_string_value(json_object_get(j, #field)) : "")
	STR(user);
	STR(tty);
	STR(host);
	STR(since);
#undef STR
	json_decref(j);
}

static void
holder_write(int fd)
{
	struct passwd *pw = getpwuid(getuid());
	const char *tty = ttyname(STDIN_FILENO);
	char host[128] = "";
	char since[40];
	char *text;
	json_t *j;

	gethostname(host, sizeof(host) - 1);
	clock_rfc3339(clock_wall(&clock_system), since, sizeof(since));
	j = json_pack("{s:I, s:s, s:s, s:s, s:s}", "pid", (json_int_t)getpid(),
		      "user", pw != NULL ? pw->pw_name : "?",
		      "tty", tty != NULL ? tty : "", "host", host,
		      "since", since);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return;
	if (ftruncate(fd, 0) == 0 &&
	    pwrite(fd, text, strlen(text), 0) == (ssize_t)strlen(text))
		(void)fsync(fd);
	free(text);
}

int
store_lock(struct store *st, struct store_holder *holder, struct err *e)
{
	int fd;

	if (holder != NULL)
		memset(holder, 0, sizeof(*holder));
	fd = open(st->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, "cannot open %s: %s", st->lock_path,
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int saved = errno;
		struct store_holder h;

		holder_read(fd, &h);
		close(fd);
		if (holder != NULL)
			*holder = h;
		if (saved != EWOULDBLOCK)
			return err_set(e, "cannot lock %s: %s", st->lock_path,
				       strerror(saved));
		if (h.pid > 0)
			return err_set(e, "another cutover holds the plan: "
				       "pid %ld, user %s, tty %s, host %s, "
				       "since %s", h.pid, h.user,
				       h.tty[0] ? h.tty : "-", h.host, h.since);
		return err_set(e, "another cutover holds the plan (%s)",
			       st->lock_path);
	}
	holder_write(fd);
	st->lock_fd = fd;
	st->read_only = false;
	return 0;
}

/* --- encoding ------------------------------------------------------------ */

static json_t *
weights_json(struct weights w)
{
	return json_pack("{s:i, s:i}", "istio", w.istio, "apisix", w.apisix);
}

static const char *
verdict_key(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_FAIL:
		return "fail";
	case VERDICT_NO_DATA:
		return "no_data";
	case VERDICT_NONE:
		break;
	}
	return "none";
}

static int
verdict_parse(const char *s, enum verdict *v)
{
	static const enum verdict all[] = { VERDICT_NONE, VERDICT_PASS,
					    VERDICT_FAIL, VERDICT_NO_DATA };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, verdict_key(all[i])) == 0) {
			*v = all[i];
			return 0;
		}
	}
	return -1;
}

/* The record as JSON (also used by `cutover status --json`). */
json_t *
store_record_json(const struct store_record *rec)
{
	const struct cutover_state *s = &rec->state;
	char saved[40];
	json_t *state;
	json_t *root;

	state = json_pack("{s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:b, s:b, "
			  "s:I, s:I, s:s, s:i, s:i, s:b}",
			  "phase", cutover_phase_name(s->phase),
			  "resume_to", cutover_phase_name(s->resume_to),
			  "nstages", s->nstages, "stage", s->stage,
			  "target", s->target,
			  "applied", weights_json(s->applied),
			  "pending", weights_json(s->pending),
			  "uncertain", s->uncertain,
			  "retry_rollback", s->retry_rollback,
			  "seq", (json_int_t)s->seq,
			  "hold_ms", (json_int_t)s->hold_ms,
			  "last_verdict", verdict_key(s->last_verdict),
			  "breaches", s->breaches, "blind", s->blind,
			  "alarm", s->alarm);
	clock_rfc3339(rec->saved_wall_ms, saved, sizeof(saved));
	root = json_pack("{s:i, s:s, s:s, s:I, s:b, s:o}",
			 "version", STORE_VERSION,
			 "fingerprint", rec->fingerprint, "saved", saved,
			 "saved_wall_ms", (json_int_t)rec->saved_wall_ms,
			 "apply_in_flight", rec->apply_in_flight,
			 "state", state);
	if (rec->have_read_back) {
		json_t *rb = weights_json(rec->read_back);

		json_object_set_new(rb, "wall_ms",
				    json_integer(rec->read_back_wall_ms));
		json_object_set_new(root, "read_back", rb);
	} else {
		json_object_set_new(root, "read_back", json_null());
	}
	return root;
}

static int
get_int(json_t *obj, const char *key, int lo, int hi, int *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return -1;
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

static int
get_weights(json_t *obj, const char *key, struct weights *w)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_object(v) ||
	    get_int(v, "istio", 0, 100, &w->istio) != 0 ||
	    get_int(v, "apisix", 0, 100, &w->apisix) != 0 ||
	    w->istio + w->apisix != 100)
		return -1;
	return 0;
}

static int
get_phase(json_t *obj, const char *key, enum phase *ph)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s == NULL ? -1 : cutover_phase_parse(s, ph);
}

static int
decode(json_t *root, struct store_record *rec, const char **what)
{
	struct cutover_state *s = &rec->state;
	json_t *state = json_object_get(root, "state");
	json_t *v;
	const char *str;
	int version;

	memset(rec, 0, sizeof(*rec));
#define NEED(cond, name)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			*what = name;                                         \
			return -1;                                            \
		}                                                             \
	} while (0)
	NEED(get_int(root, "version", 1, 1000, &version) == 0, "version");
	NEED(version == STORE_VERSION, "version (written by a newer cutover)");
	str = json_string_value(json_object_get(root, "fingerprint"));
	NEED(str != NULL && strlen(str) < sizeof(rec->fingerprint),
	     "fingerprint");
	snprintf(rec->fingerprint, sizeof(rec->fingerprint), "%s", str);
	v = json_object_get(root, "saved_wall_ms");
	NEED(json_is_integer(v) && json_integer_value(v) >= 0 &&
	     json_integer_value(v) <= STORE_WALL_MAX_MS, "saved_wall_ms");
	rec->saved_wall_ms = json_integer_value(v);
	v = json_object_get(root, "apply_in_flight");
	NEED(json_is_boolean(v), "apply_in_flight");
	rec->apply_in_flight = json_is_true(v);
	NEED(json_is_object(state), "state");
	NEED(get_phase(state, "phase", &s->phase) == 0, "state.phase");
	NEED(get_phase(state, "resume_to", &s->resume_to) == 0,
	     "state.resume_to");
	NEED(get_int(state, "nstages", 1, PLAN_STAGES_MAX, &s->nstages) == 0,
	     "state.nstages");
	NEED(get_int(state, "stage", 0, s->nstages, &s->stage) == 0,
	     "state.stage");
	NEED(get_int(state, "target", 0, s->nstages, &s->target) == 0,
	     "state.target");
	NEED(get_weights(state, "applied", &s->applied) == 0, "state.applied");
	NEED(get_weights(state, "pending", &s->pending) == 0, "state.pending");
	v = json_object_get(state, "uncertain");
	NEED(json_is_boolean(v), "state.uncertain");
	s->uncertain = json_is_true(v);
	v = json_object_get(state, "retry_rollback");
	NEED(json_is_boolean(v), "state.retry_rollback");
	s->retry_rollback = json_is_true(v);
	v = json_object_get(state, "seq");
	NEED(json_is_integer(v) && json_integer_value(v) >= 0 &&
	     json_integer_value(v) <= UINT32_MAX, "state.seq");
	s->seq = (uint32_t)json_integer_value(v);
	v = json_object_get(state, "hold_ms");
	/* No hold is longer than 168h; a year keeps hold_ms + a tick far
	 * from overflowing. */
	NEED(json_is_integer(v) && json_integer_value(v) >= 0 &&
	     json_integer_value(v) <= STORE_HOLD_MAX_MS, "state.hold_ms");
	s->hold_ms = json_integer_value(v);
	str = json_string_value(json_object_get(state, "last_verdict"));
	NEED(str != NULL && verdict_parse(str, &s->last_verdict) == 0,
	     "state.last_verdict");
	NEED(get_int(state, "breaches", 0, 1000000, &s->breaches) == 0,
	     "state.breaches");
	NEED(get_int(state, "blind", 0, 1000000, &s->blind) == 0,
	     "state.blind");
	v = json_object_get(state, "alarm");
	NEED(json_is_boolean(v), "state.alarm");
	s->alarm = json_is_true(v);
	v = json_object_get(root, "read_back");
	if (json_is_object(v)) {
		json_t *t = json_object_get(v, "wall_ms");

		NEED(get_weights(root, "read_back", &rec->read_back) == 0,
		     "read_back");
		NEED(t == NULL || (json_is_integer(t) &&
		     json_integer_value(t) >= 0 &&
		     json_integer_value(t) <= STORE_WALL_MAX_MS),
		     "read_back.wall_ms");
		rec->have_read_back = true;
		rec->read_back_wall_ms = json_is_integer(t) ?
					 json_integer_value(t) : 0;
	} else {
		NEED(v == NULL || json_is_null(v), "read_back");
	}
#undef NEED
	/* Monotonic time does not survive a restart. */
	s->last_tick_ms = 0;
	return 0;
}

int
store_load(struct store *st, struct store_record *rec, struct err *e)
{
	json_error_t je;
	const char *what = NULL;
	json_t *root;
	int rc;

	root = json_load_file(st->path, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (access(st->path, F_OK) != 0 && errno == ENOENT)
			return 0;
		return err_set_at(e, st->path, je.line, je.column,
				  "state file is damaged: %s (fix or move it "
				  "aside; cutover will not guess)", je.text);
	}
	rc = decode(root, rec, &what);
	json_decref(root);
	if (rc != 0)
		return err_set(e, "%s: state file has a bad or missing '%s' "
			       "(fix or move it aside; cutover will not "
			       "guess)", st->path, what);
	return 1;
}

static int store_fail_after = -1;

void
store_test_fail_after(int n)
{
	store_fail_after = n;
}

int
store_save(struct store *st, const struct store_record *rec, struct err *e)
{
	char *tmp;
	char *text;
	char *dir;
	json_t *root;
	size_t len;
	int fd;
	int dfd;

	if (st->read_only)
		return err_set(e, "read-only: the state belongs to another "
			       "cutover");
	if (store_fail_after == 0)
		return err_set(e, "%s: simulated write failure", st->path);
	if (store_fail_after > 0)
		store_fail_after--;
	root = store_record_json(rec);
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		return err_set(e, "cannot encode the state");
	len = strlen(text);
	tmp = xasprintf("%s.XXXXXX", st->path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		err_set(e, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto fail;
	}
	close(fd);
	if (rename(tmp, st->path) != 0) {
		err_set(e, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto fail;
	}
	dir = xstrdup(st->path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
	free(tmp);
	free(text);
	return 0;
fail:
	free(tmp);
	free(text);
	return -1;
}
