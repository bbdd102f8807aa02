/*
 * plan_preflight — the plan's preflight: section: where the preflight
 * (preflight.h) looks for the Istio objects of the host.  Every key is a
 * namespace or a name (DNS labels, checked as such: they go into API
 * paths); unset, the default is said in `cutover check`'s printout.
 */
#include "config.h"

#include <stdio.h>

#include "plan.h"
#include "plan_schema.h"

const struct field preflight_fields[] = {
	FLD("gateway_namespace", F_DNS, struct plan_preflight,
	    gateway_namespace),
	FLD("virtualservice_namespace", F_DNS, struct plan_preflight,
	    virtualservice_namespace),
	FLD("service", F_DNS, struct plan_preflight, service),
	FLD("service_namespace", F_DNS, struct plan_preflight,
	    service_namespace),
	FEND
};

int
fn_preflight(struct ctx *c, const struct field *f, yaml_node_t *n,
	     void *base)
{
	struct plan *p = base;

	(void)f;
	p->preflight.given = true;
	return parse_map(c, n, "preflight", preflight_fields, &p->preflight,
			 NULL);
}

void
pr_preflight(FILE *out, const char *key, const struct field *f,
	     const void *base, const struct plan *p)
{
	const struct plan_preflight *pf = &p->preflight;
	char k[96];

	(void)f;
	(void)base;
	snprintf(k, sizeof(k), "%s.gateway_namespace", key);
	pr_str(out, k, pf->gateway_namespace != NULL ? pf->gateway_namespace :
		       "(every namespace)");
	snprintf(k, sizeof(k), "%s.virtualservice_namespace", key);
	pr_str(out, k, pf->virtualservice_namespace != NULL ?
		       pf->virtualservice_namespace : "(every namespace)");
	snprintf(k, sizeof(k), "%s.service", key);
	pr_str(out, k, pf->service != NULL ? pf->service : p->istio_workload);
	snprintf(k, sizeof(k), "%s.service_namespace", key);
	pr_str(out, k, pf->service_namespace != NULL ? pf->service_namespace :
		       p->istio_namespace);
}
