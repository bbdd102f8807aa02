/*
 * notify — messages to the team from the audit lines (see notify.h).
 */
#include "config.h"

#include "notify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "http.h"
#include "kube.h"
#include "secret.h"
#include "text.h"
#include "xmalloc.h"

#define NOTIFY_SECRET_MAX 4096
#define NOTIFY_NOTE_MAX 1024		/* an Event's note */
#define NOTIFY_BACKOFF_MAX_MS 60000
#define NOTIFY_RETRY_AFTER_MAX_MS 300000

static const struct {
	const char *name;
	const char *action;
	bool dflt;
	const char *ktype;
	const char *kreason;
	const char *words;
} events[] = {
#define X(id, name, action, dflt, ktype, kreason, words)                      \
	[id] = { name, action, dflt, ktype, kreason, words },
	NOTIFY_EVENT_LIST(X)
#undef X
};

struct notify_msg {
	struct notify_msg *next;
	int ev;
	char *body;
	int attempts;		/* tries that failed */
};

struct notify_target {
	struct notify *n;
	const struct plan_notify *cfg;
	bool want[NOTIFY_EV_COUNT];
	char *url;		/* from url_file: a secret */
	size_t url_len;
	char *token;		/* from token_file: a secret */
	size_t token_len;
	char *path;		/* kubernetes-events: the collection */
	char setup_error[256];	/* why it cannot send, "" if it can */
	struct notify_msg *head, *tail;
	int queued;
	struct http_xfer *xfer;
	struct kube_call *kcall;
	struct loop_timer *timer;
};

struct notify {
	const struct plan *plan;
	struct loop *loop;
	struct kube *kube;
	struct notify_target *t;
	int n;
	notify_fail_cb fail;
	void *fail_arg;
};

int
notify_event_find(const char *name)
{
	for (int i = 0; i < NOTIFY_EV_COUNT; i++)
		if (strcmp(events[i].name, name) == 0)
			return i;
	return -1;
}

int
notify_event_of_action(const char *action)
{
	for (int i = 0; i < NOTIFY_EV_COUNT; i++)
		if (strcmp(events[i].action, action) == 0)
			return i;
	return -1;
}

const char *
notify_event_name(int ev)
{
	return ev >= 0 && ev < NOTIFY_EV_COUNT ? events[ev].name : "?";
}

void
notify_event_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < NOTIFY_EV_COUNT && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? ", " : "", events[i].name);
}

