/*
 * plan_schema — the walker behind plan.c, shared by the plan's files
 * (plan.c and plan_<section>.c) and by the drivers, whose files hold
 * their own section of the plan (driver_ops.plan_fields, plan_check).
 *
 * A section is a table of `struct field` (key, type, offset into the
 * section's struct, bounds, or a custom parse and print function).
 * parse_map() walks one YAML mapping against a table: node kinds, unknown
 * and duplicate keys, typed values with their bounds, each error at the
 * offending node's file:line:column.  print_map() walks the same table for
 * `cutover check`, and schema_walk() lists its keys for the man page check.
 * A table ends with FEND; it has fewer than 64 fields (the `seen` bits).
 */
#ifndef CUTOVER_SRC_PLAN_SCHEMA_H
#define CUTOVER_SRC_PLAN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

#include "err.h"
#include "plan.h"

#define PLAN_FILE_MAX (1024 * 1024)
#define PLAN_GROUPS_MAX 32
#define PLAN_HEADERS_MAX 32
#define PLAN_ARGV_MAX 64
#define PLAN_NAME_MAX 64

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

struct stage_read;

struct ctx {
	yaml_document_t *doc;
	const char *file;
	struct err *e;
	struct plan *p;
	struct stage_read *sr;	/* stages: and stage_defaults: as read */
	yaml_node_t *key;	/* key of the value being parsed, for F_FN */
};

enum ftype {
	F_STR,		/* non-empty string */
	F_STR0,		/* string, may be "" */
	F_PATH,		/* file name; leading ~/ expanded */
	F_URL,		/* http:// or https:// */
	F_NAME,		/* [a-zA-Z0-9._-]+ */
	F_DNS,		/* Kubernetes namespace (DNS-1123 label) */
	F_DUR,		/* duration into int64_t ms, bounds lo..hi ms */
	F_DURD,		/* duration into double ms */
	F_BOOL,
	F_INT,		/* int, bounds lo..hi */
	F_NUM,		/* double, bounds lo..hi */
	F_PCT,		/* percent into double fraction */
	F_ARGV,		/* list of strings into struct plan_argv */
	F_CHOICE,	/* string, one of `choices` */
	F_FN,		/* custom */
};

struct field;
typedef int (*field_fn)(struct ctx *, const struct field *, yaml_node_t *,
			void *base);
/* Prints the field under its full dotted `key` (for check). */
typedef void (*field_pr)(FILE *, const char *key, const struct field *,
			 const void *base, const struct plan *);
/* Lists the keys under `section` when they are not one `sub` table. */
typedef void (*field_walk)(const char *section,
			   void (*fn)(const char *, const char *, void *),
			   void *arg);

struct field {
	const char *key;
	enum ftype type;
	size_t off;
	double lo, hi;
	const char *const *choices;
	field_fn fn;
	field_pr pr;	/* NULL: by type (an F_FN one is not printed) */
	const struct field *sub;	/* a section's or list item's keys */
	field_walk walk;	/* or this, for schema_walk */
	/*
	 * The built-in value (schema_defaults): `defs` for a string type
	 * (NULL: none), `defn` for a number in its stored unit (ms for a
	 * duration, a fraction for a percent, 1 for true); an F_FN field
	 * with `nested` is a section at base + off whose fields carry
	 * theirs, one with `dflt` sets its own (a list, a value kept
	 * elsewhere).
	 */
	const char *defs;
	double defn;
	bool nested;
	void (*dflt)(const struct field *f, void *base);
};

#define FLD(k, t, s, m) { .key = k, .type = t, .off = offsetof(s, m) }
#define FLDB(k, t, s, m, l, h)                                                \
	{ .key = k, .type = t, .off = offsetof(s, m), .lo = l, .hi = h }
#define FLDC(k, s, m, ch)                                                     \
	{ .key = k, .type = F_CHOICE, .off = offsetof(s, m), .choices = ch }
#define FLDF(k, f) { .key = k, .type = F_FN, .fn = f }
#define FLDFP(k, f, p) { .key = k, .type = F_FN, .fn = f, .pr = p }
#define FLDS(k, f, p, s) { .key = k, .type = F_FN, .fn = f, .pr = p, .sub = s }
#define FEND { .key = NULL }
/* The same with a built-in value: a number (FLDD, FLDBD) or a string. */
#define FLDD(k, t, s, m, d)                                                   \
	{ .key = k, .type = t, .off = offsetof(s, m), .defn = d }
