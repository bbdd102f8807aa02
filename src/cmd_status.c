/*
 * cmd_status — `cutover status`: the state, the weights read back, and
 * every source queried once.  It never takes the lock, so it works beside
 * a running dashboard and with --read-only.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "plan.h"
#include "session.h"

/* Did a configured source fail to answer (not: "is there no data")? */
static bool
cmd_status_sources_failed(const struct session *s)
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

static int
cmd_status_exec(const struct cmd_options *c, const struct plan *p,
		struct loop *l)
{
	struct session s;
	int rc = cmd_open_session(c, &s, p, l, true);

	if (rc != CLI_OK)
		return rc;
	session_start(&s, false);
	session_wait(&s, cmd_deadline(p));
	session_refresh_once(&s);
	if (c->json) {
		json_t *j = session_status_json(&s);

		/* ASCII only: no string can carry a control to the tty. */
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS |
			   JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		cmd_print_state(&s, stdout);
	}
	rc = cmd_status_sources_failed(&s) ? CLI_SOURCE_FAILED : CLI_OK;
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
