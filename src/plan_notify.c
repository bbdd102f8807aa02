/*
 * plan_notify — the plan's notify: section, a list of targets (see
 * cutover.yaml(5) and notify.h).  What makes a target usable is checked
 * here, at file:line:column: a Slack webhook URL is a credential, so it
 * is only read from a file (url_file); Grafana needs its token file; each
 * event name must be one notify knows.  The files themselves are read when
 * a session starts, never printed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "plan_schema.h"
#include "xmalloc.h"

#define PLAN_NOTIFY_MAX 16

static const char *const notify_types[] = {
	"slack", "webhook", "grafana", "kubernetes-events", NULL
};

const struct field notify_fields[] = {
	FLDC("type", struct plan_notify, type, notify_types),
	FLD("name", F_NAME, struct plan_notify, name),
	FLD("events", F_ARGV, struct plan_notify, events),
	FLD("url", F_URL, struct plan_notify, url),
	FLD("url_file", F_PATH, struct plan_notify, url_file),
	FLD("token_file", F_PATH, struct plan_notify, token_file),
	FLD("dashboard_uid", F_STR, struct plan_notify, dashboard_uid),
	FLD("tags", F_ARGV, struct plan_notify, tags),
	FLD("namespace", F_DNS, struct plan_notify, namespace),
	FLD("kind", F_NAME, struct plan_notify, object_kind),
	FLD("object", F_STR, struct plan_notify, object_name),
	FLD("api_version", F_STR, struct plan_notify, object_api_version),
	FLDB("timeout", F_DUR, struct plan_notify, timeout_ms, TIMEOUT_LO,
	     TIMEOUT_HI),
	FLDB("retries", F_INT, struct plan_notify, retries, 0, 20),
	FEND
};

void
notify_plan_free(struct plan *p)
{
	for (int i = 0; i < p->nnotify; i++) {
		struct plan_notify *t = &p->notify[i];

		free(t->type);
		free(t->name);
		argv_free(&t->events);
		free(t->url);
		free(t->url_file);
		free(t->token_file);
		free(t->dashboard_uid);
		argv_free(&t->tags);
		free(t->namespace);
		free(t->object_kind);
		free(t->object_name);
		free(t->object_api_version);
	}
	free(p->notify);
	p->notify = NULL;
	p->nnotify = 0;
}

/* What each type needs, and refuses. */
static int
notify_check(struct ctx *c, yaml_node_t *v, const char *section,
	     struct plan_notify *t, uint64_t seen)
{
	static const char *const slack_req[] = { "url_file", NULL };
	static const char *const grafana_req[] = { "url", "token_file", NULL };
	static const char *const kind_keys[] = { "namespace", "kind",
						 "object", "api_version" };
	static const char *const grafana_keys[] = { "dashboard_uid", "tags" };
	bool slack = strcmp(t->type, "slack") == 0;
	bool webhook = strcmp(t->type, "webhook") == 0;
	bool grafana = strcmp(t->type, "grafana") == 0;
	bool kevents = strcmp(t->type, "kubernetes-events") == 0;

	if (slack && has(notify_fields, seen, "url"))
		return errn(c, map_get(c, v, "url", NULL),
			    "a Slack webhook URL is a credential: put it in a "
			    "file of its own and name the file with url_file");
	if (slack && require(c, v, section, notify_fields, seen, slack_req,
			     "for a slack target") == -1)
		return -1;
	if (grafana && require(c, v, section, notify_fields, seen,
			       grafana_req, "for a grafana target") == -1)
		return -1;
	if (webhook && has(notify_fields, seen, "url") ==
	    has(notify_fields, seen, "url_file"))
		return errn(c, v, "%s: a webhook target needs one of url or "
			    "url_file", section);
	if ((slack || webhook || grafana) == false &&
	    (has(notify_fields, seen, "url") ||
	     has(notify_fields, seen, "url_file") ||
	     has(notify_fields, seen, "token_file")))
		return errn(c, v, "%s: a kubernetes-events target uses the "
			    "kubeconfig: no url, url_file or token_file",
			    section);
	for (size_t i = 0; !kevents && i < sizeof(kind_keys) /
	     sizeof(kind_keys[0]); i++)
		if (has(notify_fields, seen, kind_keys[i]))
			return errn(c, map_get(c, v, kind_keys[i], NULL),
				    "'%s' is for a kubernetes-events target",
				    kind_keys[i]);
	for (size_t i = 0; !grafana && i < sizeof(grafana_keys) /
	     sizeof(grafana_keys[0]); i++)
		if (has(notify_fields, seen, grafana_keys[i]))
			return errn(c, map_get(c, v, grafana_keys[i], NULL),
				    "'%s' is for a grafana target",
				    grafana_keys[i]);
	for (int i = 0; i < t->events.argc; i++)
		if (notify_event_find(t->events.argv[i]) < 0 &&
		    strcmp(t->events.argv[i], "all") != 0) {
			char names[512];

			notify_event_names(names, sizeof(names));
			return errn(c, map_get(c, v, "events", NULL),
				    "unknown event '%s' (expected all or "
				    "some of: %s)", t->events.argv[i], names);
		}
	return 0;
}

int
fn_notify(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	static const char *const req[] = { "type", NULL };
	struct plan *p = base;
	yaml_node_item_t *it;
	int count;

	if (want_kind(c, n, YAML_SEQUENCE_NODE, f->key) == -1)
		return -1;
	count = (int)(n->data.sequence.items.top -
		      n->data.sequence.items.start);
	if (count > PLAN_NOTIFY_MAX)
		return errn(c, n, "too many notify targets (%d; at most %d)",
			    count, PLAN_NOTIFY_MAX);
	notify_plan_free(p);
	p->notify = xcalloc((size_t)count + 1, sizeof(*p->notify));
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		struct plan_notify *t = &p->notify[p->nnotify];
		yaml_node_t *v = node_at(c, *it);
		char section[32];
		uint64_t seen;

		p->nnotify++;
		t->timeout_ms = 10 * SEC;
		t->retries = 5;
		snprintf(section, sizeof(section), "notify item %d",
			 p->nnotify);
		if (parse_map(c, v, section, notify_fields, t, &seen) == -1)
			return -1;
		if (require(c, v, section, notify_fields, seen, req,
			    NULL) == -1)
			return -1;
		if (notify_check(c, v, section, t, seen) == -1)
			return -1;
		if (t->name == NULL)
			set_str(&t->name, t->type);
		for (int i = 0; i < p->nnotify - 1; i++)
			if (strcmp(p->notify[i].name, t->name) == 0)
				return errn(c, v, "two notify targets are "
					    "named '%s': give one a name:",
					    t->name);
	}
	return 0;
}

void
pr_notify(FILE *out, const char *key, const struct field *f,
	  const void *base, const struct plan *p)
{
	char k[64];

	(void)f;
	(void)base;
	for (int i = 0; i < p->nnotify; i++) {
		snprintf(k, sizeof(k), "%s.%d", key, i + 1);
		print_map(out, k, notify_fields, &p->notify[i], p);
	}
}
