/*
 * kube — pod lists on the loop (see kube.h).
 *
 * One kube_list per plan group.  A refresh starts every list at once; a
 * list walks its pages (limit/continue), summarising each page's pods as it
 * arrives (the parsed JSON is freed at once: memory stays near the size of
 * the summaries, not of the lists), and installs them with
 * podhealth_take() when the last page arrived.  The group's health is only replaced by a whole,
 * consistent list: an error mid-way leaves the previous pods in place.
 *
 * Credentials are shared by all lists.  With an exec plugin, a list that
 * needs a credential parks itself (`waiting`) and the one plugin run wakes
 * every parked list.  Each request remembers the credential generation it
 * used, so a 401 invalidates the cached credential only if nobody renewed
 * it meanwhile; each list retries a 401 at most once per refresh, so a
 * plugin that keeps handing out bad tokens cannot make us loop.
 *
 * Invariants:
 * - At most one exec plugin process at a time; at most one request per
 *   list in flight.
 * - A list is `active` from kube_refresh until its group was updated
 *   (summarised or marked SOURCE_ERROR); kube_busy() is the OR of those and
 *   the plugin.
 * - Tokens, passwords and keys live only here and in curl's copies; they
 *   are wiped when replaced or freed and never formatted into text.
 *
 * kube_call is the same machinery for one request of any kind (the
 * kubernetes traffic driver): it parks like a list while the plugin runs,
 * retries a 401 once, and lives on k->calls until it answered or was
 * cancelled, so kube_free() can cancel whatever is left.
 */
#include "config.h"

#include "kube.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "http.h"
#include "kubeconfig.h"
#include "podcache.h"
#include "podwatch.h"
#include "proc.h"
#include "text.h"
#include "xmalloc.h"

/*
 * Pods per page, chosen by measurement (bench/README.md): at 10,000 pods,
 * pages of 100 instead of 250 took 6 MiB off the peak RSS (only one
 * page's body and tree are alive at a time) for 15 % more time to the
 * first complete frame; pages of 50 saved 2 MiB more but took 60 % longer
 * than 100 (a round trip each).
 */
#ifndef KUBE_PAGE_LIMIT
#define KUBE_PAGE_LIMIT 100
#endif
/*
 * A list is cut off (the group in error, no data for the gates) past these:
 * a server that keeps sending continue tokens must not grow memory and
 * hold a refresh forever.  KUBE_PAGES_MAX pages of KUBE_PAGE_LIMIT pods
 * reach KUBE_PODS_MAX, far beyond any group of gateway pods; 50,000 pod
 * summaries take about 15 MB.  Documented in cutover.yaml(5).
 */
#define KUBE_PAGES_MAX 500
#define KUBE_PODS_MAX 50000
/* A tokenFile may rotate (projected service-account tokens). */
#define KUBE_TOKEN_FILE_TTL_MS (60 * 1000)
/* Renew an exec credential this long before it expires. */
#define KUBE_EXPIRY_MARGIN_MS (10 * 1000)
#define KUBE_EXEC_TIMEOUT_MS (60 * 1000)
/*
 * Watch mode (kube_set_watch): each watch asks the server to end it after
 * KUBE_WATCH_SECONDS and is then resumed from the last resourceVersion; one
 * still open KUBE_WATCH_GRACE_MS after that (less for a shorter watch)
 * has stalled and counts as
 * broken.  A broken watch is followed by a new list after a backoff
 * (none the first time, then 0.5 s doubling up to 30 s); a watch that
 * ends cleanly in less than KUBE_WATCH_SHORT_MS counts as a failure too,
 * so a server that closes every stream at once is not hammered; one that
 * served for KUBE_WATCH_SERVED_MS before it broke starts the count again.
 */
#define KUBE_WATCH_SECONDS 60
#define KUBE_WATCH_GRACE_MS 5000
#define KUBE_WATCH_SHORT_MS 1000
#define KUBE_WATCH_SERVED_MS (10 * 1000)
#define KUBE_BACKOFF_MIN_MS 500
#define KUBE_BACKOFF_MAX_MS (30 * 1000)

struct kube_list {
	struct kube *k;
	int idx;
	struct http_xfer *x;
	struct pod_health *pods;	/* summaries of this pass so far */
	int npods;
	int cap;
	char *cont;		/* continue token of the next page */
	int pages;		/* pages received in this pass */
	bool active;
	bool restarted;		/* a 410 already restarted this list */
	bool auth_retried;	/* a 401 already retried */
	bool waiting;		/* parked until a credential arrives */
	unsigned cred_gen;	/* credential generation of the request */

	/* Watch mode: the cache and the stream that keeps it. */
	struct podcache *cache;	/* NULL until a list completed */
	struct podcache *fill;	/* the list in progress goes here */
	char list_rv[PODWATCH_RV_MAX];	/* resourceVersion of that list */
	char rv[PODWATCH_RV_MAX];	/* where the watch goes on from */
	struct http_xfer *w;	/* the watch stream */
	struct podwatch_lines lines;
	int64_t watch_started;	/* mono */
	int64_t down_since;	/* mono; 0 while a watch runs */
	char down_why[192];
	char stream_err[192];	/* why the stream's reader stopped it */
	bool stream_gone;	/* an ERROR event said 410 */
	bool relist;		/* the cache cannot be trusted */
	bool dirty;		/* the cache changed since it was published */
	bool stale;		/* published as stale */
	int fails;		/* failures in a row (backoff) */
	struct loop_timer *retry;	/* backoff before the next list/watch */
	struct loop_timer *stale_timer;
	long events;		/* watch events applied */
};

struct kube {
	const struct plan *plan;
	struct loop *loop;
	struct group_health *groups;
	int ngroups;
	struct kube_list *lists;
	struct kubeconfig kc;
	int page_limit;
	void (*cb)(void *arg);
	void *cb_arg;

	char *url_base;		/* server, host replaced by tls-server-name */
	char *connect_to;	/* "name:port:host:port" for tls-server-name */
	char *userpwd;		/* basic auth, if any */

