/*
 * cli — the command line (see cli.h for the exit status): the options,
 * parsed once wherever they stand, the plan file lookup, and dispatch
 * through the command table (cmd.h) or, with no command, the dashboard.
 * A command that does not allow --read-only is refused before anything
 * is loaded.
 */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cmd.h"
#include "demo.h"
#include "loop.h"
#include "plan.h"
#include "session.h"
#include "xmalloc.h"

static void
usage(FILE *out)
{
	fputs("usage: cutover [options] [command]\n"
	      "\n"
	      "commands:\n"
	      "  (none)      the dashboard\n", out);
	cmd_usage(out);
	fputs("\n"
	      "options:\n"
	      "  -c, --plan FILE     plan file (default ./cutover.yaml, "
	      "else built-in defaults)\n"
	      "      --context NAME  Kubernetes context\n"
	      "  -y, --yes           do not ask for confirmation\n"
	      "      --force         advance before the hold ends, with a "
	      "failing gate or no data\n"
	      "      --reason TEXT   reason written to the audit log\n"
	      "      --json          machine-readable output (status, log)\n"
	      "      --read-only     watch only; never act, never take the "
	      "lock\n"
	      "      --no-guard      act in this process, not through the "
	      "plan's guard\n"
	      "      --foreground    guard: stay in the foreground (systemd)\n"
	      "      --stop          guard: stop the plan's guard\n"
	      "      --demo          run against the built-in simulation\n"
	      "      --demo-speed N  demo time compression (default 60)\n"
	      "      --no-autopilot  demo: advance only when asked\n"
	      "      --no-color      no colour (also NO_COLOR)\n"
	      "      --ascii         ASCII drawing only\n"
	      "  -h, --help          this text\n"
	      "  -V, --version       version\n", out);
}

enum {
	OPT_CONTEXT = 256,
	OPT_FORCE,
	OPT_REASON,
	OPT_JSON,
	OPT_READ_ONLY,
	OPT_DEMO,
	OPT_DEMO_SPEED,
	OPT_NO_AUTOPILOT,
	OPT_NO_COLOR,
	OPT_ASCII,
	OPT_NO_GUARD,
	OPT_FOREGROUND,
	OPT_STOP,
};

static const struct option long_options[] = {
	{ "plan", required_argument, NULL, 'c' },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "yes", no_argument, NULL, 'y' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "read-only", no_argument, NULL, OPT_READ_ONLY },
	{ "demo", no_argument, NULL, OPT_DEMO },
	{ "demo-speed", required_argument, NULL, OPT_DEMO_SPEED },
	{ "no-autopilot", no_argument, NULL, OPT_NO_AUTOPILOT },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "no-guard", no_argument, NULL, OPT_NO_GUARD },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "stop", no_argument, NULL, OPT_STOP },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int
load_plan(const struct cmd_options *c, struct plan *p, struct err *e)
{
	const char *path = c->plan_path;

	if (path == NULL)
		path = getenv("CUTOVER_PLAN");
	if (path == NULL && access("cutover.yaml", F_OK) == 0)
		path = "cutover.yaml";
	if (path == NULL) {
		plan_defaults(p);
		if (plan_finish(p, e) != 0)
			return -1;
	} else if (plan_load(p, path, e) != 0) {
		return -1;
	}
	if (c->context != NULL) {
		free(p->kubernetes.context);
		p->kubernetes.context = xstrdup(c->context);
	}
	if (c->demo) {
		/* The demo keeps its own state: never a real plan's. */
		free(p->name);
		p->name = xstrdup("demo");
		free(p->state_file);
		free(p->audit_log);
		p->state_file = p->audit_log = NULL;
		p->state_file_given = p->audit_log_given = false;
		demo_plan(p, c->demo_speed);
		if (plan_finish(p, e) != 0)
			return -1;
		p->traffic.driver = DRIVER_DEMO;
	}
	return 0;
}

