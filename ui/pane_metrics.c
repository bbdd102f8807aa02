/*
 * pane_metrics — a row per gate that has one in GATE_LIST (error rate,
 * P95, availability, mTLS coverage, request rate): the Istio value
 * against its stage threshold, a sparkline, the APISIX value beside it,
 * and the age of the data (amber when late, red when stale).  The last
 * row says what the gates decided and why.  Rows a short terminal cannot
 * hold are counted in the title, never dropped silently.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pane.h"
#include "preflight.h"
#include "sparkline.h"

/* Query values read in the unit of the gate that reads them. */
const char *
pane_format(enum query_id id, double v, char *buf, size_t len)
{
	const struct gate_def *d = gate_def_of_query((int)id);

	return gate_format(d != NULL ? d->unit : GATE_UNIT_RATE, v, true, buf,
			   len);
}

enum role
pane_age_role(const struct ui *u, int64_t age)
{
	const struct plan *p = u->view.plan;

	if (age == INT64_MAX || age > p->gates.max_age_ms)
		return ROLE_CRIT;
	if (age > p->refresh_ms + p->refresh_ms / 2)
		return ROLE_WARN;
	return ROLE_DIM;
}

static void
value_cell(struct ui *u, WINDOW *w, int y, int x, int width, enum query_id q,
	   const struct gate_check *c, bool judged)
{
	const struct session_view *sv = &u->view;
	const struct series *se = &sv->metrics->q[q];
	char buf[32];
	double v;

	/* The value the verdict was reached on, not a newer one. */
	if (metrics_value(sv->metrics, sv->plan, q, sv->judged_mono,
			  sv->plan->gates.max_age_ms, &v)) {
		enum role r = ROLE_NORMAL;

		if (judged && c->verdict == VERDICT_FAIL)
			r = ROLE_CRIT;
		else if (judged && c->verdict == VERDICT_PASS)
			r = ROLE_OK;
		widget_text_align(w, y, x, width, widget_attr(r), WIDGET_RIGHT,
				  pane_format(q, v, buf, sizeof(buf)));
	} else {
		widget_text_align(w, y, x, width, widget_attr(ROLE_STALE),
				  WIDGET_RIGHT, se->state == SOURCE_ERROR ?
				  "error" : "no data");
	}
}

static void
limit_cell(WINDOW *w, int y, int x, int width, const struct gate_def *d,
	   const struct gate_check *c)
{
	char buf[32];
	char num[24];

	if (!c->enabled || isnan(c->limit)) {
		widget_text_align(w, y, x, width, widget_attr(ROLE_DIM),
				  WIDGET_RIGHT, "-");
		return;
	}
	gate_format(d->unit, c->limit, true, num, sizeof(num));
	snprintf(buf, sizeof(buf), "%s%s", d->dir == GATE_DIR_MIN ? ">=" :
		 "<=", num);
	widget_text_align(w, y, x, width, widget_attr(ROLE_DIM), WIDGET_RIGHT,
			  buf);
}

/*
 * Stage 0: "preflight ✓✓✗✓✓✓✓✓- pods: gateway 2/3 ready (min 3)": a mark
 * per check in the table's order, then each blocking check with its
 * reason (sanitised when judged), as many as the row holds.
 */
static void
preflight_row(WINDOW *w, int y, int width, const struct preflight *pf)
{
	char line[1024];
	size_t n;
	bool ascii = widget_ascii();
	bool blocks = false;
	int skipped = 0;

	n = (size_t)snprintf(line, sizeof(line), "preflight ");
	for (int i = 0; i < PF_COUNT; i++) {
		const char *mark;

		switch (pf->c[i].state) {
		case PREFLIGHT_PASS:
			mark = ascii ? "+" : "\u2713";
			break;
		case PREFLIGHT_FAIL:
			mark = ascii ? "x" : "\u2717";
			blocks = true;
			break;
		case PREFLIGHT_SKIP:
			mark = "-";
			skipped++;
			break;
		default:
			mark = "?";
			blocks = true;
			break;
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", mark);
	}
	if (!blocks)
		snprintf(line + n, sizeof(line) - n, " ready for the first "
			 "shift (%d skipped)", skipped);
	for (int i = 0; i < PF_COUNT && n < sizeof(line); i++) {
		const struct preflight_check *c = &pf->c[i];

		if (c->state != PREFLIGHT_FAIL && c->state != PREFLIGHT_UNKNOWN)
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s%s: %s",
				      c->state == PREFLIGHT_FAIL ? "" : "?",
				      preflight_def((enum preflight_id)i)->name,
				      c->reason);
	}
	widget_text(w, y, 0, width, blocks ? ROLE_CRIT : ROLE_OK, line);
}

