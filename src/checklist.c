/*
 * checklist — the rollback checklist's log collection (see checklist.h).
 *
 * Every request is a kube_call on the loop; each answer is written to its
 * own file as it lands, so a slow pod does not hold the others, and a
 * failed one is counted, never retried blindly.  The body is bounded by
 * limitBytes, by the HTTP layer's limit, and cut again here at the plan's
 * cap whatever the server did.
 */
#include "config.h"

#include "checklist.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "kube.h"
#include "prom.h"
#include "store.h"
#include "text.h"
#include "xmalloc.h"

static const struct {
	const char *name;
	const char *label;
} items[CL_COUNT] = {
#define X(id, n, l) [id] = { n, l },
	CHECKLIST_LIST(X)
#undef X
};

const char *
checklist_name(enum checklist_id id)
{
	return items[id].name;
}

const char *
checklist_label(enum checklist_id id)
{
	return items[id].label;
}

void
checklist_begin(struct checklist *cl, const char *cause, int64_t now_wall_ms,
		int64_t stage_age_ms)
{
	checklist_cancel(cl);
	memset(cl, 0, sizeof(*cl));
	cl->active = true;
	cl->rollback_wall_ms = now_wall_ms;
	/* At least the last five minutes: a stage just entered has little. */
	if (stage_age_ms < 5 * 60 * 1000)
		stage_age_ms = 5 * 60 * 1000;
	cl->since_wall_ms = now_wall_ms - stage_age_ms;
	snprintf(cl->cause, sizeof(cl->cause), "%s",
		 cause != NULL ? cause : "");
	text_scrub(cl->cause, sizeof(cl->cause));
}

bool
checklist_collects(const struct plan *p, int i)
{
	return p->groups[i].side == SIDE_ISTIO || p->groups[i].collect_logs;
}

void
checklist_file_name(const char *ns, const char *pod, bool previous,
		    char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "%.60s_%.120s", ns, pod);
	for (char *c = out; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
		      *c == '_'))
			*c = '_';
	/* Never "." or "..": a leading dot becomes '_'. */
	if (out[0] == '.')
		out[0] = '_';
	n = strlen(out);
	snprintf(out + n, len - n, "%s", previous ? ".previous.log" : ".log");
}

