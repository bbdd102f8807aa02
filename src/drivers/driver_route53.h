/*
 * driver_route53 — the route53 driver's settings, its plan section
 * traffic.route53 (the keys are in driver_route53.c's table), and its
 * answer parser for tests and fuzzing.
 */
#ifndef CUTOVER_SRC_DRIVERS_DRIVER_ROUTE53_H
#define CUTOVER_SRC_DRIVERS_DRIVER_ROUTE53_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover.h"
#include "err.h"
#include "plan.h"

struct plan_route53 {
	char *hosted_zone_id;
	char *record_name;
	char *record_type;	/* A or AAAA */
	char *istio_set_id;
	char *apisix_set_id;
	char *istio_alias_dns;	/* AliasTarget of each side */
	char *istio_alias_zone;
	char *apisix_alias_dns;
	char *apisix_alias_zone;
	bool evaluate_target_health;
	char *endpoint;		/* default https://route53.amazonaws.com */
	char *profile;		/* ~/.aws/credentials profile, default "default" */
	int64_t timeout_ms;
	int64_t insync_timeout_ms;
};

/* The settings of a plan whose driver is route53 (plan_traffic_use). */
static inline struct plan_route53 *
driver_route53_settings(const struct plan *p)
{
	return p->traffic.settings;
}

/*
 * The split one answer body (NUL at len) gives, as read_back reads it: a
 * ListResourceRecordSets page or an <Error>.  0 with w filled, or -1 with
 * e filled.
 */
int driver_route53_parse(const struct plan_route53 *cfg, const char *body,
			 size_t len, struct weights *w, struct err *e);

#endif
