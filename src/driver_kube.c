/*
 * driver_kube — the kubernetes traffic driver (weights of a
 * VirtualService or HTTPRoute).
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
kube_init(struct driver *d, struct err *e)
{
	(void)d;
	return err_set(e, "traffic driver kubernetes is not available in this "
		       "build yet");
}

static void
kube_describe(const struct driver *d, char *buf, size_t len)
{
	(void)d;
	if (len > 0)
		snprintf(buf, len, "kubernetes: not available in this build");
}

const struct driver_ops kube_driver = {
	.name = "kubernetes",
	.init = kube_init,
	.describe = kube_describe,
};
