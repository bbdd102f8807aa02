/*
 * driver_cloudflare — the cloudflare traffic driver (load-balancer
 * pool weights).
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
cloudflare_init(struct driver *d, struct err *e)
{
	(void)d;
	return err_set(e, "traffic driver cloudflare is not available in this "
		       "build yet");
}

static void
cloudflare_describe(const struct driver *d, char *buf, size_t len)
{
	(void)d;
	if (len > 0)
		snprintf(buf, len, "cloudflare: not available in this build");
}

const struct driver_ops cloudflare_driver = {
	.name = "cloudflare",
	.init = cloudflare_init,
	.describe = cloudflare_describe,
};
