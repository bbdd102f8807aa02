/*
 * cmd — the table of one-shot commands and what they share: opening the
 * session, the driver's deadline (driver_deadline), settling the weights, confirmation and
 * the readable state.  See cmd.h for how a command is dispatched.
 */
#include "config.h"

#include "cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "driver.h"
#include "loop.h"
#include "plan.h"
#include "session.h"
#include "text.h"

/* Each in its own cmd_*.c; the order is the usage text's. */
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_preflight_entry;
extern const struct cmd_entry cmd_advance_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_rollback_entry;
extern const struct cmd_entry cmd_retry_entry;
extern const struct cmd_entry cmd_reconcile_entry;
extern const struct cmd_entry cmd_log_entry;
extern const struct cmd_entry cmd_guard_entry;
extern const struct cmd_entry cmd_rbac_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_check_entry,
	&cmd_status_entry,
	&cmd_preflight_entry,
	&cmd_advance_entry,
	&cmd_pause_entry,
	&cmd_resume_entry,
	&cmd_rollback_entry,
	&cmd_retry_entry,
	&cmd_reconcile_entry,
	&cmd_log_entry,
	&cmd_guard_entry,
	&cmd_rbac_entry,
	NULL,
};

const struct cmd_entry *
cmd_find(const char *name)
{
	for (const struct cmd_entry *const *ce = cmd_table; *ce != NULL; ce++)
		if (strcmp((*ce)->name, name) == 0)
			return *ce;
	return NULL;
}

void
cmd_usage(FILE *out)
{
	for (const struct cmd_entry *const *ce = cmd_table; *ce != NULL; ce++)
		fprintf(out, "  %-11s %s\n", (*ce)->name, (*ce)->help);
}

void
cmd_complain(const struct err *e)
{
	char buf[ERR_MSG_MAX + ERR_FILE_MAX + 32];

	/* An error may quote a plan string, a lock holder, a server. */
	err_str(e, buf, sizeof(buf));
	fprintf(stderr, "cutover: %s\n", text_scrub(buf, sizeof(buf)));
}

bool
cmd_confirm(const struct cmd_options *c, const char *question)
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

int
cmd_open_session(const struct cmd_options *c, struct session *s,
		 const struct plan *p, struct loop *l, bool read_only)
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
		cmd_complain(&e);
		if (strstr(e.msg, "another cutover") != NULL)
			return CLI_LOCKED;
		return CLI_IO;
	}
	return CLI_OK;
}

int64_t
cmd_deadline(const struct plan *p)
{
	return driver_deadline(p) + 5000;
}

bool
cmd_start_settled(struct session *s, int64_t deadline)
{
	session_start(s, false);
	if (session_wait(s, deadline) == 0)
		return true;
	fprintf(stderr, "cutover: reading the weights back did not finish in "
		"time\n");
	return false;
}

void
cmd_print_state(struct session *s, FILE *out)
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
	if (st->stage == 0 && st->phase == PHASE_READY && s->pf.evaluated)
		fprintf(out, "preflight: %s\n", s->pf_blocked ? s->pf_why +
			sizeof("preflight:") : "every check passes (details: "
			"`cutover preflight`)");
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
		if (have) {
			const struct gate_def *d = gate_def_of_query(i);
			char num[32];

			/* As the dashboard reads it: 0.50%, 833 ms. */
			fprintf(out, "%-12s", gate_format(d != NULL ? d->unit :
				GATE_UNIT_RATE, v, false, num, sizeof(num)));
		} else
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
			fprintf(out, "%s  %d/%d ready (min %d) restarts %lld "
				"%s\n", group_health_ok(g,
				s->plan->groups[i].sidecar_required) ? "ok  " :
				"FAIL", g->ready, g->total, g->min_ready,
				(long long)g->restarts, g->worst_reason);
		else
			fprintf(out, "unknown%s%s\n", g->error[0] ? ": " : "",
				g->error);
	}
	for (int i = 0; i < s->plan->probes.n; i++) {
		const struct plan_probe *pp = &s->plan->probes.items[i];

		for (int k = 0; k < PROBE_SIDES; k++) {
			const struct probe_series *ps =
				&s->metrics.probe[i][k];
			double ratio = metrics_probe_ratio(ps);

			if (k == PROBE_APISIX &&
			    s->plan->probes.apisix_address == NULL)
				continue;
			fprintf(out, "  probe %-14s %-6s ", pp->name,
				k == PROBE_ISTIO ? "istio" : "apisix");
			if (ps->state == SOURCE_UNKNOWN)
				fprintf(out, "no result");
			else
				fprintf(out, "%s %.0f%% ok", ps->last_ok ?
					"ok  " : "FAIL", ratio * 100);
			if (!isnan(ps->last_ms))
				fprintf(out, " %.0f ms", ps->last_ms);
			if (ps->failures > 0)
				fprintf(out, " (%d in a row)", ps->failures);
			if (ps->why[0] != '\0')
				fprintf(out, ": %s", ps->why);
			fputc('\n', out);
		}
	}
	{
		static const char *const mark[] = {
			[CL_MARK_UNKNOWN] = "[ ?? ]", [CL_MARK_DONE] = "[done]",
			[CL_MARK_FAILED] = "[FAIL]", [CL_MARK_OPERATOR] = "[you ]",
		};
		struct checklist_item it[CL_COUNT];

		if (session_checklist(s, it)) {
			fprintf(out, "rollback checklist:\n");
			for (int i = 0; i < CL_COUNT; i++) {
				char *t = text_scrub_dup(it[i].text);

				fprintf(out, "  %s %-28s %s\n", mark[it[i].mark],
					checklist_label((enum checklist_id)i),
					t);
				free(t);
			}
		}
	}
	if (s->save_error[0] != '\0')
		fprintf(out, "WARNING:  state not saved: %s\n", s->save_error);
}