#define FLDBD(k, t, s, m, l, h, d)                                            \
	{ .key = k, .type = t, .off = offsetof(s, m), .lo = l, .hi = h,       \
	  .defn = d }
#define FLDSTR(k, t, s, m, d)                                                 \
	{ .key = k, .type = t, .off = offsetof(s, m), .defs = d }
#define FLDCD(k, s, m, ch, d)                                                 \
	{ .key = k, .type = F_CHOICE, .off = offsetof(s, m), .choices = ch,   \
	  .defs = d }
/* A section kept in struct `st` member `m`, with its keys' defaults. */
#define FLDN(k, f, p, s, st, m)                                               \
	{ .key = k, .type = F_FN, .fn = f, .pr = p, .sub = s,                 \
	  .off = offsetof(st, m), .nested = true }

#define TIMEOUT_LO (100.0)
#define TIMEOUT_HI (1.0 * HOUR)
#define LONG_HI (7.0 * 24 * HOUR)

/* Values: 0 or -1 with *why saying what is wrong. */
int dur_parse(const char *s, int64_t *ms, const char **why);
int decimal_span(const char *s);
int pct_parse(const char *s, double *frac, const char **why);

void set_str(char **dst, const char *v);
void argv_free(struct plan_argv *a);

/* Printing for check; strings are scrubbed. */
void fmt_dur(int64_t ms, char *buf, size_t len);
void fmt_pct(double frac, char *buf, size_t len);
void pr_str(FILE *out, const char *key, const char *v);
void pr_dur(FILE *out, const char *key, int64_t ms);
void pr_argv(FILE *out, const char *key, const struct plan_argv *a);
const char *side_name(enum side s);

