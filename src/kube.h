/*
 * kube — the Kubernetes API client: pod lists of the plan's groups, on the
 * loop, into struct group_health (podhealth.h).
 *
 * kube_new() reads the kubeconfig (plan kubernetes.kubeconfig / .context,
 * see kubeconfig.h).  kube_refresh() lists the pods of every group at once
 * (paged with limit/continue; a 410 Gone restarts that list once; at
 * most 500 pages and 50,000 pods, and a repeated continue token is an
 * error) and summarises each group when its last page lands.  A failed list leaves
 * the group's previous pods in place (their age shows) and sets
 * state = SOURCE_ERROR with a readable error.
 *
 * Watch mode (kube_set_watch; the dashboard's): each group's pods are
 * listed once into a cache (struct podcache: the small pod_health per pod,
 * keyed by uid) and kept by a watch (watch=1 from the list's
 * resourceVersion, bookmarks allowed, timeoutSeconds 60, then resumed from
 * the last resourceVersion).  A refresh only publishes the cache's totals:
 * no request and no parse for pods that did not change.  410 Gone, a
 * broken or stalled stream or a line that is not an event start a new
 * list after a backoff; a group whose watch has been down for longer than
 * the plan's refresh interval is published as stale (SOURCE_ERROR, "stale:
 * ...": no data for the gates) until a list or watch is back.
 *
 * Credentials: a static token, a tokenFile (re-read every minute and after
 * a 401, for rotating service-account tokens), client certificates (files
 * or in-memory PEM), basic auth, or a client-go exec plugin.  An exec
 * plugin runs on the loop through proc (never a shell, never blocking);
 * its credential is cached until its expirationTimestamp and re-run once
 * after a 401.  No secret reaches argv, a log or an error message.
 */
#ifndef CUTOVER_SRC_KUBE_H
#define CUTOVER_SRC_KUBE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "http.h"
#include "loop.h"
#include "plan.h"
#include "podhealth.h"

struct kube;

/*
 * New client for plan `p` on loop `l` filling `groups` (p->ngroups
 * entries, group i is p->groups[i]); all borrowed, they must outlive the
 * client.  `groups` may be NULL: a client only for kube_call_start().
 * Fails (e filled) when no kubeconfig can be resolved.
 */
struct kube *kube_new(const struct plan *p, struct loop *l,
		      struct group_health *groups, struct err *e);

/* Cancel requests and any exec plugin in flight, and free the client. */
void kube_free(struct kube *k);

/*
 * List every group's pods at once.  When the previous refresh is still in
 * flight it is not doubled: returns 0 and does nothing.  Returns -1 when
 * no request could be started (each group then carries the error).
 */
int kube_refresh(struct kube *k);

/* True while lists or an exec plugin are in flight. */
bool kube_busy(const struct kube *k);

/* Hook called whenever a group's health changed (the UI sets dirty bits). */
void kube_on_update(struct kube *k, void (*cb)(void *arg), void *arg);

/* The kubeconfig context in use ("in-cluster" there), for the header. */
const char *kube_context(const struct kube *k);

/* True when TLS verification is off (insecure-skip-tls-verify). */
bool kube_insecure(const struct kube *k);

/* How many times the exec plugin ran (tests, diagnostics). */
int kube_exec_runs(const struct kube *k);

/* Pods per page (default 100); tests use small pages. */
void kube_set_page_limit(struct kube *k, int limit);

/* Watch mode on (see above) or off (a list per refresh, the default). */
void kube_set_watch(struct kube *k, bool on);

/* timeoutSeconds of each watch (default 60); tests use short ones. */
void kube_set_watch_seconds(struct kube *k, int seconds);

/* Watch events applied to group `group`'s cache so far (tests, bench). */
long kube_watch_events(const struct kube *k, int group);

/*
 * One authenticated request of any kind (the kubernetes traffic driver's
 * GET and PATCH), with the client's credentials: it waits for the exec
 * plugin when needed and is retried once after a 401.  The callback runs
 * exactly once unless cancelled: `r` is NULL when no request could be
 * made; `msg` is "" for a 2xx answer, else a readable line (the API's
 * Status message, "(user U, context C)" after 401/403), never a secret.
 * The call is freed after its callback.
 */
struct kube_call;
typedef void (*kube_call_cb)(const struct http_response *r, const char *msg,
			     void *arg);

/* Start `method` on `path` ("/apis/..."); body NULL or with its
 * Content-Type.  NULL on immediate failure (e filled, no callback). */
struct kube_call *kube_call_start(struct kube *k, const char *method,
				  const char *path, const char *content_type,
				  const char *body, int64_t timeout_ms,
				  kube_call_cb cb, void *arg, struct err *e);

/* Abort a call (NULL is fine); its callback is not called. */
void kube_call_cancel(struct kube_call *c);

#endif
