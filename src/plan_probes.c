/*
 * plan_probes — the plan's probes: section: where cutover's own requests
 * go (the gateways' addresses, or the Service to read Istio's from) and
 * each probe (kind, real URL, headers, expected answer, interval,
 * timeout).  src/probe.c sends them.  Secrets stay out of the plan:
 * header_files and body_file name the files that hold them, and inline
 * header values are never printed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan.h"
#include "plan_schema.h"
#include "xmalloc.h"


static const char *const probe_kinds[] = { "http", "websocket", "grpc", NULL };
static const char *const probe_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", NULL
};

void
probes_free(struct plan_probes *pr)
{
	for (int i = 0; i < pr->n; i++) {
		struct plan_probe *pp = &pr->items[i];

		free(pp->name);
		free(pp->kind);
		free(pp->url);
		free(pp->method);
		for (int k = 0; k < pp->nheaders; k++) {
			free(pp->headers[k].name);
			xfree_secret_str(pp->headers[k].value);
		}
		free(pp->headers);
		for (int k = 0; k < pp->nheader_files; k++) {
			free(pp->header_files[k].name);
			free(pp->header_files[k].value);
		}
		free(pp->header_files);
		free(pp->body_file);
		free(pp->grpc_service);
	}
	free(pr->items);
	free(pr->istio_address);
	free(pr->istio_service);
	free(pr->apisix_address);
	free(pr->ca_file);
	memset(pr, 0, sizeof(*pr));
}

static int
fn_probe_headers(struct ctx *c, const struct field *f, yaml_node_t *n,
		 void *base)
{
	struct plan_probe *pp = base;

	return plan_headers_parse(c, n, f->key, f->key, false, &pp->headers,
				  &pp->nheaders);
}

static int
fn_probe_header_files(struct ctx *c, const struct field *f, yaml_node_t *n,
		      void *base)
{
	struct plan_probe *pp = base;

	return plan_headers_parse(c, n, f->key, f->key, true,
				  &pp->header_files, &pp->nheader_files);
}

static void
pr_probe_headers(FILE *out, const char *key, const struct field *f,
		 const void *base, const struct plan *p)
{
	const struct plan_probe *pp = base;

	(void)f;
	(void)p;
	/* Written in the plan, yet a value is never shown. */
	plan_headers_print(out, key, pp->headers, pp->nheaders);
}

static void
pr_probe_header_files(FILE *out, const char *key, const struct field *f,
		      const void *base, const struct plan *p)
{
	const struct plan_probe *pp = base;
	char k[160];

	(void)f;
	(void)p;
	for (int i = 0; i < pp->nheader_files; i++) {
		snprintf(k, sizeof(k), "%s.%s", key, pp->header_files[i].name);
		pr_str(out, k, pp->header_files[i].value);
	}
}

static const struct field probe_fields[] = {
	FLD("name", F_NAME, struct plan_probe, name),
	FLDC("kind", struct plan_probe, kind, probe_kinds),
	FLD("url", F_URL, struct plan_probe, url),
	FLDC("method", struct plan_probe, method, probe_methods),
	FLDFP("headers", fn_probe_headers, pr_probe_headers),
	FLDFP("header_files", fn_probe_header_files, pr_probe_header_files),
	FLD("body_file", F_PATH, struct plan_probe, body_file),
	FLDB("expect_status", F_INT, struct plan_probe, expect_status, 100,
	     599),
	FLD("grpc_service", F_STR0, struct plan_probe, grpc_service),
	FLDBD("interval", F_DUR, struct plan_probe, interval_ms, SEC,
	      1.0 * HOUR, 10 * SEC),
	FLDBD("timeout", F_DUR, struct plan_probe, timeout_ms, TIMEOUT_LO,
	      60.0 * SEC, 5 * SEC),
	FEND
};