/*
 * After a rollback: "rollback ✓?✓•• traffic: waiting for ...": a mark per
 * item of the guide's checklist, then what is not done yet, in order.
 */
static void
checklist_row(WINDOW *w, int y, int width, const struct checklist_item *it)
{
	char line[1024];
	size_t n;
	bool ascii = widget_ascii();
	bool open = false;

	n = (size_t)snprintf(line, sizeof(line), "rollback ");
	for (int i = 0; i < CL_COUNT; i++) {
		const char *mark;

		switch (it[i].mark) {
		case CL_MARK_DONE:
			mark = ascii ? "+" : "\u2713";
			break;
		case CL_MARK_FAILED:
			mark = ascii ? "x" : "\u2717";
			open = true;
			break;
		case CL_MARK_OPERATOR:
			mark = ascii ? "o" : "\u2022";
			break;
		default:
			mark = "?";
			open = true;
			break;
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s", mark);
	}
	for (int i = 0; i < CL_COUNT && n < sizeof(line); i++)
		if (it[i].mark != CL_MARK_DONE && it[i].mark != CL_MARK_OPERATOR)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " %s: %s", checklist_name(
					      (enum checklist_id)i), it[i].text);
	if (!open && n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " %s; %s",
			 it[CL_LOGS].text, it[CL_RETRY].text);
	widget_text(w, y, 0, width, open ? ROLE_WARN : ROLE_OK, line);
}