	/* The bearer token in use (static, tokenFile or exec). */
	char *token;
	int64_t token_read_mono;	/* tokenFile: when it was read */
	bool token_read;

	/* exec plugin credential */
	struct proc *exec;
	int exec_runs;
	bool cred_valid;
	bool cred_this_pass;	/* obtained during this refresh */
	unsigned cred_gen;
	int64_t cred_expiry_wall;	/* 0: no expiry given */
	char *cert;		/* PEM from the plugin */
	size_t cert_len;
	char *key;
	size_t key_len;
	char *exec_info;	/* "KUBERNETES_EXEC_INFO=..." */

	struct kube_call *calls;	/* live kube_call requests */

	bool watch;		/* lists feed caches kept by watches */
	int watch_seconds;	/* timeoutSeconds of each watch */
};

struct kube_call {
	struct kube *k;
	struct kube_call *next;
	char *method;
	char *url;
	char *ctype;		/* "Content-Type: ..." or NULL */
	char *body;
	int64_t timeout_ms;
	struct http_xfer *x;
	bool waiting;		/* parked until a credential arrives */
	bool auth_retried;
	unsigned cred_gen;
	kube_call_cb cb;
	void *arg;
};

static void kube_list_start(struct kube_list *li);
static void kube_watch_start(struct kube_list *li);
static void kube_watch_publish(struct kube_list *li);
static void kube_watch_failed(struct kube_list *li, const char *why);
static void kube_call_send(struct kube_call *c);
static void kube_call_answer(struct kube_call *c,
			     const struct http_response *r, const char *msg);

/* --- small helpers ------------------------------------------------------- */

static void
kube_wipe(char **p, size_t len)
{
	if (*p == NULL)
		return;
	xfree_secret(*p, len ? len : strlen(*p));
	*p = NULL;
}

static void
kube_notify(struct kube *k)
{
	if (k->cb != NULL)
		k->cb(k->cb_arg);
}

static int64_t
kube_wall(const struct kube *k)
{
	return clock_wall(loop_clock(k->loop));
}

/* Parse RFC 3339 ("2026-01-02T03:04:05Z", fractions, offsets) to wall ms;
 * 0 when unparseable. */
static int64_t
kube_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	int64_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return 0;
	t = (int64_t)timegm(&tm) * 1000;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z')
		return t;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' &&
	    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		int64_t off = ((p[1] - '0') * 10 + (p[2] - '0')) * 60 +
			      (p[4] - '0') * 10 + (p[5] - '0');

		return *p == '+' ? t - off * 60000 : t + off * 60000;
	}
	return 0;
}

