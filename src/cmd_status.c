/*
 * cmd_status — `cutover status`: the state, the weights read back, and
 * every source queried once.  It never takes the lock, so it works beside
 * a running dashboard and with --read-only.  When the plan's guard runs,
 * it prints the guard's view instead (what every attached dashboard
 * draws), by the same printers; --no-guard queries the sources itself.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "guard_conn.h"
#include "plan.h"
#include "session.h"
#include "session_view.h"

/*
 * Did a configured source fail to answer (not: "is there no data")?  From
 * the view, so that it holds through the guard too; `sources_missing`:
 * the plan names a source this process (or the guard) could not open.
 */
static bool
cmd_status_sources_failed(const struct session_view *v, bool sources_missing)
{
	for (int i = 0; i < Q_COUNT; i++)
		if (v->metrics->q[i].state == SOURCE_ERROR)
			return true;
	for (int i = 0; i < v->plan->ngroups; i++)
		if (v->groups[i].state == SOURCE_ERROR)
			return true;
	return sources_missing;
}

/* A source the plan names that the session could not open. */
static bool
cmd_status_sources_missing(const struct session *s)
{
	if (s->plan->kubernetes.kubeconfig != NULL && s->plan->ngroups > 0 &&
	    s->kube == NULL)
		return true;
	return s->plan->prometheus.url != NULL && s->prom == NULL;
}

/*
 * The same, through the guard: a source it could not open is in its note
 * ("prometheus: ...", "...kubernetes: ..."; session_open).
 */
static bool
cmd_status_guard_sources_missing(const struct session_view *v)
{
	const struct plan *p = v->plan;

	if (p->prometheus.url != NULL &&
	    strncmp(v->source_note, "prometheus: ", 12) == 0)
		return true;
	return p->kubernetes.kubeconfig != NULL && p->ngroups > 0 &&
	       strstr(v->source_note, "kubernetes: ") != NULL;
}

static void
cmd_status_print(const struct cmd_options *c, const struct session_view *v)
{
	if (c->json) {
		json_t *j = session_status_json(v);

		/* ASCII only: no string can carry a control to the tty. */
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS |
			   JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		cmd_print_state(v, stdout);
	}
}

/*
 * Through the plan's guard: its view, what the attached dashboards draw.
 * CMD_NO_GUARD when none runs.
 */
static int
cmd_status_guard(const struct cmd_options *c, const struct plan *p)
{
	struct guard_conn gc;
	struct session_view v;
	struct err e;
	int rc;

	err_clear(&e);
	rc = guard_conn_open(&gc, p, PROTO_ROLE_COMMAND, CMD_GUARD_HELLO_MS,
			     &e);
	if (rc == 0)
		return CMD_NO_GUARD;
	if (rc < 0) {
		cmd_complain(&e);
		return CLI_IO;
	}
	v = gc.vj.v;
	v.guard_pid = gc.welcome.pid;
	/* This command only reads; the guard holds the lock ("guard"). */
	v.read_only = true;
	memset(&v.holder, 0, sizeof(v.holder));
	cmd_status_print(c, &v);
	rc = cmd_status_sources_failed(&v,
	    cmd_status_guard_sources_missing(&v)) ? CLI_SOURCE_FAILED : CLI_OK;
	guard_conn_close(&gc);
	return rc;
}

static int
cmd_status_exec(const struct cmd_options *c, const struct plan *p,
		struct loop *l)
{
	struct session s;
	struct session_view v;
	int rc;

	if (!c->no_guard && (rc = cmd_status_guard(c, p)) != CMD_NO_GUARD)
		return rc;
	rc = cmd_open_session(c, &s, p, l, true);
	if (rc != CLI_OK)
		return rc;
	session_start(&s, false);
	session_wait(&s, cmd_deadline(p));
	session_refresh_once(&s);
	session_view_fill(&s, &v);
	cmd_status_print(c, &v);
	rc = cmd_status_sources_failed(&v, cmd_status_sources_missing(&s)) ?
	     CLI_SOURCE_FAILED : CLI_OK;
	session_close(&s);
	return rc;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.help = "stage, phase, weights, gates, metrics, pods",
	.lock = false,
	.read_only = true,
	.exec = cmd_status_exec,
};
