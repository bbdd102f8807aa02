/*
 * driver — how traffic weights are changed and read back.  One interface,
 * several implementations (exec, route53, cloudflare, kubernetes in
 * src/drivers/, listed in driver.c's table; demo in demo.c), each a const
 * struct driver_ops in its own file, sharing struct driver_job's lifecycle
 * and driver_percent's rule (HACKING.md, "Drivers").  Every operation is
 * asynchronous on the loop and answers exactly once through its callback,
 * unless cancelled.  Operations are idempotent: applying the weights in
 * force changes nothing.
 *
 * Drivers report progress lines ("PENDING", the child's stderr) through
 * the log callback; those lines reach the event log and must never contain
 * a secret.  Both progress lines (driver_log) and answers (driver_apply,
 * driver_read_back) pass through text_scrub() on their way out: whatever
 * a child, an API or a proxy said is redacted and shown with '?' for
 * control characters before anyone else sees it.
 */
#ifndef CUTOVER_SRC_DRIVER_H
#define CUTOVER_SRC_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover.h"
#include "err.h"
#include "loop.h"
#include "plan.h"

struct driver;
struct rbac;

struct driver_result {
	bool ok;
	bool have_weights;	/* read_back (or apply that reads back) */
	/* Not ok because the weights were changed outside cutover while the
	 * step ran: nothing was written; `weights` (when have_weights) is
	 * what is in force. */
	bool drift;
	struct weights weights;
	char message[512];	/* failure reason, or a short success note */
};

typedef void (*driver_cb)(const struct driver_result *r, void *arg);
typedef void (*driver_log_cb)(const char *line, void *arg);

struct driver_ops {
	const char *name;	/* the plan's traffic.driver value */
	enum driver_kind kind;
	/*
	 * The longest a one-shot command waits for one step with these
	 * settings (apply or read back, retries included), in ms; NULL: two
	 * minutes.  cmd_deadline adds its own margin.
	 */
	int64_t (*deadline)(const struct plan *p);
	/* Check settings, allocate d->priv.  No I/O beyond reading files. */
	int (*init)(struct driver *d, struct err *e);
	/* Free d->priv, after cancel (NULL: free(d->priv) is enough). */
	void (*done)(struct driver *d);
	/* Apply weights for `stage`; cb once. */
	int (*apply)(struct driver *d, struct weights w, int stage,
		     driver_cb cb, void *arg, struct err *e);
	/* Read the weights in force; cb once (have_weights on success). */
	int (*read_back)(struct driver *d, driver_cb cb, void *arg,
			 struct err *e);
	/* Abort whatever is in flight; no callback follows.  NULL for a
	 * driver with a driver_job: driver_job_cancel does it. */
	void (*cancel)(struct driver *d);
	/* One line for the screen and `cutover check`, no secrets. */
	void (*describe)(const struct driver *d, char *buf, size_t len);
	/* Whether read_back can work with these settings (NULL: it can
	 * whenever read_back is set). */
	bool (*can_read_back)(const struct driver *d);
	/* The Kubernetes permissions these settings need (rbac.h); NULL:
	 * none. */
	void (*rbac)(const struct plan *p, struct rbac *r);
};

struct driver {
	const struct driver_ops *ops;
	const struct plan *plan;	/* borrowed */
	struct loop *loop;		/* borrowed */
	driver_log_cb log;
	void *log_arg;
	void *priv;
	struct driver_job *job;	/* in priv, when the driver has one */
	driver_cb cb;		/* the caller of the step in progress */
	void *cb_arg;
	/*
	 * The weights the caller holds in force when it starts a step
	 * forward (have_expect).  A driver that reads before it writes
	 * answers drift, writing nothing, when it finds other weights.
	 */
	bool have_expect;
	struct weights expect;
};

/*
 * The step a driver has in progress, embedded in its priv: which
 * operation (0: none; otherwise the driver's own value, which it may
 * change as the step moves on), whom to answer, and the timer of a retry.
 * The helpers are the lifecycle every driver shares.  `end` is the
 * driver's part when a step ends: reset its per-step state and, when
 * cancelled, first stop its own request (an HTTP transfer, a child).
 */
struct driver_job {
	struct driver *d;
	int op;
	driver_cb cb;
	void *arg;
	struct loop_timer *timer;
	void (*end)(void *priv, bool cancelled);
	void *priv;
};

/* Also makes j the driver's (d->job), so that it needs no cancel. */
void driver_job_init(struct driver_job *j, struct driver *d,
		     void (*end)(void *, bool), void *priv);
/* Take the operation and the caller before the first request starts;
 * driver_job_cancel undoes it when that request cannot start. */
void driver_job_begin(struct driver_job *j, int op, driver_cb cb,
		      void *arg);
