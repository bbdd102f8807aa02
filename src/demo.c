/*
 * demo — the simulated world behind `cutover --demo` (see demo.h).
 *
 * The front end applies weights after a short delay (the demo driver);
 * the share of requests that actually reaches Istio follows the applied
 * weight with a lag of a few seconds, as clients' DNS caches would.  The
 * Istio side turns bad some way into stage 3's hold and recovers once it
 * carries no traffic.  All numbers are computed from the loop's clock, so
 * a test with a fake clock sees the same world every time.
 */
#include "config.h"

#include "demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "xmalloc.h"

#define DEMO_TOTAL_RPS 240.0
#define DEMO_APPLY_MS 1500
#define DEMO_LAG_MS 4000.0	/* time constant of the effective share */
#define DEMO_SPIKE_STAGE 3
#define DEMO_SPIKE_AT 0.35	/* fraction of stage 3's hold */

struct demo {
	const struct plan *plan;
	struct loop *loop;
	struct weights applied;	/* what the simulated front end does */
	int stage;
	int64_t stage_since;	/* mono ms the current weights took effect */
	double share;		/* effective Istio share of requests, 0..1 */
	int64_t last_mono;
	uint32_t rng;
	/* the driver */
	struct loop_timer *timer;
	driver_cb cb;
	void *cb_arg;
	struct weights want;
	int want_stage;
	bool reading;
	/* queries a gate reads that demo_observe does not model */
	bool unmodelled[Q_COUNT];
	bool unmodelled_known;
};

void
demo_plan(struct plan *p, double speed)
{
	if (speed < 1)
		speed = 1;
	for (int i = 0; i < p->nstages; i++)
		p->stages[i].hold_ms = (int64_t)((double)p->stages[i].hold_ms /
						 speed);
	p->refresh_ms = 1000;
	p->gates.max_age_ms = 3000;
	p->gates.settle_ms = (int64_t)((double)p->gates.settle_ms / speed);
	/* Clients follow in seconds here; do not warn during that lag. */
	if (p->gates.settle_ms < 15000)
		p->gates.settle_ms = 15000;
	p->traffic.driver = DRIVER_DEMO;
}

struct demo *
demo_new(const struct plan *p, struct loop *l)
{
	struct demo *d = xcalloc(1, sizeof(*d));

	d->plan = p;
	d->loop = l;
	d->applied = cutover_stage_weights(p, 0);
	d->stage_since = loop_now(l);
	d->last_mono = loop_now(l);
	d->rng = 0x2545f491u;
	return d;
}

void
demo_free(struct demo *d)
{
	if (d == NULL)
		return;
	loop_timer_cancel(d->loop, d->timer);
	free(d);
}

struct weights
demo_weights(const struct demo *d)
{
	return d->applied;
}

/* xorshift: deterministic noise in [-1, 1]. */
static double
noise(struct demo *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 17;
	d->rng ^= d->rng << 5;
	return (double)(d->rng % 20001u) / 10000.0 - 1.0;
}

static bool
spiking(const struct demo *d, int64_t now)
{
	const struct plan_stage *st;

	if (d->stage != DEMO_SPIKE_STAGE || d->stage > d->plan->nstages)
		return false;
	st = &d->plan->stages[d->stage - 1];
	return now - d->stage_since >= (int64_t)(DEMO_SPIKE_AT *
						 (double)st->hold_ms);
}

static void
put(struct metrics *m, enum query_id id, double v, int64_t wall, int64_t mono)
{
	metrics_set(m, id, false, v, wall, mono);
	metrics_push_history(m, id, v);
}

/*
 * A value on the healthy side of gate g's limit, for a query the world
 * above does not model: a new gate (GATE_LIST) reads healthy in the demo
 * instead of holding every stage at no data.
 */
static double
demo_healthy(const struct gate_def *g, double limit)
{
	if (isnan(limit))
		return g->unit == GATE_UNIT_SHARE ? 1.0 : 0.0;
	if (g->dir == GATE_DIR_MAX)
		return limit / 2;
	if (g->unit == GATE_UNIT_SHARE || g->unit == GATE_UNIT_RATE)
		return (1.0 + limit) / 2;
	return limit * 2;
}

