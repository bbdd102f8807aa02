/*
 * driver — choosing a traffic driver for a plan, and the shared helpers.
 *
 * driver_init picks the ops by plan->traffic.driver from the table and runs its
 * init; a plan without a traffic section gets no driver (ops NULL: watch
 * only).  The demo driver is not chosen here: the demo installs it itself,
 * since it needs the demo's simulation.  driver_log keeps every progress
 * line bounded, so a chatty child cannot flood the event log.
 *
 * Outside text leaves a driver only through driver_log and driver_answer,
 * and both scrub it (text.h): a child's output, a Route53 <Code>, a
 * Cloudflare message or a proxy's error page never reach the screen, the
 * audit log or a one-shot command's stderr with a credential or a control
 * character in it.
 */
#include "config.h"

#include "driver.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Longest progress line passed to the log callback. */
#define DRIVER_LOG_LINE_MAX 512

/* One line per driver a plan can name. */
static const struct driver_ops *const driver_table[] = {
	&exec_driver,
	&route53_driver,
	&cloudflare_driver,
	&kube_driver,
};

/* Drivers added at run time (tests). */
#define DRIVER_EXTRA_MAX 4
static const struct driver_ops *driver_extra[DRIVER_EXTRA_MAX];

#define DRIVER_TABLE_LEN (sizeof(driver_table) / sizeof(driver_table[0]))

const struct driver_ops *
driver_at(size_t i)
{
	if (i < DRIVER_TABLE_LEN)
		return driver_table[i];
	i -= DRIVER_TABLE_LEN;
	for (size_t j = 0; j < DRIVER_EXTRA_MAX; j++)
		if (driver_extra[j] != NULL && i-- == 0)
			return driver_extra[j];
	return NULL;
}

const struct driver_ops *
driver_find(enum driver_kind kind)
{
	const struct driver_ops *ops;

	for (size_t i = 0; (ops = driver_at(i)) != NULL; i++)
		if (ops->kind == kind)
			return ops;
	return NULL;
}

const struct driver_ops *
driver_find_name(const char *name)
{
	const struct driver_ops *ops;

	for (size_t i = 0; (ops = driver_at(i)) != NULL; i++)
		if (strcmp(ops->name, name) == 0)
			return ops;
	return NULL;
}

int
driver_register(const struct driver_ops *ops, struct err *e)
{
	size_t i;

	if (ops->kind == DRIVER_NONE || ops->kind == DRIVER_DEMO ||
	    driver_find(ops->kind) != NULL)
		return err_set(e, "driver %s: kind %d is taken", ops->name,
			       (int)ops->kind);
	if (strcmp(ops->name, "driver") == 0 ||
	    driver_find_name(ops->name) != NULL)
		return err_set(e, "driver %s: the name is taken", ops->name);
	for (i = 0; i < DRIVER_EXTRA_MAX; i++) {
		if (driver_extra[i] == NULL) {
			driver_extra[i] = ops;
			return 0;
		}
	}
	return err_set(e, "driver %s: no room to register it", ops->name);
}

int64_t
driver_deadline(const struct plan *p)
{
	const struct driver_ops *ops = driver_find(p->traffic.driver);

	if (ops == NULL || ops->deadline == NULL)
		return 120000;
	return ops->deadline(p);
}

int
driver_init(struct driver *d, const struct plan *p, struct loop *l,
	    driver_log_cb log, void *log_arg, struct err *e)
{
	const struct driver_ops *ops;

	memset(d, 0, sizeof(*d));
	d->plan = p;
	d->loop = l;
	d->log = log;
	d->log_arg = log_arg;
	if (p->traffic.driver == DRIVER_NONE)
		return 0;
	if (p->traffic.driver == DRIVER_DEMO)
		return err_set(e, "the demo driver is installed by the demo");
	ops = driver_find(p->traffic.driver);
	if (ops == NULL)
		return err_set(e, "unknown traffic driver %d",
			       (int)p->traffic.driver);
	/* Settings are read as the driver's own struct: they must be. */
	if (ops->plan_fields != NULL &&
	    (p->traffic.settings == NULL ||
	     p->traffic.fields != ops->plan_fields))
		return err_set(e, "driver %s: the plan has no traffic.%s "
			       "section", ops->name, ops->name);
	if (ops->init != NULL && ops->init(d, e) == -1) {
		d->priv = NULL;
		d->job = NULL;
		return -1;
	}
	d->ops = ops;
	return 0;
}

