/*
 * podhealth — the health of one group of pods, summarised from a pod list
 * (the Kubernetes API's JSON).  Knows where Istio puts its sidecar: a
 * classic istio-proxy in spec.containers, or a native sidecar in
 * spec.initContainers with restartPolicy Always (status in
 * initContainerStatuses).  Gateway pods run istio-proxy as their main
 * container.
 */
#ifndef CUTOVER_SRC_PODHEALTH_H
#define CUTOVER_SRC_PODHEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "metrics.h"

struct pod_health {
	char name[128];
	char phase[32];		/* Running, Pending, ... */
	bool ready;
	bool terminating;
	int64_t restarts;	/* sum of restartCount, each 0..INT32_MAX */
	char reason[64];	/* worst waiting/terminated reason, "" if none */
	bool oomkilled;
	bool sidecar;		/* istio-proxy present */
	bool sidecar_ready;
	int64_t last_restart_wall_ms;	/* 0 if unknown */
};

struct group_health {
	enum source_state state;
	char error[256];
	int64_t fetched_mono_ms;
	int total;
	int ready;
	int min_ready;
	int64_t restarts;
	int recent_restarts;	/* within the last 15 minutes */
	int oomkilled;
	int terminating;
	int with_sidecar;
	int sidecar_ready;
	char worst_reason[64];	/* e.g. CrashLoopBackOff, "" if none */
	int sidecar_missing;	/* pods not going away without a ready
				 * sidecar; -1: not counted (demo) */
	struct pod_health *pods;	/* owned; NULL when fed by a podcache */
	int npods;
};

/* A restart this recent counts as new (recent_restarts). */
#define PODHEALTH_RECENT_MS (15 * 60 * 1000)

void group_health_init(struct group_health *g, int min_ready);
void group_health_done(struct group_health *g);

/*
 * Summarise one pod object into ph.  -1 (e filled, naming the pod) when
 * it is not an object or a number in it is out of the API's range.
 */
int podhealth_pod(const json_t *pod, int64_t now_wall_ms,
		  struct pod_health *ph, struct err *e);

/*
 * Replace g's pods with the pods of a PodList's "items" array(s).  A bad
 * pod puts g in SOURCE_ERROR (its old pods stay) and returns -1.
 */
int podhealth_summarise(struct group_health *g, json_t *const *items,
			int nitems, int64_t now_wall_ms, int64_t now_mono_ms);

/*
 * Replace g's pods with `pods` (ownership moves; xmalloc'd or NULL) and
 * recompute the totals.  Lets a pod list be summarised page by page.
 */
void podhealth_take(struct group_health *g, struct pod_health *pods,
		    int npods, int64_t now_wall_ms, int64_t now_mono_ms);

/* How bad a waiting/terminated reason is: 0 none, 1 unknown, higher is
 * worse (CrashLoopBackOff highest).  Below PODHEALTH_RANKS. */
int podhealth_reason_rank(const char *reason);
/* The reason of a rank above 1 (NULL for 0, 1 or out of range). */
const char *podhealth_reason_name(int rank);
#define PODHEALTH_RANKS 24

/* Does the group meet its minimum, with sidecars if required? */
bool group_health_ok(const struct group_health *g, bool sidecar_required);

#endif