/* Nodes. */
yaml_node_t *node_at(struct ctx *c, int i);
int errn(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *scalar(const yaml_node_t *n);
bool is_null(const yaml_node_t *n);
const char *kind_name(const yaml_node_t *n);
int want_scalar(struct ctx *c, const yaml_node_t *n, const char *key,
		const char *what);
int want_kind(struct ctx *c, const yaml_node_t *n, yaml_node_type_t t,
	      const char *key);
bool valid_name(const char *s);
bool valid_dns_label(const char *s);
char *expand_path(const char *v);

/* Tables. */
int parse_map(struct ctx *c, yaml_node_t *n, const char *section,
	      const struct field *fields, void *base, uint64_t *seen);
bool has(const struct field *fields, uint64_t seen, const char *key);
int require(struct ctx *c, yaml_node_t *n, const char *section,
	    const struct field *fields, uint64_t seen,
	    const char *const *keys, const char *why);
yaml_node_t *map_get(struct ctx *c, yaml_node_t *n, const char *key,
		     yaml_node_t **keynode);
void print_map(FILE *out, const char *prefix, const struct field *fields,
	       const void *base, const struct plan *p);
void schema_walk(const char *section, const struct field *fields,
		 void (*fn)(const char *, const char *, void *), void *arg);
/* Give every field of the table at base its built-in value, in order. */
void schema_defaults(const struct field *fields, void *base);
/* Free what the typed fields of the table at base hold (strings, argv). */
void schema_free(const struct field *fields, void *base);

/*
 * A driver's rules across the keys of its section (driver_ops.plan_check),
 * run once the section is read: which keys were given, and errors that
 * point into the file.
 */
struct plan_check {
	struct ctx *c;
	yaml_node_t *n;		/* the section's mapping */
	yaml_node_t *k;		/* its key, where "missing" points */
	const char *section;	/* "traffic.route53" */
	const struct field *fields;
	uint64_t seen;
};

/* Whether the file gave `key` in the section. */
bool plan_check_has(const struct plan_check *pc, const char *key);
/* -1 naming the first of `keys` (NULL-terminated) not given, `why`
 * appended to the message; else 0. */
int plan_check_require(const struct plan_check *pc, const char *const *keys,
		       const char *why);
/* -1 with the error at `key`'s value, or at the section's key when key is
 * NULL or absent. */
int plan_check_fail(const struct plan_check *pc, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The sections, each in its own file, named in plan.c's top-level table.
 */

/* plan_sources.c: prometheus:, kubernetes:, queries:, pods: */
extern const struct field prometheus_fields[];
extern const struct field kubernetes_fields[];
extern const struct field query_fields[];
extern const struct field group_fields[];
int fn_prometheus(struct ctx *, const struct field *, yaml_node_t *, void *);
int fn_kubernetes(struct ctx *, const struct field *, yaml_node_t *, void *);
int fn_queries(struct ctx *, const struct field *, yaml_node_t *, void *);
int fn_pods(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_prometheus(FILE *, const char *, const struct field *, const void *,
		   const struct plan *);
void pr_kubernetes(FILE *, const char *, const struct field *, const void *,
		   const struct plan *);
void pr_queries(FILE *, const char *, const struct field *, const void *,
		const struct plan *);
void pr_pods(FILE *, const char *, const struct field *, const void *,
	     const struct plan *);

/* plan_traffic.c: traffic: and the chosen driver's section */
void traffic_default(const struct field *f, void *base);
int fn_traffic(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_traffic(FILE *, const char *, const struct field *, const void *,
		const struct plan *);
void walk_traffic(const char *section,
		  void (*fn)(const char *, const char *, void *), void *arg);
void traffic_free(struct plan_traffic *t);

/* plan_stages.c: stages:, stage_defaults:, gates:, rollback: */

/* What the file said, kept until stages and defaults are combined. */
struct stage_read {
	struct plan_stage defaults;
	uint64_t defaults_seen;
	struct plan_stage stages[PLAN_STAGES_MAX];
	uint64_t seen[PLAN_STAGES_MAX];
	yaml_node_t *nodes[PLAN_STAGES_MAX];
	int nstages;		/* -1: no stages: key */
};

extern const struct field stage_default_fields[];
extern const struct field stage_fields[];
extern const struct field gates_fields[];
extern const struct field rollback_fields[];
int fn_stage_defaults(struct ctx *, const struct field *, yaml_node_t *,
		      void *);
int fn_stages(struct ctx *, const struct field *, yaml_node_t *, void *);
int fn_gates(struct ctx *, const struct field *, yaml_node_t *, void *);
int fn_rollback(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_stages(FILE *, const char *, const struct field *, const void *,
	       const struct plan *);
void pr_gates(FILE *, const char *, const struct field *, const void *,
	      const struct plan *);
void pr_rollback(FILE *, const char *, const struct field *, const void *,
		 const struct plan *);
int stages_resolve(struct ctx *c, struct stage_read *sr);

/* plan_probes.c: probes: */
extern const struct field probes_fields[];
int fn_probes(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_probes(FILE *, const char *, const struct field *, const void *,
	       const struct plan *);
void probes_free(struct plan_probes *pr);

/* plan_sources.c: an HTTP header name (RFC 9110 token); a mapping of
 * headers (values, or files: file names) and its printout (values never
 * shown) */
bool valid_header_name(const char *s);
int plan_headers_parse(struct ctx *c, yaml_node_t *n, const char *key,
		       const char *where, bool files, struct plan_header **out,
		       int *nout);
void plan_headers_print(FILE *out, const char *key,
			const struct plan_header *h, int n);

/* plan_preflight.c: preflight: */
extern const struct field preflight_fields[];
int fn_preflight(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_preflight(FILE *, const char *, const struct field *, const void *,
		  const struct plan *);
/* plan_guard.c: guard: */
extern const struct field guard_fields[];
int fn_guard(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_guard(FILE *, const char *, const struct field *, const void *,
	      const struct plan *);
/* plan_notify.c: notify: */
extern const struct field notify_fields[];
int fn_notify(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_notify(FILE *, const char *, const struct field *, const void *,
	       const struct plan *);
void notify_plan_free(struct plan *p);

/* Built-in values that are lists (a field's dflt). */
void groups_free(struct plan *p);
void groups_default(struct plan *p);	/* the guide's three groups */
void pods_default(const struct field *f, void *base);
void stages_default(const struct field *f, void *base);

#endif