/* End the step, then answer; nothing may touch the driver afterwards. */
void driver_job_answer(struct driver_job *j, const struct driver_result *r);
void driver_job_failf(struct driver_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* End the step without an answer. */
void driver_job_cancel(struct driver_job *j);
/* Call fn(arg) after delay_ms: a retry or a poll.  fn starts with
 * j->timer = NULL. */
void driver_job_after(struct driver_job *j, int64_t delay_ms,
		      loop_timer_cb fn, void *arg);

static inline bool
driver_job_busy(const struct driver_job *j)
{
	return j->op != 0;
}

/*
 * The split two backend weights read back make, the one rule every
 * driver follows: istio's share 100 * wi / (wi + wa) must be a whole
 * percent (20 and 180 is 10/90; 1 and 2 is refused, never rounded), since
 * cutover writes whole percents and a rounded read-back would report a
 * split that is not in force.  0 with w filled, or -1 with why filled
 * ("both weights are 0", "weights istio=1 apisix=2 are not a
 * whole-percent split (istio 33.33%)").  Weights must be finite and not
 * negative; each driver checks its API's range first.
 */
int driver_percent(double wi, double wa, struct weights *w, char *why,
		   size_t len);

/* 0 when w is a split to apply (0..100 each, summing to 100), else -1
 * with e saying why. */
int driver_weights_check(struct weights w, struct err *e);

/* Scrub a driver's answer, then hand it to d->cb (see driver.c). */
void driver_answer(const struct driver_result *r, void *arg);

/*
 * The drivers a plan can name, one line each in driver.c's table; the
 * demo driver is not among them (the demo installs it).  driver_find
 * looks a kind up there, then among those added by driver_register (for
 * tests: a toy driver proves a new one needs only its file and a line).
 */
const struct driver_ops *driver_find(enum driver_kind kind);
int driver_register(const struct driver_ops *ops, struct err *e);
/* The deadline of plan's driver (see driver_ops.deadline). */
int64_t driver_deadline(const struct plan *p);

extern const struct driver_ops exec_driver;
extern const struct driver_ops route53_driver;
extern const struct driver_ops cloudflare_driver;
extern const struct driver_ops kube_driver;
extern const struct driver_ops demo_driver;

/* Pick the ops for plan->traffic.driver and init.  NULL ops for NONE. */
int driver_init(struct driver *d, const struct plan *p, struct loop *l,
		driver_log_cb log, void *log_arg, struct err *e);
void driver_done(struct driver *d);

static inline bool
driver_present(const struct driver *d)
{
	return d->ops != NULL;
}

/*
 * A driver runs one step at a time (a second is refused while one is in
 * progress), so one slot holds the caller; it is kept when the driver
 * refuses.
 */
static inline int
driver_apply(struct driver *d, struct weights w, int stage, driver_cb cb,
	     void *arg, struct err *e)
{
	driver_cb ocb = d->cb;
	void *oarg = d->cb_arg;

	d->cb = cb;
	d->cb_arg = arg;
	if (d->ops->apply(d, w, stage, driver_answer, d, e) == 0)
		return 0;
	d->cb = ocb;
	d->cb_arg = oarg;
	return -1;
}

static inline int
driver_read_back(struct driver *d, driver_cb cb, void *arg, struct err *e)
{
	driver_cb ocb = d->cb;
	void *oarg = d->cb_arg;

	if (d->ops->read_back == NULL)
		return err_set(e, "driver %s cannot read back weights",
			       d->ops->name);
	d->cb = cb;
	d->cb_arg = arg;
	if (d->ops->read_back(d, driver_answer, d, e) == 0)
		return 0;
	d->cb = ocb;
	d->cb_arg = oarg;
	return -1;
}

/* Whether the driver can read back the weights in force. */
static inline bool
driver_can_read_back(const struct driver *d)
{
	if (d->ops == NULL || d->ops->read_back == NULL)
		return false;
	if (d->ops->can_read_back == NULL)
		return true;
	return d->ops->can_read_back(d);
}

static inline void
driver_cancel(struct driver *d)
{
	if (d->ops == NULL)
		return;
	if (d->ops->cancel != NULL)
		d->ops->cancel(d);
	else if (d->job != NULL)
		driver_job_cancel(d->job);
}

/*
 * Parse the output of the exec driver's `get` command: "istio=25
 * apisix=75" (tokens separated by blanks, newlines or commas, any order)
 * or JSON {"istio":25,"apisix":75}.  Both sides, integers 0..100, summing
 * to 100; anything else is an error naming what was wrong.
 */
int driver_exec_parse_weights(const char *out, struct weights *w,
			      struct err *e);

/*
 * The split a driver reads from one answer body of its backend (NUL at
 * len), as its read_back does: for tests and fuzzing.  0 with w filled,
 * or -1 with e filled.  Route53: a ListResourceRecordSets page or an
 * <Error>; Cloudflare: the pool or load balancer with its HTTP status;
 * kubernetes: the VirtualService or HTTPRoute (cfg->kind).
 */
int driver_route53_parse(const struct plan_route53 *cfg, const char *body,
			 size_t len, struct weights *w, struct err *e);
int driver_cloudflare_parse(const struct plan_cloudflare *cfg,
			    const char *body, size_t len, long status,
			    struct weights *w, struct err *e);
int driver_kube_parse(const struct plan_kube_route *cfg, const char *body,
		      size_t len, struct weights *w, struct err *e);

/* Emit a progress line through the driver's log callback. */
void driver_log(const struct driver *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
