/*
 * scenario_live — whole sessions against a real Prometheus.
 *
 * One OpenMetrics file holds W_COUNT windows of one hour each (Istio
 * gateway and APISIX counters every 15 s); each scenario reads its own
 * window, whose error rate, traffic or gaps change at known steps (see
 * windows[]).  A struct session runs on a fake clock whose wall time sits
 * inside that window, with the plan's default queries, an exec driver
 * (two /bin/sh scripts recording their arguments) and no pod groups.
 *
 * Time: the session's refresh timer fires every 15 s of fake time and
 * asks; the round is judged when its answers are in, so evaluation n
 * judges the query at sample K0 + n of the window (each query 8 s after
 * a sample: the 1m range holds exactly 4 samples, and a ratio of two
 * rates is the ratio of the counters' increases).  The clock
 * moves one tick (1 s) at a time; while requests or a driver child are in
 * flight the loop waits on real I/O with the clock standing still.
 *
 * Expected values are computed from the same model that wrote the data
 * (expect_at), never typed in; a few hand-derived numbers are cross-checked
 * against it (e.g. the breach starts at evaluation 4).
 *
 * Skipped when prometheus/promtool are missing (promtest.c).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "clock.h"
#include "cutover.h"
#include "drivers/driver_exec.h"
#include "gate.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "proc.h"
#include "prom.h"
#include "promtest.h"
#include "session.h"
#include "session_view.h"
#include "xmalloc.h"

#define STEP_S 15
#define WIN_STEPS 240		/* one hour of samples per window */
#define K0 60			/* sample of the session's first query */
#define QUERY_OFF_S 8		/* queries 8 s after a sample */
#define TICK_MS 1000
#define REFRESH_MS 15000
#define SETTLE_TURNS 400	/* x 50 ms of real waiting at most */

/* Counter bases: large, so rate() never clips at the counter's zero. */
#define ISTIO_BASE 1e6
#define ISTIO_ERR_BASE 1e5
#define APISIX_BASE 5e6
#define APISIX_ERR_BASE 1e5

#define GW_LABELS "reporter=\"source\"," \
	"source_workload=\"istio-ingressgateway\"," \
	"source_workload_namespace=\"istio-system\"," \
	"destination_service_name=\"web\""

enum win {
	W_BREACH,
	W_FLAP,
	W_GAP,
	W_QUIET,
	W_DOWN,
	W_DELTA,
	W_VERIFY_OK,
	W_VERIFY_LATE,
	W_COUNT
};

#define NSAMPLES (W_COUNT * WIN_STEPS)

/* From step `from` (in its window) on, per 15 s step: */
struct seg {
	int from;
	double itot;		/* Istio gateway requests */
	double ierr;		/* of which 5xx */
	double atot;		/* APISIX requests */
	double aerr;		/* of which 5xx */
	bool gap;		/* Istio's samples are absent */
	bool flap;		/* Istio's 5xx only on even steps */
};

#define SEGS_MAX 4
#define OK(from) { from, 150, 0.75, 1350, 0, false, false }	/* 0.5% */

static const struct seg windows[W_COUNT][SEGS_MAX] = {
	/* 0.5% errors, then 5% from step K0 + 4 */
	[W_BREACH] = { OK(0), { K0 + 4, 150, 7.5, 1350, 0, false, false } },
	/* from K0 + 3: 2% on even steps, none on odd ones; a 1m window
	 * holds two bad steps (1.33%) or one (0.67%), alternately */
	[W_FLAP] = { OK(0), { K0 + 3, 150, 3, 1350, 0, false, true } },
	/* Istio's series absent for 10 minutes from step K0 + 8 */
	[W_GAP] = { OK(0), { K0 + 8, 150, 0.75, 1350, 0, true, false },
		    OK(K0 + 48) },
	/* 1 request per step (0.067 req/s) for 10 minutes */
	[W_QUIET] = { OK(0), { K0 + 8, 1, 0, 1350, 0, false, false },
		      OK(K0 + 48) },
	[W_DOWN] = { OK(0) },
	/* APISIX at 0.33%; Istio 0.5%, then 0.83% (under the 1% limit,
	 * but 0.5 points worse than APISIX) from K0 + 4 */
	[W_DELTA] = { { 0, 150, 0.75, 1350, 4.5, false, false },
		      { K0 + 4, 150, 1.25, 1350, 4.5, false, false } },
	/* Istio's traffic drains: 2 req/s from K0 + 4, none from K0 + 8 */
	[W_VERIFY_OK] = { OK(0), { K0 + 4, 30, 0, 1350, 0, false, false },
			  { K0 + 8, 0, 0, 1350, 0, false, false } },
	[W_VERIFY_LATE] = { OK(0) },
};

/* The counters at every sample, and whether Istio's were written. */
static double c_itot[NSAMPLES], c_ierr[NSAMPLES];
static double c_atot[NSAMPLES], c_aerr[NSAMPLES];
static bool i_present[NSAMPLES];
static int64_t base_s;		/* time of sample 0 */

static struct promtest pt = { .server = -1 };

/* ------------------------------------------------------------ the model */

static const struct seg *
seg_of(int sample)
{
	const struct seg *segs = windows[sample / WIN_STEPS];
	int r = sample % WIN_STEPS;
	const struct seg *s = &segs[0];

	/* segments after the first start later; {0} ends the list */
	for (int i = 1; i < SEGS_MAX && segs[i].from > 0; i++)
		if (segs[i].from <= r)
			s = &segs[i];
	return s;
}

