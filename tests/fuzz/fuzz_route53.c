/*
 * fuzz_route53 — Route53's XML answers: a ListResourceRecordSets page or
 * an <Error>, read for the plan's two weighted records.
 */
#include "config.h"

#include "driver.h"
#include "drivers/driver_route53.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct plan_route53 cfg = {
		.hosted_zone_id = "Z0TEST",
		.record_name = "www.example.com",
		.record_type = "A",
		.istio_set_id = "istio",
		.apisix_set_id = "apisix",
	};
	char *body = fuzz_str(data, size);
	struct weights w;
	struct err e;

	err_clear(&e);
	if (driver_route53_parse(&cfg, body, size, &w, &e) == 0)
		FUZZ_ASSERT_WEIGHTS(w);
	else
		FUZZ_ASSERT(e.msg[0] != '\0');
	free(body);
	return 0;
}
