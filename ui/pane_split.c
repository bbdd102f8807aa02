/*
 * pane_split — three rows of the traffic split: the weights cutover
 * applied, the weights the driver reads back, and the split measured from
 * the two gateways' request rates.  A DNS change that has not reached the
 * clients shows as applied 50% next to measured 12%.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

#include "pane.h"
#include "splitbar.h"

static void
row_role(WINDOW *w, int y, int width, const char *title, bool known,
	 double istio, const char *note, enum role nr)
{
	struct splitbar b = { .unknown = !known };
	char la[32];
	char lb[32];
	int bar;

	widget_blank(w, y, 0, width);
	widget_text(w, y, 0, 10, ROLE_TITLE, title);
	if (known) {
		snprintf(la, sizeof(la), "istio %5.1f%%", istio);
		snprintf(lb, sizeof(lb), "%5.1f%% apisix", 100.0 - istio);
	} else {
		snprintf(la, sizeof(la), "istio    ?  ");
		snprintf(lb, sizeof(lb), "  ?    apisix");
	}
	b.a = known ? istio : 0;
	b.b = known ? 100.0 - istio : 0;
	b.label_a = la;
	b.label_b = lb;
	bar = width - 10 - 24;
	splitbar_draw(w, y, 10, bar, &b);
	widget_blank(w, y, width - 24, 24);
	if (note != NULL)
		widget_text(w, y, width - 23, 23, nr, note);
}

static void
row(WINDOW *w, int y, int width, const char *title, bool known, double istio,
    const char *note)
{
	row_role(w, y, width, title, known, istio, note,
		 known ? ROLE_DIM : ROLE_STALE);
}

static void
pane_split_draw(struct ui *u, WINDOW *w, int h, int width)
{
	const struct session_view *v = &u->view;
	const struct cutover_state *st = &v->state;
	int64_t now = v->now_mono;
	char note[64];
	double pct = v->measured_istio;
	double total = v->measured_rps;

	(void)h;
	if (st->phase == PHASE_SHIFTING || st->phase == PHASE_ROLLING_BACK) {
		snprintf(note, sizeof(note), "-> %d%% in flight",
			 st->pending.istio);
		row(w, 0, width, "applied", true, st->applied.istio, note);
	} else {
		row(w, 0, width, "applied", !st->uncertain, st->applied.istio,
		    st->uncertain ? "uncertain: driver failed" : NULL);
	}
	if (v->have_read_back) {
		time_t t = (time_t)(v->read_back_wall_ms / 1000);
		struct tm tm;

		/* When it was read, not how long ago: no redraw every second. */
		gmtime_r(&t, &tm);
		snprintf(note, sizeof(note), "read %02d:%02d:%02dZ", tm.tm_hour,
			 tm.tm_min, tm.tm_sec);
		row(w, 1, width, "read back", true, v->read_back.istio,
		    note);
	} else {
		row(w, 1, width, "read back", false, 0,
		    v->can_read_back ? "not read yet" :
		    "driver cannot read back");
	}
	if (!v->have_measured) {
		row(w, 2, width, "measured", false, 0, "no data (rates)");
		return;
	}
	switch (v->verify) {
	case VERIFY_WATCHING:
		snprintf(note, sizeof(note), "verifying rollback %llds",
			 (long long)((now - v->verify_since_mono) / 1000));
		row_role(w, 2, width, "measured", true, pct,
			 note, ROLE_WARN);
		return;
	case VERIFY_DONE:
		snprintf(note, sizeof(note), "rollback verified %llds",
			 (long long)(v->verify_took_ms / 1000));
		row_role(w, 2, width, "measured", true, pct,
			 note, ROLE_OK);
		return;
	case VERIFY_LATE:
		snprintf(note, sizeof(note), "STILL on Istio %lldm",
			 (long long)((now - v->verify_since_mono) / 60000));
		row_role(w, 2, width, "measured", true, pct,
			 note, ROLE_CRIT);
		return;
	case VERIFY_NONE:
		break;
	}
	if (v->split_mismatch) {
		row_role(w, 2, width, "measured", true, pct,
			 "differs from applied!", ROLE_CRIT);
		return;
	}
	snprintf(note, sizeof(note), "%.1f req/s in all", total);
	row(w, 2, width, "measured", true, pct, note);
}

const struct pane_ops pane_split_ops = {
	.name = "split",
	.min_h = 3,
	.dirty = SESSION_DIRTY_STATE | SESSION_DIRTY_METRICS,
	.draw = pane_split_draw,
};