static void
model_build(void)
{
	c_itot[0] = ISTIO_BASE;
	c_ierr[0] = ISTIO_ERR_BASE;
	c_atot[0] = APISIX_BASE;
	c_aerr[0] = APISIX_ERR_BASE;
	i_present[0] = true;
	for (int i = 1; i < NSAMPLES; i++) {
		const struct seg *s = seg_of(i);
		double ierr = s->flap && i % 2 != 0 ? 0 : s->ierr;

		c_itot[i] = c_itot[i - 1] + s->itot;
		c_ierr[i] = c_ierr[i - 1] + ierr;
		c_atot[i] = c_atot[i - 1] + s->atot;
		c_aerr[i] = c_aerr[i - 1] + s->aerr;
		i_present[i] = !s->gap;
	}
}

static void
om_series(FILE *f, const char *name, const char *labels, const double *c,
	  const double *minus, bool istio)
{
	for (int i = 0; i < NSAMPLES; i++)
		if (!istio || i_present[i])
			fprintf(f, "%s{%s} %.17g %lld\n", name, labels,
				c[i] - (minus != NULL ? minus[i] : 0),
				(long long)(base_s + (int64_t)i * STEP_S));
}

static void
write_openmetrics(FILE *f, void *arg)
{
	(void)arg;
	fprintf(f, "# TYPE istio_requests counter\n");
	om_series(f, "istio_requests_total", GW_LABELS ",response_code=\"200\"",
		  c_itot, c_ierr, true);
	om_series(f, "istio_requests_total", GW_LABELS ",response_code=\"503\"",
		  c_ierr, NULL, true);
	fprintf(f, "# TYPE apisix_http_status unknown\n");
	om_series(f, "apisix_http_status", "code=\"200\",route=\"web\"", c_atot,
		  c_aerr, false);
	om_series(f, "apisix_http_status", "code=\"502\",route=\"web\"", c_aerr,
		  NULL, false);
	/* APISIX's latency, for the preflight's "every APISIX query has
	 * data": half the requests under 100 ms, all under 200 ms. */
	fprintf(f, "# TYPE apisix_http_latency_bucket unknown\n");
	for (int i = 0; i < NSAMPLES; i++) {
		static const char *const le[] = { "100", "200", "+Inf" };
		static const double share[] = { 0.5, 1, 1 };

		for (int b = 0; b < 3; b++)
			fprintf(f, "apisix_http_latency_bucket{type=\"request\","
				"le=\"%s\"} %.17g %lld\n", le[b],
				c_atot[i] * share[b],
				(long long)(base_s + (int64_t)i * STEP_S));
	}
}

/* What the gates should see for the query 8 s after sample k. */
struct expect {
	bool irps_have;		/* >= 2 Istio samples in the window */
	bool exact;		/* all 4: rps is the plain increase / 45 s */
	double irps;
	bool ierr_have;		/* and traffic in it */
	double ierr;
	double iavail;
	double aerr;
	enum verdict verdict;
	enum gate_id decided_by;
};

static void
expect_at(int k, const struct plan_stage *st, double min_rate,
	  struct expect *x)
{
	int first = -1, last = -1, n = 0;
	double dtot, derr;
	bool nd = false, fail = false;

