/*
 * guard_conn — a client's connection to the plan's guard: connect, say
 * hello, read the welcome and the views (decoded into a view the client
 * owns), send actions and read their results.  Every wait is bounded.
 */
#ifndef CUTOVER_SRC_GUARD_CONN_H
#define CUTOVER_SRC_GUARD_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "plan.h"
#include "proto.h"
#include "view_json.h"

struct guard_conn {
	int fd;
	struct proto_lines in;
	struct proto_welcome welcome;
	struct view_json vj;	/* the last view */
	bool have_view;
	uint64_t next_id;
};

/*
 * Connect to the plan's guard and wait (at most timeout_ms) for its
 * welcome and first view.  1: attached; 0: no guard runs (no socket, or
 * nobody listening on it); -1: e says why (refused, another version).
 */
int guard_conn_open(struct guard_conn *gc, const struct plan *p,
		    enum proto_role role, int timeout_ms, struct err *e);
void guard_conn_close(struct guard_conn *gc);

/*
 * guard_conn_open, and when no guard runs, start the plan's guard first
 * (guard_spawn.h) and attach to it.  Two clients may start one at the
 * same moment: the lock lets one guard in, and the other client attaches
 * to it.  1: attached (*started: the pid of the guard this call started,
 * 0 when one ran); 0: none runs and none could start because a cutover
 * that is not a guard holds the plan's lock (e says who); -1: e says why.
 */
struct guard_options;
int guard_conn_start(struct guard_conn *gc, const struct plan *p,
		     enum proto_role role, const struct guard_options *o,
		     int timeout_ms, long *started, struct err *e);

/* Send an action; its id is returned (0 when it could not be sent). */
uint64_t guard_conn_act(struct guard_conn *gc, enum proto_action a,
			const char *reason, bool force, struct err *e);
/* The same, sent without the operator's yes (proto_act.unconfirmed). */
uint64_t guard_conn_act_unconfirmed(struct guard_conn *gc,
				    enum proto_action a, const char *reason,
				    bool force, struct err *e);

/*
 * Read messages for at most timeout_ms, views decoded into gc->vj, until
 * the result of action `id` (0, *r set), an error line or a closed socket
 * (-1, e set), or the time is up (1).  id 0: return after one view.
 */
int guard_conn_wait(struct guard_conn *gc, uint64_t id, int timeout_ms,
		    struct proto_result *r, struct err *e);

#endif
