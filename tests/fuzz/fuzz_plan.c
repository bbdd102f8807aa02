/* fuzz_plan — the plan file (plan_load_buffer), then what reads a plan. */
#include "config.h"

#include <stdio.h>

#include "fuzz.h"
#include "plan.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct plan p;
	struct err e;
	char fp[17];

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	/* Paths derived by plan_finish must not depend on the caller. */
	setenv("XDG_STATE_HOME", "/nonexistent/state", 1);
	err_clear(&e);
	if (plan_load_buffer(&p, (const char *)data, size, "fuzz.yaml",
	    &e) == 0) {
		plan_fingerprint(&p, fp);
		for (int q = 0; q < Q_COUNT; q++)
			free(plan_query_text(&p, (enum query_id)q));
		plan_print(&p, null);
	}
	plan_done(&p);
	return 0;
}