	memset(x, 0, sizeof(*x));
	for (int i = k - 3; i <= k; i++) {
		if (!i_present[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		n++;
	}
	x->aerr = (c_aerr[k] - c_aerr[k - 3]) / (c_atot[k] - c_atot[k - 3]);
	x->irps_have = n >= 2;
	x->exact = n == 4;
	if (x->irps_have) {
		dtot = c_itot[last] - c_itot[first];
		derr = c_ierr[last] - c_ierr[first];
		x->irps = dtot / ((last - first) * STEP_S);
		x->ierr_have = dtot > 0;
		if (x->ierr_have) {
			x->ierr = derr / dtot;
			x->iavail = (dtot - derr) / dtot;
		}
	}
	/* the gates' rules, in gate order; fail wins unless quiet */
	x->verdict = VERDICT_PASS;
	if (!x->irps_have || x->irps < min_rate) {
		nd = true;
		x->decided_by = G_TRAFFIC;
	}
	if (!x->ierr_have) {
		nd = true;
	} else if (x->ierr > st->max_error_rate) {
		fail = true;
		x->decided_by = G_ERROR_RATE;
	} else if (!isnan(st->min_availability) &&
		   x->iavail < st->min_availability) {
		fail = true;
		x->decided_by = G_AVAILABILITY;
	} else if (!isnan(st->max_error_delta) &&
		   x->ierr - x->aerr > st->max_error_delta) {
		fail = true;
		x->decided_by = G_ERROR_DELTA;
	}
	if (fail && !(!x->irps_have || x->irps < min_rate))
		x->verdict = VERDICT_FAIL;
	else if (nd || fail)
		x->verdict = VERDICT_NO_DATA;
	if (x->verdict == VERDICT_NO_DATA)
		x->decided_by = G_TRAFFIC;
}

static void
assert_rel(double got, double want, const char *what)
{
	double tol = want == 0 ? 1e-12 : fabs(want) * 1e-9;

	cr_assert(fabs(got - want) <= tol, "%s: got %.17g, want %.17g", what,
		  got, want);
}

/* ---------------------------------------------------------- the server */

static void
start_server(void)
{
	int64_t now;

	promtest_require();
	now = time(NULL);
	base_s = now - now % STEP_S - (int64_t)(NSAMPLES - 1) * STEP_S;
	model_build();
	promtest_start(&pt, write_openmetrics, NULL);
}

static void
stop_server(void)
{
	promtest_stop(&pt);
}

TestSuite(scenario, .init = start_server, .fini = stop_server,
	  .timeout = 120);

/* --------------------------------------------------------- the session */

struct scen {
	enum win w;
	struct plan plan;
	struct clock_fake clk;
	struct loop *loop;
	struct session s;
	bool open;
	bool check;		/* compare each evaluation with the model */
	int n;			/* evaluations so far */
	enum phase phase_at_eval;	/* right after the last evaluation */
	bool busy_at_eval;
	struct expect x;	/* the model for the last evaluation */
};

static void
write_script(const char *name, const char *body)
{
	char *path = promtest_path(&pt, name);
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fprintf(f, "#!/bin/sh\n%s", body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, 0755), 0);
	free(path);
}

static void
set_argv(struct plan_argv *a, const char *const *words)
{
	int n = 0;

	while (words[n] != NULL)
		n++;
	a->argv = xcalloc((size_t)n + 1, sizeof(*a->argv));
	for (int i = 0; i < n; i++)
		a->argv[i] = xstrdup(words[i]);
	a->argc = n;
}

/* The plan of every scenario: stage 1 gates error rate (1%) and
 * availability (90%) only; refresh 15 s; 3 failures roll back. */
static void
scen_plan(struct scen *sc, enum win w)
{
	struct plan *p = &sc->plan;
	char *set, *get, *out;

	memset(sc, 0, sizeof(*sc));
	sc->w = w;
	sc->check = true;
	plan_defaults(p);
	free(p->prometheus.url);
	p->prometheus.url = promtest_url(&pt);
	p->prometheus.timeout_ms = 5000;
	p->refresh_ms = REFRESH_MS;
	p->gates.max_age_given = false;
	for (int i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		free(p->groups[i].namespace);
		free(p->groups[i].selector);
	}
	p->ngroups = 0;		/* pods are no gate here */
	for (int i = 0; i < p->nstages; i++) {
		p->stages[i].max_p95_ms = NAN;
		p->stages[i].min_availability = 0.90;
	}
	cr_assert_eq(p->rollback.consecutive, 3);
	free(p->state_file);
	free(p->audit_log);
	p->state_file = promtest_path(&pt, "state.json");
	p->audit_log = promtest_path(&pt, "audit.jsonl");
	p->state_file_given = p->audit_log_given = true;

	out = promtest_path(&pt, "argv");
	set = xasprintf("echo \"set $*\" >> '%s'\n"
			"echo \"istio=$1 apisix=$2\" > '%s/weights'\n", out,
			pt.dir);
	get = xasprintf("echo get >> '%s'\ncat '%s/weights'\n", out, pt.dir);
	write_script("set.sh", set);
	write_script("get.sh", get);
	free(set);
	free(get);
	free(out);
	{
		char *w0 = promtest_path(&pt, "weights");
		FILE *f = fopen(w0, "w");

		cr_assert_not_null(f);
		fprintf(f, "istio=0 apisix=100\n");
		cr_assert_eq(fclose(f), 0);
		free(w0);
	}
	plan_traffic_use(p, DRIVER_EXEC);
	driver_exec_settings(p)->timeout_ms = 10000;
	{
		char *sp = promtest_path(&pt, "set.sh");
		char *gp = promtest_path(&pt, "get.sh");
		const char *sw[] = { sp, "{istio}", "{apisix}", "{stage}",
				     NULL };
		const char *gw[] = { gp, NULL };

		set_argv(&driver_exec_settings(p)->set, sw);
		set_argv(&driver_exec_settings(p)->get, gw);
		free(sp);
		free(gp);
	}
}

/* Run the loop until no request and no driver step is in flight. */
static void
scen_settle(struct scen *sc)
{
	int i;

	for (i = 0; i < SETTLE_TURNS && (prom_busy(sc->s.prom) ||
					 session_busy(&sc->s)); i++) {
		loop_run_once(sc->loop, 50);
		proc_sigchld(sc->loop);	/* the test owns the loop */
	}
	cr_assert_not(prom_busy(sc->s.prom), "prometheus did not answer");
	cr_assert_not(session_busy(&sc->s), "the driver did not finish");
}

/* Wall ms of the query 8 s after sample k of the scenario's window. */
static int64_t
query_wall_ms(const struct scen *sc, int k)
{
	return (base_s + (int64_t)(sc->w * WIN_STEPS + k) * STEP_S +
		QUERY_OFF_S) * 1000;
}

/* Open and start the session: refresh 0 fetches sample K0. */
static void
scen_start(struct scen *sc)
{
	struct session_options opt = { 0 };
	struct err e;

	err_clear(&e);
	cr_assert_eq(plan_finish(&sc->plan, &e), 0, "%s", e.msg);
	cr_assert_eq(sc->plan.gates.max_age_ms, 2 * REFRESH_MS);
	clock_fake_init(&sc->clk, 1000000, query_wall_ms(sc, K0));
	sc->loop = loop_new(&sc->clk.clock);
	cr_assert_not_null(sc->loop);
	cr_assert_eq(session_open(&sc->s, &sc->plan, &sc->clk.clock, sc->loop,
				  &opt, false, &e), 0, "%s", e.msg);
	sc->open = true;
	cr_assert_not_null(sc->s.prom, "%s", sc->s.source_note);
	session_start(&sc->s, true);
	loop_run_once(sc->loop, 0);	/* refresh 0: fetch, no evaluation */
	scen_settle(sc);
	cr_assert_eq(sc->s.metrics.last_refresh_mono_ms, sc->clk.mono);
	cr_assert_eq(sc->s.rec.state.phase, PHASE_READY);
}

static void
scen_done(struct scen *sc)
{
	if (sc->open)
		session_close(&sc->s);
	if (sc->loop != NULL)
		loop_free(sc->loop);
	plan_done(&sc->plan);
}

/* Stage 1 by the operator's key; the driver applies 10/90. */
static void
scen_advance(struct scen *sc)
{
	const char *why = NULL;

	cr_assert_eq(session_act(&sc->s, EV_ADVANCE, false, "test", &why), 0,
		     "%s", why);
	/* A live session reads the weights back first (drift), then shifts. */
	cr_assert(sc->s.rec.state.phase == PHASE_SHIFTING || sc->s.checking);
	scen_settle(sc);
	cr_assert_eq(sc->s.rec.state.phase, PHASE_HOLDING, "%s",
		     cutover_phase_name(sc->s.rec.state.phase));
	cr_assert_eq(sc->s.rec.state.stage, 1);
	cr_assert_eq(sc->s.rec.state.applied.istio, 10);
	cr_assert_eq(sc->s.rec.state.applied.apisix, 90);
}

/*
 * Let 15 s pass tick by tick; the last tick fires the refresh, which
 * asks for sample K0 + n; its answers in, the round is judged on them.
 * Checks the verdict and values against the model.
 */
static void
scen_eval(struct scen *sc)
{
	const struct gate_result *g = &sc->s.gates;
	const struct plan_stage *st = &sc->plan.stages[0];
	int64_t judged = sc->s.seen_mono;
	int k;

	for (int t = 0; t < REFRESH_MS / TICK_MS; t++) {
		clock_fake_advance(&sc->clk, TICK_MS);
		loop_run_once(sc->loop, 0);
		proc_sigchld(sc->loop);
	}
	sc->n++;
	/* The answers in, the round is judged: what it set off is seen
	 * before the driver's child has answered. */
	for (int i = 0; i < SETTLE_TURNS && prom_busy(sc->s.prom); i++)
		loop_run_once(sc->loop, 50);
	cr_assert_not(prom_busy(sc->s.prom), "prometheus did not answer");
	cr_assert_eq(sc->s.seen_mono, sc->clk.mono, "refresh %d was not "
		     "judged when its answers came (last judged %lld)", sc->n,
		     (long long)judged);
	sc->phase_at_eval = sc->s.rec.state.phase;
	sc->busy_at_eval = session_busy(&sc->s);
	scen_settle(sc);
	cr_assert_eq(sc->s.metrics.last_refresh_mono_ms, sc->clk.mono,
		     "refresh %d did not run", sc->n);
	k = K0 + sc->n;
	expect_at(sc->w * WIN_STEPS + k, st, sc->plan.gates.min_request_rate,
		  &sc->x);
	if (!sc->check || g->stage != 1)
		return;
	cr_assert_eq(g->verdict, sc->x.verdict,
		     "evaluation %d (sample %d): verdict %s, model %s", sc->n,
		     k, cutover_verdict_name(g->verdict),
		     cutover_verdict_name(sc->x.verdict));
	if (g->verdict != VERDICT_PASS)
		cr_assert_eq(g->decided_by, sc->x.decided_by,
			     "evaluation %d: decided by %s, model %s", sc->n,
			     gate_name(g->decided_by),
			     gate_name(sc->x.decided_by));
	if (sc->x.exact)
		assert_rel(g->g[G_TRAFFIC].value, sc->x.irps, "istio rps");
	if (sc->x.ierr_have) {
		struct session_view v;
		double shown;

		/* The screen draws the values this verdict was reached on,
		 * not the answers fetched since (one refresh newer). */
		session_view_fill(&sc->s, &v);
		cr_assert(metrics_value(v.metrics, &sc->plan,
					Q_ISTIO_ERROR_RATE, v.judged_mono,
					sc->plan.gates.max_age_ms, &shown));
		cr_assert_eq(shown, g->g[G_ERROR_RATE].value, "evaluation %d: "
			     "shown %.17g, judged %.17g", sc->n, shown,
			     g->g[G_ERROR_RATE].value);
		cr_assert(v.gates == g);
		assert_rel(g->g[G_ERROR_RATE].value, sc->x.ierr, "error rate");
		assert_rel(g->g[G_AVAILABILITY].value, sc->x.iavail,
			   "availability");
		if (!isnan(st->max_error_delta))
			cr_assert(fabs(g->g[G_ERROR_DELTA].value -
				       (sc->x.ierr - sc->x.aerr)) < 1e-12,
				  "delta %.17g", g->g[G_ERROR_DELTA].value);
	}
}

/* ------------------------------------------------------- the artefacts */

/* The `set` lines the driver script recorded, "set 10 90 1\n...". */
static char *
set_calls(void)
{
	char *path = promtest_path(&pt, "argv");
	FILE *f = fopen(path, "r");
	char line[256];
	size_t len = 0;
	char *out = xcalloc(1, 4096);

	free(path);
	if (f == NULL)
		return out;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "set ", 4) == 0 &&
		    len + strlen(line) < 4096) {
			memcpy(out + len, line, strlen(line) + 1);
			len += strlen(line);
		}
	fclose(f);
	return out;
}

