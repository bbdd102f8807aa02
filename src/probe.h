/*
 * probe — cutover's own requests through the gateways (the plan's
 * `probes:`), so a quiet night still has data.  Each probe is sent on the
 * loop every interval with its own deadline, to the Istio gateway's
 * load-balancer address (configured, or read from the gateway Service's
 * status.loadBalancer.ingress through the Kubernetes API) and, when the
 * plan names one, to APISIX's, with the URL's real host name as Host
 * header and TLS SNI (CURLOPT_CONNECT_TO).  Kinds: an HTTP(S) request with
 * an expected status; a WebSocket upgrade answered with 101 (the request
 * ends at the 101's headers); a gRPC health check over HTTP/2 answered
 * SERVING.  Results go into struct metrics (metrics_probe_record): the
 * probe gate and the panes read them there.
 *
 * Secrets: header values from header_files and the body from body_file
 * are read at each request, handed to curl, and wiped; they never enter
 * a result's text (a failure names the status, never the request).
 */
#ifndef CUTOVER_SRC_PROBE_H
#define CUTOVER_SRC_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cutover.h"
#include "err.h"
#include "loop.h"
#include "metrics.h"
#include "plan.h"

struct kube;
struct probe_runner;

enum probe_kind {
	PROBE_HTTP,
	PROBE_WEBSOCKET,
	PROBE_GRPC,
};

/* The kind of a plan probe ("http", "websocket", "grpc"). */
enum probe_kind probe_kind_of(const struct plan_probe *pp);

/* The status a probe expects (its expect_status, else 200 or 101). */
long probe_expect_status(const struct plan_probe *pp);

/*
 * New runner for p's probes writing into m.  `k` (may be NULL) reads the
 * gateway Service when probes.istio_address is not set.  NULL with e set
 * when the plan has no probes.
 */
struct probe_runner *probe_new(const struct plan *p, struct loop *l,
			       struct metrics *m, struct kube *k,
			       struct err *e);

/* Cancel everything in flight and free the runner (NULL is fine). */
void probe_free(struct probe_runner *r);

/* Send every probe now and then every interval. */
void probe_start(struct probe_runner *r);

/* Send every probe once now (one-shot commands); see probe_busy. */
void probe_run_once(struct probe_runner *r);

/* A probe or the address discovery is in flight. */
bool probe_busy(const struct probe_runner *r);

/* Called after every result (the UI sets dirty bits). */
void probe_on_update(struct probe_runner *r, void (*cb)(void *arg),
		     void *arg);

/* The address probes go to through `side` ("" when none yet). */
const char *probe_address(const struct probe_runner *r,
			  enum probe_side side);

/* Why there is no Istio address yet ("" when there is one). */
const char *probe_address_error(const struct probe_runner *r);

/*
 * The probes through the Istio gateway as one verdict, for the probe gate
 * and for preflight: VERDICT_FAIL when a probe failed probes.failures
 * times in a row; VERDICT_NO_DATA when one has no recent result or no
 * success yet; VERDICT_PASS otherwise; VERDICT_NONE when the plan has no
 * probes.  `why` (may be NULL) says which probe and why; *failing (may be
 * NULL) counts the failing probes.
 */
enum verdict probe_verdict(const struct plan *p, const struct metrics *m,
			   int64_t now_mono_ms, char *why, size_t len,
			   int *failing);

/*
 * A gRPC message (5-byte frame header, then a HealthCheckResponse) read:
 * 0 and *status (1 = SERVING) when well formed, else -1.  Compressed
 * frames, frames longer than the buffer and malformed protobuf are -1.
 */
int probe_grpc_parse(const unsigned char *buf, size_t len, int *status);

#endif
