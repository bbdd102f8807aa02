/*
 * pane_pods — one row per pod group: ready against the minimum, restarts
 * (recent ones counted apart), the worst reason (CrashLoopBackOff, ...)
 * and the sidecar coverage.  A group whose list could not be fetched says
 * so; it is never shown as healthy.
 */
#include "config.h"

#include <stdio.h>

#include "pane.h"

static const struct table_col cols[] = {
	{ "group", 16, 1, WIDGET_LEFT },
	{ "ready", 16, 0, WIDGET_RIGHT },
	{ "restarts", 12, 0, WIDGET_RIGHT },
	{ "sidecar", 10, 0, WIDGET_RIGHT },
	{ "status", 20, 2, WIDGET_LEFT },
};

static const char *
cell(void *arg, int row, int col, enum role *role)
{
	struct ui *u = arg;
	const struct plan_pod_group *pg = &u->view.plan->groups[row];
	const struct group_health *g = &u->view.groups[row];
	static char buf[128];
	bool ok = group_health_ok(g, pg->sidecar_required);

	*role = ROLE_NORMAL;
	if (col == 0)
		return pg->name;
	if (g->state != SOURCE_OK) {
		*role = ROLE_STALE;
		if (col == 4)
			return g->state == SOURCE_ERROR ? g->error :
			       "unknown (no data)";
		return "?";
	}
	switch (col) {
	case 1:
		snprintf(buf, sizeof(buf), "%d/%d min %d", g->ready, g->total,
			 pg->min_ready);
		*role = g->ready < pg->min_ready ? ROLE_CRIT : ROLE_OK;
		return buf;
	case 2:
		snprintf(buf, sizeof(buf), "%lld (%d new)",
			 (long long)g->restarts, g->recent_restarts);
		*role = g->recent_restarts > 0 ? ROLE_WARN : ROLE_NORMAL;
		return buf;
	case 3:
		if (pg->side == SIDE_APISIX && !pg->sidecar_required)
			return "-";
		snprintf(buf, sizeof(buf), "%d/%d", g->sidecar_ready, g->total);
		if (pg->sidecar_required && g->sidecar_ready <
		    g->total - g->terminating)
			*role = ROLE_CRIT;
		return buf;
	default:
		if (g->worst_reason[0] != '\0') {
			*role = ok ? ROLE_WARN : ROLE_CRIT;
			return g->worst_reason;
		}
		*role = ok ? ROLE_OK : ROLE_CRIT;
		return ok ? "ok" : "below minimum";
	}
}

static void
pane_pods_init(struct ui *u)
{
	table_init(&u->pods, cols, (int)(sizeof(cols) / sizeof(cols[0])),
		   cell, u);
	u->pods.empty = "no pod groups in the plan";
	table_set_rows(&u->pods, u->view.plan->ngroups);
}

static void
pane_pods_draw(struct ui *u, WINDOW *w, int h, int width)
{
	u->pods.selectable = u->focus == PANE_PODS;
	table_draw(&u->pods, w, 0, 0, width, h);
	if (u->focus == PANE_PODS)
		widget_text(w, 0, 0, 5, ROLE_FOCUS, "group");
}

static int
pane_pods_key(struct ui *u, enum action a)
{
	switch (a) {
	case ACT_UP:
		table_scroll(&u->pods, -1);
		break;
	case ACT_DOWN:
		table_scroll(&u->pods, 1);
		break;
	case ACT_PAGE_UP:
		table_page(&u->pods, -1);
		break;
	case ACT_PAGE_DOWN:
		table_page(&u->pods, 1);
		break;
	default:
		return PANE_KEY_NOT_MINE;
	}
	return PANE_KEY_HANDLED | PANE_KEY_REDRAW;
}

const struct pane_ops pane_pods_ops = {
	.name = "pods",
	.min_h = 4,
	.dirty = SESSION_DIRTY_PODS | PANE_DIRTY_FOCUS,
	.focusable = true,
	.init = pane_pods_init,
	.draw = pane_pods_draw,
	.key = pane_pods_key,
};
