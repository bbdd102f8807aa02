/*
 * cli — options and one-shot commands (see cli.h for the exit status).
 *
 * A one-shot action runs the same session as the dashboard: it takes the
 * lock, reconciles an interrupted apply, fetches the sources once so the
 * gates judge fresh data, asks for confirmation (or --yes), acts, and
 * waits for the driver within its deadline.
 */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "audit.h"
#include "demo.h"
#include "loop.h"
#include "plan.h"
#include "session.h"
#include "text.h"
#include "xmalloc.h"

struct cli {
	const char *plan_path;
	const char *context;
	const char *reason;
	bool yes;
	bool force;
	bool json;
	bool read_only;
	bool demo;
	double demo_speed;
	bool autopilot;
	bool no_color;
	bool ascii;
};

static void
usage(FILE *out)
{
	fputs("usage: cutover [options] [command]\n"
	      "\n"
	      "commands:\n"
	      "  (none)      the dashboard\n"
	      "  check       validate the plan file and print its settings\n"
	      "  status      stage, phase, weights, gates, metrics, pods\n"
	      "  advance     shift to the next stage\n"
	      "  pause       freeze the hold timer (gates stay on)\n"
	      "  resume      let the hold timer run again\n"
	      "  rollback    send all traffic back to APISIX\n"
	      "  retry       retry the driver step that failed\n"
	      "  reconcile   read the weights back; settle an interrupted "
	      "apply\n"
	      "  log         print the audit log\n"
	      "\n"
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
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
complain(const struct err *e)
{
	char buf[ERR_MSG_MAX + ERR_FILE_MAX + 32];

	/* An error may quote a plan string, a lock holder, a server. */
	err_str(e, buf, sizeof(buf));
	fprintf(stderr, "cutover: %s\n", text_scrub(buf, sizeof(buf)));
}

static int
load_plan(const struct cli *c, struct plan *p, struct err *e)
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

/* Ask on the terminal; without one, only --yes confirms. */
static bool
confirm(const struct cli *c, const char *question)
{
	char answer[16];
	FILE *tty;
	bool yes;

	if (c->yes)
		return true;
	tty = fopen("/dev/tty", "r+");
	if (tty == NULL) {
		fprintf(stderr, "cutover: %s: no terminal to confirm on; "
			"pass --yes\n", question);
		return false;
	}
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	yes = fgets(answer, sizeof(answer), tty) != NULL &&
	      (answer[0] == 'y' || answer[0] == 'Y');
	fclose(tty);
	return yes;
}

static void
print_state(struct session *s, FILE *out)
{
	const struct cutover_state *st = &s->rec.state;
	int64_t left = session_hold_left(s);
	char buf[256];

	fprintf(out, "plan:     %s (%s)\n", s->plan->name,
		s->plan->path != NULL ? s->plan->path : "built-in defaults");
	fprintf(out, "stage:    %d/%d  phase: %s%s\n", st->stage, st->nstages,
		cutover_phase_name(st->phase),
		st->uncertain ? "  (weights uncertain)" : "");
	fprintf(out, "weights:  istio %d%% / apisix %d%% (applied)\n",
		st->applied.istio, st->applied.apisix);
	if (s->rec.have_read_back)
		fprintf(out, "          istio %d%% / apisix %d%% (read back)\n",
			s->rec.read_back.istio, s->rec.read_back.apisix);
	if (s->drift)
		fprintf(out, "DRIFT:    changed outside cutover: advance "
			"refused until `cutover reconcile` or --force\n");
	if (st->phase == PHASE_SHIFTING || st->phase == PHASE_ROLLING_BACK ||
	    s->rec.apply_in_flight)
		fprintf(out, "          istio %d%% / apisix %d%% (in flight)\n",
			st->pending.istio, st->pending.apisix);
	if (left >= 0)
		fprintf(out, "hold:     %lldm%02llds left (observed time)\n",
			(long long)(left / 60000),
			(long long)(left / 1000 % 60));
	fprintf(out, "gates:    %s\n", gate_summary(&s->gates, buf,
						       sizeof(buf)));
	fprintf(out, "driver:   %s\n", s->driver_desc);
	if (s->source_note[0] != '\0')
		fprintf(out, "sources:  %s\n", s->source_note);
	for (int i = 0; i < Q_COUNT; i++) {
		const struct series *q = &s->metrics.q[i];
		int64_t age = metrics_age_ms(&s->metrics, (enum query_id)i,
					     clock_mono(s->clock));
		double v;
		bool have = metrics_value(&s->metrics, s->plan,
					  (enum query_id)i,
					  clock_mono(s->clock),
					  s->plan->gates.max_age_ms, &v);

		if (q->state == SOURCE_UNKNOWN && s->source_note[0] != '\0')
			continue;
		fprintf(out, "  %-20s ", plan_query_key((enum query_id)i));
		if (have)
			fprintf(out, "%-12.6g", v);
		else
			fprintf(out, "%-12s", "no data");
		if (age != INT64_MAX)
			fprintf(out, " age %llds", (long long)(age / 1000));
		if (q->error[0] != '\0')
			fprintf(out, "  error: %s", q->error);
		fputc('\n', out);
	}
	for (int i = 0; i < s->plan->ngroups; i++) {
		const struct group_health *g = &s->groups[i];

		fprintf(out, "  pods %-15s ", s->plan->groups[i].name);
		if (g->state == SOURCE_OK)
			fprintf(out, "%d/%d ready (min %d) restarts %lld %s\n",
				g->ready, g->total, g->min_ready,
				(long long)g->restarts, g->worst_reason);
		else
			fprintf(out, "unknown%s%s\n", g->error[0] ? ": " : "",
				g->error);
	}
	if (s->save_error[0] != '\0')
		fprintf(out, "WARNING:  state not saved: %s\n", s->save_error);
}

static int
open_session(const struct cli *c, struct session *s, const struct plan *p,
	     struct loop *l, bool read_only)
{
	struct session_options o = {
		.read_only = read_only,
		.echo_warnings = !c->json,
		.demo = c->demo,
		.demo_speed = c->demo_speed,
		.autopilot = c->autopilot,
	};
	struct err e;

	err_clear(&e);
	if (session_open(s, p, loop_clock(l), l, &o, false, &e) != 0) {
		complain(&e);
		if (strstr(e.msg, "another cutover") != NULL)
			return CLI_LOCKED;
		return CLI_IO;
	}
	return CLI_OK;
}

static int64_t
driver_deadline(const struct plan *p)
{
	int64_t t = 120000;

	switch (p->traffic.driver) {
	case DRIVER_EXEC:
		/* set and get, each up to its timeout, then SIGTERM,
		 * SIGKILL 2 s later and 2 s more for the answer (proc.c) */
		t = 2 * (p->traffic.exec.timeout_ms + 5000);
		break;
	case DRIVER_ROUTE53:
		t = p->traffic.route53.timeout_ms +
		    p->traffic.route53.insync_timeout_ms;
		break;
	case DRIVER_CLOUDFLARE:
		t = p->traffic.cloudflare.timeout_ms;
		break;
	case DRIVER_KUBERNETES:
		/* read and patch, then up to 3 times (driver_kube.c) read
		 * and patch again; an exec credential plugin may take up to
		 * a minute */
		t = 8 * p->traffic.kubernetes.timeout_ms + 60000;
		break;
	default:
		break;
	}
	return t + 5000;
}

/* Did a configured source fail to answer (not: "is there no data")? */
static bool
sources_failed(const struct session *s)
{
	for (int i = 0; i < Q_COUNT; i++)
		if (s->metrics.q[i].state == SOURCE_ERROR)
			return true;
	for (int i = 0; i < s->plan->ngroups; i++)
		if (s->groups[i].state == SOURCE_ERROR)
			return true;
	if (s->plan->kubernetes.kubeconfig != NULL && s->plan->ngroups > 0 &&
	    s->kube == NULL)
		return true;
	return s->plan->prometheus.url != NULL && s->prom == NULL;
}

/*
 * Start a one-shot session: read the weights back (settling an
 * interrupted apply) within the driver's deadline.  False, said on
 * stderr, when that did not finish.
 */
static bool
start_settled(struct session *s, int64_t deadline)
{
	session_start(s, false);
	if (session_wait(s, deadline) == 0)
		return true;
	fprintf(stderr, "cutover: reading the weights back did not finish in "
		"time\n");
	return false;
}

static int
cmd_status(const struct cli *c, const struct plan *p, struct loop *l)
{
	struct session s;
	int rc = open_session(c, &s, p, l, true);

	if (rc != CLI_OK)
		return rc;
	session_start(&s, false);
	session_wait(&s, driver_deadline(p));
	session_refresh_once(&s);
	if (c->json) {
		json_t *j = session_status_json(&s);

		/* ASCII only: no string can carry a control to the tty. */
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS |
			   JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		print_state(&s, stdout);
	}
	rc = sources_failed(&s) ? CLI_SOURCE_FAILED : CLI_OK;
	session_close(&s);
	return rc;
}

static int
cmd_action(const struct cli *c, const struct plan *p, struct loop *l,
	   enum event_type type)
{
	struct session s;
	const char *why = NULL;
	char question[256];
	int rc = open_session(c, &s, p, l, false);
	int64_t deadline = driver_deadline(p);

	if (rc != CLI_OK)
		return rc;
	if (!start_settled(&s, deadline)) {
		session_close(&s);
		return CLI_DRIVER_FAILED;
	}
	if (type == EV_ADVANCE)
		session_refresh_once(&s);

	if (type == EV_ADVANCE || type == EV_ROLLBACK || type == EV_RETRY) {
		struct weights to;

		/* Ask only about what the guards would let through. */
		if (!session_can(&s, type, c->force, &why)) {
			session_act(&s, type, c->force, c->reason, &why);
			fprintf(stderr, "cutover: %s refused: %s\n",
				cutover_event_name(type), why);
			rc = s.outcome == SESSION_OUTCOME_NOT_RECORDED ?
			     CLI_IO : CLI_REFUSED;
			session_close(&s);
			return rc;
		}
		to = type == EV_ROLLBACK ? cutover_stage_weights(p, 0) :
		     type == EV_RETRY && s.rec.state.retry_rollback ?
		     cutover_stage_weights(p, 0) :
		     cutover_stage_weights(p, type == EV_RETRY ?
					   s.rec.state.target :
					   s.rec.state.phase ==
					   PHASE_ROLLED_BACK ? 1 :
					   s.rec.state.stage + 1);
		if (s.drift)
			snprintf(question, sizeof(question), "%s: istio %d%% "
				 "in force (the state file says %d%%) -> %d%%?",
				 cutover_event_name(type),
				 s.drift_weights.istio,
				 s.rec.state.applied.istio, to.istio);
		else
			snprintf(question, sizeof(question), "%s: istio %d%% "
				 "-> %d%%?", cutover_event_name(type),
				 s.rec.state.applied.istio, to.istio);
		if (!confirm(c, question)) {
			fprintf(stderr, "cutover: not confirmed; nothing "
				"changed\n");
			session_close(&s);
			return CLI_REFUSED;
		}
	}
	if (session_act(&s, type, c->force, c->reason, &why) != 0) {
		fprintf(stderr, "cutover: %s refused: %s\n",
			cutover_event_name(type), why);
		rc = s.outcome == SESSION_OUTCOME_NOT_RECORDED ? CLI_IO :
		     CLI_REFUSED;
		session_close(&s);
		return rc;
	}
	if (session_wait(&s, deadline) != 0) {
		fprintf(stderr, "cutover: the driver did not answer within "
			"%llds; the state file marks the step as in flight\n",
			(long long)(deadline / 1000));
		session_close(&s);
		return CLI_DRIVER_FAILED;
	}
	rc = CLI_OK;
	if (s.outcome == SESSION_OUTCOME_DRIVER_FAILED) {
		fprintf(stderr, "cutover: driver failed: %s\n",
			s.last_failure);
		rc = CLI_DRIVER_FAILED;
	}
	if (s.record_lost) {
		/* A rollback goes ahead without its record: say so. */
		fprintf(stderr, "cutover: %s went ahead, but its record was "
			"lost: %s\n", cutover_event_name(type),
			s.record_error);
		if (rc == CLI_OK)
			rc = CLI_IO;
	}
	print_state(&s, stdout);
	session_close(&s);
	return rc;
}

/* Take the lock, read back, settle an interrupted apply; change nothing. */
static int
cmd_reconcile(const struct cli *c, const struct plan *p, struct loop *l)
{
	struct session s;
	int rc = open_session(c, &s, p, l, false);

	if (rc != CLI_OK)
		return rc;
	if (!start_settled(&s, driver_deadline(p))) {
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
	print_state(&s, stdout);
	session_close(&s);
	return rc;
}

static int
cmd_check(const struct plan *p, struct loop *l)
{
	struct driver d;
	struct err e;

	plan_print(p, stdout);
	if (p->traffic.driver != DRIVER_DEMO) {
		err_clear(&e);
		if (driver_init(&d, p, l, NULL, NULL, &e) != 0) {
			complain(&e);
			return CLI_BAD_PLAN;
		}
		driver_done(&d);
	}
	printf("plan OK: %d stages, driver %s\n", p->nstages,
	       plan_driver_name(p->traffic.driver));
	return CLI_OK;
}

static int
dashboard(const struct cli *c, const struct plan *p, struct loop *l,
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
	if (session_open(&s, p, loop_clock(l), l, &o, true, &e) != 0) {
		complain(&e);
		return CLI_IO;
	}
	session_start(&s, true);
	rc = ui(&s, &uo);
	session_close(&s);
	return rc;
}

static int
parse_args(struct cli *c, int argc, char **argv)
{
	int ch;

	memset(c, 0, sizeof(*c));
	c->demo_speed = 60;
	c->autopilot = true;
	while ((ch = getopt_long(argc, argv, "+c:yhV", long_options,
				 NULL)) != -1) {
		char *end;

		switch (ch) {
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
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("cutover %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	return optind;
}

int
cli_main(int argc, char **argv, cli_ui_fn ui)
{
	static const struct {
		const char *name;
		enum event_type type;
	} actions[] = {
		{ "advance", EV_ADVANCE }, { "pause", EV_PAUSE },
		{ "resume", EV_RESUME }, { "rollback", EV_ROLLBACK },
		{ "retry", EV_RETRY },
	};
	struct cli c;
	struct plan p;
	struct loop *l;
	struct err e;
	const char *cmd;
	int first;
	int rc = CLI_USAGE;

	first = parse_args(&c, argc, argv);
	if (first < 0)
		return CLI_USAGE;
	cmd = first < argc ? argv[first] : NULL;
	/* Options may also follow the command: `cutover advance --yes`. */
	if (cmd != NULL && first + 1 < argc) {
		struct cli more;
		int n = argc - first;
		char **sub = argv + first;

		optind = 0;
		if (parse_args(&more, n, sub) < 0)
			return CLI_USAGE;
		if (optind < n) {
			fprintf(stderr, "cutover: unexpected argument '%s'\n",
				sub[optind]);
			return CLI_USAGE;
		}
#define TAKE(f) if (more.f) c.f = more.f
		TAKE(plan_path);
		TAKE(context);
		TAKE(reason);
		TAKE(yes);
		TAKE(force);
		TAKE(json);
		TAKE(read_only);
		TAKE(demo);
		TAKE(no_color);
		TAKE(ascii);
#undef TAKE
		if (!more.autopilot)
			c.autopilot = false;
		if (more.demo_speed != 60)
			c.demo_speed = more.demo_speed;
	}
	if (cmd != NULL && strcmp(cmd, "log") == 0) {
		err_clear(&e);
		if (load_plan(&c, &p, &e) != 0) {
			complain(&e);
			return CLI_BAD_PLAN;
		}
		rc = audit_print(p.audit_log, stdout, c.json, &e) == 0 ?
		     CLI_OK : CLI_IO;
		if (rc != CLI_OK)
			complain(&e);
		plan_done(&p);
		return rc;
	}

	err_clear(&e);
	if (load_plan(&c, &p, &e) != 0) {
		complain(&e);
		return CLI_BAD_PLAN;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	l = loop_new(&clock_system);
	if (cmd == NULL) {
		rc = dashboard(&c, &p, l, ui);
	} else if (strcmp(cmd, "check") == 0) {
		rc = cmd_check(&p, l);
	} else if (strcmp(cmd, "status") == 0) {
		rc = cmd_status(&c, &p, l);
	} else if (strcmp(cmd, "reconcile") == 0 && !c.read_only) {
		rc = cmd_reconcile(&c, &p, l);
	} else {
		size_t i;

		for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
			if (strcmp(cmd, actions[i].name) == 0)
				break;
		if (i == sizeof(actions) / sizeof(actions[0])) {
			fprintf(stderr, "cutover: unknown command '%s'\n", cmd);
			usage(stderr);
			rc = CLI_USAGE;
		} else if (c.read_only) {
			fprintf(stderr, "cutover: --read-only cannot %s\n",
				cmd);
			rc = CLI_USAGE;
		} else {
			rc = cmd_action(&c, &p, l, actions[i].type);
		}
	}
	loop_free(l);
	curl_global_cleanup();
	plan_done(&p);
	return rc;
}
