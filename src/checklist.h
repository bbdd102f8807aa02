/*
 * checklist — the migration guide's rollback checklist, and the part of it
 * cutover does itself: fetching the Istio logs.
 *
 * After a rollback the session shows the guide's five items and ticks what
 * it can prove: the weights back to 100 % APISIX (read back), traffic
 * recovered (the rollback verification), the Istio logs collected, a
 * summary for the root-cause analysis (the gate values that caused it);
 * "retry after the fix" stays the operator's.
 *
 * The logs: every pod of the groups with side istio or collect_logs, from
 * the stage's start (sinceTime), capped per pod (limitBytes, and again
 * here), and the previous container's for a pod that restarted; one file
 * each, 0600, in a new 0700 directory next to the audit log.  The bytes are
 * written as the API sent them and never shown: only counts and the
 * directory's name reach a screen or the audit log.
 */
#ifndef CUTOVER_SRC_CHECKLIST_H
#define CUTOVER_SRC_CHECKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "plan.h"
#include "podhealth.h"

struct kube;
struct kube_call;
struct prom;
struct prom_call;

/* X(id, name, label): the guide's items, in its order. */
#define CHECKLIST_LIST(X)                                                     \
	X(CL_WEIGHTS, "weights", "weights back to 100% APISIX")               \
	X(CL_TRAFFIC, "traffic", "traffic recovered")                         \
	X(CL_LOGS, "logs", "Istio logs collected")                            \
	X(CL_ROOT_CAUSE, "root_cause", "root cause analysed")                 \
	X(CL_RETRY, "retry", "retry after the fix")

enum checklist_id {
#define X(id, name, label) id,
	CHECKLIST_LIST(X)
#undef X
	CL_COUNT
};

enum checklist_mark {
	CL_MARK_UNKNOWN,	/* not (yet) proven */
	CL_MARK_DONE,		/* proven by cutover */
	CL_MARK_FAILED,		/* proven not done */
	CL_MARK_OPERATOR,	/* the operator's to do */
};

struct checklist_item {
	enum checklist_mark mark;
	char text[640];		/* sanitised */
};

#define CHECKLIST_PODS_MAX 64

enum checklist_logs {
	CL_LOGS_NONE,		/* no rollback yet, or nothing to fetch from */
	CL_LOGS_WAITING,	/* the pods are being listed */
	CL_LOGS_FETCHING,
	CL_LOGS_DONE,
};

struct checklist_fetch {
	struct checklist *cl;
	struct kube_call *call;
	char file[96];		/* the file's name in the directory */
};

/* The two Prometheus questions of the root-cause summary. */
enum checklist_rca {
	CL_RCA_CODE,		/* Istio's requests by response code */
	CL_RCA_SERVICE,		/* 5xx rate by destination service */
	CL_RCA_COUNT
};

struct checklist_rca_call {
	struct checklist *cl;
	enum checklist_rca which;
	struct prom_call *call;
};

struct checklist {
	bool active;			/* a rollback happened in this run */
	int64_t rollback_wall_ms;
	int64_t since_wall_ms;		/* the rolled-back stage's start */
	char cause[320];		/* the gates when it was decided */
	enum checklist_logs logs;
	char dir[512];			/* where the logs go */
	char logs_error[256];		/* why none could be fetched */
	int pods;			/* pods asked for */
	int files;			/* logs written */
	int failed;			/* logs that could not be fetched */
	int capped;			/* logs cut at log_max_bytes */
	int max_bytes;			/* the cap of each */
	int nfetch;
	int pending;
	struct checklist_fetch fetch[2 * CHECKLIST_PODS_MAX];
	void (*on_done)(struct checklist *cl, void *arg);
	void *on_done_arg;
	/* The root-cause summary over the stage, from Prometheus. */
	struct checklist_rca_call rca[CL_RCA_COUNT];
	int rca_pending;
	char rca_text[CL_RCA_COUNT][200];	/* "503 2.50%, 200 97.50%" */
	void (*on_rca)(struct checklist *cl, void *arg);
};

/* A rollback began: remember why, and from when the logs are wanted. */
void checklist_begin(struct checklist *cl, const char *cause,
		     int64_t now_wall_ms, int64_t stage_age_ms);

/*
 * Fetch the logs of the plan's Istio groups (`groups` as last listed)
 * through `k` into a new directory next to `audit_log`.  -1 with
 * cl->logs_error when nothing could be started.  on_done runs once
 * every answer is written.
 */
int checklist_fetch_logs(struct checklist *cl, const struct plan *p,
			 struct kube *k, const struct group_health *groups);

/*
 * Ask Prometheus (`pr`, may be NULL) for the stage's Istio requests by
 * response code and its 5xx rate by destination service; on_rca runs
 * once both answered (with on_done_arg).
 */
void checklist_summarise(struct checklist *cl, const struct plan *p,
			 struct prom *pr);

/* Stop what is in flight (the files written stay). */
void checklist_cancel(struct checklist *cl);

/* Is a log still being fetched (or are its pods being listed)? */
bool checklist_busy(const struct checklist *cl);

/* Does group `i` of the plan have its logs collected after a rollback? */
bool checklist_collects(const struct plan *p, int i);

/* "ns_pod.log" from outside names: only [A-Za-z0-9._-], bounded. */
void checklist_file_name(const char *ns, const char *pod, bool previous,
			 char *out, size_t len);

const char *checklist_name(enum checklist_id id);
const char *checklist_label(enum checklist_id id);

#endif
