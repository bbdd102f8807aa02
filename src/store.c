/*
 * store — the state file and the lock (see store.h).
 *
 * The file is small JSON written in full on every save:
 *   { "version": 1, "fingerprint": "...", "saved": "<RFC 3339>",
 *     "saved_wall_ms": N, "apply_in_flight": bool,
 *     "state": { "phase": "holding", "stage": 2, ... },
 *     "read_back": { "istio": 25, "apisix": 75, "wall_ms": N } | null,
 *     "applied_wall_ms": N (optional) }
 * Loading is strict: a file that does not parse, is larger than
 * STORE_MAX_BYTES, or whose values are out of range or contradict each
 * other (store_check), is an error that names the file and the field; it
 * is never silently replaced by a fresh state (that would forget a shift
 * in force).
 *
 * The state directory may be shared: nothing here follows a symbolic link
 * (O_NOFOLLOW on every file opened, a link at the state file's name is
 * refused before the rename), a file that is not a regular file of ours is
 * refused, and so is a directory that others could plant links in.
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

/* Refuse to create cutover's files in a directory that others control. */
int
store_dir_check(const char *file, struct err *e)
{
	char *copy = xstrdup(file);
	const char *dir = dirname(copy);
	struct stat sb;
	int rc = 0;

	if (stat(dir, &sb) != 0)
		rc = err_set(e, "cannot use directory %s: %s", dir,
			     strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		rc = err_set(e, "%s is not a directory", dir);
	else if (sb.st_uid != geteuid() && sb.st_uid != 0)
		rc = err_set(e, "directory %s belongs to uid %ld, not to you "
			     "(uid %ld) or root: refusing to keep the state "
			     "file or audit log there", dir, (long)sb.st_uid,
			     (long)geteuid());
	else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		 (sb.st_mode & S_ISVTX) == 0)
		rc = err_set(e, "directory %s is %s-writable without the "
			     "sticky bit: others could plant links or replace "
			     "cutover's files there (chmod go-w, or chmod +t)",
			     dir, (sb.st_mode & S_IWOTH) ? "world" : "group");
	free(copy);
	return rc;
}

int
store_file_open(const char *path, int flags, struct err *e)
{
	struct stat sb;
	int fd;

	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == ELOOP)
			return err_set(e, "%s is a symbolic link: cutover "
				       "follows no link in its state "
				       "directory (remove it)", path);
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0) {
		err_set(e, "cannot stat %s: %s", path, strerror(errno));
	} else if (!S_ISREG(sb.st_mode)) {
		err_set(e, "%s is not a regular file: refusing to use it",
			path);
	} else if (sb.st_nlink > 1) {
		err_set(e, "%s has %ld hard links: refusing to write through "
			"a link (remove it)", path, (long)sb.st_nlink);
	} else if ((flags & O_ACCMODE) != O_RDONLY &&
		   sb.st_uid != geteuid()) {
		err_set(e, "%s belongs to uid %ld, not to you (uid %ld): "
			"refusing to write it", path, (long)sb.st_uid,
			(long)geteuid());
	} else {
		/* Blocking again: only regular files get here. */
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		return fd;
	}
	close(fd);
	return -1;
}

/* write(2) until done; -1 with errno set (EIO for a silent short write). */
int
store_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

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
	if (rc == 0)
		rc = store_dir_check(state_file, e);
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
	fd = store_file_open(st->lock_path, O_RDWR | O_CREAT, e);
	if (fd < 0)
		return -1;
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
	if (rec->applied_wall_ms > 0)
		json_object_set_new(root, "applied_wall_ms",
				    json_integer(rec->applied_wall_ms));
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
	/* Absent from the files of earlier versions: unknown. */
	v = json_object_get(root, "applied_wall_ms");
	NEED(v == NULL || (json_is_integer(v) && json_integer_value(v) >= 0 &&
	     json_integer_value(v) <= STORE_WALL_MAX_MS), "applied_wall_ms");
	rec->applied_wall_ms = v != NULL ? json_integer_value(v) : 0;
#undef NEED
	/* Monotonic time does not survive a restart. */
	s->last_tick_ms = 0;
	return 0;
}