static void
pane_metrics_draw(struct ui *u, WINDOW *w, int h, int width)
{
	const struct session_view *v = &u->view;
	const struct gate_result *g = v->gates;
	const struct cutover_state *st = &v->state;
	int64_t now = v->now_mono;
	int spark_w = width - 13 - 10 - 11 - 10 - 7 - 4;
	bool judged = g->verdict != VERDICT_NONE;
	int hidden = layout_metrics_hidden(h);
	char buf[256];
	enum role vr;

	widget_blank(w, 0, 0, width);
	widget_text(w, 0, 0, 13, u->focus == PANE_METRICS ? ROLE_FOCUS :
		    ROLE_TITLE, "metric");
	widget_text_align(w, 0, 13, 10, widget_attr(ROLE_TITLE), WIDGET_RIGHT,
			  "istio");
	widget_text_align(w, 0, 23, 11, widget_attr(ROLE_TITLE), WIDGET_RIGHT,
			  judged ? "limit" : "");
	/* A terminal too short for every gate says so. */
	if (hidden > 0)
		snprintf(buf, sizeof(buf), "trend (%d row%s hidden)", hidden,
			 hidden == 1 ? "" : "s");
	widget_text(w, 0, 35, spark_w, hidden > 0 ? ROLE_WARN : ROLE_TITLE,
		    hidden > 0 ? buf : "trend");
	widget_text_align(w, 0, 36 + spark_w, 10, widget_attr(ROLE_TITLE),
			  WIDGET_RIGHT, "apisix");
	widget_text_align(w, 0, width - 7, 7, widget_attr(ROLE_TITLE),
			  WIDGET_RIGHT, "age");
	for (int gi = 0; gi < GATE_COUNT; gi++) {
		const struct gate_def *d = gate_def((enum gate_id)gi);
		const struct gate_check *c = &g->g[gi];
		enum query_id q = (enum query_id)d->query;
		const struct series *se;
		int y = d->row + 1;
		int64_t age;
		struct sparkline sp;

		if (d->row < 0 || d->query < 0 || y >= h - 1)
			continue;
		se = &v->metrics->q[q];
		age = metrics_age_ms(v->metrics, q, now);
		sp = (struct sparkline){
			.v = se->history, .n = (size_t)se->nhistory,
			.lo = NAN, .hi = NAN,
			.threshold = judged && c->enabled ? c->limit : NAN,
			.role = ROLE_SIDE_A,
		};

		widget_blank(w, y, 0, width);
		widget_text(w, y, 0, 13, ROLE_NORMAL, d->label);
		value_cell(u, w, y, 13, 10, q, c, judged);
		if (judged)
			limit_cell(w, y, 23, 11, d, c);
		if (d->unit == GATE_UNIT_SHARE)
			sp.threshold = NAN;
		/*
		 * A fixed scale from 0 (to the threshold when there is one):
		 * an auto scale would blow the last digits of a steady rate()
		 * up to full-height jitter, and the bar's height should say
		 * how close the value is to its limit.
		 */
		sp.lo = 0;
		sp.hi = 0;
		for (size_t k = 0; k < sp.n; k++)
			if (!isnan(sp.v[k]) && sp.v[k] > sp.hi)
				sp.hi = sp.v[k];
		/* Headroom: a steady value must not sit on a level boundary. */
		sp.hi *= 1.25;
		if (!isnan(sp.threshold) && sp.threshold > sp.hi)
			sp.hi = sp.threshold;
		if (d->unit == GATE_UNIT_SHARE) {
			/* Shares near 100%: show dips below 99% in detail. */
			sp.hi = 1.0;
			sp.lo = 0.99;
			for (size_t k = 0; k < sp.n; k++)
				if (!isnan(sp.v[k]) && sp.v[k] < sp.lo)
					sp.lo = sp.v[k];
		}
		if (!(sp.hi > sp.lo))
			sp.lo = sp.hi = NAN;
		if ((size_t)sparkline_capacity(spark_w) < sp.n) {
			sp.v += sp.n - (size_t)sparkline_capacity(spark_w);
			sp.n = (size_t)sparkline_capacity(spark_w);
		}
		sparkline_draw(w, y, 35, spark_w, &sp);
		if (d->baseline >= 0)
			value_cell(u, w, y, 36 + spark_w, 10,
				   (enum query_id)d->baseline, c, false);
		if (age == INT64_MAX)
			snprintf(buf, sizeof(buf), "-");
		else
			snprintf(buf, sizeof(buf), "%llds",
				 (long long)(age / 1000));
		widget_text_align(w, y, width - 7, 7,
				  widget_attr(pane_age_role(u, age)),
				  WIDGET_RIGHT, buf);
	}

	/* The verdict row; before the first shift, the preflight's. */
	widget_blank(w, h - 1, 0, width);
	if (v->preflight != NULL) {
		preflight_row(w, h - 1, width, v->preflight);
		return;
	}
	if (v->have_checklist) {
		checklist_row(w, h - 1, width, v->checklist);
		return;
	}
	gate_summary(g, buf, sizeof(buf));
	vr = g->verdict == VERDICT_PASS ? ROLE_OK :
	     g->verdict == VERDICT_FAIL ? ROLE_CRIT :
	     g->verdict == VERDICT_NO_DATA ? ROLE_WARN : ROLE_DIM;
	{
		char line[320];

		bool watching = st->phase == PHASE_HOLDING ||
				st->phase == PHASE_BREACH;

		/* Breaches count only while a hold is watched: after a
		 * rollback the count is over, not at 0 of 3. */
		if (g->verdict == VERDICT_FAIL && !watching) {
			char ph[32];

			snprintf(ph, sizeof(ph), "%s",
				 cutover_phase_name(st->phase));
			for (char *p = ph; *p != '\0'; p++)
				if (*p == '_')
					*p = ' ';
			snprintf(line, sizeof(line), "gates %s  (%s)", buf, ph);
		} else if (g->verdict == VERDICT_FAIL &&
			   st->breaches > v->plan->rollback.consecutive) {
			/* Past the count (automatic rollback off): how long
			 * it has failed, not "6/3". */
			snprintf(line, sizeof(line), "gates %s  (%d in a row%s)",
				 buf, st->breaches,
				 v->plan->rollback.automatic ? "" :
				 ", auto rollback off");
		} else if (g->verdict == VERDICT_FAIL)
			snprintf(line, sizeof(line), "gates %s  (breach %d/%d%s)",
				 buf, st->breaches, v->plan->rollback.consecutive,
				 v->plan->rollback.automatic ? ", then auto "
				 "rollback" : ", auto rollback off");
		else if (g->verdict == VERDICT_NO_DATA)
			snprintf(line, sizeof(line), "gates %s  - hold frozen",
				 buf);
		else
			snprintf(line, sizeof(line), "gates %s", buf);
		widget_text(w, h - 1, 0, width, vr, line);
	}
}

const struct pane_ops pane_metrics_ops = {
	.name = "metrics",
	.min_h = 7,
	.dirty = SESSION_DIRTY_STATE | SESSION_DIRTY_METRICS |
		  PANE_DIRTY_FOCUS,
	.focusable = true,
	.draw = pane_metrics_draw,
};