static void
assert_set_calls(const char *want)
{
	char *got = set_calls();

	cr_assert_str_eq(got, want);
	free(got);
}

/* The audit log as an array of objects (new reference). */
static json_t *
audit_lines(void)
{
	char *path = promtest_path(&pt, "audit.jsonl");
	FILE *f = fopen(path, "r");
	json_t *all = json_array();
	char *line = NULL;
	size_t cap = 0;

	cr_assert_not_null(f, "%s", path);
	free(path);
	while (getline(&line, &cap, f) > 0) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);

		cr_assert_not_null(j, "audit line not JSON: %s", je.text);
		json_array_append_new(all, j);
	}
	free(line);
	fclose(f);
	return all;
}

static int
audit_count(const char *action)
{
	json_t *all = audit_lines();
	size_t i;
	json_t *j;
	int n = 0;

	json_array_foreach(all, i, j)
		if (strcmp(json_string_value(json_object_get(j, "action")),
			   action) == 0)
			n++;
	json_decref(all);
	return n;
}

/* The last line with `action` (new reference), or fail. */
static json_t *
audit_last(const char *action)
{
	json_t *all = audit_lines();
	json_t *found = NULL;
	size_t i;
	json_t *j;

	json_array_foreach(all, i, j)
		if (strcmp(json_string_value(json_object_get(j, "action")),
			   action) == 0)
			found = j;
	cr_assert_not_null(found, "no \"%s\" line in the audit log", action);
	json_incref(found);
	json_decref(all);
	return found;
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* The member at a dotted path ("metrics.gates.error_rate.value"). */
static json_t *
jget(json_t *o, const char *path)
{
	char buf[128], *save = NULL, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key != NULL && o != NULL;
	     key = strtok_r(NULL, ".", &save))
		o = json_object_get(o, key);
	return o;
}

