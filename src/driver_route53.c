/*
 * driver_route53 — the route53 traffic driver (Route53 weighted records).
 *
 * Not implemented in this build yet: the ops table exists so a plan that
 * names this driver is understood, but init refuses with a plain message
 * and no other operation can be reached (driver_init leaves ops NULL when
 * init fails).  Nothing here ever pretends to change traffic.
 */
#include "config.h"

#include "driver.h"

#include <stdio.h>

static int
route53_init(struct driver *d, struct err *e)
{
	(void)d;
	return err_set(e, "traffic driver route53 is not available in this "
		       "build yet");
}

static void
route53_describe(const struct driver *d, char *buf, size_t len)
{
	(void)d;
	if (len > 0)
		snprintf(buf, len, "route53: not available in this build");
}

const struct driver_ops route53_driver = {
	.name = "route53",
	.init = route53_init,
	.describe = route53_describe,
};
