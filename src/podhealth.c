/*
 * podhealth — pod lists into group health (see podhealth.h).
 *
 * A pod counts as ready when its Ready condition is True and it is not
 * being deleted.  The Istio sidecar is found in two places: a classic
 * `istio-proxy` entry of spec.containers, or a native sidecar: an
 * `istio-proxy` entry of spec.initContainers with restartPolicy Always,
 * whose status is then in status.initContainerStatuses.  An init container
 * of that name without restartPolicy Always is an ordinary init step
 * (istio-init / istio-validation style), not a sidecar.
 *
 * A list item that is not a pod, or a restartCount that is not a whole
 * number in the API's int32 range, is an error for the whole list: never
 * skipped, never wrapped.  Restart sums are 64-bit and cannot overflow.
 */
#include "config.h"

#include "podhealth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text.h"
#include "xmalloc.h"

#define RECENT_MS PODHEALTH_RECENT_MS

void
group_health_init(struct group_health *g, int min_ready)
{
	memset(g, 0, sizeof(*g));
	g->state = SOURCE_UNKNOWN;
	g->min_ready = min_ready;
	g->sidecar_missing = -1;
}

void
group_health_done(struct group_health *g)
{
	free(g->pods);
	g->pods = NULL;
	g->npods = 0;
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* Parse "2026-11-24T10:00:00Z" into wall ms (0 when unparseable). */
static int64_t
parse_time(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* Higher is worse: what an operator must see first. */
static const char *const podhealth_reasons[] = {
	"CrashLoopBackOff", "OOMKilled", "ImagePullBackOff",
	"ErrImagePull", "CreateContainerConfigError",
	"CreateContainerError", "InvalidImageName", "RunContainerError",
	"Error", "ContainerCreating", "PodInitializing",
};
#define PODHEALTH_NREASONS \
	((int)(sizeof(podhealth_reasons) / sizeof(podhealth_reasons[0])))

int
podhealth_reason_rank(const char *r)
{
	int n = PODHEALTH_NREASONS;

	/* How every init step ends: not a problem to show. */
	if (r == NULL || *r == '\0' || strcmp(r, "Completed") == 0)
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(r, podhealth_reasons[i]) == 0)
			return 2 * n - i;
	return 1;
}

const char *
podhealth_reason_name(int rank)
{
	int i = 2 * PODHEALTH_NREASONS - rank;

	return rank > 1 && i >= 0 && i < PODHEALTH_NREASONS ?
	       podhealth_reasons[i] : NULL;
}

static void
worse_reason(char *dst, size_t len, const char *r)
{
	if (podhealth_reason_rank(r) > podhealth_reason_rank(dst))
		snprintf(dst, len, "%s", r);
}

/* restartCount is an int32 >= 0 in the API. */
#define PODHEALTH_RESTARTS_MAX 2147483647

static int
statuses(const json_t *arr, struct pod_health *ph, bool count_sidecar,
	 struct err *e)
{
	size_t i;
	json_t *cs;

	json_array_foreach(arr, i, cs) {
		json_t *state = json_object_get(cs, "state");
		json_t *last = json_object_get(json_object_get(cs,
							       "lastState"),
					       "terminated");
		json_t *rc = json_object_get(cs, "restartCount");
		const char *name = str(cs, "name");

		if (rc != NULL && (!json_is_integer(rc) ||
		    json_integer_value(rc) < 0 ||
		    json_integer_value(rc) > PODHEALTH_RESTARTS_MAX))
			return err_set(e, "pod %.64s: container %.64s: "
				       "restartCount is not a whole number in "
				       "0..%d", ph->name, name,
				       PODHEALTH_RESTARTS_MAX);
		if (rc != NULL)
			ph->restarts += json_integer_value(rc);
		worse_reason(ph->reason, sizeof(ph->reason),
			     str(json_object_get(state, "waiting"), "reason"));
		worse_reason(ph->reason, sizeof(ph->reason),
			     str(json_object_get(state, "terminated"),
				 "reason"));
		if (last != NULL) {
			int64_t t = parse_time(str(last, "finishedAt"));

			if (strcmp(str(last, "reason"), "OOMKilled") == 0)
				ph->oomkilled = true;
			if (t > ph->last_restart_wall_ms)
				ph->last_restart_wall_ms = t;
		}
		if (count_sidecar && strcmp(name, "istio-proxy") == 0)
			ph->sidecar_ready =
				json_is_true(json_object_get(cs, "ready"));
	}
	return 0;
}

int
podhealth_pod(const json_t *pod, int64_t now_wall_ms, struct pod_health *ph,
	      struct err *e)
{
	const json_t *meta = json_object_get(pod, "metadata");
	const json_t *spec = json_object_get(pod, "spec");
	const json_t *status = json_object_get(pod, "status");
	bool native = false;
	size_t i;
	json_t *c;

	(void)now_wall_ms;
	memset(ph, 0, sizeof(*ph));
	if (!json_is_object(pod) || !json_is_object(meta))
		return err_set(e, "a pod list item is not a pod (no "
			       "metadata object)");
	snprintf(ph->name, sizeof(ph->name), "%s", str(meta, "name"));
	snprintf(ph->phase, sizeof(ph->phase), "%s", str(status, "phase"));
	ph->terminating = json_object_get(meta, "deletionTimestamp") != NULL &&
			  !json_is_null(json_object_get(meta,
							"deletionTimestamp"));
	json_array_foreach(json_object_get(status, "conditions"), i, c) {
		if (strcmp(str(c, "type"), "Ready") == 0)
			ph->ready = strcmp(str(c, "status"), "True") == 0;
	}
	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		if (strcmp(str(c, "name"), "istio-proxy") == 0)
			ph->sidecar = true;
	}
	json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
		if (strcmp(str(c, "name"), "istio-proxy") == 0 &&
		    strcmp(str(c, "restartPolicy"), "Always") == 0)
			ph->sidecar = native = true;
	}
	if (statuses(json_object_get(status, "containerStatuses"), ph,
		     ph->sidecar && !native, e) != 0 ||
	    statuses(json_object_get(status, "initContainerStatuses"), ph,
		     native, e) != 0)
		return -1;
	if (ph->oomkilled && ph->reason[0] == '\0')
		snprintf(ph->reason, sizeof(ph->reason), "OOMKilled");
	if (strcmp(ph->phase, "Running") != 0 && ph->reason[0] == '\0' &&
	    ph->phase[0] != '\0')
		snprintf(ph->reason, sizeof(ph->reason), "%s", ph->phase);
	if (ph->terminating)
		ph->ready = false;
	/* Outside text, shown as it is: never a control character. */
	text_sanitise(ph->name);
	text_sanitise(ph->phase);
	text_sanitise(ph->reason);
	return 0;
}

