/*
 * rbac — the Kubernetes permissions a plan needs (see rbac.h).
 *
 * Strings go out as JSON strings (a YAML double-quoted scalar), so no
 * name from the plan can break the YAML.  The rules are collected from
 * who uses the API: the pod groups here, the driver through its
 * driver_ops.rbac hook.
 */
#include "config.h"

#include "rbac.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver.h"
#include "plan.h"
#include "xmalloc.h"

void
rbac_init(struct rbac *r)
{
	memset(r, 0, sizeof(*r));
}

void
rbac_done(struct rbac *r)
{
	for (int i = 0; i < r->nrules; i++) {
		free(r->rules[i].namespace);
		free(r->rules[i].group);
		free(r->rules[i].resource);
		free(r->rules[i].name);
	}
	memset(r, 0, sizeof(*r));
}

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
add_verb(struct rbac_rule *rule, const char *verb)
{
	/* The verbs are the few string literals below. */
	static const char *const known[] = {
		"get", "list", "watch", "create", "patch", "update", "delete",
	};

	for (int i = 0; i < rule->nverbs; i++)
		if (strcmp(rule->verbs[i], verb) == 0)
			return;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
		if (strcmp(known[k], verb) == 0 &&
		    rule->nverbs < RBAC_VERBS_MAX) {
			rule->verbs[rule->nverbs++] = known[k];
			return;
		}
}

void
rbac_need(struct rbac *r, const char *ns, const char *group,
	  const char *resource, const char *name, const char *verbs,
	  const char *why)
{
	struct rbac_rule *rule = NULL;
	char buf[128], *tok, *save;

	for (int i = 0; i < r->nrules; i++) {
		struct rbac_rule *x = &r->rules[i];

		if (same(x->namespace, ns) && same(x->group, group) &&
		    same(x->resource, resource) && same(x->name, name)) {
			rule = x;
			break;
		}
	}
	if (rule == NULL) {
		if (r->nrules == RBAC_RULES_MAX)
			return;
		rule = &r->rules[r->nrules++];
		rule->namespace = xstrdup(ns);
		rule->group = xstrdup(group);
		rule->resource = xstrdup(resource);
		rule->name = name != NULL ? xstrdup(name) : NULL;
		rule->why = why;
	}
	snprintf(buf, sizeof(buf), "%s", verbs);
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save))
		add_verb(rule, tok);
}

void
rbac_note(struct rbac *r, const char *note)
{
	if (r->nnotes < (int)(sizeof(r->notes) / sizeof(r->notes[0])))
		r->notes[r->nnotes++] = note;
}

void
rbac_collect(struct rbac *r, const struct plan *p)
{
	const struct driver_ops *ops;

	for (int i = 0; i < p->ngroups; i++)
		rbac_need(r, p->groups[i].namespace, "", "pods", NULL,
			  "list", "pod health");
	for (int i = 0; i < p->nnotify; i++)
		if (strcmp(p->notify[i].type, "kubernetes-events") == 0)
			rbac_need(r, p->notify[i].namespace != NULL ?
				  p->notify[i].namespace : p->istio_namespace,
				  "events.k8s.io", "events", NULL, "create",
				  "notify: kubernetes-events");
	ops = driver_find(p->traffic.driver);
	if (ops != NULL && ops->rbac != NULL)
		ops->rbac(p, r);
}

/* A string as a YAML double-quoted scalar (JSON's escapes, ASCII). */
static void
put_str(FILE *out, const char *s)
{
	json_t *j = json_string(s);
	char *t = j != NULL ? json_dumps(j, JSON_ENCODE_ANY |
					 JSON_ENSURE_ASCII) : NULL;

	fputs(t != NULL ? t : "\"\"", out);
	free(t);
	json_decref(j);
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct rbac_rule *x = a, *y = b;
	int c;

	if ((c = strcmp(x->namespace, y->namespace)) != 0)
		return c;
	if ((c = strcmp(x->group, y->group)) != 0)
		return c;
	if ((c = strcmp(x->resource, y->resource)) != 0)
		return c;
	return strcmp(x->name != NULL ? x->name : "",
		      y->name != NULL ? y->name : "");
}

void
rbac_print(const struct rbac *r, const struct plan *p, FILE *out)
{
	struct rbac_rule *sorted;
	char role[160];
	int i;

	snprintf(role, sizeof(role), "cutover-%s", p->name);
	fprintf(out, "# The Kubernetes permissions of cutover's plan ");
	put_str(out, p->name);
	fprintf(out, ".\n# Bind each Role to the operators, e.g.\n"
		"#   kubectl -n NAMESPACE create rolebinding %s "
		"--role=%s --user=NAME\n", role, role);
	for (i = 0; i < r->nnotes; i++)
		fprintf(out, "# %s\n", r->notes[i]);
	if (r->nrules == 0) {
		fprintf(out, "# This plan does not use the Kubernetes API.\n");
		return;
	}
	sorted = xcalloc((size_t)r->nrules, sizeof(*sorted));
	memcpy(sorted, r->rules, (size_t)r->nrules * sizeof(*sorted));
	qsort(sorted, (size_t)r->nrules, sizeof(*sorted), rule_cmp);
	for (i = 0; i < r->nrules; i++) {
		const struct rbac_rule *x = &sorted[i];

		if (i == 0 || strcmp(x->namespace, sorted[i - 1].namespace)) {
			fprintf(out, "---\napiVersion: "
				"rbac.authorization.k8s.io/v1\nkind: Role\n"
				"metadata:\n  name: ");
			put_str(out, role);
			fprintf(out, "\n  namespace: ");
			put_str(out, x->namespace);
			fprintf(out, "\nrules:\n");
		}
		fprintf(out, "# %s\n- apiGroups: [", x->why);
		put_str(out, x->group);
		fprintf(out, "]\n  resources: [");
		put_str(out, x->resource);
		fprintf(out, "]\n");
		if (x->name != NULL) {
			fprintf(out, "  resourceNames: [");
			put_str(out, x->name);
			fprintf(out, "]\n");
		}
		fprintf(out, "  verbs: [");
		for (int v = 0; v < x->nverbs; v++)
			fprintf(out, "%s\"%s\"", v ? ", " : "", x->verbs[v]);
		fprintf(out, "]\n");
	}
	free(sorted);
}
