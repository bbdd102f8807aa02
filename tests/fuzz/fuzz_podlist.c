/*
 * fuzz_podlist — one page of a pod list as the Kubernetes API answers it,
 * read the way kube.c reads a page: a JSON object with an "items" array
 * and metadata.continue, each item summarised by podhealth.
 */
#include "config.h"

#include <jansson.h>

#include "fuzz.h"
#include "podhealth.h"

#define FUZZ_NOW_MS 1795000000000LL	/* 2026-11-18, a fixed wall clock */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct group_health g;
	json_t *root, *items;

	root = json_loadb((const char *)data, size, 0, NULL);
	items = json_object_get(root, "items");
	if (json_is_object(root) && json_is_array(items)) {
		const char *cont = json_string_value(json_object_get(
		    json_object_get(root, "metadata"), "continue"));

		(void)cont;
		group_health_init(&g, 2);
		podhealth_summarise(&g, &items, 1, FUZZ_NOW_MS, 1000);
		group_health_ok(&g, true);
		group_health_ok(&g, false);
		group_health_done(&g);
	}
	json_decref(root);
	return 0;
}
