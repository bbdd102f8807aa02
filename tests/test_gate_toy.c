/*
 * test_gate_toy — a gate added the way HACKING.md says, by one GATE_LIST
 * entry and nothing else: this test build appends a toy gate ("APISIX's
 * P95 stays under the stage's max_p95", with its own row in the metrics
 * pane) and compiles the gate evaluator, the layout and the demo with
 * it.  The toy is judged, explained, written to JSON, given a row (or
 * counted as hidden at 80x24) and simulated by the same code as the real
 * gates.
 */
#include "config.h"

#define GATE_LIST_EXTRA(X)                                                    \
	X(G_TOY, "apisix_p95", "APISIX P95", QUERY, Q_APISIX_P95, -1, MAX,    \
	  MS, STAGE, max_p95_ms, "max_p95", 2000, 5)

/* The modules that read the table, built with the toy entry. */
#include "gate.c"
#include "layout.c"
#include "demo.c"

#include <criterion/criterion.h>

#define NOW 1000000
#define WALL 1764000000000

static struct plan p;
static struct metrics m;
static struct group_health groups[2];

static void
set(enum query_id q, double v)
{
	metrics_set(&m, q, false, v, WALL, NOW);
}

static void
setup(void)
{
	plan_defaults(&p);
	cr_assert_eq(plan_finish(&p, &(struct err){ 0 }), 0);
	cr_assert_geq(p.ngroups, 2);
	p.ngroups = 2;
	metrics_init(&m);
	set(Q_ISTIO_RPS, 50);
	set(Q_APISIX_RPS, 450);
	set(Q_ISTIO_ERROR_RATE, 0.002);
	set(Q_APISIX_ERROR_RATE, 0.001);
	set(Q_ISTIO_P95, 300);
	set(Q_ISTIO_AVAILABILITY, 0.9995);
	set(Q_MTLS_COVERAGE, 0.99);
	for (int i = 0; i < 2; i++) {
		p.groups[i].sidecar_required = false;
		group_health_init(&groups[i], p.groups[i].min_ready);
		groups[i].state = SOURCE_OK;
		groups[i].total = groups[i].ready = p.groups[i].min_ready;
	}
}

static void
teardown(void)
{
	p.ngroups = 3;
	plan_done(&p);
}

static struct gate_result
eval(void)
{
	struct gate_result r;

	gate_evaluate(&p, 1, &m, groups, NOW, &r);
	return r;
}

