/*
 * fuzz_preflight — what the Kubernetes API answers the preflight: the
 * input read as a Gateway list, as a VirtualService list (against the
 * Gateways it named) and as a Service; and what Prometheus answers the
 * rollback summary (a vector of many series).  Every name kept is short
 * and has no control character.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "preflight.h"
#include "prom.h"

static void
fuzz_refs_ok(const struct preflight_refs *r)
{
	FUZZ_ASSERT(r->n >= 0 && r->n <= PREFLIGHT_REFS && r->n <= r->total);
	for (int i = 0; i < r->n; i++) {
		FUZZ_ASSERT(memchr(r->ref[i], '\0', sizeof(r->ref[i])) != NULL);
		for (const char *c = r->ref[i]; *c != '\0'; c++)
			FUZZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "shop.example.com", "*", "" };
	char *in = fuzz_str(data, size);
	struct preflight_refs gws;
	struct preflight_refs vss;
	char addr[64];
	struct err e;
	int near;
	int rc;

	for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
		err_clear(&e);
		if (preflight_gateways_parse(in, size, hosts[h], &gws, &e) != 0) {
			FUZZ_ASSERT(e.msg[0] != '\0');
			memset(&gws, 0, sizeof(gws));
		}
		fuzz_refs_ok(&gws);
		err_clear(&e);
		if (preflight_vs_parse(in, size, hosts[h], &gws, &vss, &near,
				       &e) == 0) {
			fuzz_refs_ok(&vss);
			FUZZ_ASSERT(near >= 0);
		} else {
			FUZZ_ASSERT(e.msg[0] != '\0');
		}
		(void)preflight_host_match(in, hosts[h]);
	}
	err_clear(&e);
	rc = preflight_service_parse(in, size, addr, sizeof(addr), &e);
	FUZZ_ASSERT(rc >= -1 && rc <= 1);
	if (rc == 1)
		FUZZ_ASSERT(addr[0] != '\0' && strlen(addr) < sizeof(addr));
	{
		struct prom_sample smp[8];
		int n = -1;

		err_clear(&e);
		if (prom_decode_vector(in, size, 200, "application/json",
				       "response_code", smp, 8, &n, &e) == 0) {
			FUZZ_ASSERT(n >= 0 && n <= 8);
			for (int i = 0; i < n; i++)
				for (const char *c = smp[i].label; *c; c++)
					FUZZ_ASSERT((unsigned char)*c >= 0x20);
		} else {
			FUZZ_ASSERT(e.msg[0] != '\0');
		}
	}
	free(in);
	return 0;
}
