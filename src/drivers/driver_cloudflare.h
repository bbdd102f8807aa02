/*
 * driver_cloudflare — the cloudflare driver's settings, its plan section
 * traffic.cloudflare (the keys are in driver_cloudflare.c's table), and
 * its answer parser for tests and fuzzing.
 */
#ifndef CUTOVER_SRC_DRIVERS_DRIVER_CLOUDFLARE_H
#define CUTOVER_SRC_DRIVERS_DRIVER_CLOUDFLARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover.h"
#include "err.h"
#include "plan.h"

struct plan_cloudflare {
	char *account_id;
	char *pool_id;		/* mode pool: origin weights in one pool */
	char *istio_origin;
	char *apisix_origin;
	char *zone_id;		/* mode load_balancer: pool_weights */
	char *load_balancer_id;
	char *istio_pool;
	char *apisix_pool;
	char *token_file;	/* else $CLOUDFLARE_API_TOKEN */
	char *endpoint;		/* default https://api.cloudflare.com/client/v4 */
	int64_t timeout_ms;
};

/* The settings of a plan whose driver is cloudflare (plan_traffic_use). */
static inline struct plan_cloudflare *
driver_cloudflare_settings(const struct plan *p)
{
	return p->traffic.settings;
}

/*
 * The split one answer body (NUL at len) with its HTTP status gives, as
 * read_back reads it: the pool or the load balancer.  0 with w filled, or
 * -1 with e filled.
 */
int driver_cloudflare_parse(const struct plan_cloudflare *cfg,
			    const char *body, size_t len, long status,
			    struct weights *w, struct err *e);

#endif