/* gate_result_json's entry for the toy, as text. */
static char *
toy_json(const struct gate_result *r)
{
	json_t *o = gate_result_json(r);
	char *s = json_dumps(json_object_get(json_object_get(o, "gates"),
					     "apisix_p95"),
			     JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(o);
	cr_assert_not_null(s);
	return s;
}

TestSuite(toy, .init = setup, .fini = teardown);

Test(toy, the_entry_is_in_the_table)
{
	const struct gate_def *d = gate_def(G_TOY);

	cr_assert_eq(G_TOY, GATE_COUNT - 1, "the toy comes last");
	cr_assert_str_eq(gate_name(G_TOY), "apisix_p95");
	cr_assert_eq(d->limit, GATE_LIMIT_STAGE);
	cr_assert_float_eq(gate_limit(d, &p, &p.stages[0]), 2000, 1e-9);
}

Test(toy, under_its_limit_it_passes)
{
	struct gate_result r;
	char buf[160];
	char *j;

	set(Q_APISIX_P95, 1500);
	r = eval();
	cr_expect_eq(r.g[G_TOY].verdict, VERDICT_PASS);
	cr_expect_eq(r.verdict, VERDICT_PASS, "%s",
		     gate_summary(&r, buf, sizeof(buf)));
	j = toy_json(&r);
	cr_expect_str_eq(j, "{\"limit\":2000.0,\"value\":1500.0,"
			 "\"verdict\":\"pass\"}");
	free(j);
}

Test(toy, over_its_limit_it_fails_the_stage)
{
	struct gate_result r;
	char buf[160];
	char *j;

	set(Q_APISIX_P95, 2500);
	r = eval();
	cr_expect_eq(r.verdict, VERDICT_FAIL);
	cr_expect_eq(r.decided_by, G_TOY);
	cr_expect_str_eq(gate_summary(&r, buf, sizeof(buf)),
			 "fail: apisix_p95 2500 ms > 2000 ms");
	j = toy_json(&r);
	cr_expect_str_eq(j, "{\"limit\":2000.0,\"value\":2500.0,"
			 "\"verdict\":\"fail\"}");
	free(j);
}

Test(toy, without_a_sample_it_is_no_data)
{
	struct gate_result r = eval();
	char buf[160];
	char *j;

	cr_expect_eq(r.verdict, VERDICT_NO_DATA);
	cr_expect_eq(r.decided_by, G_TOY);
	cr_expect_str_eq(gate_summary(&r, buf, sizeof(buf)),
			 "no data: apisix_p95 (no data: not fetched yet)");
	j = toy_json(&r);
	cr_expect_str_eq(j, "{\"limit\":2000.0,\"value\":null,\"verdict\":"
			 "\"no data\",\"why\":\"no data: not fetched yet\"}");
	free(j);
}

Test(toy, its_limit_turns_off_with_the_stage_field)
{
	struct gate_result r;

	set(Q_APISIX_P95, 2500);
	p.stages[0].max_p95_ms = NAN;
	r = eval();
	cr_expect(!r.g[G_TOY].enabled);
	cr_expect_eq(r.g[G_TOY].verdict, VERDICT_NONE);
}

Test(toy, the_layout_gives_it_a_row_or_counts_it_hidden)
{
	/* The panes' minimum heights (their pane_ops .min_h; the curses
	 * pane table is not linked here). */
	static const int min_h[PANE_COUNT] = {
		[PANE_HEADER] = 2, [PANE_SPLIT] = 3, [PANE_TIMELINE] = 1,
		[PANE_METRICS] = 7, [PANE_PODS] = 4, [PANE_LOG] = 6,
		[PANE_HINTS] = 1,
	};
	struct layout l;

	cr_assert_eq(gate_rows(), 6);
	/* 80x24: the metrics pane keeps its 7 rows, one gate row short. */
	layout_compute(&l, 24, 80, 2, min_h);
	cr_assert(!l.too_small);
	cr_expect_eq(l.pane[PANE_METRICS].h, 7);
	cr_expect_eq(layout_metrics_hidden(l.pane[PANE_METRICS].h), 1);
	/* One more terminal row goes to the toy's row first. */
	layout_compute(&l, 25, 80, 2, min_h);
	cr_expect_eq(l.pane[PANE_METRICS].h, 8);
	cr_expect_eq(layout_metrics_hidden(l.pane[PANE_METRICS].h), 0);
}

Test(toy, the_demo_judges_it_with_the_others)
{
	struct clock_fake ck;
	struct loop *l;
	struct demo *d;
	struct gate_result r;

	clock_fake_init(&ck, NOW, WALL);
	l = loop_new(&ck.clock);
	d = demo_new(&p, l);
	metrics_init(&m);
	demo_observe(d, &m, groups);
	gate_evaluate(&p, 1, &m, groups, clock_mono(&ck.clock), &r);
	cr_expect_eq(r.g[G_TOY].verdict, VERDICT_PASS, "%s",
		     r.g[G_TOY].why);
	cr_expect(r.g[G_TOY].have_value);
	demo_free(d);
	loop_free(l);
}

Test(toy, the_demo_fills_a_query_it_does_not_model)
{
	struct clock_fake ck;
	struct loop *l;
	struct demo *d;
	struct gate_result r;

	clock_fake_init(&ck, NOW, WALL);
	l = loop_new(&ck.clock);
	d = demo_new(&p, l);
	/* As if the world left the toy's query out: it reads healthy. */
	metrics_init(&m);
	set(Q_ISTIO_RPS, 50);
	demo_fill_unmodelled(d, &m, WALL, NOW);
	cr_expect(d->unmodelled[Q_APISIX_P95]);
	cr_expect(!d->unmodelled[Q_ISTIO_RPS]);
	cr_expect_float_eq(m.q[Q_APISIX_P95].value, 1000, 1e-9);
	gate_evaluate(&p, 1, &m, groups, NOW, &r);
	cr_expect_eq(r.g[G_TOY].verdict, VERDICT_PASS, "%s",
		     r.g[G_TOY].why);
	cr_expect_eq(r.verdict, VERDICT_PASS);
	demo_free(d);
	loop_free(l);
}