static double
jnum(json_t *o, const char *path)
{
	json_t *v = jget(o, path);

	cr_assert(json_is_number(v), "%s is not a number", path);
	return json_number_value(v);
}

/* -------------------------------------------------------- the scenarios */

Test(scenario, breach_rolls_back_after_three_failures)
{
	struct scen sc;
	json_t *a;
	double want;

	scen_plan(&sc, W_BREACH);
	scen_start(&sc);
	scen_advance(&sc);
	do {
		scen_eval(&sc);
		if (sc.x.verdict == VERDICT_PASS)
			cr_assert_eq(sc.s.rec.state.phase, PHASE_HOLDING);
	} while (sc.x.verdict == VERDICT_PASS && sc.n < 20);
	/* the first bad step (K0 + 4) enters the query at sample K0 + 4,
	 * which the fourth refresh asks for and is judged on */
	cr_assert_eq(sc.n, 4, "first failing evaluation %d", sc.n);

	/* failure 1 and 2: breach, no apply */
	cr_assert_eq(sc.x.verdict, VERDICT_FAIL);
	cr_assert_eq(sc.phase_at_eval, PHASE_BREACH);
	cr_assert_eq(sc.s.rec.state.breaches, 1);
	cr_assert_not(sc.busy_at_eval);
	assert_set_calls("set 10 90 1\n");
	scen_eval(&sc);
	cr_assert_eq(sc.x.verdict, VERDICT_FAIL);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_BREACH);
	cr_assert_eq(sc.s.rec.state.breaches, 2);
	cr_assert_not(sc.busy_at_eval);
	assert_set_calls("set 10 90 1\n");
	cr_assert_eq(audit_count("auto_rollback"), 0);

	/* failure 3: the rollback starts at once and completes */
	scen_eval(&sc);
	cr_assert_eq(sc.x.verdict, VERDICT_FAIL);
	want = sc.x.ierr;
	cr_assert_eq(sc.phase_at_eval, PHASE_ROLLING_BACK);
	cr_assert(sc.busy_at_eval);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_ROLLED_BACK);
	cr_assert_eq(sc.s.rec.state.stage, 0);
	cr_assert_eq(sc.s.rec.state.applied.istio, 0);
	cr_assert_eq(sc.s.rec.state.applied.apisix, 100);
	assert_set_calls("set 10 90 1\nset 0 100 0\n");

	cr_assert_eq(audit_count("auto_rollback"), 1);
	a = audit_last("auto_rollback");
	cr_assert_str_eq(jstr(a, "result"), "started");
	cr_assert_str_eq(jstr(a, "reason"),
			 "gate failed on consecutive evaluations");
	cr_assert_eq(json_integer_value(json_object_get(a, "stage_from")), 1);
	cr_assert_eq(json_integer_value(json_object_get(a, "stage_to")), 0);
	cr_assert_str_eq(jstr(json_object_get(a, "metrics"), "verdict"),
			 "fail");
	cr_assert_str_eq(jstr(json_object_get(a, "metrics"), "decided_by"),
			 "error_rate");
	assert_rel(jnum(a, "metrics.gates.error_rate.value"), want,
		   "audited error rate");
	assert_rel(want, 0.05, "5% once the window is all bad");
	assert_rel(jnum(a, "metrics.gates.error_rate.limit"), 0.01,
		   "audited limit");
	cr_assert_str_eq(jstr(jget(a, "metrics.gates.error_rate"), "verdict"),
			 "fail");
	cr_assert_eq(json_integer_value(jget(a, "metrics.consecutive")), 3,
		     "the breaches in a row that decided it");
	json_decref(a);
	cr_assert_eq(audit_count("rolled_back"), 1);
	scen_done(&sc);
}

/* The same breach with automatic rollback off: an alarm, nothing applied. */
Test(scenario, breach_alarms_when_automatic_is_off)
{
	struct scen sc;
	json_t *a;

	scen_plan(&sc, W_BREACH);
	sc.plan.rollback.automatic = false;
	scen_start(&sc);
	scen_advance(&sc);
	do
		scen_eval(&sc);
	while (sc.x.verdict == VERDICT_PASS && sc.n < 20);
	cr_assert_eq(sc.n, 4, "first failing evaluation %d", sc.n);
	scen_eval(&sc);
	scen_eval(&sc);
	cr_assert_eq(sc.x.verdict, VERDICT_FAIL);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_BREACH);
	cr_assert(sc.s.rec.state.alarm);
	assert_set_calls("set 10 90 1\n");
	cr_assert_eq(audit_count("auto_rollback"), 0);
	cr_assert_eq(audit_count("alarm"), 1);
	a = audit_last("alarm");
	cr_assert_str_eq(jstr(jget(a, "metrics"), "decided_by"), "error_rate");
	cr_assert_eq(json_integer_value(jget(a, "metrics.consecutive")), 3,
		     "the breaches in a row that raised it");
	json_decref(a);
	scen_done(&sc);
}