/*
 * What every transition of cutover.c keeps true (see cutover.h); a file
 * that breaks one was not written by cutover, and guessing what it meant
 * could apply weights nobody asked for.  NULL when consistent.
 */
static const char *
store_contradiction(const struct store_record *rec, char *buf, size_t len)
{
	const struct cutover_state *s = &rec->state;
	const char *ph = cutover_phase_name(s->phase);
	bool in_flight = s->phase == PHASE_SHIFTING ||
			 s->phase == PHASE_ROLLING_BACK;

#define BAD(...) do { snprintf(buf, len, __VA_ARGS__); return buf; } while (0)
	if (s->stage == 0 && s->applied.istio != 0)
		BAD("'state.applied' is istio %d%% at 'state.stage' 0 (stage 0 "
		    "is istio 0%%)", s->applied.istio);
	if (s->stage == 0 && s->hold_ms != 0)
		BAD("'state.hold_ms' is %lld at 'state.stage' 0 (no hold "
		    "before stage 1)", (long long)s->hold_ms);
	if (s->resume_to != PHASE_READY && s->resume_to != PHASE_HOLDING &&
	    s->resume_to != PHASE_COMPLETE)
		BAD("'state.resume_to' is %s (only ready, holding or "
		    "complete)", cutover_phase_name(s->resume_to));
	if (rec->apply_in_flight != in_flight)
		BAD("'apply_in_flight' is %s in phase %s", rec->apply_in_flight ?
		    "true" : "false", ph);
	if (s->uncertain && !in_flight && s->phase != PHASE_ERROR)
		BAD("'state.uncertain' is true in phase %s", ph);
	switch (s->phase) {
	case PHASE_READY:
		if (s->stage >= s->nstages)
			BAD("'state.phase' is ready at the last stage (%d of "
			    "%d)", s->stage, s->nstages);
		break;
	case PHASE_HOLDING:
	case PHASE_PAUSED:
	case PHASE_BREACH:
		if (s->stage < 1)
			BAD("'state.phase' is %s at 'state.stage' 0", ph);
		if (s->phase == PHASE_PAUSED &&
		    s->resume_to == PHASE_COMPLETE)
			BAD("'state.resume_to' is complete in phase paused");
		if (s->phase == PHASE_BREACH && s->breaches < 1)
			BAD("'state.breaches' is 0 in phase breach");
		break;
	case PHASE_SHIFTING:
		if (s->target != s->stage + 1)
			BAD("'state.target' is %d while shifting from "
			    "'state.stage' %d (only the next stage)",
			    s->target, s->stage);
		if (s->seq < 1)
			BAD("'state.seq' is 0 with an apply in flight");
		break;
	case PHASE_ROLLING_BACK:
		if (s->target != 0)
			BAD("'state.target' is %d while rolling back (0)",
			    s->target);
		if (s->seq < 1)
			BAD("'state.seq' is 0 with an apply in flight");
		break;
	case PHASE_ROLLED_BACK:
		if (s->stage != 0)
			BAD("'state.phase' is rolled_back at 'state.stage' %d",
			    s->stage);
		break;
	case PHASE_COMPLETE:
		if (s->stage != s->nstages)
			BAD("'state.phase' is complete at 'state.stage' %d of "
			    "%d", s->stage, s->nstages);
		break;
	case PHASE_ERROR:
		if (!s->uncertain)
			BAD("'state.uncertain' is false in phase error");
		if (s->retry_rollback ? s->target != 0 :
		    s->target != s->stage + 1)
			BAD("'state.target' is %d in phase error after a "
			    "failed %s from 'state.stage' %d", s->target,
			    s->retry_rollback ? "rollback" : "shift",
			    s->stage);
		break;
	case PHASE_COUNT:
		BAD("'state.phase' is invalid");
	}
#undef BAD
	return NULL;
}

int
store_check(const struct store *st, const struct store_record *rec,
	    struct err *e)
{
	char buf[256];
	const char *why = store_contradiction(rec, buf, sizeof(buf));

	if (why == NULL)
		return 0;
	return err_set(e, "%s: state file contradicts itself: %s (fix or move "
		       "it aside; cutover will not guess)", st->path, why);
}

