/*
 * guard — one process per plan that owns the session: the loop, the
 * sources, the gates, the hold timer, the state file and its lock, the
 * audit log and the driver.  Dashboards and one-shot commands attach to
 * it over a Unix socket (the protocol is proto.h's) and act through it,
 * so the gates are watched whether or not anyone's screen is open, and
 * anyone allowed can roll back at once, whoever else is attached.
 *
 * The socket lives in $XDG_RUNTIME_DIR/cutover/ (else the state file's
 * directory), in a directory of mode 0700, or 0710 with the plan's
 * guard.socket_group; its name comes from the state file's path, so one
 * plan (one state file) has one guard.  Who a client is comes from the
 * socket (SO_PEERCRED); the plan's guard.operators and guard.group name
 * who may act (without them: the guard's own user and root), and the
 * others may only watch.  Every action is audited with the client's user,
 * and with the tty and ssh client it claims.
 *
 * Lifecycle: while traffic is on Istio (a stage >= 1, a driver step, an
 * error, a rollback not yet verified) the guard never exits by itself; at
 * stage 0 with no client it exits after guard.grace (the demo's guard
 * with its last client).  A stop asked for while traffic is on Istio
 * must be forced, and is audited.
 */
#ifndef CUTOVER_SRC_GUARD_H
#define CUTOVER_SRC_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "plan.h"
#include "proto.h"
#include "session_view.h"

struct loop;
struct session;

struct guard_options {
	bool demo;		/* the demo's guard: ends with its last client */
	double demo_speed;
	bool autopilot;
	int ready_fd;		/* "ok\n" or the error is written here, -1 */
	const char *log_path;	/* detached: stdout and stderr go here */
};

/* The plan's socket path into buf; -1 (e set) when it does not fit. */
int guard_socket_path(const struct plan *p, char *buf, size_t len,
		      struct err *e);

/* The guard's log file (detached: its stdout and stderr); caller frees. */
char *guard_log_path(const struct plan *p);

/*
 * Run the guard until it stops; returns an exit status (cli.h).  The
 * caller has detached it (or not, for --foreground).
 */
int guard_run(const struct plan *p, struct loop *l,
	      const struct guard_options *o);

/*
 * Is traffic on Istio (so that a guard must not leave it unwatched)?
 * Stage >= 1, a driver step in flight or failed, or a rollback whose
 * verification is not done.
 */
bool guard_on_istio(const struct session_view *v);

/* Does action a move traffic (advance, rollback, retry)? */
bool guard_action_moves(enum proto_action a);

/* The view's key that says whether action a (forced or not) is allowed. */
enum session_view_key guard_action_key(enum proto_action a, bool force);

#endif