Test(scenario, flapping_never_rolls_back)
{
	struct scen sc;
	enum verdict prev = VERDICT_NONE;
	int fails = 0, cleared = 0;

	scen_plan(&sc, W_FLAP);
	scen_start(&sc);
	scen_advance(&sc);
	for (int i = 0; i < 20; i++) {
		scen_eval(&sc);
		cr_assert_neq(sc.x.verdict, VERDICT_NO_DATA);
		if (sc.x.verdict == VERDICT_FAIL) {
			fails++;
			cr_assert_neq(prev, VERDICT_FAIL,
				      "the data fails twice in a row at %d",
				      sc.n);
			cr_assert_eq(sc.s.rec.state.phase, PHASE_BREACH);
			cr_assert_eq(sc.s.rec.state.breaches, 1);
		} else {
			if (prev == VERDICT_FAIL)
				cleared++;
			cr_assert_eq(sc.s.rec.state.phase, PHASE_HOLDING);
			cr_assert_eq(sc.s.rec.state.breaches, 0);
		}
		cr_assert_not(sc.busy_at_eval);
		prev = sc.x.verdict;
	}
	/* fail, pass, fail, pass ... from the window of K0 + 6 on: the
	 * windows of K0 + 1 .. K0 + 20 hold 8 failing ones */
	cr_assert_eq(fails, 8, "%d failing evaluations", fails);
	cr_assert_eq(sc.s.rec.state.stage, 1);
	assert_set_calls("set 10 90 1\n");
	cr_assert_eq(audit_count("auto_rollback"), 0);
	cr_assert_eq(audit_count("rolled_back"), 0);
	cr_assert_eq(audit_count("breach_cleared"), cleared);
	scen_done(&sc);
}

/*
 * Run evaluations through a stretch of no data; the hold must not move
 * while the verdict is no data.  Returns how many no-data evaluations.
 */
static int
run_blind_stretch(struct scen *sc, bool expect_rollback)
{
	int64_t hold_prev = -1, hold_before = -1, hold_start;
	enum verdict prev = VERDICT_NONE;
	int blind = 0, after = 0;

	hold_start = cutover_hold_left(&sc->s.rec.state, &sc->plan);
	cr_assert_gt(hold_start, 0);
	while (sc->n < 80 && after < 3) {
		int64_t hold;

		scen_eval(sc);
		hold = cutover_hold_left(&sc->s.rec.state, &sc->plan);
		if (sc->x.verdict == VERDICT_NO_DATA) {
			blind++;
			cr_assert_eq(sc->s.gates.verdict, VERDICT_NO_DATA);
			if (expect_rollback && blind == sc->plan.rollback
			    .consecutive) {
				cr_assert_eq(sc->phase_at_eval,
					     PHASE_ROLLING_BACK);
				return blind;
			}
			cr_assert_eq(sc->s.rec.state.blind, blind);
			cr_assert_eq(sc->s.rec.state.phase, PHASE_HOLDING);
			if (prev == VERDICT_NO_DATA)
				cr_assert_eq(hold, hold_prev,
					     "hold moved without data at "
					     "evaluation %d: %lld -> %lld",
					     sc->n, (long long)hold_prev,
					     (long long)hold);
			else
				hold_before = hold;
		} else {
			cr_assert_eq(sc->x.verdict, VERDICT_PASS);
			cr_assert_eq(sc->s.rec.state.phase, PHASE_HOLDING);
			if (blind > 0)
				after++;
		}
		prev = sc->x.verdict;
		hold_prev = hold;
	}
	cr_assert_not(expect_rollback, "no rollback after %d blind", blind);
	/* 10 minutes of nothing: ~40 evaluations, all frozen */
	cr_assert_geq(blind, 38, "only %d no-data evaluations", blind);
	cr_assert_lt(hold_before, hold_start, "the hold ran before the gap");
	cr_assert_lt(hold_prev, hold_before, "the hold runs again after it");
	/* what passed of the hold is the passing time, not the wall time */
	cr_assert_leq(hold_start - hold_prev,
		      (int64_t)(sc->n - blind) * REFRESH_MS + TICK_MS);
	return blind;
}

Test(scenario, gap_in_series_freezes_hold)
{
	struct scen sc;

	scen_plan(&sc, W_GAP);
	scen_start(&sc);
	scen_advance(&sc);
	run_blind_stretch(&sc, false);
	cr_assert_eq(sc.s.rec.state.stage, 1);
	assert_set_calls("set 10 90 1\n");
	cr_assert_eq(audit_count("auto_rollback"), 0);
	scen_done(&sc);
}

Test(scenario, quiet_traffic_freezes_hold)
{
	struct scen sc;
	bool seen_quiet = false;

	scen_plan(&sc, W_QUIET);
	scen_start(&sc);
	scen_advance(&sc);
	run_blind_stretch(&sc, false);
	/* inside the quiet stretch the rate was measured, exactly, and low */
	for (int k = K0; k < K0 + sc.n; k++) {
		struct expect x;

		expect_at(sc.w * WIN_STEPS + k, &sc.plan.stages[0],
			  sc.plan.gates.min_request_rate, &x);
		if (x.exact && x.irps < sc.plan.gates.min_request_rate) {
			assert_rel(x.irps, 3.0 / 45, "model quiet rate");
			seen_quiet = true;
		}
	}
	cr_assert(seen_quiet);
	cr_assert_eq(sc.s.rec.state.stage, 1);
	assert_set_calls("set 10 90 1\n");
	cr_assert_eq(audit_count("auto_rollback"), 0);
	scen_done(&sc);
}