void
driver_done(struct driver *d)
{
	if (d->ops == NULL)
		return;
	driver_cancel(d);
	if (d->ops->done != NULL)
		d->ops->done(d);
	else
		free(d->priv);
	d->ops = NULL;
	d->priv = NULL;
	d->job = NULL;
}

void
driver_log(const struct driver *d, const char *fmt, ...)
{
	char line[DRIVER_LOG_LINE_MAX];
	va_list ap;

	if (d->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_scrub(line, sizeof(line));
	d->log(line, d->log_arg);
}

void
driver_job_init(struct driver_job *j, struct driver *d,
		void (*end)(void *, bool), void *priv)
{
	memset(j, 0, sizeof(*j));
	j->d = d;
	j->end = end;
	j->priv = priv;
	d->job = j;
}

void
driver_job_begin(struct driver_job *j, int op, driver_cb cb, void *arg)
{
	j->op = op;
	j->cb = cb;
	j->arg = arg;
}

static void
driver_job_end(struct driver_job *j, bool cancelled)
{
	j->op = 0;
	j->timer = NULL;
	j->cb = NULL;
	j->arg = NULL;
	if (j->end != NULL)
		j->end(j->priv, cancelled);
}

void
driver_job_answer(struct driver_job *j, const struct driver_result *r)
{
	driver_cb cb = j->cb;
	void *arg = j->arg;

	driver_job_end(j, false);
	if (cb != NULL)
		cb(r, arg);
}

void
driver_job_failf(struct driver_job *j, const char *fmt, ...)
{
	struct driver_result res;
	va_list ap;

	memset(&res, 0, sizeof(res));
	va_start(ap, fmt);
	vsnprintf(res.message, sizeof(res.message), fmt, ap);
	va_end(ap);
	driver_job_answer(j, &res);
}

void
driver_job_cancel(struct driver_job *j)
{
	if (j->timer != NULL)
		loop_timer_cancel(j->d->loop, j->timer);
	driver_job_end(j, true);
}

void
driver_job_after(struct driver_job *j, int64_t delay_ms, loop_timer_cb fn,
		 void *arg)
{
	j->timer = loop_timer_at(j->d->loop, loop_now(j->d->loop) + delay_ms,
	    fn, arg);
}

/*
 * Whole: within 1e-10 of an integer.  Integer weights summing to S below
 * 2^33 miss a whole percent by at least 1/S, far more than that, while
 * the error of the division is near 1e-14: the test is exact for every
 * API's integers, and for fractions (Cloudflare's 0..1) that are whole
 * percents once rounding in decimal is forgiven.
 */
#define DRIVER_PERCENT_EPSILON 1e-10

int
driver_percent(double wi, double wa, struct weights *w, char *why,
	       size_t len)
{
	double p, r;

	if (!isfinite(wi) || !isfinite(wa) || wi < 0 || wa < 0 ||
	    wi > 1e15 || wa > 1e15) {
		snprintf(why, len, "weights %.10g/%.10g are out of range", wi,
		    wa);
		return -1;
	}
	if (wi + wa <= 0) {
		snprintf(why, len, "both weights are 0");
		return -1;
	}
	p = 100.0 * wi / (wi + wa);
	r = round(p);
	if (fabs(p - r) > DRIVER_PERCENT_EPSILON) {
		snprintf(why, len, "weights istio=%.10g apisix=%.10g are not a "
		    "whole-percent split (istio %.2f%%)", wi, wa, p);
		return -1;
	}
	w->istio = (int)r;
	w->apisix = 100 - w->istio;
	return 0;
}

int
driver_weights_check(struct weights w, struct err *e)
{
	if (w.istio < 0 || w.apisix < 0 || w.istio + w.apisix != 100)
		return err_set(e, "refusing to apply weights %d/%d: they must "
			       "be 0..100 and sum to 100", w.istio, w.apisix);
	return 0;
}

void
driver_answer(const struct driver_result *r, void *arg)
{
	struct driver *d = arg;
	struct driver_result out = *r;
	driver_cb cb = d->cb;
	void *cb_arg = d->cb_arg;

	/* The callback may start the next step, which refills the slot. */
	d->cb = NULL;
	d->cb_arg = NULL;
	text_scrub(out.message, sizeof(out.message));
	if (cb != NULL)
		cb(&out, cb_arg);
}