static void
demo_fill_unmodelled(struct demo *d, struct metrics *m, int64_t wall,
		     int64_t now)
{
	int stage = d->stage < 1 ? 1 : d->stage;
	const struct plan_stage *st;

	if (d->plan->nstages < 1)
		return;
	if (stage > d->plan->nstages)
		stage = d->plan->nstages;
	st = &d->plan->stages[stage - 1];
	for (int i = 0; i < GATE_COUNT; i++) {
		const struct gate_def *g = gate_def((enum gate_id)i);
		const int qs[2] = { g->query, g->baseline };

		for (int k = 0; k < 2; k++) {
			if (qs[k] < 0)
				continue;
			/* The first pass finds what the model left unset. */
			if (!d->unmodelled_known &&
			    m->q[qs[k]].state == SOURCE_UNKNOWN)
				d->unmodelled[qs[k]] = true;
			if (d->unmodelled[qs[k]])
				put(m, (enum query_id)qs[k],
				    demo_healthy(g, gate_limit(g, d->plan, st)),
				    wall, now);
		}
	}
	d->unmodelled_known = true;
}

/* The Grafana board's rows, derived without drawing noise: the demo's
 * random sequence (and so every demo screen) stays what it was. */
static void
demo_board(struct metrics *m, int64_t wall, int64_t now)
{
	double ip95 = m->q[Q_ISTIO_P95].value;
	double ap95 = m->q[Q_APISIX_P95].value;

	put(m, Q_ISTIO_P50, ip95 * 0.4, wall, now);
	put(m, Q_ISTIO_P99, ip95 * 1.7, wall, now);
	put(m, Q_APISIX_P50, ap95 * 0.45, wall, now);
	put(m, Q_APISIX_P99, ap95 * 1.6, wall, now);
	put(m, Q_ISTIO_CONNECTIONS, round(m->q[Q_ISTIO_RPS].value * 3), wall,
	    now);
	put(m, Q_APISIX_CONNECTIONS, round(m->q[Q_APISIX_RPS].value * 3), wall,
	    now);
}

/* A plan's probes answer in the demo as its traffic does: they fail
 * while the error spike lasts. */
static void
demo_probes(struct demo *d, struct metrics *m, int64_t now)
{
	double ms = m->q[Q_ISTIO_P50].value;
	bool ok = !spiking(d, now);

	for (int i = 0; i < d->plan->probes.n && i < PLAN_PROBES_MAX; i++) {
		metrics_probe_record(m, i, PROBE_ISTIO, ok, ok ? 200 : 503,
				     isnan(ms) ? 40 : ms, ok ? "" :
				     "HTTP 503, expected 200", now);
		if (d->plan->probes.apisix_address != NULL)
			metrics_probe_record(m, i, PROBE_APISIX, true, 200,
					     m->q[Q_APISIX_P50].value, "",
					     now);
	}
}

void
demo_observe(struct demo *d, struct metrics *m, struct group_health *groups)
{
	const struct clock *c = loop_clock(d->loop);
	int64_t now = clock_mono(c);
	int64_t wall = clock_wall(c);
	double target = d->applied.istio / 100.0;
	double dt = (double)(now - d->last_mono);
	double istio_rps;
	double apisix_rps;
	double istio_err;
	double apisix_err;
	double total;

	d->last_mono = now;
	/* Clients drift to the new weights as their caches expire. */
	d->share += (target - d->share) * (1.0 - exp(-dt / DEMO_LAG_MS));
	if (fabs(d->share - target) < 0.002)
		d->share = target;
	total = DEMO_TOTAL_RPS * (1.0 + 0.05 * noise(d));
	istio_rps = total * d->share;
	apisix_rps = total - istio_rps;
	apisix_err = 0.0006 + 0.0002 * noise(d);
	istio_err = 0.0004 + 0.0002 * noise(d);
	if (spiking(d, now))
		istio_err = 0.031 + 0.004 * noise(d);

	put(m, Q_ISTIO_RPS, istio_rps, wall, now);
	put(m, Q_APISIX_RPS, apisix_rps, wall, now);
	if (istio_rps > 0.01) {
		put(m, Q_ISTIO_ERROR_RATE, istio_err, wall, now);
		put(m, Q_ISTIO_AVAILABILITY, 1.0 - istio_err, wall, now);
		put(m, Q_ISTIO_P95, (spiking(d, now) ? 940 : 182) +
		    25 * noise(d), wall, now);
		put(m, Q_MTLS_COVERAGE, 0.995 + 0.004 * noise(d), wall, now);
	} else {
		/* No traffic: the queries answer NaN, as Prometheus would. */
		put(m, Q_ISTIO_ERROR_RATE, NAN, wall, now);
		put(m, Q_ISTIO_AVAILABILITY, NAN, wall, now);
		put(m, Q_ISTIO_P95, NAN, wall, now);
		put(m, Q_MTLS_COVERAGE, 0.995 + 0.004 * noise(d), wall, now);
	}
	if (apisix_rps > 0.01) {
		put(m, Q_APISIX_ERROR_RATE, apisix_err, wall, now);
		put(m, Q_APISIX_P95, 214 + 30 * noise(d), wall, now);
	} else {
		put(m, Q_APISIX_ERROR_RATE, NAN, wall, now);
		put(m, Q_APISIX_P95, NAN, wall, now);
	}
	demo_board(m, wall, now);
	demo_probes(d, m, now);
	demo_fill_unmodelled(d, m, wall, now);

	for (int i = 0; i < d->plan->ngroups; i++) {
		struct group_health *g = &groups[i];
		const struct plan_pod_group *pg = &d->plan->groups[i];
		int n = pg->side == SIDE_NONE ? 6 : pg->min_ready > 3 ?
			pg->min_ready : 3;

		g->state = SOURCE_OK;
		g->error[0] = '\0';
		g->fetched_mono_ms = now;
		g->total = n;
		g->ready = n;
		g->min_ready = pg->min_ready;
		/* A restart count only grows: the spike's restarts stay
		 * counted after the rollback; only the recent ones go. */
		g->recent_restarts = pg->side == SIDE_ISTIO &&
				     spiking(d, now) ? 2 : 0;
		if (g->recent_restarts > g->restarts)
			g->restarts = g->recent_restarts;
		g->with_sidecar = pg->side == SIDE_APISIX ? 0 : n;
		g->sidecar_ready = g->with_sidecar;
		snprintf(g->worst_reason, sizeof(g->worst_reason), "%s",
			 g->recent_restarts > 0 ? "OOMKilled" : "");
	}
	m->last_refresh_mono_ms = now;
}

