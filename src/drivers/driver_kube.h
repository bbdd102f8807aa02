/*
 * driver_kube — the kubernetes driver's settings, its plan section
 * traffic.kubernetes (the keys are in driver_kube.c's table), and its
 * answer parser for tests and fuzzing.
 */
#ifndef CUTOVER_SRC_DRIVERS_DRIVER_KUBE_H
#define CUTOVER_SRC_DRIVERS_DRIVER_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover.h"
#include "err.h"
#include "plan.h"

struct plan_kube_route {
	char *kind;		/* VirtualService or HTTPRoute */
	char *namespace;
	char *name;
	char *istio_backend;	/* destination host / backendRef name */
	char *apisix_backend;
	int64_t timeout_ms;
};

/* The settings of a plan whose driver is kubernetes (plan_traffic_use). */
static inline struct plan_kube_route *
driver_kube_settings(const struct plan *p)
{
	return p->traffic.settings;
}

/*
 * The split one answer body (NUL at len) gives, as read_back reads it: the
 * VirtualService or HTTPRoute (cfg->kind).  0 with w filled, or -1 with e
 * filled.
 */
int driver_kube_parse(const struct plan_kube_route *cfg, const char *body,
		      size_t len, struct weights *w, struct err *e);

#endif