Test(scenario, gap_rolls_back_when_on_no_data_is_rollback)
{
	struct scen sc;
	json_t *a;

	scen_plan(&sc, W_GAP);
	sc.plan.rollback.on_no_data = NO_DATA_ROLLBACK;
	scen_start(&sc);
	scen_advance(&sc);
	cr_assert_eq(run_blind_stretch(&sc, true), 3);
	/* the gap starts at K0 + 8; the first empty window is K0 + 10,
	 * the third K0 + 12 */
	cr_assert_eq(sc.n, 12, "rolled back at evaluation %d", sc.n);
	cr_assert(sc.busy_at_eval);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_ROLLED_BACK);
	assert_set_calls("set 10 90 1\nset 0 100 0\n");
	a = audit_last("auto_rollback");
	cr_assert_str_eq(jstr(a, "reason"), "no data on consecutive "
			 "evaluations (on_no_data: rollback)");
	cr_assert_str_eq(jstr(jget(a, "metrics"), "verdict"), "no data");
	cr_assert_str_eq(jstr(jget(a, "metrics"), "decided_by"), "traffic");
	cr_assert(json_is_null(jget(a, "metrics.gates.traffic.value")));
	cr_assert_eq(json_integer_value(jget(a, "metrics.consecutive")), 3,
		     "the evaluations without data in a row");
	json_decref(a);
	scen_done(&sc);
}

Test(scenario, rollback_key_works_with_prometheus_down)
{
	struct scen sc;
	const char *why = NULL;
	json_t *a;

	scen_plan(&sc, W_DOWN);
	scen_start(&sc);
	scen_advance(&sc);
	for (int i = 0; i < 3; i++) {
		scen_eval(&sc);
		cr_assert_eq(sc.s.gates.verdict, VERDICT_PASS);
	}
	promtest_kill(&pt);
	sc.check = false;
	/* the round's requests fail: judged at once, and a source in
	 * error is no data (never the last round's pass) */
	scen_eval(&sc);
	cr_assert_eq(sc.s.gates.verdict, VERDICT_NO_DATA);
	cr_assert_eq(sc.s.seen.q[Q_ISTIO_RPS].state, SOURCE_ERROR);
	cr_assert_not_null(strstr(sc.s.seen.q[Q_ISTIO_RPS].error,
				  "connection refused"), "%s",
			   sc.s.seen.q[Q_ISTIO_RPS].error);
	cr_assert_eq(sc.s.rec.state.blind, 1);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_HOLDING);

	cr_assert_eq(session_act(&sc.s, EV_ROLLBACK, false,
				 "operator pressed r", &why), 0, "%s", why);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_ROLLING_BACK);
	scen_settle(&sc);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_ROLLED_BACK);
	cr_assert_eq(sc.s.rec.state.applied.istio, 0);
	assert_set_calls("set 10 90 1\nset 0 100 0\n");
	a = audit_last("rollback");
	cr_assert_str_eq(jstr(a, "reason"), "operator pressed r");
	cr_assert_str_eq(jstr(a, "result"), "started");
	cr_assert_str_eq(jstr(jget(a, "metrics"), "verdict"), "no data");
	json_decref(a);
	cr_assert_eq(audit_count("auto_rollback"), 0);
	cr_assert_eq(audit_count("rolled_back"), 1);
	/* no metrics: the rollback cannot be verified, nor called late yet */
	cr_assert_eq(sc.s.verify, VERIFY_WATCHING);
	scen_eval(&sc);
	cr_assert_eq(sc.s.verify, VERIFY_WATCHING);
	scen_done(&sc);
}

Test(scenario, apisix_delta_gate_fails_under_the_absolute_limit)
{
	struct scen sc;
	json_t *a;

	scen_plan(&sc, W_DELTA);
	sc.plan.stages[0].max_error_delta = 0.002;	/* 0.2 points */
	scen_start(&sc);
	scen_advance(&sc);
	do {
		scen_eval(&sc);
		if (sc.x.verdict == VERDICT_PASS)
			cr_assert_leq(sc.x.ierr - sc.x.aerr, 0.002);
	} while (sc.x.verdict == VERDICT_PASS && sc.n < 20);
	/* Istio's worse steps start at K0 + 4: evaluation 4 */
	cr_assert_eq(sc.n, 4);
	for (int i = 0; i < 3; i++) {
		if (i > 0)
			scen_eval(&sc);
		cr_assert_eq(sc.x.verdict, VERDICT_FAIL);
		cr_assert_eq(sc.s.gates.decided_by, G_ERROR_DELTA);
		/* the absolute gate holds all along */
		cr_assert_eq(sc.s.gates.g[G_ERROR_RATE].verdict, VERDICT_PASS);
		cr_assert_leq(sc.x.ierr, sc.plan.stages[0].max_error_rate);
	}
	assert_rel(sc.x.ierr, 1.25 / 150, "istio 0.83%");
	assert_rel(sc.x.aerr, 4.5 / 1350, "apisix 0.33%");
	cr_assert_eq(sc.phase_at_eval, PHASE_ROLLING_BACK);
	cr_assert_eq(sc.s.rec.state.phase, PHASE_ROLLED_BACK);
	assert_set_calls("set 10 90 1\nset 0 100 0\n");
	a = audit_last("auto_rollback");
	cr_assert_str_eq(jstr(jget(a, "metrics"), "decided_by"),
			 "error_delta");
	cr_assert(fabs(jnum(a, "metrics.gates.error_delta.value") -
		       (sc.x.ierr - sc.x.aerr)) < 1e-12);
	assert_rel(jnum(a, "metrics.gates.error_delta.limit"), 0.002,
		   "delta limit");
	cr_assert_str_eq(jstr(jget(a, "metrics.gates.error_rate"), "verdict"),
			 "pass");
	json_decref(a);
	scen_done(&sc);
}

