/*
 * cmd_reconcile — take the lock, read the weights back and settle an
 * interrupted apply, or adopt weights changed outside cutover when they
 * are a stage's; change no traffic.  Because it takes the lock it is
 * refused with --read-only.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>

#include "cli.h"
#include "driver.h"
#include "plan.h"
#include "session.h"

static int
cmd_reconcile_exec(const struct cmd_options *c, const struct plan *p,
		   struct loop *l)
{
	struct session s;
	int rc = cmd_guard_act(c, p, PROTO_ACT_RECONCILE);

	if (rc != CMD_NO_GUARD)
		return rc;
	rc = cmd_open_session(c, &s, p, l, false);
	if (rc != CLI_OK)
		return rc;
	if (!cmd_start_settled(&s, cmd_deadline(p))) {
		rc = CLI_DRIVER_FAILED;
	} else if (s.drift) {
		const char *why;

		if (session_reconcile_drift(&s, &why) != 0) {
			fprintf(stderr, "cutover: %s\n", why);
			rc = CLI_REFUSED;
		}
	} else if (s.rec.state.phase == PHASE_ERROR &&
		   !driver_present(&s.driver)) {
		/* Watch only: nothing to read back, nothing to settle. */
		fprintf(stderr, "cutover: no traffic driver in the plan: "
			"nothing to reconcile (the state file still says a "
			"driver step failed)\n");
	} else if (s.rec.state.phase == PHASE_ERROR) {
		fprintf(stderr, "cutover: %s\n", s.last_failure[0] ?
			s.last_failure : "weights uncertain: retry or roll back");
		rc = CLI_DRIVER_FAILED;
	}
	cmd_print_session(&s, stdout);
	session_close(&s);
	return rc;
}

const struct cmd_entry cmd_reconcile_entry = {
	.name = "reconcile",
	.help = "read the weights back; settle an interrupted apply",
	.lock = true,
	.read_only = false,
	.exec = cmd_reconcile_exec,
};