/* --- reading the audit record ------------------------------------------- */

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static long long
jint(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/*
 * "alice on pts/3 from 10.0.0.7", or "cutover (automatic)"; what a
 * guard's client only claimed (its tty and ssh client) says so.
 */
static void
actor_text(json_t *line, char *buf, size_t len)
{
	json_t *a = json_object_get(line, "actor");
	bool ssh_claimed, tty_claimed;
	const char *ssh = audit_actor_field(a, "ssh_client", &ssh_claimed);
	const char *tty = audit_actor_field(a, "tty", &tty_claimed);
	bool claimed = (ssh_claimed && ssh[0] != '\0') ||
		       (tty_claimed && tty[0] != '\0');

	snprintf(buf, len, "%s%s%s%s%s%s", jstr(a, "user"),
		 tty[0] != '\0' ? " on " : "", tty,
		 ssh[0] != '\0' ? " from " : "", ssh,
		 claimed ? " (claimed)" : "");
}

void
notify_text(const struct plan *p, int ev, json_t *line, char *buf,
	    size_t len)
{
	json_t *to = json_object_get(line, "to");
	json_t *m = json_object_get(line, "metrics");
	const char *reason = jstr(line, "reason");
	const char *by = jstr(m, "decided_by");
	size_t used;

	used = (size_t)snprintf(buf, len, "%s: %s, stage %lld -> %lld, "
				"Istio %lld%% / APISIX %lld%%", p->name,
				notify_event_name(ev) != NULL ?
				events[ev].words : "?",
				jint(line, "stage_from"),
				jint(line, "stage_to"), jint(to, "istio"),
				jint(to, "apisix"));
	if (reason[0] != '\0' && used < len)
		used += (size_t)snprintf(buf + used, len - used, "; %s",
					 reason);
	if (by[0] != '\0' && used < len) {
		json_t *g = json_object_get(json_object_get(m, "gates"), by);
		const char *why = jstr(g, "why");

		used += (size_t)snprintf(buf + used, len - used,
					 "; decided by %s%s%s", by,
					 why[0] != '\0' ? ": " : "", why);
	}
	(void)used;
	/* The record is ASCII JSON already; the reason is an operator's. */
	text_sanitise(buf);
}

/* Slack's mrkdwn: &, < and > are its own (links, @channel). */
static char *
slack_escape(const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *c = s; *c != '\0'; c++)
		n += *c == '&' ? 5 : (*c == '<' || *c == '>') ? 4 : 1;
	out = o = xmalloc(n + 1);
	for (; *s != '\0'; s++) {
		if (*s == '&')
			o += sprintf(o, "&amp;");
		else if (*s == '<')
			o += sprintf(o, "&lt;");
		else if (*s == '>')
			o += sprintf(o, "&gt;");
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

static json_t *
slack_section(const char *mrkdwn)
{
	char *t = slack_escape(mrkdwn);
	json_t *j = json_pack("{s:s, s:{s:s, s:s}}", "type", "section",
			      "text", "type", "mrkdwn", "text", t);

	free(t);
	return j;
}

static json_t *
slack_body(const struct plan *p, int ev, json_t *line, const char *text)
{
	json_t *to = json_object_get(line, "to");
	json_t *m = json_object_get(line, "metrics");
	const char *by = jstr(m, "decided_by");
	char stage[96], gate[320], actor[200], fields[800];
	json_t *blocks = json_array();
	char *esc;

	snprintf(stage, sizeof(stage), "stage %lld -> %lld, Istio %lld%% / "
		 "APISIX %lld%%", jint(line, "stage_from"),
		 jint(line, "stage_to"), jint(to, "istio"),
		 jint(to, "apisix"));
	if (by[0] != '\0') {
		json_t *g = json_object_get(json_object_get(m, "gates"), by);

		snprintf(gate, sizeof(gate), "%s: %s", by, jstr(g, "why"));
	} else {
		snprintf(gate, sizeof(gate), "-");
	}
	actor_text(line, actor, sizeof(actor));
	snprintf(fields, sizeof(fields), "Stage: %s\nDeciding gate: %s\n"
		 "Actor: %s", stage, gate, actor);
	text_sanitise(fields);
	esc = slack_escape(p->name);
	json_array_append_new(blocks, slack_section(text));
	json_array_append_new(blocks, slack_section(fields));
	json_array_append_new(blocks, json_pack("{s:s, s:[{s:s, s:s}]}",
						"type", "context", "elements",
						"type", "mrkdwn", "text",
						jstr(line, "time")));
	free(esc);
	(void)ev;
	return json_pack("{s:s, s:o}", "text", text, "blocks", blocks);
}

/* An Event's eventTime is a MicroTime: microseconds. */
static void
micro_time(const char *rfc3339ms, char *buf, size_t len)
{
	size_t n = strlen(rfc3339ms);

	if (n == 24 && rfc3339ms[19] == '.' && rfc3339ms[23] == 'Z')
		snprintf(buf, len, "%.23s000Z", rfc3339ms);
	else
		snprintf(buf, len, "%s", rfc3339ms);
}

static void
host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "unknown");
	buf[len - 1] = '\0';
	for (char *c = buf; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
			*c = '-';
		else
			*c = (char)tolower((unsigned char)*c);
}

/* Cut at most `max` bytes, at a UTF-8 character's start. */
static void
cut_utf8(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

static json_t *
kevent_body(const struct plan *p, const struct plan_notify *t, int ev,
	    json_t *line, const char *text)
{
	char when[48], host[64], inst[160], gen[96], note[NOTIFY_NOTE_MAX + 1];
	const char *ns = t->namespace != NULL ? t->namespace :
						 p->istio_namespace;

	micro_time(jstr(line, "time"), when, sizeof(when));
	host_name(host, sizeof(host));
	snprintf(inst, sizeof(inst), "cutover-%s", host);
	cut_utf8(inst, 128);
	snprintf(gen, sizeof(gen), "cutover-%s-", p->name);
	for (char *c = gen; *c != '\0'; c++)
		*c = isalnum((unsigned char)*c) || *c == '-' || *c == '.' ?
		     (char)tolower((unsigned char)*c) : '-';
	snprintf(note, sizeof(note), "%s", text);
	cut_utf8(note, NOTIFY_NOTE_MAX);
	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, "
			 "s:s, s:s, s:{s:s, s:s, s:s, s:s}}",
			 "apiVersion", "events.k8s.io/v1",
			 "kind", "Event",
			 "metadata", "generateName", gen, "namespace", ns,
			 "eventTime", when,
			 "reportingController", "cutover",
			 "reportingInstance", inst,
			 "action", events[ev].kreason,
			 "reason", events[ev].kreason,
			 "type", events[ev].ktype,
			 "note", note,
			 "regarding",
			 "apiVersion", t->object_api_version != NULL ?
				       t->object_api_version : "apps/v1",
			 "kind", t->object_kind != NULL ? t->object_kind :
							  "Deployment",
			 "namespace", ns,
			 "name", t->object_name != NULL ? t->object_name :
							   p->istio_workload);
}

static json_t *
grafana_body(const struct plan_notify *t, int ev, json_t *line,
	     const char *text)
{
	json_t *tags = json_array();
	json_t *o;
	struct tm tm;
	const char *when = jstr(line, "time");
	long long ms = 0;
	int frac = 0;

	for (int i = 0; i < t->tags.argc; i++)
		json_array_append_new(tags, json_string(t->tags.argv[i]));
	json_array_append_new(tags, json_string("cutover"));
	json_array_append_new(tags, json_string(events[ev].name));
	memset(&tm, 0, sizeof(tm));
	if (sscanf(when, "%d-%d-%dT%d:%d:%d.%3dZ", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
		   &frac) >= 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		ms = (long long)timegm(&tm) * 1000 + frac;
	}
	o = json_pack("{s:I, s:o, s:s}", "time", (json_int_t)ms, "tags", tags,
		      "text", text);
	if (t->dashboard_uid != NULL)
		json_object_set_new(o, "dashboardUID",
				    json_string(t->dashboard_uid));
	return o;
}

char *
notify_body(const struct plan *p, const struct plan_notify *t, int ev,
	    json_t *line)
{
	char text[1536];
	json_t *o;
	char *s;

	notify_text(p, ev, line, text, sizeof(text));
	if (strcmp(t->type, "slack") == 0)
		o = slack_body(p, ev, line, text);
	else if (strcmp(t->type, "grafana") == 0)
		o = grafana_body(t, ev, line, text);
	else if (strcmp(t->type, "kubernetes-events") == 0)
		o = kevent_body(p, t, ev, line, text);
	else
		o = json_pack("{s:s, s:s, s:s, s:O}", "plan", p->name,
			      "event", events[ev].name, "text", text,
			      "record", line);
	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

/* --- sending ------------------------------------------------------------ */

static void target_kick(struct notify_target *t);

static void
msg_pop(struct notify_target *t)
{
	struct notify_msg *m = t->head;

	if (m == NULL)
		return;
	t->head = m->next;
	if (t->head == NULL)
		t->tail = NULL;
	t->queued--;
	free(m->body);
	free(m);
}

static void
report(struct notify_target *t, int ev, const char *why, bool given_up)
{
	char line[512];

	if (t->n->fail == NULL)
		return;
	snprintf(line, sizeof(line), "%s", why);
	/* Never the URL: it may be the credential itself. */
	if (t->url != NULL && t->url[0] != '\0') {
		char *at;

		while ((at = strstr(line, t->url)) != NULL)
			memmove(at + 3, at + strlen(t->url),
				strlen(at + strlen(t->url)) + 1),
			memcpy(at, "***", 3);
	}
	text_scrub(line, sizeof(line));
	t->n->fail(t->n->fail_arg, t->cfg->name, notify_event_name(ev), line,
		   given_up);
}

static void
retry_fire(void *arg)
{
	struct notify_target *t = arg;

	t->timer = NULL;
	target_kick(t);
}

/* The message at the head failed: retry it later or give it up. */
static void
failed(struct notify_target *t, const char *why, double retry_after_s)
{
	struct notify_msg *m = t->head;
	int64_t delay;

	if (m == NULL)
		return;
	m->attempts++;
	if (m->attempts > t->cfg->retries) {
		char buf[400];

		snprintf(buf, sizeof(buf), "%s (given up after %d tries)",
			 why, m->attempts);
		report(t, m->ev, buf, true);
		msg_pop(t);
		target_kick(t);
		return;
	}
	if (m->attempts == 1)
		report(t, m->ev, why, false);
	delay = 1000LL << (m->attempts - 1 < 16 ? m->attempts - 1 : 16);
	if (delay > NOTIFY_BACKOFF_MAX_MS)
		delay = NOTIFY_BACKOFF_MAX_MS;
	if (retry_after_s > 0) {
		double ra = retry_after_s * 1000;

		delay = ra > NOTIFY_RETRY_AFTER_MAX_MS ?
			NOTIFY_RETRY_AFTER_MAX_MS : (int64_t)ra;
	}
	t->timer = loop_timer_at(t->n->loop, loop_now(t->n->loop) + delay,
				 retry_fire, t);
}

static void
http_done(const struct http_response *r, void *arg)
{
	struct notify_target *t = arg;
	char buf[300];

	t->xfer = NULL;
	if (r->curl_code == 0 && r->status >= 200 && r->status < 300) {
		msg_pop(t);
		target_kick(t);
		return;
	}
	failed(t, http_describe(r, buf, sizeof(buf)), r->retry_after_s);
}

static void
kube_done(const struct http_response *r, const char *msg, void *arg)
{
	struct notify_target *t = arg;

	t->kcall = NULL;
	if (r != NULL && msg[0] == '\0') {
		msg_pop(t);
		target_kick(t);
		return;
	}
	failed(t, msg[0] != '\0' ? msg : "no request could be made",
	       r != NULL ? r->retry_after_s : 0);
}

static void
target_kick(struct notify_target *t)
{
	struct notify_msg *m = t->head;
	struct err e;

	if (m == NULL || t->xfer != NULL || t->kcall != NULL ||
	    t->timer != NULL)
		return;
	if (t->setup_error[0] != '\0') {
		/* Nothing to retry: it cannot send at all. */
		report(t, m->ev, t->setup_error, true);
		msg_pop(t);
		target_kick(t);
		return;
	}
	err_clear(&e);
	if (strcmp(t->cfg->type, "kubernetes-events") == 0) {
		t->kcall = kube_call_start(t->n->kube, "POST", t->path,
					   "application/json", m->body,
					   t->cfg->timeout_ms, kube_done, t,
					   &e);
		if (t->kcall != NULL)
			return;
	} else {
		static const char *const headers[] = {
			"Content-Type: application/json",
			"Accept: application/json, text/plain, */*",
			NULL,
		};
		struct http_request rq = {
			.method = "POST",
			.url = t->url != NULL ? t->url : t->path != NULL ?
			       t->path : t->cfg->url,
			.headers = headers,
			.body = m->body,
			.body_len = strlen(m->body),
			.timeout_ms = t->cfg->timeout_ms,
			.connect_timeout_ms = t->cfg->timeout_ms < 5000 ?
					      t->cfg->timeout_ms : 5000,
			.bearer_token = t->token,
		};

		t->xfer = http_start(t->n->loop, &rq, http_done, t, &e);
		if (t->xfer != NULL)
			return;
	}
	failed(t, e.msg, 0);
}

/* --- the notifier -------------------------------------------------------- */

static char *
read_secret(const char *path, size_t *len, char *why, size_t whylen)
{
	struct err e;
	char *s;

	err_clear(&e);
	s = secret_read_file(path, NOTIFY_SECRET_MAX, len, &e);
	if (s == NULL)
		snprintf(why, whylen, "%s", e.msg);
	return s;
}

struct notify *
notify_new(const struct plan *p, struct loop *l, struct kube *k,
	   const char *kube_why)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	n->plan = p;
	n->loop = l;
	n->kube = k;
	n->n = p->nnotify;
	n->t = xcalloc((size_t)n->n + 1, sizeof(*n->t));
	for (int i = 0; i < n->n; i++) {
		struct notify_target *t = &n->t[i];
		const struct plan_notify *c = &p->notify[i];
		bool all = false;

		t->n = n;
		t->cfg = c;
		for (int j = 0; j < c->events.argc; j++) {
			int ev = notify_event_find(c->events.argv[j]);

			if (strcmp(c->events.argv[j], "all") == 0)
				all = true;
			else if (ev >= 0)
				t->want[ev] = true;
		}
		for (int ev = 0; ev < NOTIFY_EV_COUNT; ev++)
			if (all || (c->events.argc == 0 && events[ev].dflt))
				t->want[ev] = true;
		if (c->url_file != NULL)
			t->url = read_secret(c->url_file, &t->url_len,
					     t->setup_error,
					     sizeof(t->setup_error));
		if (t->setup_error[0] == '\0' && c->token_file != NULL)
			t->token = read_secret(c->token_file, &t->token_len,
					       t->setup_error,
					       sizeof(t->setup_error));
		if (t->setup_error[0] == '\0' && strcmp(c->type, "grafana") == 0)
			t->path = xasprintf("%s/api/annotations", c->url);
		if (strcmp(c->type, "kubernetes-events") == 0) {
			if (k == NULL)
				snprintf(t->setup_error,
					 sizeof(t->setup_error),
					 "no Kubernetes client: %s",
					 kube_why != NULL ? kube_why : "?");
			t->path = xasprintf("/apis/events.k8s.io/v1/"
					    "namespaces/%s/events",
					    c->namespace != NULL ?
					    c->namespace : p->istio_namespace);
		}
		if (t->url != NULL && strncmp(t->url, "https://", 8) != 0 &&
		    strncmp(t->url, "http://", 7) != 0) {
			snprintf(t->setup_error, sizeof(t->setup_error),
				 "%s does not hold an http(s) URL",
				 c->url_file);
			xfree_secret(t->url, t->url_len);
			t->url = NULL;
		}
		text_scrub(t->setup_error, sizeof(t->setup_error));
	}
	return n;
}

void
notify_on_fail(struct notify *n, notify_fail_cb cb, void *arg)
{
	n->fail = cb;
	n->fail_arg = arg;
}

void
notify_audit(struct notify *n, json_t *line)
{
	const char *result = jstr(line, "result");
	int ev;

	if (n == NULL || strcmp(result, "refused") == 0)
		return;
	ev = notify_event_of_action(jstr(line, "action"));
	if (ev < 0)
		return;
	for (int i = 0; i < n->n; i++) {
		struct notify_target *t = &n->t[i];
		struct notify_msg *m;
		char *body;

		if (!t->want[ev])
			continue;
		body = notify_body(n->plan, t->cfg, ev, line);
		if (body == NULL)
			continue;
		if (t->queued >= NOTIFY_QUEUE_MAX && t->head != NULL &&
		    t->head->next != NULL) {
			/* The oldest waiting one (not the one in flight). */
			struct notify_msg *old = t->head->next;

			report(t, old->ev, "too many messages waiting", true);
			t->head->next = old->next;
			if (t->tail == old)
				t->tail = t->head;
			t->queued--;
			free(old->body);
			free(old);
		}
		m = xcalloc(1, sizeof(*m));
		m->ev = ev;
		m->body = body;
		if (t->tail != NULL)
			t->tail->next = m;
		else
			t->head = m;
		t->tail = m;
		t->queued++;
		target_kick(t);
	}
}

int
notify_pending(const struct notify *n)
{
	int q = 0;

	for (int i = 0; n != NULL && i < n->n; i++)
		q += n->t[i].queued;
	return q;
}

void
notify_abandon(struct notify *n, const char *why)
{
	for (int i = 0; n != NULL && i < n->n; i++) {
		struct notify_target *t = &n->t[i];

		http_cancel(t->xfer);
		t->xfer = NULL;
		kube_call_cancel(t->kcall);
		t->kcall = NULL;
		loop_timer_cancel(n->loop, t->timer);
		t->timer = NULL;
		while (t->head != NULL) {
			report(t, t->head->ev, why, true);
			msg_pop(t);
		}
	}
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < n->n; i++) {
		struct notify_target *t = &n->t[i];

		http_cancel(t->xfer);
		kube_call_cancel(t->kcall);
		loop_timer_cancel(n->loop, t->timer);
		while (t->head != NULL)
			msg_pop(t);
		if (t->url != NULL)
			xfree_secret(t->url, t->url_len);
		if (t->token != NULL)
			xfree_secret(t->token, t->token_len);
		free(t->path);
	}
	free(n->t);
	free(n);
}
