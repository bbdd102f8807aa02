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
#include "preflight.h"
#include "session.h"
#include "session_view.h"
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
cmd_print_state(const struct session_view *v, FILE *out)
{
	const struct plan *p = v->plan;
	const struct cutover_state *st = &v->state;
	int64_t left = v->hold_left_ms;
	char buf[640];

	fprintf(out, "plan:     %s (%s", p->name,
		p->path != NULL ? p->path : "built-in defaults");
	if (v->guard_pid > 0)
		fprintf(out, ", through its guard, pid %ld", v->guard_pid);
	fputs(")\n", out);
	fprintf(out, "stage:    %d/%d  phase: %s%s\n", st->stage, st->nstages,
		cutover_phase_name(st->phase),
		st->uncertain ? "  (weights uncertain)" : "");
	fprintf(out, "weights:  istio %d%% / apisix %d%% (applied)\n",
		st->applied.istio, st->applied.apisix);
	if (v->have_read_back)
		fprintf(out, "          istio %d%% / apisix %d%% (read back)\n",
			v->read_back.istio, v->read_back.apisix);
	if (v->drift)
		fprintf(out, "DRIFT:    changed outside cutover: advance "
			"refused until `cutover reconcile` or --force\n");
	if (st->phase == PHASE_SHIFTING || st->phase == PHASE_ROLLING_BACK ||
	    v->apply_in_flight)
		fprintf(out, "          istio %d%% / apisix %d%% (in flight)\n",
			st->pending.istio, st->pending.apisix);
	if (left >= 0)
		fprintf(out, "hold:     %lldm%02llds left (observed time)\n",
			(long long)(left / 60000),
			(long long)(left / 1000 % 60));
	fprintf(out, "gates:    %s\n", gate_summary(v->gates, buf,
						       sizeof(buf)));
	if (v->preflight != NULL)
		fprintf(out, "preflight: %s\n",
			preflight_blocks(v->preflight, buf, sizeof(buf)) ?
			buf : "every check passes (details: "
			"`cutover preflight`)");
	fprintf(out, "driver:   %s\n", v->driver_desc);
	if (v->source_note[0] != '\0')
		fprintf(out, "sources:  %s\n", v->source_note);
	for (int i = 0; i < Q_COUNT; i++) {
		const struct series *q = &v->metrics->q[i];
		int64_t age = metrics_age_ms(v->metrics, (enum query_id)i,
					     v->now_mono);
		double val;
		bool have = metrics_value(v->metrics, p, (enum query_id)i,
					  v->now_mono, p->gates.max_age_ms,
					  &val);

		if (q->state == SOURCE_UNKNOWN && v->source_note[0] != '\0')
			continue;
		fprintf(out, "  %-20s ", plan_query_key((enum query_id)i));
		if (have) {
			const struct gate_def *d = gate_def_of_query(i);
			const char *key = plan_query_key((enum query_id)i);
			size_t kl = strlen(key);
			char num[32];

			/* As the dashboard reads it: 0.50%, 833 ms; the board's
			 * queries have no gate: latencies in ms, counts bare. */
			if (d != NULL)
				gate_format(d->unit, val, false, num, sizeof(num));
			else if (kl > 3 && strcmp(key + kl - 3, "_ms") == 0)
				gate_format(GATE_UNIT_MS, val, false, num,
					    sizeof(num));
			else
				snprintf(num, sizeof(num), "%.0f", val);
			fprintf(out, "%-12s", num);
		} else
			fprintf(out, "%-12s", "no data");
		if (age != INT64_MAX)
			fprintf(out, " age %llds", (long long)(age / 1000));
		if (q->error[0] != '\0')
			fprintf(out, "  error: %s", q->error);
		fputc('\n', out);
	}
	for (int i = 0; i < p->ngroups; i++) {
		const struct group_health *g = &v->groups[i];

		fprintf(out, "  pods %-15s ", p->groups[i].name);
		if (g->state == SOURCE_OK)
			fprintf(out, "%s  %d/%d ready (min %d) restarts %lld "
				"%s\n", group_health_ok(g,
				p->groups[i].sidecar_required) ? "ok  " :
				"FAIL", g->ready, g->total, g->min_ready,
				(long long)g->restarts, g->worst_reason);
		else
			fprintf(out, "unknown%s%s\n", g->error[0] ? ": " : "",
				g->error);
	}
	for (int i = 0; i < p->probes.n; i++) {
		const struct plan_probe *pp = &p->probes.items[i];

		for (int k = 0; k < PROBE_SIDES; k++) {
			const struct probe_series *ps =
				&v->metrics->probe[i][k];
			double ratio = metrics_probe_ratio(ps);

			if (k == PROBE_APISIX &&
			    p->probes.apisix_address == NULL)
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
		const struct checklist_item *it = v->checklist;

		if (v->have_checklist) {
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
	if (v->save_error[0] != '\0')
		fprintf(out, "WARNING:  state not saved: %s\n", v->save_error);
}

void
cmd_print_session(struct session *s, FILE *out)
{
	struct session_view v;

	session_view_fill(s, &v);
	cmd_print_state(&v, out);
}