/* The first line of s, at most n bytes, control characters dropped. */
static void
kube_first_line(const char *s, char *out, size_t n)
{
	size_t o = 0;

	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	for (; *s != '\0' && *s != '\n' && o + 1 < n; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			out[o++] = *s;
	out[o] = '\0';
}

/* --- failing and finishing a list ----------------------------------------- */

static void
kube_list_reset(struct kube_list *li)
{
	free(li->pods);
	li->pods = NULL;
	li->npods = li->cap = 0;
	li->pages = 0;
	free(li->cont);
	li->cont = NULL;
	podcache_free(li->fill);
	li->fill = NULL;
	li->list_rv[0] = '\0';
}

/* The group keeps its previous pods; only state and error change. */
static void
kube_list_fail(struct kube_list *li, const char *msg)
{
	struct group_health *g = &li->k->groups[li->idx];

	kube_list_reset(li);
	li->active = false;
	li->waiting = false;
	g->state = SOURCE_ERROR;
	snprintf(g->error, sizeof(g->error), "%s", msg);
	text_scrub(g->error, sizeof(g->error));
	if (li->k->watch)
		kube_watch_failed(li, g->error);
	kube_notify(li->k);
}

/* Summarise one page's pods into the pass's array; -1 with msg when the
 * page is bad or the list grows past KUBE_PODS_MAX. */
static int
kube_list_page(struct kube_list *li, json_t *root, char *msg, size_t len)
{
	json_t *items = json_object_get(root, "items");
	int64_t wall = kube_wall(li->k);
	size_t i, n = json_array_size(items);
	json_t *pod;
	struct err e;

	if (n > (size_t)(KUBE_PODS_MAX - li->npods)) {
		snprintf(msg, len, "more than %d pods in the list; cutover "
			 "reads at most %d per group (narrow the selector)",
			 KUBE_PODS_MAX, KUBE_PODS_MAX);
		return -1;
	}
	if (li->fill != NULL) {
		/* Watch mode: nothing of the page is kept but the structs. */
		char key[PODCACHE_KEY_MAX];
		struct pod_health ph;

		json_array_foreach(items, i, pod) {
			err_clear(&e);
			if (podhealth_pod(pod, wall, &ph, &e) != 0 ||
			    podwatch_pod_key(json_object_get(pod, "metadata"),
					     key, sizeof(key), &e) != 0) {
				snprintf(msg, len, "%s", e.msg);
				return -1;
			}
			podcache_put(li->fill, key, &ph, wall);
			li->npods++;
		}
		return 0;
	}
	if (li->npods + (int)n > li->cap) {
		li->cap = li->npods + (int)n;
		li->pods = xreallocarray(li->pods, (size_t)li->cap,
					 sizeof(*li->pods));
	}
	json_array_foreach(items, i, pod) {
		err_clear(&e);
		if (podhealth_pod(pod, wall, &li->pods[li->npods], &e) != 0) {
			snprintf(msg, len, "%s", e.msg);
			return -1;
		}
		li->npods++;
	}
	return 0;
}

static void
kube_list_finish(struct kube_list *li)
{
	struct kube *k = li->k;

	if (li->fill != NULL) {
		/* The new list replaces the cache whole; the watch goes on
		 * from the list's resourceVersion. */
		podcache_free(li->cache);
		li->cache = li->fill;
		li->fill = NULL;
		snprintf(li->rv, sizeof(li->rv), "%s", li->list_rv);
		li->relist = false;
		li->dirty = true;
		kube_list_reset(li);
		li->active = false;
		kube_watch_publish(li);
		kube_notify(k);
		if (k->watch && li->w == NULL && li->retry == NULL)
			kube_watch_start(li);
		return;
	}
	podhealth_take(&k->groups[li->idx], li->pods, li->npods, kube_wall(k),
		       loop_now(k->loop));
	li->pods = NULL;
	kube_list_reset(li);
	li->active = false;
	kube_notify(k);
}

/* Every parked list fails with msg (the credential could not be had). */
static void
kube_fail_waiting(struct kube *k, const char *msg)
{
	struct kube_call *c;

	for (int i = 0; i < k->ngroups; i++)
		if (k->lists[i].waiting)
			kube_list_fail(&k->lists[i], msg);
	/* One at a time: a callback may start or cancel other calls. */
	for (;;) {
		for (c = k->calls; c != NULL && !c->waiting; c = c->next)
			;
		if (c == NULL)
			break;
		c->waiting = false;
		kube_call_answer(c, NULL, msg);
	}
}

/* --- credentials ----------------------------------------------------------- */

/* Read the tokenFile when due (or forced); 0 or -1 with msg filled. */
static int
kube_token_file(struct kube *k, bool force, char *msg, size_t len)
{
	int64_t now = loop_now(k->loop);
	FILE *fp;
	char buf[16384];
	size_t n;

	if (k->kc.token != NULL || k->kc.token_file == NULL)
		return 0;
	if (!force && k->token_read &&
	    now - k->token_read_mono < KUBE_TOKEN_FILE_TTL_MS)
		return 0;
	fp = fopen(k->kc.token_file, "r");
	if (fp == NULL) {
		snprintf(msg, len, "cannot read token file %s: %s",
			 k->kc.token_file, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	kube_wipe(&k->token, 0);
	k->token = xstrdup(buf);
	xwipe(buf, sizeof(buf));
	k->token_read = true;
	k->token_read_mono = now;
	return 0;
}

static bool
kube_cred_usable(const struct kube *k)
{
	if (!k->kc.has_exec)
		return true;
	if (!k->cred_valid)
		return false;
	/* Even an already expired credential is tried once, or a plugin
	 * with a bad clock would run in a loop. */
	return k->cred_this_pass || k->cred_expiry_wall == 0 ||
	       kube_wall(k) + KUBE_EXPIRY_MARGIN_MS < k->cred_expiry_wall;
}

/* Take a plugin's ExecCredential; 0 or -1 with msg filled. */
static int
kube_exec_parse(struct kube *k, const char *out, char *msg, size_t len)
{
	const char *cmd = k->kc.exec.command;
	json_error_t je;
	json_t *root = json_loads(out, 0, &je), *st;
	const char *v, *tok, *cert, *key, *exp;
	int rc = -1;

	if (root == NULL) {
		snprintf(msg, len, "exec plugin %s: output is not JSON (line "
			 "%d: %s)", cmd, je.line, je.text);
		return -1;
	}
	v = json_string_value(json_object_get(root, "apiVersion"));
	if (v == NULL || strcmp(v, k->kc.exec.api_version) != 0) {
		snprintf(msg, len, "exec plugin %s answered apiVersion %s, "
			 "the kubeconfig asked for %s", cmd, v ? v : "(none)",
			 k->kc.exec.api_version);
		goto out;
	}
	v = json_string_value(json_object_get(root, "kind"));
	st = json_object_get(root, "status");
	if (v == NULL || strcmp(v, "ExecCredential") != 0 ||
	    !json_is_object(st)) {
		snprintf(msg, len, "exec plugin %s: not an ExecCredential "
			 "with a status", cmd);
		goto out;
	}
	tok = json_string_value(json_object_get(st, "token"));
	cert = json_string_value(json_object_get(st, "clientCertificateData"));
	key = json_string_value(json_object_get(st, "clientKeyData"));
	exp = json_string_value(json_object_get(st, "expirationTimestamp"));
	if ((tok == NULL || *tok == '\0') && (cert == NULL || key == NULL)) {
		snprintf(msg, len, "exec plugin %s: status has neither a "
			 "token nor clientCertificateData and clientKeyData",
			 cmd);
		goto out;
	}
	if ((cert == NULL) != (key == NULL)) {
		snprintf(msg, len, "exec plugin %s: clientCertificateData "
			 "and clientKeyData come together", cmd);
		goto out;
	}
	kube_wipe(&k->token, 0);
	kube_wipe(&k->cert, k->cert_len);
	kube_wipe(&k->key, k->key_len);
	if (tok != NULL && *tok != '\0')
		k->token = xstrdup(tok);
	if (cert != NULL) {
		k->cert = xstrdup(cert);
		k->cert_len = strlen(cert);
		k->key = xstrdup(key);
		k->key_len = strlen(key);
	}
	k->cred_expiry_wall = 0;
	if (exp != NULL && *exp != '\0') {
		k->cred_expiry_wall = kube_parse_time(exp);
		if (k->cred_expiry_wall == 0) {
			snprintf(msg, len, "exec plugin %s: bad "
				 "expirationTimestamp '%s'", cmd, exp);
			goto out;
		}
	}
	k->cred_valid = true;
	k->cred_this_pass = true;
	k->cred_gen++;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static void
kube_exec_done(const struct proc_result *r, void *arg)
{
	struct kube *k = arg;
	const char *cmd = k->kc.exec.command;
	char msg[256], line[160];

	k->exec = NULL;
	if (r->spawn_failed) {
		snprintf(msg, sizeof(msg), "exec plugin %s could not be "
			 "started%s%s", cmd, k->kc.exec.install_hint ? ": " : "",
			 k->kc.exec.install_hint ? k->kc.exec.install_hint :
						   "");
	} else if (r->timed_out) {
		snprintf(msg, sizeof(msg), "exec plugin %s timed out after "
			 "%d s", cmd, KUBE_EXEC_TIMEOUT_MS / 1000);
	} else if (r->exit_code != 0) {
		kube_first_line(r->err ? r->err : "", line, sizeof(line));
		if (r->exit_code < 0)
			snprintf(msg, sizeof(msg), "exec plugin %s killed by "
				 "signal %d", cmd, r->signo);
		else
			snprintf(msg, sizeof(msg), "exec plugin %s exited "
				 "with %d%s%s", cmd, r->exit_code,
				 line[0] ? ": " : "", line);
	} else if (kube_exec_parse(k, r->out ? r->out : "", msg,
				   sizeof(msg)) == 0) {
		for (int i = 0; i < k->ngroups; i++) {
			struct kube_list *li = &k->lists[i];

			if (li->waiting) {
				li->waiting = false;
				kube_list_start(li);
			}
		}
		for (;;) {
			struct kube_call *c;

			for (c = k->calls; c != NULL && !c->waiting;
			     c = c->next)
				;
			if (c == NULL)
				break;
			c->waiting = false;
			kube_call_send(c);
		}
		return;
	}
	kube_fail_waiting(k, msg);
}

static char *
kube_exec_info(const struct kube *k)
{
	const struct kubeconfig *kc = &k->kc;
	json_t *o = json_object(), *spec = json_object();
	char *s, *env;

	json_object_set_new(o, "apiVersion",
			    json_string(kc->exec.api_version));
	json_object_set_new(o, "kind", json_string("ExecCredential"));
	json_object_set_new(spec, "interactive", json_false());
	if (kc->exec.provide_cluster_info) {
		json_t *c = json_object();

		json_object_set_new(c, "server", json_string(kc->server));
		if (kc->tls_server_name != NULL)
			json_object_set_new(c, "tls-server-name",
					    json_string(kc->tls_server_name));
		if (kc->insecure)
			json_object_set_new(c, "insecure-skip-tls-verify",
					    json_true());
		if (kc->ca_data != NULL) {
			char *b = kubeconfig_base64_encode(kc->ca_data,
							   kc->ca_data_len);

			json_object_set_new(c, "certificate-authority-data",
					    json_string(b));
			free(b);
		}
		json_object_set_new(spec, "cluster", c);
	}
	json_object_set_new(o, "spec", spec);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	env = xasprintf("KUBERNETES_EXEC_INFO=%s", s);
	free(s);
	return env;
}

/* Start the plugin unless it runs already; -1 with msg on failure. */
static int
kube_exec_start(struct kube *k, char *msg, size_t len)
{
	const struct kubeconfig_exec *ex = &k->kc.exec;
	char **argv, **env;
	struct err e;
	int n = 0;

	if (k->exec != NULL)
		return 0;
	if (strcmp(ex->interactive_mode, "Always") == 0) {
		snprintf(msg, len, "exec plugin %s needs a terminal "
			 "(interactiveMode: Always); cutover runs it without "
			 "one", ex->command);
		return -1;
	}
	argv = xcalloc((size_t)ex->nargs + 2, sizeof(*argv));
	argv[0] = ex->command;
	for (int i = 0; i < ex->nargs; i++)
		argv[i + 1] = ex->args[i];
	env = xcalloc((size_t)ex->nenv + 2, sizeof(*env));
	for (int i = 0; i < ex->nenv; i++)
		env[n++] = ex->env[i];
	env[n++] = k->exec_info;
	k->exec = proc_start(k->loop, argv, env, KUBE_EXEC_TIMEOUT_MS,
			     kube_exec_done, k, &e);
	free(argv);
	free(env);
	if (k->exec == NULL) {
		snprintf(msg, len, "exec plugin %s: %s", ex->command, e.msg);
		return -1;
	}
	k->exec_runs++;
	return 0;
}

/* --- listing ---------------------------------------------------------------- */

/* A readable line for a failed list: the API's Status message if any. */
static void
kube_describe(const struct kube *k, const struct http_response *r, char *out,
	      size_t len)
{
	json_t *root = NULL;
	const char *msg = NULL, *reason = NULL;

	if (r->curl_code == 0 && r->status != 0 && r->body_len > 0)
		root = json_loadb(r->body, r->body_len, 0, NULL);
	if (json_is_object(root) &&
	    json_is_string(json_object_get(root, "message"))) {
		msg = json_string_value(json_object_get(root, "message"));
		reason = json_string_value(json_object_get(root, "reason"));
	}
	if (msg != NULL)
		snprintf(out, len, "HTTP %ld%s%s: %s", r->status,
			 reason ? " " : "", reason ? reason : "", msg);
	else
		http_describe(r, out, len);
	json_decref(root);
	if (r->status == 401 || r->status == 403) {
		size_t n = strlen(out);

		snprintf(out + n, len - n, " (user %s, context %s)",
			 k->kc.user_name ? k->kc.user_name : "(none)",
			 k->kc.context);
	}
}

/*
 * True (msg filled) when continuing with `cont` would not end: the token
 * just sent came back, or the list is at KUBE_PAGES_MAX pages.
 */
static bool
kube_list_endless(const struct kube_list *li, const char *cont, char *msg,
		  size_t len)
{
	if (li->cont != NULL && strcmp(cont, li->cont) == 0) {
		snprintf(msg, len, "the API server answered page %d of the pod "
			 "list with the continue token it was sent: the list "
			 "would never end", li->pages);
		return true;
	}
	if (li->pages >= KUBE_PAGES_MAX) {
		snprintf(msg, len, "the pod list goes on after %d pages; "
			 "cutover reads at most %d pages per group",
			 li->pages, KUBE_PAGES_MAX);
		return true;
	}
	return false;
}

static void
kube_page_done(const struct http_response *r, void *arg)
{
	struct kube_list *li = arg;
	struct kube *k = li->k;
	char msg[256];

	li->x = NULL;
	if (r->curl_code == 0 && r->status == 200) {
		json_error_t je;
		json_t *root = json_loadb(r->body, r->body_len, 0, &je);
		const char *cont;

		if (!json_is_object(root) ||
		    !json_is_array(json_object_get(root, "items"))) {
			snprintf(msg, sizeof(msg), "%s: not a PodList%s%s",
				 k->kc.server, root ? "" : ": ",
				 root ? "" : je.text);
			json_decref(root);
			kube_list_fail(li, msg);
			return;
		}
		li->pages++;
		if (li->fill != NULL) {
			const char *rv = json_string_value(json_object_get(
				json_object_get(root, "metadata"),
				"resourceVersion"));

			if (rv != NULL && strlen(rv) >= sizeof(li->list_rv)) {
				json_decref(root);
				kube_list_fail(li, "the pod list's "
					       "resourceVersion is too long");
				return;
			}
			snprintf(li->list_rv, sizeof(li->list_rv), "%s",
				 rv != NULL ? rv : "");
		}
		if (kube_list_page(li, root, msg, sizeof(msg)) != 0) {
			json_decref(root);
			kube_list_fail(li, msg);
			return;
		}
		cont = json_string_value(json_object_get(
			json_object_get(root, "metadata"), "continue"));
		if (cont != NULL && *cont != '\0' &&
		    kube_list_endless(li, cont, msg, sizeof(msg))) {
			json_decref(root);
			kube_list_fail(li, msg);
			return;
		}
		free(li->cont);
		li->cont = NULL;
		if (cont != NULL && *cont != '\0')
			li->cont = xstrdup(cont);
		json_decref(root);
		if (li->cont != NULL)
			kube_list_start(li);
		else
			kube_list_finish(li);
		return;
	}
	if (r->status == 410 && !li->restarted) {
		/* The continue token expired: the whole list again. */
		li->restarted = true;
		kube_list_reset(li);
		kube_list_start(li);
		return;
	}
	if (r->status == 401 && !li->auth_retried &&
	    (k->kc.has_exec || (k->kc.token == NULL && k->kc.token_file))) {
		li->auth_retried = true;
		if (k->kc.has_exec && li->cred_gen == k->cred_gen)
			k->cred_valid = false;
		if (!k->kc.has_exec &&
		    kube_token_file(k, true, msg, sizeof(msg)) != 0) {
			kube_list_fail(li, msg);
			return;
		}
		kube_list_start(li);
		return;
	}
	kube_describe(k, r, msg, sizeof(msg));
	kube_list_fail(li, msg);
}

/* The pods of li's group: ".../pods?<query>&labelSelector=..." */
static char *
kube_pods_url(const struct kube *k, const struct kube_list *li,
	      const char *query)
{
	const struct plan_pod_group *pg = &k->plan->groups[li->idx];
	const char *ns = pg->namespace;
	char *ens, *url, *sel = NULL;

	if (ns == NULL || *ns == '\0')
		ns = k->kc.namespace ? k->kc.namespace : "default";
	ens = http_escape(ns);
	if (pg->selector != NULL && *pg->selector != '\0') {
		char *s = http_escape(pg->selector);

		sel = xasprintf("&labelSelector=%s", s);
		free(s);
	}
	url = xasprintf("%s/api/v1/namespaces/%s/pods?%s%s", k->url_base, ens,
			query, sel ? sel : "");
	free(ens);
	free(sel);
	return url;
}

static char *
kube_page_url(const struct kube *k, const struct kube_list *li)
{
	char *q, *url, *cont = NULL;

	if (li->cont != NULL) {
		char *c = http_escape(li->cont);

		cont = xasprintf("&continue=%s", c);
		free(c);
	}
	q = xasprintf("limit=%d%s", k->page_limit, cont ? cont : "");
	url = kube_pods_url(k, li, q);
	free(q);
	free(cont);
	return url;
}

/* The credentials and TLS settings of every request. */
static void
kube_auth(const struct kube *k, struct http_request *rq)
{
	rq->bearer_token = k->token;
	rq->userpwd = k->token == NULL ? k->userpwd : NULL;
	rq->ca_file = k->kc.ca_file;
	rq->ca_blob = k->kc.ca_data;
	rq->ca_blob_len = k->kc.ca_data_len;
	if (k->cert != NULL) {
		rq->cert_blob = k->cert;
		rq->cert_blob_len = k->cert_len;
		rq->key_blob = k->key;
		rq->key_blob_len = k->key_len;
	} else {
		rq->cert_blob = k->kc.cert_data;
		rq->cert_blob_len = k->kc.cert_data_len;
		rq->key_blob = k->kc.key_data;
		rq->key_blob_len = k->kc.key_data_len;
		rq->cert_file = k->kc.cert_file;
		rq->key_file = k->kc.key_file;
	}
	rq->insecure = k->kc.insecure;
	rq->connect_to = k->connect_to;
}

/* Send the list's next request (or park it for a credential). */
static void
kube_list_start(struct kube_list *li)
{
	static const char *const headers[] = {
		"Accept: application/json", NULL
	};
	struct kube *k = li->k;
	struct http_request rq;
	struct err e;
	char msg[256];
	char *url;

	if (k->kc.has_exec && !kube_cred_usable(k)) {
		li->waiting = true;
		if (kube_exec_start(k, msg, sizeof(msg)) != 0)
			kube_fail_waiting(k, msg);
		return;
	}
	if (kube_token_file(k, false, msg, sizeof(msg)) != 0) {
		kube_list_fail(li, msg);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	url = kube_page_url(k, li);
	rq.method = "GET";
	rq.url = url;
	rq.headers = headers;
	rq.timeout_ms = k->plan->kubernetes.timeout_ms;
	rq.connect_timeout_ms = rq.timeout_ms;
	kube_auth(k, &rq);
	li->cred_gen = k->cred_gen;
	li->x = http_start(k->loop, &rq, kube_page_done, li, &e);
	free(url);
	if (li->x == NULL)
		kube_list_fail(li, e.msg);
}

/* --- watching (watch mode) ------------------------------------------------ */

/* The group from the cache: totals as they are now, or stale. */
static void
kube_watch_publish(struct kube_list *li)
{
	struct kube *k = li->k;
	struct group_health *g = &k->groups[li->idx];

	if (li->cache == NULL)
		return;
	podcache_publish(li->cache, g, kube_wall(k), loop_now(k->loop));
	li->dirty = false;
	li->stale = false;
}

/* Backoff before the next try after `fails` failures in a row. */
static int64_t
kube_backoff_ms(int fails)
{
	int64_t ms = KUBE_BACKOFF_MIN_MS;

	if (fails <= 1)
		return 0;
	for (int i = 2; i < fails && ms < KUBE_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < KUBE_BACKOFF_MAX_MS ? ms : KUBE_BACKOFF_MAX_MS;
}

/* A list of the group into a fresh cache (watch mode). */
static void
kube_watch_list(struct kube_list *li)
{
	kube_list_reset(li);
	li->fill = podcache_new();
	li->active = true;
	li->restarted = false;
	li->auth_retried = false;
	li->waiting = false;
	kube_list_start(li);
}

/* Down longer than a refresh: the group is no data until it is back. */
static void
kube_watch_stale_fire(void *arg)
{
	struct kube_list *li = arg;
	struct kube *k = li->k;
	struct group_health *g = &k->groups[li->idx];

	li->stale_timer = NULL;
	if (li->down_since == 0)
		return;
	li->stale = true;
	g->state = SOURCE_ERROR;
	snprintf(g->error, sizeof(g->error), "stale: no watch for %lld s "
		 "(%s)", (long long)((loop_now(k->loop) - li->down_since) /
				     1000), li->down_why);
	text_scrub(g->error, sizeof(g->error));
	kube_notify(k);
}

/* Next step of a group whose watch is not running. */
static void
kube_watch_retry_fire(void *arg)
{
	struct kube_list *li = arg;

	li->retry = NULL;
	if (li->active || li->w != NULL)
		return;
	if (li->cache == NULL || li->relist)
		kube_watch_list(li);
	else
		kube_watch_start(li);
}

/* The watch is down from now (if it was not already), for `why`. */
static void
kube_watch_down(struct kube_list *li, const char *why)
{
	struct kube *k = li->k;

	snprintf(li->down_why, sizeof(li->down_why), "%s", why);
	if (li->down_since != 0)
		return;
	li->down_since = loop_now(k->loop);
	loop_timer_cancel(k->loop, li->stale_timer);
	li->stale_timer = loop_timer_at(k->loop, li->down_since +
					k->plan->refresh_ms,
					kube_watch_stale_fire, li);
}

/* A list or watch failed: down, and the next try after a backoff. */
static void
kube_watch_failed(struct kube_list *li, const char *why)
{
	struct kube *k = li->k;

	li->fails++;
	li->relist = li->relist || li->cache == NULL;
	kube_watch_down(li, why);
	loop_timer_cancel(k->loop, li->retry);
	li->retry = loop_timer_at(k->loop, loop_now(k->loop) +
				  kube_backoff_ms(li->fails),
				  kube_watch_retry_fire, li);
}

/* The stream's lines: each one event applied to the cache. */
static int
kube_watch_line(const char *line, size_t len, void *arg)
{
	struct kube_list *li = arg;
	struct podwatch_event ev;
	struct err e;

	err_clear(&e);
	if (podwatch_decode(line, len, kube_wall(li->k), &ev, &e) != 0) {
		snprintf(li->stream_err, sizeof(li->stream_err), "%s", e.msg);
		return -1;
	}
	switch (ev.type) {
	case PODWATCH_ADDED:
	case PODWATCH_MODIFIED:
		podcache_put(li->cache, ev.key, &ev.ph, kube_wall(li->k));
		li->dirty = true;
		break;
	case PODWATCH_DELETED:
		podcache_del(li->cache, ev.key);
		li->dirty = true;
		break;
	case PODWATCH_BOOKMARK:
		li->events--;	/* not a change */
		break;
	case PODWATCH_ERROR:
		li->stream_gone = ev.code == 410;
		snprintf(li->stream_err, sizeof(li->stream_err), "watch "
			 "error %ld: %s", ev.code, ev.message);
		return -1;
	}
	if (ev.rv[0] != '\0')
		memcpy(li->rv, ev.rv, sizeof(li->rv));
	li->events++;
	return 0;
}

static int
kube_watch_data(const char *data, size_t len, void *arg)
{
	struct kube_list *li = arg;
	struct err e;

	err_clear(&e);
	if (podwatch_feed(&li->lines, data, len, kube_watch_line, li,
			  &e) == 0)
		return 0;
	if (li->stream_err[0] == '\0')
		snprintf(li->stream_err, sizeof(li->stream_err), "%s", e.msg);
	return -1;
}

static void
kube_watch_done(const struct http_response *r, void *arg)
{
	struct kube_list *li = arg;
	struct kube *k = li->k;
	int64_t now = loop_now(k->loop);
	char msg[256];

	li->w = NULL;
	podwatch_lines_done(&li->lines);
	if (r->curl_code == 0 && r->status == 200 && li->stream_err[0] == '\0') {
		/* Ended by the server at timeoutSeconds: go on from rv. */
		if (now - li->watch_started >= KUBE_WATCH_SHORT_MS) {
			li->fails = 0;
			kube_watch_start(li);
			return;
		}
		snprintf(msg, sizeof(msg), "the API server ended the watch at "
			 "once");
	} else {
		/* A stream that served for a while earns a prompt relist. */
		if (now - li->watch_started >= KUBE_WATCH_SERVED_MS)
			li->fails = 0;
		li->relist = true;
		if (li->stream_gone || r->status == 410)
			snprintf(msg, sizeof(msg), "410 Gone: resource "
				 "version too old, listing again");
		else if (li->stream_err[0] != '\0')
			snprintf(msg, sizeof(msg), "%s", li->stream_err);
		else
			kube_describe(k, r, msg, sizeof(msg));
		if (r->status == 401 && k->kc.has_exec &&
		    li->cred_gen == k->cred_gen)
			k->cred_valid = false;
		if (r->status == 401 && !k->kc.has_exec)
			(void)kube_token_file(k, true, msg, sizeof(msg));
	}
	kube_watch_failed(li, msg);
}

/* Start the group's watch from li->rv (a list instead when the
 * credential must be renewed first: only lists wait for one). */
static void
kube_watch_start(struct kube_list *li)
{
	static const char *const headers[] = {
		"Accept: application/json", NULL
	};
	struct kube *k = li->k;
	struct http_request rq;
	struct err e;
	char msg[256], *q, *url, *rv;

	if ((k->kc.has_exec && !kube_cred_usable(k)) ||
	    kube_token_file(k, false, msg, sizeof(msg)) != 0) {
		kube_watch_list(li);
		return;
	}
	rv = http_escape(li->rv);
	q = xasprintf("watch=1&allowWatchBookmarks=true&timeoutSeconds=%d%s%s",
		      k->watch_seconds, rv[0] ? "&resourceVersion=" : "", rv);
	url = kube_pods_url(k, li, q);
	free(q);
	free(rv);
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = url;
	rq.headers = headers;
	rq.timeout_ms = (int64_t)k->watch_seconds * 1000 +
			(k->watch_seconds < KUBE_WATCH_GRACE_MS / 1000 ?
			 k->watch_seconds * 1000 : KUBE_WATCH_GRACE_MS);
	rq.connect_timeout_ms = k->plan->kubernetes.timeout_ms;
	rq.stream = kube_watch_data;
	rq.stream_arg = li;
	kube_auth(k, &rq);
	li->cred_gen = k->cred_gen;
	li->stream_err[0] = '\0';
	li->stream_gone = false;
	li->watch_started = loop_now(k->loop);
	li->w = http_start(k->loop, &rq, kube_watch_done, li, &e);
	free(url);
	if (li->w == NULL) {
		li->relist = true;
		kube_watch_failed(li, e.msg);
		return;
	}
	li->down_since = 0;
	loop_timer_cancel(k->loop, li->stale_timer);
	li->stale_timer = NULL;
	if (li->stale) {
		/* Missed events come first on the new stream. */
		li->stale = false;
		li->dirty = true;
	}
}

/* A refresh in watch mode: read the caches, start what is missing. */
static int
kube_watch_refresh(struct kube *k)
{
	int64_t now = loop_now(k->loop);
	int failed = 0;

	for (int i = 0; i < k->ngroups; i++) {
		struct kube_list *li = &k->lists[i];
		struct group_health *g = &k->groups[i];

		if (li->active || li->retry != NULL)
			continue;
		if (li->cache == NULL || li->relist) {
			kube_watch_list(li);
			if (!li->active && g->state == SOURCE_ERROR)
				failed++;
			continue;
		}
		if (li->w == NULL)
			kube_watch_start(li);
		if (li->stale)
			continue;
		if (li->dirty || g->state != SOURCE_OK) {
			kube_watch_publish(li);
			kube_notify(k);
		} else {
			g->fetched_mono_ms = now;
		}
	}
	return k->ngroups > 0 && failed == k->ngroups ? -1 : 0;
}

/* --- public ----------------------------------------------------------------- */

/* Put tls-server-name into the URL and connect to the real host instead. */
static void
kube_server_name(struct kube *k)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *url = NULL;

	k->url_base = xstrdup(k->kc.server);
	if (k->kc.tls_server_name == NULL || u == NULL)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, k->kc.server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_HOST, k->kc.tls_server_name, 0) !=
		    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		goto out;
	free(k->url_base);
	k->url_base = xstrdup(url);
	{
		size_t n = strlen(k->url_base);

		while (n > 0 && k->url_base[n - 1] == '/')
			k->url_base[--n] = '\0';
	}
	k->connect_to = xasprintf("%s:%s:%s:%s", k->kc.tls_server_name, port,
				  host, port);
out:
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
}

struct kube *
kube_new(const struct plan *p, struct loop *l, struct group_health *groups,
	 struct err *e)
{
	struct kube *k = xcalloc(1, sizeof(*k));

	if (kubeconfig_load(&k->kc, p->kubernetes.kubeconfig,
			    p->kubernetes.context, e) != 0) {
		free(k);
		return NULL;
	}
	k->plan = p;
	k->loop = l;
	k->groups = groups;
	k->ngroups = groups != NULL ? p->ngroups : 0;
	k->page_limit = KUBE_PAGE_LIMIT;
	k->watch_seconds = KUBE_WATCH_SECONDS;
	k->lists = xcalloc((size_t)(p->ngroups > 0 ? p->ngroups : 1),
			   sizeof(*k->lists));
	for (int i = 0; i < p->ngroups; i++) {
		k->lists[i].k = k;
		k->lists[i].idx = i;
	}
	kube_server_name(k);
	if (k->kc.token != NULL)
		k->token = xstrdup(k->kc.token);
	if (k->kc.username != NULL)
		k->userpwd = xasprintf("%s:%s", k->kc.username,
				       k->kc.password ? k->kc.password : "");
	if (k->kc.has_exec)
		k->exec_info = kube_exec_info(k);
	return k;
}

void
kube_free(struct kube *k)
{
	if (k == NULL)
		return;
	while (k->calls != NULL)
		kube_call_cancel(k->calls);
	for (int i = 0; i < k->ngroups; i++) {
		struct kube_list *li = &k->lists[i];

		http_cancel(li->x);
		http_cancel(li->w);
		loop_timer_cancel(k->loop, li->retry);
		loop_timer_cancel(k->loop, li->stale_timer);
		podwatch_lines_done(&li->lines);
		podcache_free(li->cache);
		kube_list_reset(li);
	}
	if (k->exec != NULL)
		proc_kill(k->exec);
	free(k->lists);
	free(k->url_base);
	free(k->connect_to);
	kube_wipe(&k->userpwd, 0);
	kube_wipe(&k->token, 0);
	kube_wipe(&k->cert, k->cert_len);
	kube_wipe(&k->key, k->key_len);
	free(k->exec_info);
	kubeconfig_done(&k->kc);
	free(k);
}

int
kube_refresh(struct kube *k)
{
	int failed = 0;

	if (k->watch)
		return kube_watch_refresh(k);
	if (kube_busy(k))
		return 0;
	k->cred_this_pass = false;
	for (int i = 0; i < k->ngroups; i++) {
		struct kube_list *li = &k->lists[i];

		kube_list_reset(li);
		li->active = true;
		li->restarted = false;
		li->auth_retried = false;
		li->waiting = false;
	}
	for (int i = 0; i < k->ngroups; i++) {
		kube_list_start(&k->lists[i]);
		if (!k->lists[i].active &&
		    k->groups[i].state == SOURCE_ERROR)
			failed++;
	}
	return k->ngroups > 0 && failed == k->ngroups ? -1 : 0;
}

bool
kube_busy(const struct kube *k)
{
	if (k->exec != NULL)
		return true;
	for (int i = 0; i < k->ngroups; i++)
		if (k->lists[i].active)
			return true;
	return false;
}

void
kube_on_update(struct kube *k, void (*cb)(void *arg), void *arg)
{
	k->cb = cb;
	k->cb_arg = arg;
}

const char *
kube_context(const struct kube *k)
{
	return k->kc.context;
}

bool
kube_insecure(const struct kube *k)
{
	return k->kc.insecure;
}

int
kube_exec_runs(const struct kube *k)
{
	return k->exec_runs;
}

void
kube_set_page_limit(struct kube *k, int limit)
{
	k->page_limit = limit > 0 ? limit : KUBE_PAGE_LIMIT;
}

void
kube_set_watch(struct kube *k, bool on)
{
	k->watch = on;
}

void
kube_set_watch_seconds(struct kube *k, int seconds)
{
	k->watch_seconds = seconds > 0 ? seconds : KUBE_WATCH_SECONDS;
}

long
kube_watch_events(const struct kube *k, int group)
{
	return group >= 0 && group < k->ngroups ? k->lists[group].events : 0;
}

/* --- single requests (kube_call) ----------------------------------------- */

static void
kube_call_unlink(struct kube_call *c)
{
	struct kube_call **pp;

	for (pp = &c->k->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
}

static void
kube_call_free(struct kube_call *c)
{
	free(c->method);
	free(c->url);
	free(c->ctype);
	free(c->body);
	free(c);
}

/* Unlink, answer, free: nothing touches c after the callback. */
static void
kube_call_answer(struct kube_call *c, const struct http_response *r,
		 const char *msg)
{
	kube_call_cb cb = c->cb;
	void *arg = c->arg;

	kube_call_unlink(c);
	kube_call_free(c);
	cb(r, msg, arg);
}

static void
kube_call_done(const struct http_response *r, void *arg)
{
	struct kube_call *c = arg;
	struct kube *k = c->k;
	char msg[384];

	c->x = NULL;
	if (r->curl_code == 0 && r->status >= 200 && r->status < 300) {
		kube_call_answer(c, r, "");
		return;
	}
	if (r->status == 401 && !c->auth_retried &&
	    (k->kc.has_exec || (k->kc.token == NULL && k->kc.token_file))) {
		c->auth_retried = true;
		if (k->kc.has_exec && c->cred_gen == k->cred_gen)
			k->cred_valid = false;
		if (!k->kc.has_exec &&
		    kube_token_file(k, true, msg, sizeof(msg)) != 0) {
			kube_call_answer(c, NULL, msg);
			return;
		}
		kube_call_send(c);
		return;
	}
	kube_describe(k, r, msg, sizeof(msg));
	kube_call_answer(c, r, msg);
}

/* Start the HTTP request of c with the current credentials. */
static int
kube_call_http(struct kube_call *c, struct err *e)
{
	struct kube *k = c->k;
	const char *headers[3];
	struct http_request rq;
	int nh = 0;

	headers[nh++] = "Accept: application/json";
	if (c->ctype != NULL)
		headers[nh++] = c->ctype;
	headers[nh] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.method = c->method;
	rq.url = c->url;
	rq.headers = headers;
	rq.body = c->body;
	rq.body_len = c->body != NULL ? strlen(c->body) : 0;
	rq.timeout_ms = c->timeout_ms;
	rq.connect_timeout_ms = c->timeout_ms;
	kube_auth(k, &rq);
	c->cred_gen = k->cred_gen;
	c->x = http_start(k->loop, &rq, kube_call_done, c, e);
	return c->x != NULL ? 0 : -1;
}

/* Send (or park for a credential); failures answer the call. */
static void
kube_call_send(struct kube_call *c)
{
	struct kube *k = c->k;
	struct err e;
	char msg[256];

	if (k->kc.has_exec && !kube_cred_usable(k)) {
		c->waiting = true;
		if (kube_exec_start(k, msg, sizeof(msg)) != 0)
			kube_fail_waiting(k, msg);
		return;
	}
	if (kube_token_file(k, false, msg, sizeof(msg)) != 0) {
		kube_call_answer(c, NULL, msg);
		return;
	}
	if (kube_call_http(c, &e) != 0)
		kube_call_answer(c, NULL, e.msg);
}

struct kube_call *
kube_call_start(struct kube *k, const char *method, const char *path,
		const char *content_type, const char *body, int64_t timeout_ms,
		kube_call_cb cb, void *arg, struct err *e)
{
	struct kube_call *c;
	char msg[256];

	c = xcalloc(1, sizeof(*c));
	c->k = k;
	c->method = xstrdup(method);
	c->url = xasprintf("%s%s", k->url_base, path);
	c->ctype = content_type != NULL ?
	    xasprintf("Content-Type: %s", content_type) : NULL;
	c->body = body != NULL ? xstrdup(body) : NULL;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms :
	    k->plan->kubernetes.timeout_ms;
	c->cb = cb;
	c->arg = arg;
	/* Failures that can be known now are reported here, without a
	 * callback; only a parked call answers later. */
	if (k->kc.has_exec && !kube_cred_usable(k)) {
		if (kube_exec_start(k, msg, sizeof(msg)) != 0) {
			kube_call_free(c);
			err_set(e, "%s", msg);
			return NULL;
		}
		c->waiting = true;
	} else if (kube_token_file(k, false, msg, sizeof(msg)) != 0) {
		kube_call_free(c);
		err_set(e, "%s", msg);
		return NULL;
	} else if (kube_call_http(c, e) != 0) {
		kube_call_free(c);
		return NULL;
	}
	c->next = k->calls;
	k->calls = c;
	return c;
}

void
kube_call_cancel(struct kube_call *c)
{
	if (c == NULL)
		return;
	http_cancel(c->x);
	kube_call_unlink(c);
	kube_call_free(c);
}
