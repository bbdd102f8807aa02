/*
 * pane_pods — one row per pod group: ready against the minimum, restarts
 * (recent ones counted apart), the worst reason (CrashLoopBackOff, ...),
 * terminating pods, and the sidecar coverage where the group requires
 * sidecars ("-" elsewhere: a gateway's or istiod's pods have none).  A
 * group whose list could not be fetched says so; it is never shown as
 * healthy.  Failing groups come first, then unknown ones; a pane too
 * short for every group says how many it hides, and scrolls (focused).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pane.h"

static const struct table_col cols[] = {
	{ "group", 16, 1, WIDGET_LEFT },
	{ "ready", 16, 0, WIDGET_RIGHT },
	{ "restarts", 12, 0, WIDGET_RIGHT },
	{ "sidecar", 10, 0, WIDGET_RIGHT },
	{ "status", 20, 2, WIDGET_LEFT },
};

/* 0: failing, 1: unknown, 2: healthy with a reason, 3: healthy. */
static int
pods_rank(const struct ui *u, int i)
{
	const struct plan_pod_group *pg = &u->view.plan->groups[i];
	const struct group_health *g = &u->view.groups[i];

	if (g->state == SOURCE_ERROR)
		return 0;
	if (g->state != SOURCE_OK)
		return 1;
	if (!group_health_ok(g, pg->sidecar_required))
		return 0;
	return g->worst_reason[0] != '\0' || g->terminating > 0 ? 2 : 3;
}

/* The groups in the order drawn: by rank, then as in the plan. */
static void
pods_order(struct ui *u)
{
	int n = u->view.plan->ngroups < UI_GROUPS_MAX ?
		u->view.plan->ngroups : UI_GROUPS_MAX;
	int k = 0;

	for (int r = 0; r <= 3; r++)
		for (int i = 0; i < n; i++)
			if (pods_rank(u, i) == r)
				u->pod_order[k++] = i;
}

static const char *
cell(void *arg, int row, int col, enum role *role)
{
	struct ui *u = arg;
	int gi = u->pod_order[row];
	const struct plan_pod_group *pg = &u->view.plan->groups[gi];
	const struct group_health *g = &u->view.groups[gi];
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
		if (!pg->sidecar_required)
			return "-";
		snprintf(buf, sizeof(buf), "%d/%d", g->sidecar_ready, g->total);
		if (pg->sidecar_required && g->sidecar_ready <
		    g->total - g->terminating)
			*role = ROLE_CRIT;
		return buf;
	default:
		if (g->worst_reason[0] != '\0')
			*role = ok ? ROLE_WARN : ROLE_CRIT;
		else
			*role = ok ? ROLE_OK : ROLE_CRIT;
		snprintf(buf, sizeof(buf), "%s", g->worst_reason[0] != '\0' ?
			 g->worst_reason : ok ? "ok" : "below minimum");
		if (g->terminating > 0) {
			size_t n = strlen(buf);

			snprintf(buf + n, sizeof(buf) - n, ", %d terminating",
				 g->terminating);
			if (*role == ROLE_OK)
				*role = ROLE_WARN;
		}
		return buf;
	}
}

static void
pane_pods_init(struct ui *u)
{
	table_init(&u->pods, cols, (int)(sizeof(cols) / sizeof(cols[0])),
		   cell, u);
	u->pods.empty = "no pod groups in the plan";
	table_set_rows(&u->pods, u->view.plan->ngroups < UI_GROUPS_MAX ?
		       u->view.plan->ngroups : UI_GROUPS_MAX);
}

static void
pane_pods_draw(struct ui *u, WINDOW *w, int h, int width)
{
	struct table *t = &u->pods;
	int shown;

	pods_order(u);
	t->selectable = u->focus == PANE_PODS;
	table_draw(t, w, 0, 0, width, h);
	if (u->focus == PANE_PODS)
		widget_text(w, 0, 0, 5, ROLE_FOCUS, "group");
	/* A pane too short for every group says how many it hides. */
	shown = t->nrows - t->top < t->page ? t->nrows - t->top : t->page;
	if (shown < t->nrows) {
		char buf[64];
		int hidden = t->nrows - shown;

		snprintf(buf, sizeof(buf), " +%d group%s (Tab, j/k) ", hidden,
			 hidden == 1 ? "" : "s");
		widget_text_align(w, 0, width - 24, 24, widget_attr(ROLE_WARN),
				  WIDGET_RIGHT, buf);
	}
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
