/*
 * store — what survives a crash: the state file and the lock.
 *
 * The state file is JSON, rewritten atomically on every transition (temp
 * file in the same directory, fsync, rename, fsync of the directory, mode
 * 0600).  It records the cutover state, the fingerprint of the plan's
 * stage list, and an in-flight apply (so a restart after kill -9 knows a
 * shift was interrupted and reconciles it by reading back, never by
 * applying twice).
 *
 * The lock is flock(LOCK_EX|LOCK_NB) on "<state file>.lock", whose content
 * names the holder (pid, user, tty, host, since).  A second process that
 * cannot take it may still open the store read-only.
 *
 * Nothing in the state directory is followed through a symbolic link, and
 * a directory that others could write without the sticky bit, or that
 * belongs to another user than the caller or root, is refused.  A state
 * file larger than STORE_MAX_BYTES, or one that contradicts itself, is an
 * error naming the file and the field.
 */
#ifndef CUTOVER_SRC_STORE_H
#define CUTOVER_SRC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cutover.h"
#include "err.h"
#include "plan.h"

/* State files are a few hundred bytes; a larger one is not ours. */
#define STORE_MAX_BYTES 65536

struct store_record {
	struct cutover_state state;
	char fingerprint[17];
	bool apply_in_flight;	/* an apply was started and not answered */
	int64_t saved_wall_ms;
	bool have_read_back;	/* last read-back from the driver */
	struct weights read_back;
	int64_t read_back_wall_ms;
	/* When the weights in force were applied (wall ms), 0: unknown:
	 * the settle time of the measured split counts from it. */
	int64_t applied_wall_ms;
};

struct store_holder {
	long pid;
	char user[64];
	char tty[64];
	char host[128];
	char since[40];
};

struct store {
	char *path;		/* state file */
	char *lock_path;
	int lock_fd;		/* -1 when not holding the lock */
	bool read_only;
};

/* Create the state directory (0700) if needed and set paths. */
int store_open(struct store *st, const char *state_file, struct err *e);
void store_close(struct store *st);

/*
 * Take the lock.  Returns 0 when held; -1 with `holder` filled (when
 * known) if another process has it, e filled either way.
 */
int store_lock(struct store *st, struct store_holder *holder, struct err *e);

/* Read the state file.  Returns 1 if loaded, 0 if absent, -1 on error. */
int store_load(struct store *st, struct store_record *rec, struct err *e);

/* Write atomically (refused when read-only). */
int store_save(struct store *st, const struct store_record *rec,
	       struct err *e);

/* Is the record consistent (the invariants of cutover.c)? */
int store_check(const struct store *st, const struct store_record *rec,
		struct err *e);

/* Does the record fit the plan (stage count, weights of its stages)? */
int store_check_plan(const struct store *st, const struct store_record *rec,
		     const struct plan *p, struct err *e);

/*
 * May `file` be created in its directory?  The directory must belong to
 * the caller or root and not be group- or world-writable without the
 * sticky bit.
 */
int store_dir_check(const char *file, struct err *e);

/*
 * open(2) a file of the state directory (mode 0600 when created): never
 * through a symbolic link, only a regular file with one link, and for
 * writing only one of the caller's.  Returns the descriptor or -1.
 */
int store_file_open(const char *path, int flags, struct err *e);

/* write(2) all of buf; -1 with errno set. */
int store_write_all(int fd, const char *buf, size_t len);

/* The record as the state file holds it (new reference). */
json_t *store_record_json(const struct store_record *rec);

/* Tests: make the n-th next save fail (-1 = never). */
void store_test_fail_after(int n);

#endif
