/*
 * cmd — the one-shot commands.  Each command file (cmd_*.c) ends with its
 * `const struct cmd_entry`, and cmd_table in cmd.c lists them in the order
 * of the usage text.  cli.c parses the options once, finds the entry,
 * refuses under --read-only an entry that does not allow it (before
 * anything is loaded), loads the plan and runs the entry.  The usage text
 * is generated from the table; tests/commands.sh checks it against
 * cutover(1).
 *
 * An entry that takes the plan's lock never allows --read-only: a watcher
 * must not settle or change what the holder of the lock is doing.
 */
#ifndef CUTOVER_SRC_CMD_H
#define CUTOVER_SRC_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

struct err;
struct loop;
struct plan;
struct session;

/* The command line's options, as every command sees them. */
struct cmd_options {
	const char *plan_path;	/* -c, --plan */
	const char *context;	/* --context */
	const char *reason;	/* --reason */
	bool yes;
	bool force;
	bool json;
	bool read_only;
	bool demo;
	double demo_speed;	/* --demo-speed, default 60 */
	bool autopilot;		/* not --no-autopilot */
	bool no_color;
	bool ascii;
	bool no_guard;		/* --no-guard: never through a guard */
	bool foreground;	/* guard --foreground */
	bool stop;		/* guard --stop */
};

struct cmd_entry {
	const char *name;
	const char *help;	/* one line for the usage text */
	bool lock;		/* takes the plan's lock */
	bool read_only;		/* allowed with --read-only */
	/* Run with the plan loaded; returns the exit status (cli.h). */
	int (*exec)(const struct cmd_options *o, const struct plan *p,
		    struct loop *l);
};

/* Every command, NULL-terminated, in the usage text's order. */
extern const struct cmd_entry *const cmd_table[];

/* The entry named `name`, or NULL. */
const struct cmd_entry *cmd_find(const char *name);
/* The command list of the usage text, one "  name  help" line each. */
void cmd_usage(FILE *out);

/* Helpers the commands share. */

/* Print an error on stderr, scrubbed (it may quote outside text). */
void cmd_complain(const struct err *e);
/* Ask on the terminal; without one, only --yes confirms. */
bool cmd_confirm(const struct cmd_options *o, const char *question);
/* Open the session; CLI_OK, or CLI_LOCKED / CLI_IO said on stderr. */
int cmd_open_session(const struct cmd_options *o, struct session *s,
		     const struct plan *p, struct loop *l, bool read_only);
/* How long a driver step may take, in ms (the driver's own limits). */
int64_t cmd_deadline(const struct plan *p);
/* Read the weights back (settling an interrupted apply); false, said on
 * stderr, when that did not finish within `deadline` ms. */
bool cmd_start_settled(struct session *s, int64_t deadline);
/*
 * Act through the plan's guard when one runs (cmd_guard.c): the exit
 * status, or CMD_NO_GUARD when none runs (or --no-guard) and the command
 * acts itself.
 */
#define CMD_NO_GUARD (-1)
/* How long a command waits for the guard's welcome and first view (a
 * new guard sends it once it has judged: GUARD_FIRST_JUDGE_MS). */
#define CMD_GUARD_HELLO_MS 20000
int cmd_guard_act(const struct cmd_options *o, const struct plan *p,
		  enum proto_action a);
/* The readable state: stage, weights, gates, metrics, pods. */
struct session_view;
void cmd_print_state(const struct session_view *v, FILE *out);
/* The same, of a session this process opened. */
void cmd_print_session(struct session *s, FILE *out);

#endif
