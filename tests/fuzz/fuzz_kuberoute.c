/*
 * fuzz_kuberoute — a Kubernetes route object as the kubernetes driver
 * reads it: the weights of an Istio VirtualService and of a Gateway API
 * HTTPRoute (the same input read as both).
 */
#include "config.h"

#include "driver.h"
#include "drivers/driver_kube.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct plan_kube_route cfgs[] = {
		{
			.kind = "VirtualService",
			.namespace = "edge",
			.name = "storefront",
			.istio_backend = "istio-ingressgateway.istio-system.svc."
			    "cluster.local",
			.apisix_backend = "apisix-gateway.apisix.svc.cluster.local",
		},
		{
			.kind = "HTTPRoute",
			.namespace = "edge",
			.name = "storefront",
			.istio_backend = "istio-ingressgateway",
			.apisix_backend = "apisix-gateway",
		},
	};
	char *body = fuzz_str(data, size);

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct weights w;
		struct err e;

		err_clear(&e);
		if (driver_kube_parse(&cfgs[i], body, size, &w, &e) == 0)
			FUZZ_ASSERT_WEIGHTS(w);
		else
			FUZZ_ASSERT(e.msg[0] != '\0');
	}
	free(body);
	return 0;
}
