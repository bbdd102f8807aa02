/*
 * proto — the guard's protocol: JSON lines over its Unix socket, one
 * object per line, each with a "type".
 *
 *   client → guard   hello   {proto, program, role, tty, ssh_client}
 *                    action  {id, name, reason, force[, unconfirmed]}
 *   guard → client   welcome {proto, program, user, uid, may_act, why, pid}
 *                    view    {view}   (view_json; pushed on every change)
 *                    result  {id, ok, why}
 *                    error   {message}   (then the guard closes)
 *
 * The first line a client sends is its hello; a client that speaks
 * another protocol version is answered with an error line that says both
 * versions, and closed.  The tty and the ssh client in the hello are the
 * client's claims and are recorded as such; who the client is comes from
 * the socket (SO_PEERCRED), never from a line.
 *
 * Every line is bounded (a client's far tighter than the guard's, which
 * carries views), and every field is type- and range-checked; strings
 * are bounded and sanitised.  Nothing a client sends can make the guard
 * do more than refuse it (tests/fuzz/fuzz_proto.c).
 */
#ifndef CUTOVER_SRC_PROTO_H
#define CUTOVER_SRC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* 2: the view carries the checklist, preflight, decision, alarm, probes. */
#define PROTO_VERSION 2

/* The longest line a guard reads from a client, and a client from a guard. */
#define PROTO_CLIENT_LINE_MAX 4096
#define PROTO_GUARD_LINE_MAX (16 * 1024 * 1024)

enum proto_type {
	PROTO_HELLO,
	PROTO_WELCOME,
	PROTO_VIEW,
	PROTO_ACTION,
	PROTO_RESULT,
	PROTO_ERROR,
	PROTO_TYPES
};

enum proto_role {
	PROTO_ROLE_DASHBOARD,	/* stays attached, draws the views */
	PROTO_ROLE_COMMAND,	/* a one-shot command */
	PROTO_ROLES
};

#define PROTO_ACTION_LIST(X)                                                  \
	X(PROTO_ACT_ADVANCE, "advance")                                       \
	X(PROTO_ACT_PAUSE, "pause")                                           \
	X(PROTO_ACT_RESUME, "resume")                                         \
	X(PROTO_ACT_ROLLBACK, "rollback")                                     \
	X(PROTO_ACT_RETRY, "retry")                                           \
	X(PROTO_ACT_RECONCILE, "reconcile")                                   \
	X(PROTO_ACT_STOP, "stop")                                             \
	X(PROTO_ACT_ACKNOWLEDGE, "acknowledge")

enum proto_action {
#define X(id, name) id,
	PROTO_ACTION_LIST(X)
#undef X
	PROTO_ACTIONS
};

struct proto_hello {
	int proto;
	char program[64];	/* the client's PACKAGE_VERSION */
	enum proto_role role;
	char tty[64];		/* claimed */
	char ssh_client[128];	/* claimed ($SSH_CLIENT) */
};

struct proto_welcome {
	int proto;
	char program[64];
	char user[64];		/* from the client's uid */
	long uid;
	bool may_act;
	char why[256];		/* why not, "" when it may */
	long pid;		/* the guard's */
};

struct proto_act {
	uint64_t id;		/* the client's, echoed in the result */
	enum proto_action name;
	char reason[256];
	bool force;
	/* Sent without the operator's yes, because the client's last view
	 * said the guard would refuse it: the guard refuses it too if it
	 * would now let it through (optional, false when absent). */
	bool unconfirmed;
};

struct proto_result {
	uint64_t id;
	bool ok;
	char why[512];		/* refused: why; done: what happened */
};

/* One message.  A view stays JSON (view_json decodes it). */
struct proto_msg {
	enum proto_type type;
	union {
		struct proto_hello hello;
		struct proto_welcome welcome;
		struct proto_act act;
		struct proto_result result;
		char error[512];
	} u;
	json_t *view;		/* PROTO_VIEW: owned, NULL otherwise */
};

/* Outcomes of proto_decode_*() besides 0. */
enum {
	PROTO_BAD = -1,		/* not a message of this protocol */
	PROTO_OTHER_VERSION = -2,	/* a hello of another version */
};

const char *proto_action_name(enum proto_action a);
int proto_action_parse(const char *name, enum proto_action *a);
const char *proto_role_name(enum proto_role r);

/*
 * A message as one line, newline included (caller frees).  For a view,
 * `view` is the view_json (the reference is not taken).
 */
char *proto_encode(const struct proto_msg *m);

/*
 * A line a client sent (len bytes, no newline): a hello or an action.
 * 0, or PROTO_BAD / PROTO_OTHER_VERSION with e saying why in a sentence
 * the client can show.
 */
int proto_decode_client(const char *line, size_t len, struct proto_msg *m,
			struct err *e);

/* A line the guard sent: welcome, view, result or error (0 or PROTO_BAD). */
int proto_decode_guard(const char *line, size_t len, struct proto_msg *m,
		       struct err *e);

/* Release m's view. */
void proto_msg_done(struct proto_msg *m);

/*
 * Lines from a stream: bytes go in as they come, whole lines come out.
 * A line longer than `max` is an error (the peer is closed), never cut.
 */
struct proto_lines {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;
	size_t skip;		/* the last line given out, to drop */
};

void proto_lines_init(struct proto_lines *pl, size_t max);
void proto_lines_done(struct proto_lines *pl);

/* Append n bytes. */
void proto_lines_feed(struct proto_lines *pl, const char *p, size_t n);

/*
 * The next whole line (NUL-terminated, newline removed, valid until the
 * next call): 1, 0 when none yet, -1 when a line is over the limit.
 */
int proto_lines_next(struct proto_lines *pl, const char **line, size_t *len);

#endif