/* Stage 1, a few passing evaluations, then the operator rolls back. */
static int64_t
rollback_by_key(struct scen *sc, int evals)
{
	const char *why = NULL;

	scen_start(sc);
	scen_advance(sc);
	for (int i = 0; i < evals; i++) {
		scen_eval(sc);
		cr_assert_eq(sc->s.gates.verdict, VERDICT_PASS);
	}
	cr_assert_eq(session_act(&sc->s, EV_ROLLBACK, false, "test", &why), 0,
		     "%s", why);
	scen_settle(sc);
	cr_assert_eq(sc->s.rec.state.phase, PHASE_ROLLED_BACK);
	cr_assert_eq(sc->s.verify, VERIFY_WATCHING);
	cr_assert_eq(sc->s.verify_since_mono, sc->clk.mono);
	assert_set_calls("set 10 90 1\nset 0 100 0\n");
	return sc->clk.mono;
}

Test(scenario, rollback_verified_when_istio_drains)
{
	struct scen sc;
	int64_t since;
	json_t *a;
	char want[160];

	scen_plan(&sc, W_VERIFY_OK);
	since = rollback_by_key(&sc, 3);
	do {
		scen_eval(&sc);
		cr_assert(sc.x.exact);
		if (sc.x.irps > sc.plan.rollback.verify_max_istio_rps)
			cr_assert_eq(sc.s.verify, VERIFY_WATCHING,
				     "verified at %g req/s", sc.x.irps);
	} while (sc.x.irps > sc.plan.rollback.verify_max_istio_rps &&
		 sc.n < 30);
	/* 30, 30, 30, 30, 0 ... requests a step: 0 in the window of K0+10,
	 * asked by the tenth refresh, seven after the rollback */
	cr_assert_eq(sc.n, 10);
	cr_assert_eq(sc.s.verify, VERIFY_DONE);
	cr_assert_eq(sc.s.verify_took_ms, sc.clk.mono - since);
	cr_assert_eq(sc.s.verify_took_ms, 7 * REFRESH_MS);
	a = audit_last("rollback_verified");
	snprintf(want, sizeof(want), "rollback verified: Istio at %.3g req/s "
		 "after %llds", sc.x.irps,
		 (long long)(sc.s.verify_took_ms / 1000));
	cr_assert_str_eq(jstr(a, "reason"), want);
	cr_assert_str_eq(jstr(a, "result"), "ok");
	json_decref(a);
	cr_assert_eq(audit_count("rollback_unverified"), 0);
	scen_done(&sc);
}

Test(scenario, rollback_unverified_when_istio_keeps_traffic)
{
	struct scen sc;
	int64_t since;
	json_t *a;
	int m;

	scen_plan(&sc, W_VERIFY_LATE);
	sc.plan.rollback.verify_timeout_ms = 2 * 60 * 1000;
	since = rollback_by_key(&sc, 2);
	for (m = 1; m <= 20; m++) {
		scen_eval(&sc);
		cr_assert_gt(sc.x.irps, sc.plan.rollback.verify_max_istio_rps);
		if (sc.clk.mono - since <= sc.plan.rollback.verify_timeout_ms) {
			cr_assert_eq(sc.s.verify, VERIFY_WATCHING);
			cr_assert_eq(audit_count("rollback_unverified"), 0);
		} else {
			break;
		}
	}
	/* the first evaluation past 2 minutes: the 9th, at 135 s */
	cr_assert_eq(m, 9);
	cr_assert_eq(sc.s.verify, VERIFY_LATE);
	cr_assert(sc.s.bell);
	a = audit_last("rollback_unverified");
	cr_assert(strncmp(jstr(a, "reason"),
			  "traffic still reaching Istio after 2 min (", 42) == 0,
		  "%s", jstr(a, "reason"));
	cr_assert_str_eq(jstr(a, "result"), "warning");
	{
		struct session_view v;

		/* An alarm on the screen, with Istio still judged by the
		 * limits of the stage it was rolled back from. */
		session_view_fill(&sc.s, &v);
		cr_assert(v.verify_alarm);
		cr_assert_str_eq(v.verify_why, jstr(a, "reason"));
		cr_assert_eq(v.gates->stage, 1);
		cr_assert(v.gates->g[G_ERROR_RATE].enabled);
		cr_assert_float_eq(v.gates->g[G_ERROR_RATE].limit,
				   sc.plan.stages[0].max_error_rate, 1e-12);
		cr_assert(v.gates->g[G_ERROR_RATE].have_value);
		cr_assert_eq(sc.s.rec.state.phase, PHASE_ROLLED_BACK);
	}
	json_decref(a);
	/* said once */
	scen_eval(&sc);
	cr_assert_eq(sc.s.verify, VERIFY_LATE);
	cr_assert_eq(audit_count("rollback_unverified"), 1);
	cr_assert_eq(audit_count("rollback_verified"), 0);
	/* until acknowledged, once */
	cr_assert_eq(session_acknowledge(&sc.s), 0);
	{
		struct session_view v;

		session_view_fill(&sc.s, &v);
		cr_assert_not(v.verify_alarm);
	}
	a = audit_last("alarm_acknowledged");
	cr_assert(strncmp(jstr(a, "reason"), "traffic still reaching Istio",
			  28) == 0, "%s", jstr(a, "reason"));
	json_decref(a);
	cr_assert_eq(session_acknowledge(&sc.s), -1);
	cr_assert_eq(audit_count("alarm_acknowledged"), 1);
	scen_done(&sc);
}