static int
fn_probe_list(struct ctx *c, const struct field *f, yaml_node_t *n,
	      void *base)
{
	static const char *const req[] = { "name", "url", NULL };
	struct plan_probes *pr = base;
	yaml_node_item_t *it;
	int count;

	if (want_kind(c, n, YAML_SEQUENCE_NODE, f->key) == -1)
		return -1;
	count = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > PLAN_PROBES_MAX)
		return errn(c, n, "too many probes (%d; at most %d)", count,
			    PLAN_PROBES_MAX);
	pr->items = xcalloc((size_t)count + 1, sizeof(*pr->items));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		struct plan_probe *pp = &pr->items[pr->n];
		yaml_node_t *v = node_at(c, *it);
		char section[32];
		uint64_t seen;

		pr->n++;
		schema_defaults(probe_fields, pp);
		snprintf(section, sizeof(section), "probes item %d", pr->n);
		if (parse_map(c, v, section, probe_fields, pp, &seen) == -1)
			return -1;
		if (require(c, v, section, probe_fields, seen, req, NULL) == -1)
			return -1;
		if (pp->kind == NULL)
			pp->kind = xstrdup("http");
		if (pp->method == NULL)
			pp->method = xstrdup(strcmp(pp->kind, "grpc") == 0 ?
					     "POST" : "GET");
		if (pp->expect_status == 0)
			pp->expect_status = strcmp(pp->kind, "websocket") == 0 ?
					    101 : 200;
		if (strcmp(pp->kind, "grpc") == 0 &&
		    has(probe_fields, seen, "expect_status"))
			return errn(c, v, "probe '%s': a grpc probe expects "
				    "SERVING, not a status", pp->name);
		if (strcmp(pp->kind, "http") != 0 &&
		    (has(probe_fields, seen, "method") ||
		     has(probe_fields, seen, "body_file")))
			return errn(c, v, "probe '%s': method and body_file "
				    "are for kind http only", pp->name);
		if (pp->body_file != NULL && (strcmp(pp->method, "GET") == 0 ||
					      strcmp(pp->method, "HEAD") == 0))
			return errn(c, v, "probe '%s': a %s request has no "
				    "body (body_file)", pp->name, pp->method);
		if (strcmp(pp->kind, "grpc") != 0 &&
		    has(probe_fields, seen, "grpc_service"))
			return errn(c, v, "probe '%s': grpc_service is for "
				    "kind grpc only", pp->name);
		if (pp->timeout_ms > pp->interval_ms)
			return errn(c, v, "probe '%s': timeout is longer than "
				    "its interval", pp->name);
		for (int i = 0; i < pr->n - 1; i++)
			if (strcmp(pr->items[i].name, pp->name) == 0)
				return errn(c, map_get(c, v, "name", NULL),
					    "probe name '%s' is used twice",
					    pp->name);
	}
	return 0;
}

static void
pr_probe_list(FILE *out, const char *key, const struct field *f,
	      const void *base, const struct plan *p)
{
	const struct plan_probes *pr = base;
	char k[64];

	(void)f;
	for (int i = 0; i < pr->n; i++) {
		snprintf(k, sizeof(k), "%s.%d", key, i + 1);
		print_map(out, k, probe_fields, &pr->items[i], p);
	}
}

const struct field probes_fields[] = {
	FLD("istio_address", F_STR, struct plan_probes, istio_address),
	FLD("istio_service", F_STR, struct plan_probes, istio_service),
	FLD("apisix_address", F_STR, struct plan_probes, apisix_address),
	FLD("ca_file", F_PATH, struct plan_probes, ca_file),
	FLD("insecure_skip_verify", F_BOOL, struct plan_probes, insecure),
	FLDBD("failures", F_INT, struct plan_probes, failures, 1, 100, 3),
	FLDS("checks", fn_probe_list, pr_probe_list, probe_fields),
	FEND
};

int
fn_probes(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;
	const char *const addr[] = { "istio_address", "apisix_address" };
	uint64_t seen;

	(void)f;
	probes_free(&p->probes);
	schema_defaults(probes_fields, &p->probes);
	if (parse_map(c, n, "probes", probes_fields, &p->probes, &seen) == -1)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *a = i == 0 ? p->probes.istio_address :
				p->probes.apisix_address;

		if (a != NULL && (strlen(a) > 255 ||
				  strpbrk(a, " /@?#\t\r\n") != NULL))
			return errn(c, map_get(c, n, addr[i], NULL),
				    "invalid %s '%s' (expected host, host:port "
				    "or [ipv6]:port)", addr[i], a);
	}
	if (p->probes.istio_service != NULL &&
	    (strchr(p->probes.istio_service, '/') == NULL ||
	     strpbrk(p->probes.istio_service, " ?#%\t\r\n") != NULL))
		return errn(c, map_get(c, n, "istio_service", NULL),
			    "invalid istio_service '%s' (expected "
			    "namespace/name)", p->probes.istio_service);
	return 0;
}

void
pr_probes(FILE *out, const char *key, const struct field *f,
	  const void *base, const struct plan *p)
{
	(void)f;
	(void)base;
	if (p->probes.n == 0) {
		pr_str(out, key, "none");
		return;
	}
	print_map(out, key, probes_fields, &p->probes, p);
}