void
podhealth_take(struct group_health *g, struct pod_health *pods, int npods,
	       int64_t now_wall_ms, int64_t now_mono_ms)
{
	group_health_done(g);
	g->pods = pods;
	g->npods = npods;
	g->total = g->ready = g->restarts = g->recent_restarts = 0;
	g->oomkilled = g->terminating = g->with_sidecar = 0;
	g->sidecar_ready = g->sidecar_missing = 0;
	g->worst_reason[0] = '\0';
	for (int i = 0; i < npods; i++) {
		const struct pod_health *ph = &pods[i];

		g->total++;
		g->ready += ph->ready;
		g->restarts += ph->restarts;
		g->oomkilled += ph->oomkilled;
		g->terminating += ph->terminating;
		g->with_sidecar += ph->sidecar;
		g->sidecar_ready += ph->sidecar && ph->sidecar_ready;
		g->sidecar_missing += !ph->terminating &&
				      !(ph->sidecar && ph->sidecar_ready);
		if (ph->last_restart_wall_ms > 0 &&
		    now_wall_ms - ph->last_restart_wall_ms < RECENT_MS)
			g->recent_restarts++;
		worse_reason(g->worst_reason, sizeof(g->worst_reason),
			     ph->reason);
	}
	g->state = SOURCE_OK;
	g->error[0] = '\0';
	g->fetched_mono_ms = now_mono_ms;
}

int
podhealth_summarise(struct group_health *g, json_t *const *items, int nitems,
		    int64_t now_wall_ms, int64_t now_mono_ms)
{
	struct pod_health *pods;
	struct err e;
	size_t n = 0;
	int used = 0;

	for (int k = 0; k < nitems; k++)
		n += json_array_size(items[k]);
	pods = n > 0 ? xcalloc(n, sizeof(*pods)) : NULL;
	for (int k = 0; k < nitems; k++) {
		size_t i;
		json_t *pod;

		json_array_foreach(items[k], i, pod) {
			err_clear(&e);
			if (podhealth_pod(pod, now_wall_ms, &pods[used],
					  &e) != 0) {
				free(pods);
				g->state = SOURCE_ERROR;
				snprintf(g->error, sizeof(g->error), "%s",
					 e.msg);
				return -1;
			}
			used++;
		}
	}
	podhealth_take(g, pods, used, now_wall_ms, now_mono_ms);
	return 0;
}

bool
group_health_ok(const struct group_health *g, bool sidecar_required)
{
	if (g->state != SOURCE_OK || g->ready < g->min_ready)
		return false;
	if (!sidecar_required)
		return true;
	/*
	 * Every pod that is not going away needs a ready sidecar.  Judged
	 * per pod when the pods are known: the counts alone would let a
	 * terminating pod's ready proxy stand in for a missing one.
	 * Counted as the pods came in (podhealth_take, podcache).
	 */
	if (g->sidecar_missing >= 0)
		return g->sidecar_missing == 0;
	if (g->npods == g->total && g->pods != NULL) {
		for (int i = 0; i < g->npods; i++) {
			const struct pod_health *ph = &g->pods[i];

			if (!ph->terminating &&
			    !(ph->sidecar && ph->sidecar_ready))
				return false;
		}
		return true;
	}
	return g->sidecar_ready >= g->total - g->terminating;
}
