/*
 * plan — the plan file (cutover.yaml): what to watch, how to shift, and the
 * stages.  plan_load() reads it with libyaml and fills a struct plan whose
 * every field has a value: absent keys get the defaults of DESIGN.md's stage
 * table and the migration guide's queries, so the rest of the program never
 * checks for "unset" except where a gate is optional (NAN).
 *
 * Invariants after a successful load: 1 <= nstages <= PLAN_STAGES_MAX; stage
 * weights strictly increase within 1..100; thresholds are >= 0; durations
 * are >= 0 milliseconds.  Percentages are stored as fractions (1% = 0.01).
 * Secrets are never stored here, only the files or variables that hold
 * them.
 */
#ifndef CUTOVER_SRC_PLAN_H
#define CUTOVER_SRC_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define PLAN_STAGES_MAX 32

/* Which gateway a query or pod group is about. */
enum side {
	SIDE_NONE,
	SIDE_ISTIO,
	SIDE_APISIX,
};

/*
 * The queries cutover runs every refresh.  Each has a default (the guide's
 * PromQL, see plan_sources.c) and can be replaced under `queries:` by its key.
 */
#define QUERY_LIST(X)                                                         \
	X(Q_ISTIO_ERROR_RATE, "istio_error_rate", SIDE_ISTIO, true)           \
	X(Q_ISTIO_P95, "istio_p95_ms", SIDE_ISTIO, false)                     \
	X(Q_ISTIO_RPS, "istio_request_rate", SIDE_ISTIO, false)               \
	X(Q_ISTIO_AVAILABILITY, "istio_availability", SIDE_ISTIO, true)       \
	X(Q_MTLS_COVERAGE, "mtls_coverage", SIDE_ISTIO, true)                 \
	X(Q_APISIX_ERROR_RATE, "apisix_error_rate", SIDE_APISIX, true)        \
	X(Q_APISIX_P95, "apisix_p95_ms", SIDE_APISIX, false)                  \
	X(Q_APISIX_RPS, "apisix_request_rate", SIDE_APISIX, false)           \
	X(Q_ISTIO_P50, "istio_p50_ms", SIDE_ISTIO, false)                     \
	X(Q_ISTIO_P99, "istio_p99_ms", SIDE_ISTIO, false)                     \
	X(Q_APISIX_P50, "apisix_p50_ms", SIDE_APISIX, false)                  \
	X(Q_APISIX_P99, "apisix_p99_ms", SIDE_APISIX, false)                  \
	X(Q_ISTIO_CONNECTIONS, "istio_connections", SIDE_ISTIO, false)        \
	X(Q_APISIX_CONNECTIONS, "apisix_connections", SIDE_APISIX, false)

enum query_id {
#define X(id, key, side, ratio) id,
	QUERY_LIST(X)
#undef X
	Q_COUNT
};

struct plan_query {
	char *promql;
	enum side side;
	/*
	 * A ratio whose numerator can be empty while there is traffic (no
	 * 5xx at all).  An empty answer then reads 0 when the side's request
	 * rate has data and is above zero, and "no data" otherwise.
	 */
	bool ratio;
};

/* Key of a query in the plan file ("istio_error_rate"). */
const char *plan_query_key(enum query_id id);

struct plan_header {
	char *name;
	char *value;
};

struct plan_prometheus {
	char *url;		/* base URL incl. any path prefix; NULL = none */
	struct plan_header *headers;
	int nheaders;
	char *bearer_token_file;
	char *basic_user;
	char *basic_password_file;
	char *ca_file;
	bool insecure;		/* skip TLS verification (shown in red) */
	int64_t timeout_ms;	/* per request, default 10s */
};

struct plan_kubernetes {
	char *kubeconfig;	/* NULL: $KUBECONFIG, ~/.kube/config, in-cluster */
	char *context;		/* NULL: current-context */
	int64_t timeout_ms;	/* per request, default 10s */
};

/*
 * The traffic driver.  The drivers are listed in driver.c's table, each
 * with its own section of the plan (driver_ops.plan_fields); the kinds
 * here are the built-in ones.  A driver added later takes its own kind
 * from DRIVER_OWN on, in its file; test_driver checks that kinds differ.
 */
enum driver_kind {
	DRIVER_NONE,		/* no traffic section: watch only */
	DRIVER_EXEC,
	DRIVER_ROUTE53,
	DRIVER_CLOUDFLARE,
	DRIVER_KUBERNETES,
	DRIVER_DEMO,		/* the built-in simulation (--demo) */
	DRIVER_OWN = 32,
};