static void
rfc3339(int64_t wall_ms, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
fetch_done(struct checklist *cl)
{
	cl->pending--;
	if (cl->pending == 0) {
		cl->logs = CL_LOGS_DONE;
		if (cl->on_done != NULL)
			cl->on_done(cl, cl->on_done_arg);
	}
}

static void
log_answered(const struct http_response *r, const char *msg, void *arg)
{
	struct checklist_fetch *f = arg;
	struct checklist *cl = f->cl;
	char path[640];
	struct err e;
	size_t len;
	int fd;

	f->call = NULL;
	if (r == NULL || msg[0] != '\0' || r->body == NULL) {
		cl->failed++;
		fetch_done(cl);
		return;
	}
	/* Whatever the server did with limitBytes, no more than the cap. */
	len = r->body_len;
	if (len >= (size_t)cl->max_bytes || r->truncated) {
		len = len > (size_t)cl->max_bytes ? (size_t)cl->max_bytes : len;
		cl->capped++;
	}
	snprintf(path, sizeof(path), "%s/%s", cl->dir, f->file);
	err_clear(&e);
	fd = store_file_open(path, O_WRONLY | O_CREAT | O_EXCL, &e);
	if (fd < 0 || store_write_all(fd, r->body, len) != 0) {
		cl->failed++;
		snprintf(cl->logs_error, sizeof(cl->logs_error), "%s",
			 fd < 0 ? e.msg : strerror(errno));
		text_scrub(cl->logs_error, sizeof(cl->logs_error));
	} else {
		cl->files++;
	}
	if (fd >= 0)
		close(fd);
	fetch_done(cl);
}

static int
start_one(struct checklist *cl, struct kube *k, const char *ns,
	  const char *pod, bool previous, int max_bytes, const char *since)
{
	struct checklist_fetch *f;
	char *path;
	char *ens = http_escape(ns);
	char *epod = http_escape(pod);
	struct err e;

	if (cl->nfetch >= (int)(sizeof(cl->fetch) / sizeof(cl->fetch[0])))
		return -1;
	f = &cl->fetch[cl->nfetch];
	f->cl = cl;
	checklist_file_name(ns, pod, previous, f->file, sizeof(f->file));
	path = xasprintf("/api/v1/namespaces/%s/pods/%s/log?sinceTime=%s&"
			 "limitBytes=%d&timestamps=true%s", ens, epod, since,
			 max_bytes, previous ? "&previous=true" : "");
	free(ens);
	free(epod);
	err_clear(&e);
	f->call = kube_call_start(k, "GET", path, NULL, NULL, 0, log_answered,
				  f, &e);
	free(path);
	if (f->call == NULL) {
		cl->failed++;
		snprintf(cl->logs_error, sizeof(cl->logs_error), "%s", e.msg);
		text_scrub(cl->logs_error, sizeof(cl->logs_error));
		return -1;
	}
	cl->nfetch++;
	cl->pending++;
	return 0;
}

int
checklist_fetch_logs(struct checklist *cl, const struct plan *p,
		     struct kube *k, const struct group_health *groups)
{
	char since[32];
	char stamp[32];
	char *copy;
	time_t t;
	struct tm tm;

	cl->logs = CL_LOGS_NONE;
	if (k == NULL) {
		snprintf(cl->logs_error, sizeof(cl->logs_error), "no "
			 "Kubernetes API to fetch them from");
		return -1;
	}
	t = (time_t)(cl->rollback_wall_ms / 1000);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	copy = xstrdup(p->audit_log);
	snprintf(cl->dir, sizeof(cl->dir), "%s/%s.logs-%s", dirname(copy),
		 p->name, stamp);
	free(copy);
	if (mkdir(cl->dir, 0700) != 0) {
		snprintf(cl->logs_error, sizeof(cl->logs_error), "cannot make "
			 "%s: %s", cl->dir, strerror(errno));
		text_scrub(cl->logs_error, sizeof(cl->logs_error));
		return -1;
	}
	rfc3339(cl->since_wall_ms, since, sizeof(since));
	cl->max_bytes = p->rollback.log_max_bytes;
	cl->logs = CL_LOGS_FETCHING;
	/* Counted first: an answer landing at once must not end it early. */
	cl->pending = 1;
	for (int i = 0; i < p->ngroups; i++) {
		const struct group_health *g = &groups[i];
		const char *ns = p->groups[i].namespace != NULL ?
				 p->groups[i].namespace : p->namespace;

		if (!checklist_collects(p, i))
			continue;
		for (int j = 0; j < g->npods && cl->pods < CHECKLIST_PODS_MAX;
		     j++) {
			const struct pod_health *ph = &g->pods[j];

			cl->pods++;
			start_one(cl, k, ns, ph->name, false,
				  p->rollback.log_max_bytes, since);
			/* A crash loop's cause is in the container before. */
			if (ph->restarts > 0)
				start_one(cl, k, ns, ph->name, true,
					  p->rollback.log_max_bytes, since);
		}
	}
	if (cl->pods == 0)
		snprintf(cl->logs_error, sizeof(cl->logs_error), "no pods "
			 "listed in the Istio groups");
	fetch_done(cl);
	return 0;
}

static int
rca_cmp(const void *a, const void *b)
{
	const struct prom_sample *x = a;
	const struct prom_sample *y = b;

	return x->value < y->value ? 1 : x->value > y->value ? -1 :
	       strcmp(x->label, y->label);
}

static void
rca_answered(const struct http_response *r, const char *msg, void *arg)
{
	struct checklist_rca_call *rc = arg;
	struct checklist *cl = rc->cl;
	char *out = cl->rca_text[rc->which];
	size_t cap = sizeof(cl->rca_text[rc->which]);
	struct prom_sample smp[64];
	size_t len = 0;
	struct err e;
	int n = 0;

	rc->call = NULL;
	err_clear(&e);
	if (msg[0] != '\0') {
		snprintf(out, cap, "Prometheus: %s", msg);
	} else if (prom_decode_vector(r->body, r->body_len, r->status,
				      r->content_type, rc->which ==
				      CL_RCA_CODE ? "response_code" :
				      "destination_service_name", smp, 64, &n,
				      &e) != 0) {
		snprintf(out, cap, "Prometheus: %s", e.msg);
	} else if (n == 0) {
		snprintf(out, cap, "no Istio requests over the stage");
	} else {
		qsort(smp, (size_t)n, sizeof(smp[0]), rca_cmp);
		out[0] = '\0';
		for (int i = 0; i < n && i < 5 && len < cap; i++)
			len += (size_t)snprintf(out + len, cap - len,
						"%s%s %.2f%%", i > 0 ? ", " :
						"", smp[i].label,
						smp[i].value * 100.0);
	}
	text_scrub(out, cap);
	if (--cl->rca_pending == 0 && cl->on_rca != NULL)
		cl->on_rca(cl, cl->on_done_arg);
}

void
checklist_summarise(struct checklist *cl, const struct plan *p,
		    struct prom *pr)
{
	long secs = (long)((cl->rollback_wall_ms - cl->since_wall_ms) / 1000);
	char gw[320];
	char *q[CL_RCA_COUNT];

	if (pr == NULL) {
		for (int i = 0; i < CL_RCA_COUNT; i++)
			snprintf(cl->rca_text[i], sizeof(cl->rca_text[i]),
				 "no Prometheus in the plan");
		return;
	}
	/* The gateway's own view (REFERENCE.md): reporter source, its
	 * workload; never summed without the reporter. */
	snprintf(gw, sizeof(gw), "reporter=\"source\",source_workload=\"%s\","
		 "source_workload_namespace=\"%s\"", p->istio_workload,
		 p->istio_namespace);
	q[CL_RCA_CODE] = xasprintf("sum by (response_code) (rate("
	    "istio_requests_total{%s}[%lds])) / scalar(sum(rate("
	    "istio_requests_total{%s}[%lds])))", gw, secs, gw, secs);
	/* A service without a single 5xx reads 0, not nothing. */
	q[CL_RCA_SERVICE] = xasprintf("(sum by (destination_service_name) "
	    "(rate(istio_requests_total{%s,response_code=~\"5..|0\"}[%lds]))"
	    " or 0 * sum by (destination_service_name) (rate("
	    "istio_requests_total{%s}[%lds]))) / sum by "
	    "(destination_service_name) (rate(istio_requests_total{%s}"
	    "[%lds]))", gw, secs, gw, secs, gw, secs);
	cl->rca_pending = 1;
	for (int i = 0; i < CL_RCA_COUNT; i++) {
		struct checklist_rca_call *rc = &cl->rca[i];
		struct err e;

		rc->cl = cl;
		rc->which = (enum checklist_rca)i;
		err_clear(&e);
		cl->rca_pending++;
		rc->call = prom_call_start(pr, q[i], rca_answered, rc, &e);
		if (rc->call == NULL) {
			cl->rca_pending--;
			snprintf(cl->rca_text[i], sizeof(cl->rca_text[i]),
				 "Prometheus: %s", e.msg);
			text_scrub(cl->rca_text[i], sizeof(cl->rca_text[i]));
		}
		free(q[i]);
	}
	if (--cl->rca_pending == 0 && cl->on_rca != NULL)
		cl->on_rca(cl, cl->on_done_arg);
}

void
checklist_cancel(struct checklist *cl)
{
	for (int i = 0; i < CL_RCA_COUNT; i++) {
		prom_call_cancel(cl->rca[i].call);
		cl->rca[i].call = NULL;
	}
	cl->rca_pending = 0;
	for (int i = 0; i < cl->nfetch; i++) {
		kube_call_cancel(cl->fetch[i].call);
		cl->fetch[i].call = NULL;
	}
	cl->pending = 0;
	if (cl->logs == CL_LOGS_FETCHING || cl->logs == CL_LOGS_WAITING)
		cl->logs = CL_LOGS_DONE;
}

bool
checklist_busy(const struct checklist *cl)
{
	return cl->logs == CL_LOGS_FETCHING || cl->logs == CL_LOGS_WAITING ||
	       cl->rca_pending > 0;
}
