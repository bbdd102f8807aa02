/*
 * preflight — the migration guide's checks before the first shift, each
 * one entry of PREFLIGHT_LIST: its id, its name (the JSON key and the
 * word `cutover preflight` prints), its label, and how it is judged.
 * While the cutover is at stage 0 the session judges them every refresh;
 * a check that fails or is unknown blocks the advance from stage 0 as a
 * failing gate blocks later stages (--force, or a typed confirmation,
 * audited with the failing checks).
 *
 * A check about a piece the plan does not name at all is skipped, and
 * says so: Prometheus without prometheus.url, the Kubernetes checks when
 * the plan has no kubernetes: section, no pod groups and no preflight:
 * section, the Istio objects and the Service without a host:, the
 * weights without a driver that reads back, the probes without probes.
 * A skipped check never blocks; an unknown one (not answered yet) does.
 *
 * What the Kubernetes API answers (the Gateway, VirtualService and
 * Service lists) is read by the pure parsers below, which take the body
 * as it came (hostile, bounded by the HTTP layer) and keep only short,
 * sanitised names.
 */
#ifndef CUTOVER_SRC_PREFLIGHT_H
#define CUTOVER_SRC_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "metrics.h"
#include "plan.h"
#include "podhealth.h"

struct loop;
struct kube;

/*
 * X(id, name, label, how): the checks, in the order they are shown.
 */
#define PREFLIGHT_LIST(X)                                                     \
	X(PF_PROMETHEUS, "prometheus", "Prometheus",                          \
	  "Prometheus answers and every APISIX query returns data")           \
	X(PF_KUBERNETES, "kubernetes", "Kubernetes API",                      \
	  "GET /version answers with the plan's context")                     \
	X(PF_PODS, "pods", "pod groups",                                      \
	  "every pod group meets min_ready, none in CrashLoopBackOff")        \
	X(PF_GATEWAY, "gateway", "Istio Gateway",                             \
	  "a Gateway (networking.istio.io) has a server for the host")        \
	X(PF_VIRTUALSERVICE, "virtualservice", "VirtualService",              \
	  "a VirtualService binds the host to one of those Gateways")         \
	X(PF_LOAD_BALANCER, "load_balancer", "gateway Service",               \
	  "the Istio gateway's Service has a load-balancer address")          \
	X(PF_WEIGHTS, "weights", "weights read back",                         \
	  "the driver reads the weights back: istio 0 / apisix 100")          \
	X(PF_APISIX, "apisix", "APISIX health",                               \
	  "APISIX error rate and P95 within stage 1's limits")                \
	X(PF_PROBES, "probes", "synthetic probes",                            \
	  "the synthetic probes through the Istio gateway pass")

enum preflight_id {
#define X(id, name, label, how) id,
	PREFLIGHT_LIST(X)
#undef X
	PF_COUNT
};

enum preflight_state {
	PREFLIGHT_UNKNOWN,	/* not answered yet: blocks */
	PREFLIGHT_PASS,
	PREFLIGHT_FAIL,		/* blocks */
	PREFLIGHT_SKIP,		/* the plan does not name the piece */
};

struct preflight_def {
	const char *name;
	const char *label;
	const char *how;
};

const struct preflight_def *preflight_def(enum preflight_id id);
/* "pass", "fail", "unknown", "skipped". */
const char *preflight_state_name(enum preflight_state st);

struct preflight_check {
	enum preflight_state state;
	char reason[200];	/* sanitised; never a secret */
};

/* Names read from the API ("namespace/name"), at most PREFLIGHT_REFS. */
#define PREFLIGHT_REFS 16
struct preflight_refs {
	int n;			/* kept */
	int total;		/* found (may exceed n) */
	char ref[PREFLIGHT_REFS][128];
};

/* One answer of the API the preflight asked for. */
struct preflight_answer {
	enum source_state state;
	char error[200];
	struct preflight_refs refs;	/* gateways or virtual services */
	char text[128];		/* version, or the load-balancer address */
	int near;		/* VirtualServices with the host, unbound */
};

enum preflight_call {
	PF_CALL_VERSION,
	PF_CALL_GATEWAYS,
	PF_CALL_VIRTUALSERVICES,
	PF_CALL_SERVICE,
	PF_CALL_COUNT
};

