/*
 * test_plan_gate_toy — a gate's plan key comes from its GATE_LIST entry
 * alone, whatever its unit: this test build appends two toy entries, a
 * stage limit in requests per second and a plan-wide limit in pod groups,
 * and compiles the plan's stage and gate sections with them.  Each key is
 * parsed, takes its built-in value, is bounded and is printed by `check`
 * with no other edit to the plan's files.
 *
 * A test cannot add a member to struct plan_stage or struct plan_gates,
 * so the toys borrow the storage of min_mtls and min_request_rate.
 */
#include "config.h"

#define GATE_LIST_EXTRA(X)                                                    \
	X(G_TOY_RPS, "toy_rps", "toy rps", FLOOR, Q_APISIX_RPS, -1, MIN, RPS, \
	  STAGE, min_mtls, "min_toy_rps", 5, -1)                              \
	X(G_TOY_GROUPS, "toy_groups", "toy groups", PODS, -1, -1, MIN,        \
	  GROUPS, GATES, min_request_rate, "min_toy_groups", 2, -1)

/* The plan's sections that read the table, built with the toy entries. */
#include "plan_stages.c"

#include <criterion/criterion.h>

#include <stdio.h>

static void
setup_env(void)
{
	setenv("HOME", "/nonexistent-home", 1);
	unsetenv("XDG_STATE_HOME");
}

static int
load(struct plan *p, const char *text, struct err *e)
{
	err_clear(e);
	return plan_load_buffer(p, text, strlen(text), "t.yaml", e);
}

/* What `cutover check` prints for p. */
static char *
printout(const struct plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	plan_print(p, f);
	fclose(f);
	return buf;
}

Test(toy_keys, take_their_built_in_values, .init = setup_env)
{
	struct plan p;

	plan_defaults(&p);
	for (int i = 0; i < p.nstages; i++)
		cr_expect_float_eq(p.stages[i].min_mtls, 5, 1e-9, "stage %d",
				   i + 1);
	cr_expect_float_eq(p.gates.min_request_rate, 2, 1e-9);
	plan_done(&p);
}

Test(toy_keys, are_read_where_their_limit_lives, .init = setup_env)
{
	struct plan p;
	struct err e;
	char *out;

	cr_assert_eq(load(&p, "stage_defaults: {min_toy_rps: 7}\n"
			  "stages:\n"
			  "  - istio: 10\n"
			  "  - {istio: 100, min_toy_rps: 12.5}\n"
			  "gates: {min_toy_groups: 3}\n", &e), 0, "%s", e.msg);
	cr_expect_float_eq(p.stages[0].min_mtls, 7, 1e-9);
	cr_expect_float_eq(p.stages[1].min_mtls, 12.5, 1e-9);
	cr_expect_float_eq(p.gates.min_request_rate, 3, 1e-9);
	out = printout(&p);
	cr_expect_not_null(strstr(out, "stages.2.min_toy_rps: 12.5\n"), "%s",
			   out);
	cr_expect_not_null(strstr(out, "gates.min_toy_groups: 3\n"), "%s",
			   out);
	free(out);
	plan_done(&p);
}

Test(toy_keys, are_numbers_in_range, .init = setup_env)
{
	static const char *const bad[] = {
		"stages: [{istio: 10, min_toy_rps: 5%}]\n",
		"stages: [{istio: 10, min_toy_rps: -1}]\n",
		"stages: [{istio: 10, min_toy_rps: 2000000000}]\n",
		"gates: {min_toy_groups: many}\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct plan p;
		struct err e;

		cr_expect_eq(load(&p, bad[i], &e), -1, "%s", bad[i]);
		cr_expect_not_null(strstr(e.msg, "min_toy_"), "%s: %s", bad[i],
				   e.msg);
	}
}
