/*
 * driver_exec — the exec driver's settings, its plan section
 * traffic.exec (the keys are in driver_exec.c's table).
 */
#ifndef CUTOVER_SRC_DRIVERS_DRIVER_EXEC_H
#define CUTOVER_SRC_DRIVERS_DRIVER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover.h"
#include "err.h"
#include "plan.h"

struct plan_exec {
	struct plan_argv set;	/* {istio} {apisix} {stage} */
	struct plan_argv get;	/* argc == 0: no read-back */
	int64_t timeout_ms;	/* default 120s */
};

/* The settings of a plan whose driver is exec (plan_traffic_use). */
static inline struct plan_exec *
driver_exec_settings(const struct plan *p)
{
	return p->traffic.settings;
}

#endif
