/*
 * audit — the append-only log of every operator action and automatic
 * decision, as JSON lines, each appended with O_APPEND and fsynced before
 * the action is reported done.  A line: time (UTC RFC 3339), actor (user,
 * uid, ssh client address from SSH_CONNECTION, tty, pid), action, stage
 * from/to, weights from/to, reason, the metric values seen at that moment
 * (when known), result.  Nothing secret ever reaches it.
 *
 * An action a guard takes for a client has the client's user, uid and pid
 * from the socket (SO_PEERCRED: proven) and its tty and ssh client as the
 * client said them: those go under "claimed" ({"user", "uid", "pid",
 * "claimed": {"tty", "ssh_client"}}), never beside what is proven.
 */
#ifndef CUTOVER_SRC_AUDIT_H
#define CUTOVER_SRC_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cutover.h"
#include "err.h"

struct audit_actor {
	char user[64];
	long uid;
	char ssh_client[64];	/* "" when not over ssh */
	char tty[64];
	long pid;
	bool claimed;		/* tty and ssh_client are a client's word */
};

struct audit_entry {
	int64_t wall_ms;
	const char *action;	/* advance, pause, resume, rollback, retry,
				 * auto_rollback, apply_done, apply_failed,
				 * reconcile_mismatch, ... */
	int stage_from;
	int stage_to;
	struct weights from;
	struct weights to;
	const char *reason;	/* may be NULL */
	const char *result;	/* "ok", "refused", "failed", "started" */
	json_t *metrics;	/* borrowed; object of values seen, or NULL */
};

/* Who is acting: from getuid, getpwuid, SSH_CONNECTION, ttyname(0). */
void audit_actor_current(struct audit_actor *a);

/*
 * Take a client's claimed tty and ssh client into a (claimed set): only
 * the characters a device path or an address has ([A-Za-z0-9._:/%@-],
 * others become '?'), cut to the actor's fields.
 */
void audit_actor_claim(struct audit_actor *a, const char *tty,
		       const char *ssh_client);

/* The actor's ssh client or tty in a line as written, claimed or not
 * (borrowed from the line; "" when none). */
const char *audit_actor_field(json_t *actor, const char *key, bool *claimed);

/*
 * Open the log for appending (created 0600): its directory checked, never
 * through a symbolic link (store_file_open).  The descriptor, or -1.
 */
int audit_open(const char *path, struct err *e);

/* The line as JSON (what audit_append writes, and notify sends); caller
 * decrefs.  NULL when it cannot be encoded. */
json_t *audit_line(const struct audit_actor *a, const struct audit_entry *en);

/* Append one line to `path` (created 0600) and fsync it. */
int audit_append(const char *path, const struct audit_actor *a,
		 const struct audit_entry *en, struct err *e);

/* Print the log readably (for `cutover log`); `json` prints raw lines. */
int audit_print(const char *path, FILE *out, bool json, struct err *e);

#endif
