/*
 * plan_schema — the walker behind plan.c, shared by the plan's files only
 * (plan.c and plan_<section>.c); nothing outside the plan includes it.
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

/* plan_traffic.c: traffic: and each driver's section */
int fn_traffic(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_traffic(FILE *, const char *, const struct field *, const void *,
		const struct plan *);
void walk_traffic(const char *section,
		  void (*fn)(const char *, const char *, void *), void *arg);

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

/* plan_guard.c: guard: */
extern const struct field guard_fields[];
int fn_guard(struct ctx *, const struct field *, yaml_node_t *, void *);
/* plan_notify.c: notify: */
extern const struct field notify_fields[];
int fn_notify(struct ctx *, const struct field *, yaml_node_t *, void *);
void pr_notify(FILE *, const char *, const struct field *, const void *,
	       const struct plan *);
void notify_plan_free(struct plan *p);

/* plan.c: the defaults the sections fall back on */
void groups_free(struct plan *p);
void stage_gate_defaults(struct plan_stage *s);

#endif
