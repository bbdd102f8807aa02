/*
 * fuzz_cloudflare — Cloudflare's JSON answers, read as a pool (origin
 * weights) and as a load balancer (pool_weights), with a 200 and a 400.
 */
#include "config.h"

#include "driver.h"
#include "drivers/driver_cloudflare.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct plan_cloudflare cfgs[] = {
		{
			.account_id = "acc1",
			.pool_id = "pool1",
			.istio_origin = "istio",
			.apisix_origin = "apisix",
		},
		{
			.zone_id = "zone1",
			.load_balancer_id = "lb1",
			.istio_pool = "pool-istio",
			.apisix_pool = "pool-apisix",
		},
	};
	static const long statuses[] = { 200, 400 };
	char *body = fuzz_str(data, size);

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		for (size_t j = 0; j < sizeof(statuses) / sizeof(statuses[0]);
		    j++) {
			struct weights w;
			struct err e;

			err_clear(&e);
			if (driver_cloudflare_parse(&cfgs[i], body, size,
			    statuses[j], &w, &e) == 0)
				FUZZ_ASSERT_WEIGHTS(w);
			else
				FUZZ_ASSERT(e.msg[0] != '\0');
		}
	}
	free(body);
	return 0;
}
