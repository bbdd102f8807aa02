/*
 * session_view — the dashboard's read-only view of a session (see
 * session_view.h).  The only place that asks the sources and the driver
 * what the screen shows about them.
 */
#include "config.h"

#include "session_view.h"

#include <string.h>

#include "driver.h"
#include "kube.h"
#include "probe.h"

void
session_view_fill(struct session *s, struct session_view *v)
{
	const struct cutover_state *st = &s->rec.state;
	const char *why;

	if (s->remote != NULL) {
		session_remote_fill(s, v);
		return;
	}
	memset(v, 0, sizeof(*v));
	v->plan_name = s->plan->name;
	v->host = s->plan->host;
	v->context = s->kube != NULL ? kube_context(s->kube) : NULL;
	v->tls_unverified = s->kube != NULL && kube_insecure(s->kube);
	v->read_only = s->read_only;
	v->autopilot = s->opt.autopilot;
	v->holder = s->holder;
	v->pid = (long)s->actor.pid;
	v->driver_desc = s->driver_desc;
	v->source_note = s->source_note;
	v->save_error = s->save_error;
	v->last_failure = s->last_failure;
	v->apply_in_flight = s->rec.apply_in_flight;
	v->saved_wall_ms = s->rec.saved_wall_ms;
	v->applied_wall_ms = s->rec.applied_wall_ms;
	if (s->probes != NULL) {
		v->probe_istio_address = probe_address(s->probes, PROBE_ISTIO);
		v->probe_apisix_address = probe_address(s->probes,
							PROBE_APISIX);
		v->probe_address_error = probe_address_error(s->probes);
	}
	v->checklist_dir = s->cl.active ? s->cl.dir : "";

	v->state = *st;
	v->now_mono = clock_mono(s->clock);
	v->now_wall = clock_wall(s->clock);
	v->hold_left_ms = session_hold_left(s);
	v->busy = session_busy(s);
	v->reading_back = s->reading_back;
	v->drift = s->drift;
	v->drift_weights = s->drift_weights;

	v->have_read_back = s->rec.have_read_back;
	v->read_back = s->rec.read_back;
	v->read_back_wall_ms = s->rec.read_back_wall_ms;
	v->can_read_back = driver_present(&s->driver) &&
			   driver_can_read_back(&s->driver);
	/* What the last evaluation judged, beside its verdict. */
	v->judged_mono = s->seen_mono;
	v->have_measured = session_measured_split(s, s->seen_mono,
						  &v->measured_istio,
						  &v->measured_rps);
	v->split_mismatch = s->split_mismatch;
	v->verify = s->verify;
	v->verify_since_mono = s->verify_since_mono;
	v->verify_took_ms = s->verify_took_ms;
	v->verify_alarm = s->verify == VERIFY_LATE && !s->verify_acked;
	v->verify_why = s->verify_why;

	v->act[SESSION_VIEW_ADVANCE].allowed =
		session_can(s, EV_ADVANCE, false, &why);
	v->act[SESSION_VIEW_ADVANCE].why = why;
	v->act[SESSION_VIEW_FORCE].allowed =
		session_can(s, EV_ADVANCE, true, &why);
	v->act[SESSION_VIEW_FORCE].why = why;
	v->act[SESSION_VIEW_PAUSE].allowed =
		session_can(s, st->phase == PHASE_PAUSED ? EV_RESUME :
			    EV_PAUSE, false, &why);
	v->act[SESSION_VIEW_PAUSE].why = why;
	v->act[SESSION_VIEW_ROLLBACK].allowed =
		session_can(s, EV_ROLLBACK, false, &why);
	v->act[SESSION_VIEW_ROLLBACK].why = why;
	v->act[SESSION_VIEW_RETRY].allowed =
		session_can(s, EV_RETRY, false, &why);
	v->act[SESSION_VIEW_RETRY].why = why;

	v->plan = s->plan;
	v->metrics = &s->seen;
	v->gates = &s->gates;
	v->have_checklist = s->rec.state.phase == PHASE_ROLLED_BACK &&
			    session_checklist(s, v->checklist);
	v->preflight = s->rec.state.stage == 0 &&
		       s->rec.state.phase == PHASE_READY && s->pf.evaluated ?
		       &s->pf : NULL;
	v->groups = s->groups;
	v->log = &s->log;
	v->decision = s->decision;
	v->decision_wall_ms = s->decision_wall_ms;
	v->decision_level = s->decision_level;
}

unsigned
session_view_take_dirty(struct session *s)
{
	unsigned d = s->dirty;

	s->dirty = 0;
	return d;
}

bool
session_view_take_bell(struct session *s)
{
	bool b = s->bell;

	s->bell = false;
	return b;
}

void
session_view_on_change(struct session *s, void (*fn)(void *), void *arg)
{
	s->on_change = fn;
	s->on_change_arg = arg;
}
