/*
 * demo — a simulated world for `cutover --demo`: two gateways, traffic
 * that follows the applied weights with a lag (as DNS would), metrics for
 * both sides with noise, pod groups, and a traffic driver that takes a
 * moment to apply.  The session uses it through the same interfaces as
 * the real sources and drivers (metrics, group_health, driver_ops), so the
 * demo exercises the real gates, state machine, store and audit log.
 *
 * The scenario: stages 1 and 2 are healthy; some way into stage 3's hold
 * the Istio side develops an error spike (a bad upstream route), the gate
 * fails on consecutive evaluations and cutover rolls back; once traffic is
 * back on APISIX the errors fade.  Deterministic: the noise is a fixed
 * pseudo-random sequence.
 */
#ifndef CUTOVER_SRC_DEMO_H
#define CUTOVER_SRC_DEMO_H

#include <stdint.h>

#include "clock.h"
#include "driver.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"
#include "podhealth.h"

struct demo;

/* Turn `p` (defaults or a plan file) into the demo plan: holds divided
 * by speed, a fast refresh, the demo driver, three pod groups. */
void demo_plan(struct plan *p, double speed);

struct demo *demo_new(const struct plan *p, struct loop *l);
void demo_free(struct demo *d);

/* Write the world's current numbers into the model. */
void demo_observe(struct demo *d, struct metrics *m,
		  struct group_health *groups);

/* Install the demo driver into `drv` (ops, priv). */
void demo_attach_driver(struct demo *d, struct driver *drv);

/* The weights the simulated front end applies now. */
struct weights demo_weights(const struct demo *d);

#endif