struct plan_argv {
	char **argv;		/* NULL-terminated; placeholders unexpanded */
	int argc;
};

struct field;

struct plan_traffic {
	enum driver_kind driver;
	/*
	 * The chosen driver's settings, read from traffic.<name>: the struct
	 * its section fills (src/drivers/driver_<name>.h), NULL when no
	 * driver was chosen.  `fields` is that section's table, which
	 * plan_done frees them by.
	 */
	void *settings;
	const struct field *fields;
	int64_t readback_interval_ms;	/* the guard reads back; 0: never */
};

struct plan_pod_group {
	char *name;
	char *namespace;
	char *selector;		/* label selector, e.g. app=istio-ingressgateway */
	int min_ready;
	bool sidecar_required;	/* every pod needs a ready istio-proxy */
	enum side side;		/* which gateway this group serves, if any */
	bool collect_logs;	/* logs fetched after a rollback (side istio: always) */
};

/* One notify: target (notify.h sends them). */
struct plan_notify {
	char *type;		/* slack, webhook, grafana, kubernetes-events */
	char *name;		/* for messages; default the type */
	struct plan_argv events;	/* event names; none: the default set */
	char *url;		/* webhook, grafana: not a secret */
	char *url_file;		/* slack, webhook: the URL is a secret */
	char *token_file;	/* grafana, webhook: bearer token */
	char *dashboard_uid;	/* grafana */
	struct plan_argv tags;	/* grafana */
	char *namespace;	/* kubernetes-events: the object's, default
				 * istio_namespace */
	char *object_kind;	/* default Deployment */
	char *object_name;	/* default istio_workload */
	char *object_api_version;	/* default apps/v1 */
	int64_t timeout_ms;	/* per request, default 10s */
	int retries;		/* after the first try, default 5 */
};

/* Its gate limits' keys and defaults are listed in GATE_LIST (gate.h). */
struct plan_stage {
	int istio;		/* percent 1..100; APISIX gets 100 - istio */
	int64_t hold_ms;	/* 0 on the last stage: watch on, no end */
	double max_error_rate;	/* fraction */
	double max_p95_ms;
	double min_availability;	/* fraction */
	double min_mtls;	/* fraction, NAN = no gate */
	double max_error_delta;	/* fraction points vs APISIX, NAN = no gate */
};

enum on_no_data {
	NO_DATA_HOLD,
	NO_DATA_ROLLBACK,
};

struct plan_rollback {
	bool automatic;		/* default true */
	int consecutive;	/* failing evaluations before it acts, default 3 */
	enum on_no_data on_no_data;	/* default hold */
	int64_t verify_timeout_ms;	/* rollback verification, default 10m */
	double verify_max_istio_rps;	/* "near zero", default 0.5 req/s */
	int log_max_bytes;	/* per pod and container run, default 1 MiB */
};

/* What the preflight looks for (see preflight.h); NULL: the default. */
struct plan_preflight {
	char *gateway_namespace;	/* Gateways: NULL = every namespace */
	char *virtualservice_namespace;	/* VirtualServices: NULL = every one */
	char *service;		/* the gateway's Service, {istio_workload} */
	char *service_namespace;	/* NULL: {istio_namespace} */
	bool given;		/* the plan has a preflight: section */
};

/* guard: who may act through the guard; its idle grace. */
struct plan_guard {
	struct plan_argv operators;	/* user names; none: anyone */
	char *group;		/* members may act too; NULL: none */
	char *socket_group;	/* may reach the socket; NULL: the user's */
	int64_t grace_ms;	/* at stage 0 with no client; default 10s */
	bool restart;		/* a dashboard restarts a dead guard; true */
};

struct plan_gates {
	double min_request_rate;	/* req/s below which: no data, default 0.1 */
	int64_t max_age_ms;	/* older samples are stale; default 2 refreshes */
	int64_t settle_ms;	/* measured vs applied split, default 5m */
	double max_split_diff;	/* fraction points, default 0.10 */
	bool max_age_given;	/* else plan_finish derives it from refresh */
};

/*
 * probes: cutover's own requests through the gateways (src/probe.c).
 * Secrets are never here: header_files and body_file name the files
 * that hold them, read at each request.
 */
#define PLAN_PROBES_MAX 16