/* --- the demo driver ----------------------------------------------------- */

static void
demo_finish(void *arg)
{
	struct demo *d = arg;
	struct driver_result r = { .ok = true, .have_weights = true };
	driver_cb cb = d->cb;

	d->timer = NULL;
	d->cb = NULL;
	if (!d->reading) {
		d->applied = d->want;
		d->stage = d->want_stage;
		d->stage_since = loop_now(d->loop);
		snprintf(r.message, sizeof(r.message), "simulated front end "
			 "updated");
	}
	r.weights = d->applied;
	if (cb != NULL)
		cb(&r, d->cb_arg);
}

static int
demo_drv_init(struct driver *drv, struct err *e)
{
	(void)drv;
	(void)e;
	return 0;
}

static void
demo_drv_done(struct driver *drv)
{
	(void)drv;
}

static int
demo_drv_apply(struct driver *drv, struct weights w, int stage, driver_cb cb,
	       void *arg, struct err *e)
{
	struct demo *d = drv->priv;

	if (d->timer != NULL)
		return err_set(e, "demo driver: a step is already running");
	d->want = w;
	d->want_stage = stage;
	d->reading = false;
	d->cb = cb;
	d->cb_arg = arg;
	driver_log(drv, "demo: setting weights istio=%d apisix=%d", w.istio,
		   w.apisix);
	d->timer = loop_timer_at(d->loop, loop_now(d->loop) + DEMO_APPLY_MS,
				 demo_finish, d);
	return 0;
}

static int
demo_drv_read_back(struct driver *drv, driver_cb cb, void *arg,
		   struct err *e)
{
	struct demo *d = drv->priv;

	if (d->timer != NULL)
		return err_set(e, "demo driver: a step is already running");
	d->reading = true;
	d->cb = cb;
	d->cb_arg = arg;
	d->timer = loop_timer_at(d->loop, loop_now(d->loop) + 100,
				 demo_finish, d);
	return 0;
}

static void
demo_drv_cancel(struct driver *drv)
{
	struct demo *d = drv->priv;

	loop_timer_cancel(d->loop, d->timer);
	d->timer = NULL;
	d->cb = NULL;
}

static void
demo_drv_describe(const struct driver *drv, char *buf, size_t len)
{
	(void)drv;
	snprintf(buf, len, "demo: simulated front end (no real traffic)");
}

const struct driver_ops demo_driver = {
	.name = "demo",
	.init = demo_drv_init,
	.done = demo_drv_done,
	.apply = demo_drv_apply,
	.read_back = demo_drv_read_back,
	.cancel = demo_drv_cancel,
	.describe = demo_drv_describe,
};

void
demo_attach_driver(struct demo *d, struct driver *drv)
{
	memset(drv, 0, sizeof(*drv));
	drv->ops = &demo_driver;
	drv->priv = d;
}
