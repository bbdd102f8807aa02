/*
 * fuzz_prom — Prometheus answers (prom_decode, prom_decode_range) as a
 * healthy server, an API error and a proxy's error page would send them.
 */
#include "config.h"

#include "fuzz.h"
#include "prom.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		long status;
		const char *ctype;
	} as[] = {
		{ 200, "application/json" },
		{ 422, "application/json" },
		{ 502, "text/html; charset=utf-8" },
		{ 200, NULL },
	};
	char *body = fuzz_str(data, size);

	for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		struct prom_answer a;
		struct prom_range r;
		struct err e;

		err_clear(&e);
		prom_decode(body, size, as[i].status, as[i].ctype, &a, &e);
		err_clear(&e);
		if (prom_decode_range(body, size, as[i].status, as[i].ctype,
		    &r, &e) == 0)
			prom_range_done(&r);
	}
	free(body);
	return 0;
}
