/*
 * pane_timeline — the stages in a row: done ones marked, the current one
 * highlighted, the rest dim.  "0%" is the start (all APISIX).
 */
#include "config.h"

#include <stdio.h>

#include "pane.h"

static void
pane_timeline_draw(struct ui *u, WINDOW *w, int h, int width)
{
	const struct plan *p = u->view.plan;
	const struct cutover_state *st = &u->view.state;
	bool ascii = widget_ascii();
	int x = 0;
	char buf[32];

	(void)h;
	widget_blank(w, 0, 0, width);
	x += widget_text(w, 0, x, width, ROLE_TITLE, "stages    ");
	for (int k = 0; k <= p->nstages && x < width; k++) {
		int istio = k == 0 ? 0 : p->stages[k - 1].istio;
		bool current = k == st->stage;
		bool done = k < st->stage;
		enum role r = current ? ROLE_FOCUS : done ? ROLE_OK : ROLE_DIM;

		if (k > 0)
			x += widget_text(w, 0, x, width - x, ROLE_DIM,
					 ascii ? " > " : " \u2192 ");
		if (st->phase == PHASE_SHIFTING && k == st->target)
			r = ROLE_WARN;
		snprintf(buf, sizeof(buf), "%s%d%%%s", current ? "[" : "",
			 istio, current ? "]" : done && k > 0 ?
			 (ascii ? "*" : "\u2713") : "");
		x += widget_text(w, 0, x, width - x, r, buf);
	}
	if (st->phase == PHASE_ROLLED_BACK && x < width - 16)
		widget_text(w, 0, x + 2, width - x - 2, ROLE_WARN,
			    "(rolled back)");
}

const struct pane_ops pane_timeline_ops = {
	.name = "timeline",
	.min_h = 1,
	.dirty = SESSION_DIRTY_STATE,
	.draw = pane_timeline_draw,
};