static int
dashboard(const struct cmd_options *c, const struct plan *p, struct loop *l,
	  cli_ui_fn ui)
{
	struct session_options o = {
		.read_only = c->read_only,
		.demo = c->demo,
		.demo_speed = c->demo_speed,
		.autopilot = c->autopilot,
	};
	struct cli_ui_options uo = {
		.no_color = c->no_color || (getenv("NO_COLOR") != NULL &&
					    *getenv("NO_COLOR") != '\0'),
		.ascii = c->ascii,
		.demo = c->demo,
		.context = c->context != NULL ? c->context :
			   p->kubernetes.context,
	};
	struct session s;
	struct err e;
	int rc;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cutover: the dashboard needs a terminal; "
			"use `cutover status` in scripts\n");
		return CLI_USAGE;
	}
	err_clear(&e);
	/*
	 * Draw the plan's guard's views and act through it, starting it when
	 * none runs (the demo's too), so that quitting only detaches; a
	 * watcher never starts one.  Without a guard (--no-guard, or a
	 * cutover that is not a guard holds the lock) this process is the
	 * session, as before.
	 */
	if (!c->no_guard) {
		rc = c->read_only ? session_attach(&s, p, loop_clock(l), l, &e) :
		     session_attach_start(&s, p, loop_clock(l), l, &o, &e);
		if (rc < 0) {
			cmd_complain(&e);
			fprintf(stderr, "cutover: --no-guard runs the dashboard "
				"without a guard (the gates are watched only "
				"while it runs)\n");
			return CLI_IO;
		}
		if (rc == 1) {
			rc = ui(&s, &uo);
			session_close(&s);
			return rc;
		}
		err_clear(&e);
	}
	if (session_open(&s, p, loop_clock(l), l, &o, true, &e) != 0) {
		cmd_complain(&e);
		return CLI_IO;
	}
	session_start(&s, true);
	rc = ui(&s, &uo);
	session_close(&s);
	return rc;
}

/*
 * Parse the options once, wherever they stand: before the command or
 * after it (`cutover advance --yes`).  The command is the first operand;
 * a second is an error.  -h and -V answer at once, as getopt meets them.
 * Returns 0, 1 when -h or -V was answered, -1 on a usage error (said).
 */
static int
parse_args(struct cmd_options *c, const char **cmd, int argc, char **argv)
{
	int ch;

	memset(c, 0, sizeof(*c));
	c->demo_speed = 60;
	c->autopilot = true;
	*cmd = NULL;
	optind = 0;
	/* "-": operands come back in order (as 1), whatever POSIXLY_CORRECT
	 * says, so options after the command are parsed in the same pass. */
	while ((ch = getopt_long(argc, argv, "-c:yhV", long_options,
				 NULL)) != -1) {
		char *end;

		switch (ch) {
		case 1:
			if (*cmd != NULL) {
				fprintf(stderr, "cutover: unexpected argument "
					"'%s'\n", optarg);
				return -1;
			}
			*cmd = optarg;
			break;
		case 'c':
			c->plan_path = optarg;
			break;
		case OPT_CONTEXT:
			c->context = optarg;
			break;
		case 'y':
			c->yes = true;
			break;
		case OPT_FORCE:
			c->force = true;
			break;
		case OPT_REASON:
			c->reason = optarg;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_READ_ONLY:
			c->read_only = true;
			break;
		case OPT_DEMO:
			c->demo = true;
			break;
		case OPT_DEMO_SPEED:
			errno = 0;
			c->demo_speed = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || c->demo_speed < 1 ||
			    c->demo_speed > 100000) {
				fprintf(stderr, "cutover: --demo-speed wants "
					"a number from 1 to 100000\n");
				return -1;
			}
			break;
		case OPT_NO_AUTOPILOT:
			c->autopilot = false;
			break;
		case OPT_NO_COLOR:
			c->no_color = true;
			break;
		case OPT_ASCII:
			c->ascii = true;
			break;
		case OPT_NO_GUARD:
			c->no_guard = true;
			break;
		case OPT_FOREGROUND:
			c->foreground = true;
			break;
		case OPT_STOP:
			c->stop = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("cutover %s\n", PACKAGE_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	/* After "--" every argument is an operand. */
	for (; optind < argc; optind++) {
		if (*cmd != NULL) {
			fprintf(stderr, "cutover: unexpected argument '%s'\n",
				argv[optind]);
			return -1;
		}
		*cmd = argv[optind];
	}
	return 0;
}

int
cli_main(int argc, char **argv, cli_ui_fn ui)
{
	const struct cmd_entry *ce = NULL;
	struct cmd_options c;
	struct plan p;
	struct loop *l;
	struct err e;
	const char *cmd;
	int rc;

	rc = parse_args(&c, &cmd, argc, argv);
	if (rc != 0)
		return rc > 0 ? CLI_OK : CLI_USAGE;
	if (cmd != NULL) {
		ce = cmd_find(cmd);
		if (ce == NULL) {
			fprintf(stderr, "cutover: unknown command '%s'\n",
				cmd);
			usage(stderr);
			return CLI_USAGE;
		}
		if (c.read_only && !ce->read_only) {
			fprintf(stderr, "cutover: --read-only cannot %s: %s; "
				"run it without --read-only\n", ce->name,
				ce->lock ? "it takes the plan's lock" :
				"it acts");
			return CLI_USAGE;
		}
	}

	err_clear(&e);
	if (load_plan(&c, &p, &e) != 0) {
		cmd_complain(&e);
		return CLI_BAD_PLAN;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	l = loop_new(&clock_system);
	if (ce == NULL)
		rc = dashboard(&c, &p, l, ui);
	else
		rc = ce->exec(&c, &p, l);
	loop_free(l);
	curl_global_cleanup();
	plan_done(&p);
	return rc;
}