int
store_check_plan(const struct store *st, const struct store_record *rec,
		 const struct plan *p, struct err *e)
{
	const struct cutover_state *s = &rec->state;
	struct weights w = cutover_stage_weights(p, s->stage);
	struct weights t = cutover_stage_weights(p, s->target);

	if (s->nstages != p->nstages)
		return err_set(e, "%s: 'state.nstages' is %d, the plan has %d "
			       "stages (fix or move it aside)", st->path,
			       s->nstages, p->nstages);
	if (s->applied.istio != w.istio)
		return err_set(e, "%s: 'state.applied' is istio %d%%, stage %d "
			       "of the plan is %d%% (fix or move it aside)",
			       st->path, s->applied.istio, s->stage, w.istio);
	if ((s->phase == PHASE_SHIFTING || s->phase == PHASE_ROLLING_BACK ||
	     s->phase == PHASE_ERROR) && s->pending.istio != t.istio)
		return err_set(e, "%s: 'state.pending' is istio %d%%, stage %d "
			       "of the plan is %d%% (fix or move it aside)",
			       st->path, s->pending.istio, s->target, t.istio);
	return 0;
}

int
store_load(struct store *st, struct store_record *rec, struct err *e)
{
	json_error_t je;
	const char *what = NULL;
	struct stat sb;
	json_t *root;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;
	int rc;

	fd = open(st->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == ELOOP)
		return err_set(e, "%s is a symbolic link: cutover follows no "
			       "link in its state directory (remove it)",
			       st->path);
	if (fd < 0)
		return err_set(e, "cannot read %s: %s", st->path,
			       strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, "%s is not a regular file: refusing to read "
			       "it as the state file", st->path);
	}
	if (sb.st_size > STORE_MAX_BYTES) {
		close(fd);
		return err_set(e, "%s: state file is %lld bytes, more than "
			       "the %d a state file can be (fix or move it "
			       "aside)", st->path, (long long)sb.st_size,
			       STORE_MAX_BYTES);
	}
	/* Bounded whatever the size said: the file may grow under us. */
	buf = xmalloc(STORE_MAX_BYTES + 1);
	while (len <= STORE_MAX_BYTES &&
	       (n = read(fd, buf + len, STORE_MAX_BYTES + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, "cannot read %s: %s", st->path,
				     strerror(errno));
			close(fd);
			free(buf);
			return rc;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > STORE_MAX_BYTES) {
		free(buf);
		return err_set(e, "%s: state file is more than %d bytes (fix "
			       "or move it aside)", st->path, STORE_MAX_BYTES);
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (root == NULL)
		return err_set_at(e, st->path, je.line, je.column,
				  "state file is damaged: %s (fix or move it "
				  "aside; cutover will not guess)", je.text);
	rc = decode(root, rec, &what);
	json_decref(root);
	if (rc != 0)
		return err_set(e, "%s: state file has a bad or missing '%s' "
			       "(fix or move it aside; cutover will not "
			       "guess)", st->path, what);
	if (store_check(st, rec, e) != 0)
		return -1;
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
	struct stat sb;
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
	text = xrealloc(text, len + 2);
	if (lstat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		free(text);
		return err_set(e, "%s is %s: refusing to replace it", st->path,
			       S_ISLNK(sb.st_mode) ? "a symbolic link (remove "
			       "it)" : "not a regular file");
	}
	/* mkostemp creates with O_EXCL: it never follows a link. */
	tmp = xasprintf("%s.XXXXXX", st->path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
		goto fail;
	}
	text[len] = '\n';
	if (fchmod(fd, 0600) != 0 || store_write_all(fd, text, len + 1) != 0 ||
	    fsync(fd) != 0) {
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
	if (dfd < 0 || fsync(dfd) != 0) {
		err_set(e, "cannot sync directory %s: %s", dir,
			strerror(errno));
		if (dfd >= 0)
			close(dfd);
		free(dir);
		goto fail;
	}
	close(dfd);
	free(dir);
	free(tmp);
	free(text);
	return 0;
fail:
	free(tmp);
	free(text);
	return -1;
}
