/*
 * fuzz_view — what a dashboard attached to a guard decodes: the view the
 * guard pushes, one JSON document.  The fingerprint is set to the plan's
 * own so that inputs go past it into the metrics, probes, gates, checklist,
 * preflight, pod groups and log; each input is decoded twice into one view
 * (the log is appended to, the rest replaced), for a plan without probes
 * and for one with two.  A refused view leaves an error; nothing leaks.
 */
#include "config.h"

#include <jansson.h>

#include "fuzz.h"
#include "view_json.h"

static struct plan plan;
static struct plan plan_probes;	/* the same, naming two probes */
static char fingerprint[17];

static void
fuzz_view_decode(const struct plan *p, const json_t *j)
{
	struct view_json vj;
	struct err e;

	view_json_init(&vj, p);
	for (int pass = 0; pass < 2; pass++) {
		err_clear(&e);
		if (view_json_decode(&vj, j, &e) != 0)
			FUZZ_ASSERT(e.msg[0] != '\0');
	}
	view_json_done(&vj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j;

	if (plan.name == NULL) {
		plan_defaults(&plan);
		plan_fingerprint(&plan, fingerprint);
		plan_defaults(&plan_probes);
		plan_probes.probes.n = 2;
	}
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (j == NULL)
		return 0;
	if (json_is_object(j))
		json_object_set_new(j, "fingerprint", json_string(fingerprint));
	fuzz_view_decode(&plan, j);
	fuzz_view_decode(&plan_probes, j);
	json_decref(j);
	return 0;
}
