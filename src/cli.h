/*
 * cli — the command line: options, the plan file lookup, and dispatch to
 * the one-shot commands of the command table (cmd.h).
 * The dashboard itself lives in ui/; cli_main receives it as a function so
 * that src/ never depends on curses.
 *
 * Exit status: 0 done; 1 refused (a guard said no, or not confirmed);
 * 2 the traffic driver failed; 3 `status`: a configured data source
 * failed (Prometheus or the Kubernetes API); 4 `preflight`: a check fails
 * or is unknown; 64 usage; 65 bad plan file; 74 state file
 * or audit log unreadable or unwritable (a step forward: before any change;
 * a rollback: after it, its record lost); 75 another cutover holds the plan.
 */
#ifndef CUTOVER_SRC_CLI_H
#define CUTOVER_SRC_CLI_H

#include <stdbool.h>

struct session;

enum {
	CLI_OK = 0,
	CLI_REFUSED = 1,
	CLI_DRIVER_FAILED = 2,
	CLI_SOURCE_FAILED = 3,
	CLI_PREFLIGHT_FAILED = 4,
	CLI_USAGE = 64,
	CLI_BAD_PLAN = 65,
	CLI_IO = 74,
	CLI_LOCKED = 75,
};

struct cli_ui_options {
	bool no_color;		/* --no-color, or NO_COLOR set */
	bool ascii;		/* --ascii: no UTF-8 drawing */
	bool demo;
	const char *context;	/* --context, shown in the header */
};

typedef int (*cli_ui_fn)(struct session *s, const struct cli_ui_options *o);

/* Parse argv and run the command; returns the exit status. */
int cli_main(int argc, char **argv, cli_ui_fn ui);

#endif