struct plan_probe {
	char *name;
	char *kind;		/* "http", "websocket", "grpc" */
	char *url;		/* the real host name: Host header and SNI */
	char *method;		/* default GET */
	struct plan_header *headers;	/* value as written */
	int nheaders;
	struct plan_header *header_files;	/* value: a file's path */
	int nheader_files;
	char *body_file;
	int expect_status;	/* 0: 200, 101 for websocket */
	char *grpc_service;	/* "" = the server's overall health */
	int64_t interval_ms;	/* default 10s */
	int64_t timeout_ms;	/* default 5s */
};

struct plan_probes {
	struct plan_probe *items;
	int n;
	char *istio_address;	/* host[:port]; NULL: from istio_service */
	char *istio_service;	/* namespace/name of the gateway Service */
	char *apisix_address;	/* NULL: not probed through APISIX */
	char *ca_file;
	bool insecure;
	int failures;		/* in a row that fail the gate, default 3 */
};

struct plan {
	char *path;		/* NULL when built from defaults */
	char *name;		/* default "cutover" */
	char *namespace;	/* application namespace, {namespace} */
	char *host;		/* public host name, shown in the header */
	char *istio_workload;	/* {istio_workload}, istio-ingressgateway */
	char *istio_namespace;	/* {istio_namespace}, istio-system */
	char *window;		/* {window} in queries, default "1m" */
	struct plan_prometheus prometheus;
	struct plan_kubernetes kubernetes;
	struct plan_traffic traffic;
	struct plan_query queries[Q_COUNT];
	struct plan_pod_group *groups;
	int ngroups;
	struct plan_stage stages[PLAN_STAGES_MAX];
	int nstages;
	struct plan_rollback rollback;
	struct plan_gates gates;
	struct plan_probes probes;
	struct plan_preflight preflight;
	struct plan_guard guard;
	int64_t refresh_ms;	/* default 15s */
	char *state_file;	/* default $XDG_STATE_HOME/cutover/<name>.state.json */
	char *audit_log;	/* default $XDG_STATE_HOME/cutover/<name>.audit.jsonl */
	struct plan_notify *notify;	/* notify: targets */
	int nnotify;
	bool require_reason;	/* advance and rollback need a reason */
	bool state_file_given;	/* set in the file: plan_finish keeps it */
	bool audit_log_given;
};

/* Fill `p` with the built-in defaults (no file). */
void plan_defaults(struct plan *p);

/* Read and validate a plan file.  On error fills e with file:line:column. */
int plan_load(struct plan *p, const char *path, struct err *e);

/* Read from a memory buffer; `name` is used in error positions. */
int plan_load_buffer(struct plan *p, const char *buf, size_t len,
		     const char *name, struct err *e);

/*
 * Derive what depends on other keys once everything is read: the state and
 * audit paths ($XDG_STATE_HOME/cutover/<name>.*, else
 * ~/.local/state/cutover/) and max_age (2 x refresh) when not given.
 * plan_load calls it; callers that change a loaded plan call it again.
 */
int plan_finish(struct plan *p, struct err *e);

/* The query text with {window} {namespace} {istio_workload}
 * {istio_namespace} expanded; caller frees. */
char *plan_query_text(const struct plan *p, enum query_id id);

/* Release everything plan_defaults/plan_load allocated. */
void plan_done(struct plan *p);

/* Fingerprint of the stage list (weights and holds), hex, 16 chars + NUL. */
void plan_fingerprint(const struct plan *p, char out[17]);

/* Print the resolved settings, secrets masked (for `cutover check`). */
void plan_print(const struct plan *p, FILE *out);
/*
 * Every key of the plan schema, parents first: fn(section, key) with
 * section "" for the top level, "traffic.route53", "pods" (each item's).
 */
void plan_schema_keys(void (*fn)(const char *section, const char *key,
				 void *arg), void *arg);

/* Parse "30s", "5m", "1h30m", "250ms" into milliseconds. */
int plan_parse_duration(const char *s, int64_t *ms);

/* Parse "0.5%" into 0.005.  A bare number without % is an error. */
int plan_parse_percent(const char *s, double *frac);

const char *plan_driver_name(enum driver_kind k);

/*
 * Make k the plan's driver, with its settings at their built-in values
 * (the previous driver's are freed), and return them for the caller to
 * fill: what a plan file's traffic: section does, for tests and the demo.
 * NULL for DRIVER_NONE, DRIVER_DEMO or a kind no driver has.
 */
void *plan_traffic_use(struct plan *p, enum driver_kind k);

#endif
