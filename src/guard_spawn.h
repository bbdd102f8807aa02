/*
 * guard_spawn — a client starts the plan's guard: the dashboard and a CLI
 * `advance` when none runs, an attached dashboard when its guard died
 * (guard.restart).  One way for all of them, the way `cutover guard`
 * does it, so the guard is the same process whoever started it.
 */
#ifndef CUTOVER_SRC_GUARD_SPAWN_H
#define CUTOVER_SRC_GUARD_SPAWN_H

#include <stdbool.h>

#include "err.h"
#include "guard.h"
#include "plan.h"

/*
 * Run this binary again as `cutover [-c plan] [--context ctx] [--demo
 * ...] guard`, which detaches the guard (its own session, stdio to its
 * log next to the state file) and exits once the guard says "ok"; that
 * child is reaped here, and the guard, its child, belongs to init, so a
 * long-lived client keeps no zombie.  Waits at most as long as `cutover
 * guard` waits for the guard's "ok".  0: the guard started (*pid, when
 * not NULL); -1: e says why, and *locked tells whether it was the lock
 * (another cutover holds the plan: maybe a guard another client started
 * at the same moment).
 */
int guard_spawn(const struct plan *p, const struct guard_options *o,
		long *pid, bool *locked, struct err *e);

#endif
