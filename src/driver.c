/*
 * driver — choosing a traffic driver for a plan, and the shared helpers.
 *
 * driver_init picks the ops table by plan->traffic.driver and runs its
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

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

/* Longest progress line passed to the log callback. */
#define DRIVER_LOG_LINE_MAX 512

int
driver_init(struct driver *d, const struct plan *p, struct loop *l,
	    driver_log_cb log, void *log_arg, struct err *e)
{
	const struct driver_ops *ops = NULL;

	memset(d, 0, sizeof(*d));
	d->plan = p;
	d->loop = l;
	d->log = log;
	d->log_arg = log_arg;
	switch (p->traffic.driver) {
	case DRIVER_NONE:
		return 0;
	case DRIVER_EXEC:
		ops = &exec_driver;
		break;
	case DRIVER_ROUTE53:
		ops = &route53_driver;
		break;
	case DRIVER_CLOUDFLARE:
		ops = &cloudflare_driver;
		break;
	case DRIVER_KUBERNETES:
		ops = &kube_driver;
		break;
	case DRIVER_DEMO:
		return err_set(e, "the demo driver is installed by the demo");
	default:
		return err_set(e, "unknown traffic driver %d",
			       (int)p->traffic.driver);
	}
	if (ops->init != NULL && ops->init(d, e) == -1) {
		d->priv = NULL;
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
	if (d->ops->cancel != NULL)
		d->ops->cancel(d);
	if (d->ops->done != NULL)
		d->ops->done(d);
	d->ops = NULL;
	d->priv = NULL;
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
