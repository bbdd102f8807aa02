/*
 * pane_board — what the guide's Grafana board adds to the gates, where
 * the terminal has rows to spare (none at 80x24, see layout.h): the
 * latency distribution (P50, P95, P99) and the connections of both
 * gateways side by side, and on the right one row per synthetic probe
 * through Istio: its success ratio, its last latency and a sparkline of
 * its latencies (a failed result is a gap), with APISIX's ratio beside it
 * when it is probed too.  Nothing here is judged but the probes (their
 * gate's verdict is on the metrics pane's verdict row).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "pane.h"
#include "sparkline.h"

#define BOARD_LEFT 41	/* the latency and connections columns */

static void
board_value(struct ui *u, WINDOW *w, int y, int x, int width,
	    enum query_id q, bool ms)
{
	const struct session_view *v = &u->view;
	char buf[32];
	double d;

	if (metrics_value(v->metrics, v->plan, q, v->now_mono,
			  v->plan->gates.max_age_ms, &d)) {
		if (ms)
			snprintf(buf, sizeof(buf), "%.0f ms", d);
		else
			snprintf(buf, sizeof(buf), "%.0f", d);
		widget_text_align(w, y, x, width, widget_attr(ROLE_NORMAL),
				  WIDGET_RIGHT, buf);
	} else {
		widget_text_align(w, y, x, width, widget_attr(ROLE_STALE),
				  WIDGET_RIGHT, v->metrics->q[q].state ==
				  SOURCE_ERROR ? "error" : "-");
	}
}

static void
board_gateways(struct ui *u, WINDOW *w)
{
	static const struct {
		const char *name;
		enum query_id q[4];
	} gw[] = {
		{ "istio", { Q_ISTIO_P50, Q_ISTIO_P95, Q_ISTIO_P99,
			     Q_ISTIO_CONNECTIONS } },
		{ "apisix", { Q_APISIX_P50, Q_APISIX_P95, Q_APISIX_P99,
			      Q_APISIX_CONNECTIONS } },
	};
	static const char *const titles[] = { "P50", "P95", "P99", "conns" };

	widget_text(w, 0, 0, 9, ROLE_TITLE, "latency");
	for (int c = 0; c < 4; c++)
		widget_text_align(w, 0, 9 + c * 8, 8, widget_attr(ROLE_TITLE),
				  WIDGET_RIGHT, titles[c]);
	/* Indented: a line that starts with a gateway's name is its pod
	 * group's row (screen readers and scripts look for it there). */
	for (int g = 0; g < 2; g++) {
		widget_text(w, 1 + g, 1, 8, g == 0 ? ROLE_SIDE_A : ROLE_SIDE_B,
			    gw[g].name);
		for (int c = 0; c < 4; c++)
			board_value(u, w, 1 + g, 9 + c * 8, 8, gw[g].q[c],
				    c < 3);
	}
}

static void
board_probe(struct ui *u, WINDOW *w, int y, int x, int width, int i)
{
	const struct session_view *v = &u->view;
	const struct plan_probe *pp = &v->plan->probes.items[i];
	const struct probe_series *ps = &v->metrics->probe[i][PROBE_ISTIO];
	const struct probe_series *ax = &v->metrics->probe[i][PROBE_APISIX];
	bool apisix = v->plan->probes.apisix_address != NULL;
	int spark_w = width - 12 - 5 - 8 - (apisix ? 6 : 0) - 1;
	double ratio = metrics_probe_ratio(ps);
	struct sparkline sp;
	char buf[32];
	enum role r;

	widget_text(w, y, x, 12, ROLE_NORMAL, pp->name);
	if (ps->state == SOURCE_UNKNOWN) {
		widget_text_align(w, y, x + 12, 5, widget_attr(ROLE_STALE),
				  WIDGET_RIGHT, "-");
	} else {
		r = !ps->last_ok ? ROLE_CRIT : ratio < 1 ? ROLE_WARN : ROLE_OK;
		snprintf(buf, sizeof(buf), "%.0f%%", ratio * 100);
		widget_text_align(w, y, x + 12, 5, widget_attr(r),
				  WIDGET_RIGHT, buf);
	}
	if (!isnan(ps->last_ms))
		snprintf(buf, sizeof(buf), "%.0f ms", ps->last_ms);
	else
		snprintf(buf, sizeof(buf), "%s", ps->state == SOURCE_ERROR ?
			 "fail" : "-");
	widget_text_align(w, y, x + 17, 8, widget_attr(ps->last_ok ?
			  ROLE_NORMAL : ROLE_STALE), WIDGET_RIGHT, buf);
	if (spark_w > 2) {
		sp = (struct sparkline){
			.v = ps->ms_history, .n = (size_t)ps->nhistory,
			.lo = 0, .hi = NAN, .threshold = NAN,
			.role = ROLE_SIDE_A,
		};
		sp.hi = 0;
		for (size_t k = 0; k < sp.n; k++)
			if (!isnan(sp.v[k]) && sp.v[k] > sp.hi)
				sp.hi = sp.v[k];
		sp.hi *= 1.25;
		if (!(sp.hi > sp.lo))
			sp.lo = sp.hi = NAN;
		if ((size_t)sparkline_capacity(spark_w) < sp.n) {
			sp.v += sp.n - (size_t)sparkline_capacity(spark_w);
			sp.n = (size_t)sparkline_capacity(spark_w);
		}
		sparkline_draw(w, y, x + 26, spark_w, &sp);
	}
	if (apisix) {
		double ar = metrics_probe_ratio(ax);

		if (isnan(ar))
			snprintf(buf, sizeof(buf), "-");
		else
			snprintf(buf, sizeof(buf), "%.0f%%", ar * 100);
		widget_text_align(w, y, x + width - 6, 6,
				  widget_attr(ROLE_SIDE_B), WIDGET_RIGHT, buf);
	}
}

static void
pane_board_draw(struct ui *u, WINDOW *w, int h, int width)
{
	const struct plan *p = u->view.plan;
	int x = BOARD_LEFT + 1, pw = width - x;
	int shown = h - 1 < p->probes.n ? h - 1 : p->probes.n;
	char buf[64];

	for (int y = 0; y < h; y++)
		widget_blank(w, y, 0, width);
	board_gateways(u, w);
	if (p->probes.n == 0 || pw < 30)
		return;
	if (shown < p->probes.n)
		snprintf(buf, sizeof(buf), "probes (%d hidden)",
			 p->probes.n - shown);
	else
		snprintf(buf, sizeof(buf), "probes via istio");
	widget_text(w, 0, x, 17, shown < p->probes.n ? ROLE_WARN : ROLE_TITLE,
		    buf);
	widget_text_align(w, 0, x + 17, 8, widget_attr(ROLE_TITLE),
			  WIDGET_RIGHT, "last");
	if (p->probes.apisix_address != NULL)
		widget_text_align(w, 0, x + pw - 6, 6,
				  widget_attr(ROLE_SIDE_B), WIDGET_RIGHT,
				  "apisix");
	for (int i = 0; i < shown; i++)
		board_probe(u, w, 1 + i, x, pw, i);
}

const struct pane_ops pane_board_ops = {
	.name = "board",
	.min_h = 0,
	.dirty = SESSION_DIRTY_METRICS,
	.focusable = false,
	.draw = pane_board_draw,
};