/* What the session knows when the checks are judged. */
struct preflight_input {
	const struct plan *plan;
	const struct metrics *metrics;
	const struct group_health *groups;	/* plan->ngroups */
	bool prom_configured;
	bool demo;			/* the simulated world */
	const char *context;		/* Kubernetes context, NULL: none */
	bool driver_present;
	bool can_read_back;
	const char *driver_name;
	bool have_read_back;		/* read in this session */
	int read_back_istio;
	int read_back_apisix;
	const char *read_back_error;	/* "" or why the last read failed */
	int64_t now_mono;
};

struct preflight {
	const struct plan *plan;	/* borrowed */
	struct loop *loop;		/* borrowed */
	struct kube *kube;		/* NULL: not configured */
	bool kube_owned;		/* made here, not the session's */
	char kube_error[200];		/* why there is no client */
	bool kube_configured;
	bool host_configured;
	struct kube_call *calls[PF_CALL_COUNT];
	struct preflight_arg {
		struct preflight *pf;
		enum preflight_call which;
	} args[PF_CALL_COUNT];
	struct preflight_answer a[PF_CALL_COUNT];
	struct preflight_check c[PF_COUNT];
	bool evaluated;
	void (*on_update)(void *arg);
	void *on_update_arg;
};

/*
 * Set up for plan `p` on loop `l`.  With `demo` nothing is asked: the
 * simulated world has the objects.  `shared` (borrowed, may be NULL) is
 * the session's client, used rather than a second one (an exec plugin
 * runs once).  Never fails: a Kubernetes client that cannot be made is
 * the reason of the Kubernetes checks.
 */
void preflight_init(struct preflight *pf, const struct plan *p,
		    struct loop *l, bool demo, struct kube *shared);
void preflight_done(struct preflight *pf);

/* Ask the API again (not doubled while answers are due). */
void preflight_refresh(struct preflight *pf);
/* True while requests are in flight. */
bool preflight_busy(const struct preflight *pf);

/* Judge every check from the answers and the session's input. */
void preflight_evaluate(struct preflight *pf, const struct preflight_input *in);

/*
 * Does the preflight block an advance?  When it does, `buf` says which
 * checks and why ("pods: gateway 2/3 ready (min 3); prometheus: ...").
 */
bool preflight_blocks(const struct preflight *pf, char *buf, size_t len);

/* {"verdict": "pass"|"fail", "checks": {name: {state, label, reason}}} */
json_t *preflight_json(const struct preflight *pf);

/* For the audit log, kept short: {"verdict", "blocking": {name: reason}}
 * with only the checks that fail or are unknown. */
json_t *preflight_json_brief(const struct preflight *pf);

/*
 * The synthetic probes' part of the preflight: the one hook the probes
 * fill.  Without probes in the plan: PREFLIGHT_SKIP, "no probes
 * configured" (the guide's preflight skips them too).
 */
enum preflight_state preflight_probes(const struct preflight_input *in,
				      char *reason, size_t len);

/* --- parsers of the API's answers (pure; tests/fuzz) ----------------------- */

/* Does an Istio host pattern ("*", "*.example.com", "ns/host") match? */
bool preflight_host_match(const char *pattern, const char *host);

/*
 * A GatewayList: the Gateways with a server whose hosts match `host`,
 * as "namespace/name".  -1 (e filled) when it is not a list.
 */
int preflight_gateways_parse(const char *body, size_t len, const char *host,
			     struct preflight_refs *out, struct err *e);

/*
 * A VirtualServiceList: those whose hosts match `host` and whose
 * gateways name one of `gateways` ("name" in the VirtualService's own
 * namespace, or "namespace/name").  *near counts those with the host
 * that bind none of them.
 */
int preflight_vs_parse(const char *body, size_t len, const char *host,
		       const struct preflight_refs *gateways,
		       struct preflight_refs *out, int *near, struct err *e);

/*
 * A Service: its first status.loadBalancer.ingress ip or hostname into
 * `addr` (sanitised).  1 found, 0 none yet, -1 not a Service.
 */
int preflight_service_parse(const char *body, size_t len, char *addr,
			    size_t addrlen, struct err *e);

#endif
