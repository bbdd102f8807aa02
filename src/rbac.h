/*
 * rbac — the Kubernetes permissions a plan needs, as Role objects.
 *
 * Each part of cutover that talks to the Kubernetes API says what it does
 * there with rbac_need() (pod health lists pods, the kubernetes driver
 * reads and patches its route object, ...); rbac_print() writes one Role
 * per namespace, rules merged by API group and resource, sorted, so that
 * the output of `cutover rbac` is stable and can be diffed or applied.
 * Everything cutover touches is namespaced, so no ClusterRole is needed.
 */
#ifndef CUTOVER_SRC_RBAC_H
#define CUTOVER_SRC_RBAC_H

#include <stdio.h>

struct plan;

#define RBAC_RULES_MAX 64
#define RBAC_VERBS_MAX 8

struct rbac_rule {
	char *namespace;
	char *group;		/* "" for the core group */
	char *resource;		/* "pods", "pods/log", "virtualservices" */
	char *name;		/* one object (resourceNames), NULL: any */
	const char *verbs[RBAC_VERBS_MAX];
	int nverbs;
	const char *why;	/* a comment: who needs it */
};

struct rbac {
	struct rbac_rule rules[RBAC_RULES_MAX];
	int nrules;
	const char *notes[8];	/* what no Role can say (a script's own) */
	int nnotes;
};

void rbac_init(struct rbac *r);
void rbac_done(struct rbac *r);
/*
 * `verbs` is a space-separated list ("get patch").  The same namespace,
 * group, resource and name add their verbs to one rule.
 */
void rbac_need(struct rbac *r, const char *ns, const char *group,
	       const char *resource, const char *name, const char *verbs,
	       const char *why);
/* A line printed as a comment before the Roles. */
void rbac_note(struct rbac *r, const char *note);
/* Everything the plan needs: pod groups, the driver, ... */
void rbac_collect(struct rbac *r, const struct plan *p);
/* The Roles as YAML documents, named cutover-<plan name>. */
void rbac_print(const struct rbac *r, const struct plan *p, FILE *out);

#endif
