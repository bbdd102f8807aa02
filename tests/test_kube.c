/*
 * test_kube — the pod-list client against tests/kubeapi.py on 127.0.0.1:
 * every group listed at once and paged (limit/continue), label selectors
 * passed through, a 410 Gone on a continue token restarting the list once
 * (twice is an error that keeps the previous pods), a wrong token giving a
 * readable 401 without the token in it, and an exec credential plugin
 * (tests/fixtures/kube/exec-cred.sh) providing the token: run with
 * KUBERNETES_EXEC_INFO set, once for all groups, cached until it expires,
 * re-run after a 401 — once, never in a loop.
 *
 * Each test starts its own server (criterion runs tests in separate
 * processes) and its own temp directory.  Waits are bounded loops on the
 * loop; nothing sleeps.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__)
/* From ASan's allocator interface (its header is not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "clock.h"
#include "kube.h"
#include "kubeconfig.h"
#include "loop.h"
#include "plan.h"
#include "podhealth.h"

#include "testsrv.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define NS "voiceassistant-prod"

static pid_t server_pid = -1;
static int port;
static char top[1024];
static char tmp[] = "/tmp/test_kube.XXXXXX";
static struct loop *l;
static struct plan plan;
static struct group_health *groups;
static int updates;
static char log_path[1200];	/* set: read requests from here (TLS) */

static char *read_file(const char *path);

/* Start kubeapi.py with the fixture pods and extra arguments. */
static void
start_server(const char *const *extra)
{
	char pods[1200];
	const char *args[] = { "--pods", pods, NULL };

	snprintf(pods, sizeof(pods), "%s/tests/fixtures/kube/pods", top);
	server_pid = testsrv_start(top, "kubeapi.py", args, extra, 10000, NULL,
				   &port);
}

/* One request to the server's test controls; returns the body (free). */
static char *
ctl(const char *method, const char *path)
{
	struct sockaddr_in sa;
	char req[512], *buf = NULL, *body;
	size_t len = 0, cap = 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	cr_assert_eq(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
		 "Content-Length: 0\r\n\r\n", method, path);
	cr_assert_eq(write(s, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		n = read(s, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(s);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	cr_assert_not_null(body);
	body = strdup(body + 4);
	free(buf);
	return body;
}

/* How many list requests of the log match all the given substrings. */
static int
requests_with(const char *a, const char *b)
{
	char *log = log_path[0] ? read_file(log_path) :
		    ctl("GET", "/_test/requests");
	char *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(log, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "/pods") != NULL &&
		    (a == NULL || strstr(line, a) != NULL) &&
		    (b == NULL || strstr(line, b) != NULL))
			n++;
	free(log);
	return n;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
	cr_assert_eq(chmod(path, mode), 0);
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (fp != NULL) {
		size_t n = fread(buf, 1, 65535, fp);

		buf[n] = '\0';
		fclose(fp);
	}
	return buf;
}

/* A kubeconfig for the server with `user` as the user mapping's body. */
static void
kubeconfig(const char *user)
{
	char path[1200], *text;

	snprintf(path, sizeof(path), "%s/kubeconfig", tmp);
	text = NULL;
	cr_assert_gt(asprintf(&text,
		"apiVersion: v1\n"
		"kind: Config\n"
		"current-context: test\n"
		"clusters:\n"
		"- name: local\n"
		"  cluster:\n"
		"    server: http://127.0.0.1:%d\n"
		"contexts:\n"
		"- name: test\n"
		"  context: {cluster: local, user: tester}\n"
		"users:\n"
		"- name: tester\n"
		"  user:\n%s", port, user), 0);
	write_file(path, text, 0600);
	free(text);
	free(plan.kubernetes.kubeconfig);
	plan.kubernetes.kubeconfig = strdup(path);
}

/* An exec user running ./exec-cred.sh from the kubeconfig's directory. */
static void
exec_kubeconfig(const char *expiry, const char *fail)
{
	char src[1200], dst[1200], *script, *user = NULL;

	snprintf(src, sizeof(src), "%s/tests/fixtures/kube/exec-cred.sh",
		 top);
	snprintf(dst, sizeof(dst), "%s/exec-cred.sh", tmp);
	script = read_file(src);
	cr_assert(strlen(script) > 0);
	write_file(dst, script, 0755);
	free(script);
	cr_assert_gt(asprintf(&user,
		"    exec:\n"
		"      apiVersion: client.authentication.k8s.io/v1\n"
		"      command: ./exec-cred.sh\n"
		"      args: [get-token, --cluster, local]\n"
		"      interactiveMode: Never\n"
		"      installHint: the hint\n"
		"      env:\n"
		"      - {name: EXEC_COUNT, value: %s/count}\n"
		"      - {name: EXEC_INFO_OUT, value: %s/info}\n"
		"      - {name: EXPIRY, value: \"%s\"}\n"
		"      - {name: EXEC_FAIL, value: \"%s\"}\n",
		tmp, tmp, expiry, fail ? fail : ""), 0);
	kubeconfig(user);
	free(user);
}

static void
set_groups(int n, const char *const *ns_sel)
{
	for (int i = 0; i < plan.ngroups; i++) {
		free(plan.groups[i].name);
		free(plan.groups[i].namespace);
		free(plan.groups[i].selector);
	}
	free(plan.groups);
	plan.groups = calloc((size_t)n, sizeof(*plan.groups));
	plan.ngroups = n;
	groups = calloc((size_t)n, sizeof(*groups));
	for (int i = 0; i < n; i++) {
		plan.groups[i].name = strdup(ns_sel[2 * i + 1]);
		plan.groups[i].namespace = strdup(ns_sel[2 * i]);
		plan.groups[i].selector = strdup(ns_sel[2 * i + 1]);
		plan.groups[i].min_ready = 1;
		group_health_init(&groups[i], 1);
	}
}

static void
on_update(void *arg)
{
	(void)arg;
	updates++;
}

static struct kube *
new_kube(void)
{
	struct err e;
	struct kube *k = kube_new(&plan, l, groups, &e);

	cr_assert_not_null(k, "%s", e.msg);
	kube_on_update(k, on_update, NULL);
	return k;
}

/* Refresh and run the loop until the refresh is over (at most 60 s: 500
 * pages on a busy machine). */
static void
refresh(struct kube *k)
{
	int64_t give_up = testsrv_real_ms() + 60000;

	cr_assert_eq(kube_refresh(k), 0);
	while (kube_busy(k)) {
		cr_assert_lt(testsrv_real_ms(), give_up, "refresh did not finish");
		loop_run_once(l, 100);
	}
}

static void
setup(void)
{
	const char *t = getenv("top_srcdir");

	snprintf(top, sizeof(top), "%s", t && *t ? t : TOP_SRCDIR);
	cr_assert_not_null(mkdtemp(tmp));
	unsetenv("KUBECONFIG");
	plan_defaults(&plan);
	plan.kubernetes.timeout_ms = 10000;
	l = loop_new(&clock_system);
	updates = 0;
}

static void
teardown(void)
{
	char cmd[1300];

	for (int i = 0; groups != NULL && i < plan.ngroups; i++)
		group_health_done(&groups[i]);
	free(groups);
	groups = NULL;
	plan_done(&plan);
	loop_free(l);
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
}

TestSuite(kube, .init = setup, .fini = teardown);

static const char *const four_groups[] = {
	NS, "app=api",
	"istio-system", "app=istio-ingressgateway,istio=ingressgateway",
	NS, "",
	NS, "app in (api,worker),tier!=frontend",
};

Test(kube, lists_every_group_paged)
{
	struct kube *k;

	start_server(NULL);
	kubeconfig("    token: any\n");
	set_groups(4, four_groups);
	k = new_kube();
	kube_set_page_limit(k, 2);
	cr_assert_str_eq(kube_context(k), "test");
	cr_assert_not(kube_insecure(k));
	refresh(k);

	for (int i = 0; i < 4; i++)
		cr_assert_eq(groups[i].state, SOURCE_OK, "group %d: %s", i,
			     groups[i].error);
	cr_assert_eq(groups[0].total, 5);
	cr_assert_eq(groups[0].ready, 2);
	cr_assert_str_eq(groups[0].worst_reason, "CrashLoopBackOff");
	cr_assert_eq(groups[0].with_sidecar, 5);
	cr_assert_eq(groups[1].total, 2);
	cr_assert_eq(groups[1].ready, 2);
	cr_assert_eq(groups[1].sidecar_ready, 2);
	/* Empty selector: every pod of the namespace. */
	cr_assert_eq(groups[2].total, 7);
	cr_assert_eq(groups[3].total, 1);
	cr_assert_str_eq(groups[3].pods[0].name, "worker-5c4b3a2b1-q1r2s");
	cr_assert_eq(updates, 4);

	/* 5 api pods by 2: three pages, two of them continued. */
	cr_assert_eq(requests_with("labelSelector=app%3Dapi", NULL), 3);
	cr_assert_eq(requests_with("labelSelector=app%3Dapi", "continue="),
		     2);
	/* The bearer token was sent. */
	cr_assert_eq(requests_with("bearer:any", NULL),
		     requests_with(NULL, NULL));

	/* A second refresh replaces, not appends. */
	refresh(k);
	cr_assert_eq(groups[0].total, 5);
	cr_assert_eq(groups[2].total, 7);
	kube_free(k);
}

Test(kube, refresh_is_not_doubled)
{
	struct kube *k;

	start_server(NULL);
	kubeconfig("    token: any\n");
	set_groups(1, four_groups);
	k = new_kube();
	cr_assert_eq(kube_refresh(k), 0);
	cr_assert(kube_busy(k));
	cr_assert_eq(kube_refresh(k), 0);
	while (kube_busy(k))
		loop_run_once(l, 100);
	cr_assert_eq(requests_with(NULL, NULL), 1);
	cr_assert_eq(updates, 1);
	kube_free(k);
}

Test(kube, gone_restarts_the_list_once)
{
	static const char *const args[] = { "--gone", "1", NULL };
	struct kube *k;

	start_server(args);
	kubeconfig("    token: any\n");
	set_groups(1, four_groups);
	k = new_kube();
	kube_set_page_limit(k, 2);
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s", groups[0].error);
	cr_assert_eq(groups[0].total, 5, "no duplicates from the 1st pass");
	/* page 1, page 2 (410), then page 1, 2, 3 again. */
	cr_assert_eq(requests_with(NULL, NULL), 5);
	cr_assert_eq(requests_with("continue=", NULL), 3);
	kube_free(k);
}

Test(kube, gone_twice_is_an_error_that_keeps_the_pods)
{
	struct kube *k;
	int64_t fetched;
	char *r;

	start_server(NULL);
	kubeconfig("    token: any\n");
	set_groups(1, four_groups);
	k = new_kube();
	kube_set_page_limit(k, 2);
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK);
	fetched = groups[0].fetched_mono_ms;

	r = ctl("POST", "/_test/gone?n=2");
	free(r);
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_ERROR);
	cr_assert(strstr(groups[0].error, "HTTP 410 Expired: The provided "
			 "continue parameter is too old") != NULL, "%s",
		  groups[0].error);
	cr_assert_eq(groups[0].total, 5, "previous pods kept");
	cr_assert_eq(groups[0].npods, 5);
	cr_assert_eq(groups[0].fetched_mono_ms, fetched, "age keeps growing");
	kube_free(k);
}

Test(kube, unauthorized_is_readable_and_secret_free)
{
	static const char *const args[] = { "--token", "right-token", NULL };
	struct kube *k;

	start_server(args);
	kubeconfig("    token: wrong-token-0xdeadbeef\n");
	set_groups(2, four_groups);
	k = new_kube();
	refresh(k);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(groups[i].state, SOURCE_ERROR);
		cr_assert_str_eq(groups[i].error,
				 "HTTP 401 Unauthorized: Unauthorized (user "
				 "tester, context test)");
	}
	/* A static token is not retried. */
	cr_assert_eq(requests_with(NULL, NULL), 2);
	kube_free(k);
}

Test(kube, connection_refused_keeps_previous_pods)
{
	struct kube *k;
	char want[64];

	start_server(NULL);
	kubeconfig("    token: any\n");
	set_groups(1, four_groups);
	k = new_kube();
	refresh(k);
	cr_assert_eq(groups[0].total, 5);
	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
	server_pid = -1;
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_ERROR);
	snprintf(want, sizeof(want), "connection refused to 127.0.0.1:%d",
		 port);
	cr_assert(strstr(groups[0].error, want) != NULL, "%s",
		  groups[0].error);
	cr_assert_eq(groups[0].total, 5);
	kube_free(k);
}

Test(kube, exec_plugin_token_cached_and_rerun_after_401)
{
	static const char *const args[] = { "--token", "tok-1", NULL };
	struct kube *k;
	char path[1200], *info, *argl, *r;
	json_t *j;

	start_server(args);
	exec_kubeconfig("2099-01-01T00:00:00Z", NULL);
	set_groups(3, four_groups);
	k = new_kube();
	refresh(k);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(groups[i].state, SOURCE_OK, "%s",
			     groups[i].error);
	/* One run for all three groups. */
	cr_assert_eq(kube_exec_runs(k), 1);
	cr_assert_eq(requests_with("bearer:tok-1", NULL), 3);

	/* KUBERNETES_EXEC_INFO as client-go sets it. */
	snprintf(path, sizeof(path), "%s/info", tmp);
	info = read_file(path);
	j = json_loads(info, 0, NULL);
	cr_assert_not_null(j, "KUBERNETES_EXEC_INFO: %s", info);
	cr_assert_str_eq(json_string_value(json_object_get(j, "apiVersion")),
			 "client.authentication.k8s.io/v1");
	cr_assert_str_eq(json_string_value(json_object_get(j, "kind")),
			 "ExecCredential");
	cr_assert(json_is_false(json_object_get(json_object_get(j, "spec"),
						"interactive")));
	json_decref(j);
	free(info);
	/* The configured args, and nothing else, on argv. */
	snprintf(path, sizeof(path), "%s/info.args", tmp);
	argl = read_file(path);
	cr_assert_str_eq(argl, "get-token\n--cluster\nlocal\n");
	free(argl);

	/* Cached: no second run. */
	refresh(k);
	cr_assert_eq(kube_exec_runs(k), 1);
	cr_assert_eq(groups[0].state, SOURCE_OK);

	/* The server stops taking tok-1: 401, one re-run, tok-2 works. */
	r = ctl("POST", "/_test/token?value=tok-2");
	free(r);
	refresh(k);
	cr_assert_eq(kube_exec_runs(k), 2);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(groups[i].state, SOURCE_OK, "%s",
			     groups[i].error);
	cr_assert_eq(requests_with("bearer:tok-2", NULL), 3);
	kube_free(k);
}

Test(kube, exec_plugin_rejected_twice_is_an_error)
{
	static const char *const args[] = { "--token", "never", NULL };
	struct kube *k;

	start_server(args);
	exec_kubeconfig("2099-01-01T00:00:00Z", NULL);
	set_groups(2, four_groups);
	k = new_kube();
	refresh(k);
	/* First token refused, re-run once, second refused: stop. */
	cr_assert_eq(kube_exec_runs(k), 2);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(groups[i].state, SOURCE_ERROR);
		cr_assert(strstr(groups[i].error, "HTTP 401") != NULL, "%s",
			  groups[i].error);
		cr_assert_null(strstr(groups[i].error, "tok-"));
	}
	kube_free(k);
}

Test(kube, exec_plugin_expired_credential_is_renewed)
{
	struct kube *k;

	start_server(NULL);
	exec_kubeconfig("2000-01-01T00:00:00Z", NULL);
	set_groups(1, four_groups);
	k = new_kube();
	refresh(k);
	/* Used once even though already expired (no run loop)... */
	cr_assert_eq(kube_exec_runs(k), 1);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s", groups[0].error);
	/* ...and renewed on the next refresh. */
	refresh(k);
	cr_assert_eq(kube_exec_runs(k), 2);
	cr_assert_eq(requests_with("bearer:tok-2", NULL), 1);
	kube_free(k);
}

Test(kube, exec_plugin_failure_is_readable)
{
	struct kube *k;

	start_server(NULL);
	exec_kubeconfig("", "no SSO session; run sso login");
	set_groups(2, four_groups);
	k = new_kube();
	refresh(k);
	cr_assert_eq(kube_exec_runs(k), 1);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(groups[i].state, SOURCE_ERROR);
		cr_assert(strstr(groups[i].error, "exec-cred.sh exited with 1: "
				 "no SSO session; run sso login") != NULL,
			  "%s", groups[i].error);
	}
	cr_assert_eq(requests_with(NULL, NULL), 0);
	kube_free(k);
}

Test(kube, exec_plugin_missing_shows_install_hint)
{
	struct kube *k;

	start_server(NULL);
	kubeconfig("    exec:\n"
		   "      apiVersion: client.authentication.k8s.io/v1beta1\n"
		   "      command: cutover-no-such-plugin\n"
		   "      installHint: install it from the wiki\n");
	set_groups(1, four_groups);
	k = new_kube();
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_ERROR);
	cr_assert_str_eq(groups[0].error, "exec plugin cutover-no-such-plugin "
			 "could not be started: install it from the wiki");
	kube_free(k);
}

Test(kube, exec_plugin_wrong_api_version)
{
	struct kube *k;

	start_server(NULL);
	exec_kubeconfig("", NULL);
	setenv("EXEC_API", "client.authentication.k8s.io/v1beta1", 1);
	set_groups(1, four_groups);
	k = new_kube();
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_ERROR);
	cr_assert(strstr(groups[0].error, "answered apiVersion "
			 "client.authentication.k8s.io/v1beta1, the "
			 "kubeconfig asked for client.authentication.k8s.io/v1")
		  != NULL, "%s", groups[0].error);
	kube_free(k);
}

Test(kube, token_file_is_read)
{
	static const char *const args[] = { "--token", "from-file", NULL };
	struct kube *k;
	char path[1200], *user = NULL;

	start_server(args);
	snprintf(path, sizeof(path), "%s/token", tmp);
	write_file(path, "from-file\n", 0600);
	cr_assert_gt(asprintf(&user, "    tokenFile: token\n"), 0);
	kubeconfig(user);
	free(user);
	set_groups(1, four_groups);
	k = new_kube();
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s", groups[0].error);

	/* Rotated: the 401 makes kube read the file again. */
	write_file(path, "rotated\n", 0600);
	free(ctl("POST", "/_test/token?value=rotated"));
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s", groups[0].error);
	cr_assert_eq(requests_with("bearer:rotated", NULL), 1);
	kube_free(k);
}

Test(kube, no_kubeconfig_fails_to_start)
{
	struct err e;

	free(plan.kubernetes.kubeconfig);
	plan.kubernetes.kubeconfig = strdup("/nonexistent/kubeconfig");
	set_groups(1, four_groups);
	cr_assert_null(kube_new(&plan, l, groups, &e));
	cr_assert(strstr(e.msg, "/nonexistent/kubeconfig") != NULL, "%s",
		  e.msg);
}

/* Run the test's own openssl with `args`; skip the test when it fails. */
static void
openssl(const char *args)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "cd '%s' && openssl %s >/dev/null 2>&1",
		 tmp, args);
	if (system(cmd) != 0)
		testsrv_skip("cannot run: %s", cmd);
}

static char *
b64_file(const char *dir, const char *name)
{
	char path[1200], *text, *b;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = read_file(path);
	cr_assert(strlen(text) > 0, "%s is empty", path);
	b = kubeconfig_base64_encode(text, strlen(text));
	free(text);
	return b;
}

/* TLS with a CA and a client certificate held only in memory (*-data),
 * and tls-server-name for a certificate that does not name 127.0.0.1. */
Test(kube, tls_data_blobs_and_server_name)
{
	char crt[1200], key[1200], cca[1200], *ca, *cc, *ck, *text = NULL;
	char path[1200];
	const char *args[] = { "--tls-cert", crt, "--tls-key", key,
			       "--client-ca", cca, "--log", log_path, NULL };
	struct kube *k;

	openssl("req -x509 -newkey rsa:2048 -nodes -days 2 "
		"-subj /CN=kubeapi-test "
		"-addext subjectAltName=DNS:kubernetes.test "
		"-keyout server.key -out server.crt");
	openssl("req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=oncall "
		"-keyout client.key -out client.crt");
	snprintf(crt, sizeof(crt), "%s/server.crt", tmp);
	snprintf(key, sizeof(key), "%s/server.key", tmp);
	snprintf(cca, sizeof(cca), "%s/client.crt", tmp);
	snprintf(log_path, sizeof(log_path), "%s/requests.log", tmp);
	start_server(args);
	ca = b64_file(tmp, "server.crt");
	cc = b64_file(tmp, "client.crt");
	ck = b64_file(tmp, "client.key");
	snprintf(path, sizeof(path), "%s/kubeconfig", tmp);
	for (int pass = 0; pass < 2; pass++) {
		cr_assert_gt(asprintf(&text,
			"apiVersion: v1\n"
			"kind: Config\n"
			"current-context: tls\n"
			"clusters:\n"
			"- name: local\n"
			"  cluster:\n"
			"    server: https://127.0.0.1:%d\n"
			"    certificate-authority-data: %s\n"
			"%s"
			"contexts:\n"
			"- name: tls\n"
			"  context: {cluster: local, user: oncall}\n"
			"users:\n"
			"- name: oncall\n"
			"  user:\n"
			"    client-certificate-data: %s\n"
			"    client-key-data: %s\n", port, ca,
			pass == 1 ? "    tls-server-name: kubernetes.test\n" :
				    "", cc, ck), 0);
		write_file(path, text, 0600);
		free(text);
		free(plan.kubernetes.kubeconfig);
		plan.kubernetes.kubeconfig = strdup(path);
		if (groups == NULL)
			set_groups(1, four_groups);
		k = new_kube();
		refresh(k);
		if (pass == 0) {
			/* The certificate names kubernetes.test only. */
			cr_assert_eq(groups[0].state, SOURCE_ERROR);
			cr_assert(strstr(groups[0].error, "TLS error with "
					 "127.0.0.1:") != NULL, "%s",
				  groups[0].error);
		} else {
			cr_assert_eq(groups[0].state, SOURCE_OK, "%s",
				     groups[0].error);
			cr_assert_eq(groups[0].total, 5);
			cr_assert_eq(requests_with("cert:oncall", NULL), 1);
		}
		kube_free(k);
	}
	free(ca);
	free(cc);
	free(ck);
}

/*
 * The API server's other failures, one pod list each: a Status error is
 * shown with its message, garbage becomes a readable error, and a body
 * that never ends is cut off at the deadline.  Each keeps the pods the
 * group had and leaves the next refresh free to succeed.
 */
static void
failure_case(const char *mode, const char *want, int64_t timeout_ms)
{
	static const char *const args[] = { NULL };
	char path[64];
	struct kube *k;
	char *r;
	int64_t t0;

	start_server(args);
	kubeconfig("    token: any\n");
	set_groups(1, four_groups);
	plan.kubernetes.timeout_ms = timeout_ms;
	k = new_kube();
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s", groups[0].error);
	cr_assert_eq(groups[0].total, 5);
	snprintf(path, sizeof(path), "/_test/podfail?mode=%s", mode);
	r = ctl("POST", path);
	free(r);
	t0 = testsrv_real_ms();
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_ERROR, "%s: no error", mode);
	cr_assert(strstr(groups[0].error, want) != NULL, "%s: %s", mode,
		  groups[0].error);
	cr_assert_eq(groups[0].total, 5, "%s: the old pods are kept", mode);
	cr_assert_lt(testsrv_real_ms() - t0, timeout_ms + 3000, "%s: took too long",
		     mode);
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s: no recovery: %s", mode,
		     groups[0].error);
	kube_free(k);
}

Test(kube, forbidden_is_shown_with_its_message)
{
	failure_case("403", "cannot list resource \"pods\"", 5000);
}

Test(kube, server_error_is_shown_with_its_message)
{
	failure_case("500", "etcdserver: request timed out", 5000);
}

Test(kube, garbage_is_a_readable_error)
{
	failure_case("garbage", "not a PodList", 5000);
}

Test(kube, endless_body_is_cut_at_the_deadline)
{
	failure_case("endless", "timed out", 1500);
}

/*
 * A pod list that never ends: the same continue token again, or a new
 * token on every page.  Either ends the list with a readable error (the
 * group in error, its old pods kept, no data for the gates) after a
 * bounded number of pages, and the next refresh with sane paging recovers.
 */
static void
paging_case(const char *mode, int size, int page_limit, const char *want,
	    int want_requests)
{
	char path[96];
	struct kube *k;
	char *r;
	int before;

	start_server(NULL);
	kubeconfig("    token: any\n");
	set_groups(1, four_groups);
	k = new_kube();
	kube_set_page_limit(k, page_limit);
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s", groups[0].error);
	cr_assert_eq(groups[0].total, 5);
	before = requests_with(NULL, NULL);

	snprintf(path, sizeof(path), "/_test/paging?mode=%s&size=%d", mode,
		 size);
	free(ctl("POST", path));
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_ERROR, "%s: no error", mode);
	cr_assert(strstr(groups[0].error, want) != NULL, "%s: %s", mode,
		  groups[0].error);
	cr_assert_eq(groups[0].total, 5, "%s: the old pods are kept", mode);
	cr_assert_eq(requests_with(NULL, NULL) - before, want_requests,
		     "%s: pages asked for", mode);
	cr_assert(!group_health_ok(&groups[0], false));

	r = ctl("POST", "/_test/paging?mode=");
	free(r);
	refresh(k);
	cr_assert_eq(groups[0].state, SOURCE_OK, "%s: no recovery: %s", mode,
		     groups[0].error);
	cr_assert_eq(groups[0].total, 5);
	kube_free(k);
}

Test(kube, repeated_continue_token_is_an_error)
{
	/* The first page's token comes back on the second: stop there. */
	paging_case("repeat", 0, 2, "with the continue token it was sent", 2);
}

Test(kube, endless_pages_stop_at_the_page_cap)
{
	paging_case("endless", 0, 2, "goes on after 500 pages", 500);
}

Test(kube, endless_pods_stop_at_the_pod_cap)
{
	/* 1,000 pods a page whatever the limit: 50 pages reach 50,000. */
	paging_case("endless", 1000, 250, "more than 50000 pods", 51);
}

/* --- watch mode ------------------------------------------------------------
 *
 * kube_set_watch(): one list per group into a cache, then watches
 * (kubeapi.py streams the events its /_test/pod controls make).  Waits are
 * bounded loops on real time; nothing sleeps.
 */

/* Run the loop, refreshing every 100 ms, until done(k) or ms pass. */
static bool
watch_until(struct kube *k, bool (*done)(struct kube *k), int64_t ms)
{
	int64_t give_up = testsrv_real_ms() + ms;

	while (testsrv_real_ms() < give_up) {
		kube_refresh(k);
		if (done(k))
			return true;
		loop_run_once(l, 100);
	}
	kube_refresh(k);
	return done(k);
}

static bool
all_ok(struct kube *k)
{
	(void)k;
	for (int i = 0; i < plan.ngroups; i++)
		if (groups[i].state != SOURCE_OK)
			return false;
	return true;
}

/* A watch-mode client on the four groups, listed and watching. */
static struct kube *
new_watching(int watch_seconds, int ngroups)
{
	struct kube *k;

	start_server(NULL);
	kubeconfig("    token: any\n");
	set_groups(ngroups, four_groups);
	k = new_kube();
	/* 3 a page: its lists are told from fresh_list()'s (250). */
	kube_set_page_limit(k, 3);
	kube_set_watch(k, true);
	kube_set_watch_seconds(k, watch_seconds);
	cr_assert(watch_until(k, all_ok, 20000), "lists: %s / %s",
		  groups[0].error, groups[2].error);
	return k;
}

/* The same groups listed now by a list-mode client. */
static void
fresh_list(struct group_health *fresh)
{
	struct err e;
	struct kube *k;
	int64_t give_up = testsrv_real_ms() + 20000;

	for (int i = 0; i < plan.ngroups; i++)
		group_health_init(&fresh[i], plan.groups[i].min_ready);
	k = kube_new(&plan, l, fresh, &e);
	cr_assert_not_null(k, "%s", e.msg);
	cr_assert_eq(kube_refresh(k), 0);
	while (kube_busy(k) && testsrv_real_ms() < give_up)
		loop_run_once(l, 100);
	kube_free(k);
}

/* Every group's health as the watch keeps it equals a fresh list. */
static bool
equals_fresh(struct kube *k)
{
	struct group_health fresh[4];
	bool same = true;

	(void)k;
	fresh_list(fresh);
	for (int i = 0; i < plan.ngroups; i++) {
		const struct group_health *a = &groups[i], *b = &fresh[i];

		same = same && a->state == SOURCE_OK && b->state == SOURCE_OK &&
		       a->total == b->total && a->ready == b->ready &&
		       a->restarts == b->restarts &&
		       a->recent_restarts == b->recent_restarts &&
		       a->oomkilled == b->oomkilled &&
		       a->terminating == b->terminating &&
		       a->with_sidecar == b->with_sidecar &&
		       a->sidecar_ready == b->sidecar_ready &&
		       a->sidecar_missing == b->sidecar_missing &&
		       strcmp(a->worst_reason, b->worst_reason) == 0 &&
		       group_health_ok(a, true) == group_health_ok(b, true);
		group_health_done(&fresh[i]);
	}
	return same;
}

static void
post(const char *path)
{
	free(ctl("POST", path));
}

/* Pages asked for by the watching client (2 + 1 + 3 + 1 at first). */
static int
lists(void)
{
	return requests_with("limit=3", NULL);
}

static int
watches(void)
{
	return requests_with("watch=1", NULL);
}

static bool
four_watches(struct kube *k)
{
	(void)k;
	return watches() == 4;
}

Test(kube, watch_cache_equals_a_fresh_list_after_events)
{
	struct kube *k = new_watching(60, 4);
	int nlists = lists(), fired = 0;
	long before = kube_watch_events(k, 2);

	/* One list per group (5 api pods by 3: two pages), then a watch
	 * each from the list's resourceVersion with bookmarks. */
	cr_assert_eq(nlists, 7);
	cr_assert_eq(requests_with("labelSelector=app%3Dapi", "limit=3"), 2);
	cr_assert(watch_until(k, four_watches, 10000));
	cr_assert_eq(requests_with("watch=1", "allowWatchBookmarks=true"), 4);
	cr_assert_eq(requests_with("watch=1", "resourceVersion=1000"), 4);
	cr_assert(equals_fresh(k));

	post("/_test/pod?op=restart&namespace=" NS "&name=api-7d9f8c6b5-a1b2c");
	post("/_test/pod?op=ready&value=false&namespace=" NS
	     "&name=api-7d9f8c6b5-d3e4f");
	post("/_test/pod?op=add&namespace=" NS "&name=api-new-1"
	     "&from=api-7d9f8c6b5-a1b2c");
	post("/_test/pod?op=delete&namespace=" NS
	     "&name=legacy-6f5e4d3c2-t3u4v");
	post("/_test/pod?op=reason&value=ImagePullBackOff&namespace=" NS
	     "&name=worker-5c4b3a2b1-q1r2s");
	post("/_test/pod?op=add&namespace=" NS "&name=api-new-2"
	     "&from=api-7d9f8c6b5-g5h6i");
	post("/_test/pod?op=delete&namespace=" NS "&name=api-new-2");
	fired = 7;
	cr_assert(watch_until(k, equals_fresh, 15000),
		  "the cache never matched a fresh list");
	/* Every event reached the namespace-wide group, none twice. */
	cr_assert_eq(kube_watch_events(k, 2) - before, fired);
	cr_assert_eq(groups[0].total, 6);
	cr_assert_eq(groups[2].total, 7);
	cr_assert_str_eq(groups[2].worst_reason, "CrashLoopBackOff");
	/* The refreshes read the caches: no list was made again. */
	cr_assert_eq(lists(), nlists);
	kube_free(k);
}

static bool
resumed(struct kube *k)
{
	(void)k;
	/* The api and namespace groups saw rv 1001; the others did not. */
	return requests_with("watch=1", "resourceVersion=1001") >= 2;
}

Test(kube, watch_resumes_from_the_last_resource_version)
{
	struct kube *k = new_watching(1, 4);

	post("/_test/pod?op=restart&namespace=" NS "&name=api-7d9f8c6b5-a1b2c");
	/* The 1 s watches end and go on from what they saw. */
	cr_assert(watch_until(k, resumed, 15000));
	cr_assert(watch_until(k, equals_fresh, 15000));
	cr_assert_eq(lists(), 7, "no list again");
	kube_free(k);
}

static bool
relisted(struct kube *k)
{
	return lists() > 7 && all_ok(k);
}

static bool
rewatched(struct kube *k)
{
	(void)k;
	return watches() >= 8;
}

/* The 1 s watches of every group ended and went on without a list. */
static void
no_relist_yet(struct kube *k)
{
	cr_assert(watch_until(k, rewatched, 15000), "%d watches", watches());
	cr_assert_eq(lists(), 7, "a watch that ends is resumed, not relisted");
}

static void
relists_after(const char *fail)
{
	struct kube *k = new_watching(1, 4);
	char path[128];

	no_relist_yet(k);
	snprintf(path, sizeof(path), "/_test/watchfail?mode=%s", fail);
	post(path);
	cr_assert(watch_until(k, relisted, 15000), "%s: no new list (%d)",
		  fail, lists());
	post("/_test/pod?op=restart&namespace=" NS "&name=api-7d9f8c6b5-a1b2c");
	cr_assert(watch_until(k, equals_fresh, 15000), "%s", fail);
	kube_free(k);
}

Test(kube, watch_gone_relists) { relists_after("gone"); }
Test(kube, watch_gone_http_relists) { relists_after("gonehttp"); }
Test(kube, watch_dropped_stream_relists) { relists_after("drop"); }
Test(kube, watch_garbage_relists) { relists_after("garbage"); }
Test(kube, watch_endless_line_relists) { relists_after("longline"); }

Test(kube, watch_compacted_history_relists)
{
	struct kube *k = new_watching(1, 4);

	no_relist_yet(k);
	post("/_test/compact");
	post("/_test/pod?op=delete&namespace=" NS
	     "&name=legacy-6f5e4d3c2-t3u4v");
	cr_assert(watch_until(k, relisted, 15000));
	cr_assert(watch_until(k, equals_fresh, 15000));
	kube_free(k);
}

static bool
stale(struct kube *k)
{
	(void)k;
	return groups[0].state == SOURCE_ERROR &&
	       strncmp(groups[0].error, "stale: ", 7) == 0;
}

Test(kube, watch_stalled_makes_the_group_stale)
{
	struct kube *k;
	int64_t t0;

	/* Refresh 500 ms, 1 s watches: a stalled one is given up after
	 * 1 + 1 s, and the group is stale 0.5 s later, while the list that
	 * would replace it hangs too. */
	plan.refresh_ms = 500;
	plan.kubernetes.timeout_ms = 30000;
	k = new_watching(1, 4);
	post("/_test/watchfail?mode=stall&n=100");
	post("/_test/podfail?mode=endless&n=100");
	t0 = testsrv_real_ms();
	cr_assert(watch_until(k, stale, 10000), "%d: %s", groups[0].state,
		  groups[0].error);
	/* Within one watch (1 s), its grace (1 s) and a refresh (0.5 s),
	 * with room for a busy machine. */
	cr_assert_lt(testsrv_real_ms() - t0, 2500 + 2000);
	cr_assert_not(group_health_ok(&groups[0], false), "no data");
	cr_assert(strstr(groups[0].error, "no watch for") != NULL, "%s",
		  groups[0].error);
	kube_free(k);
}

/* Bytes allocated and not freed (the heap in use, not RSS: ASan keeps
 * freed memory in quarantine). */
static long
live_kb(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
#else
	struct mallinfo2 mi = mallinfo2();

	return (long)(mi.uordblks / 1024);
#endif
}

static long flood_goal;

static bool
flooded(struct kube *k)
{
	return kube_watch_events(k, 0) >= flood_goal;
}

Test(kube, watch_memory_stays_bounded_under_an_endless_stream)
{
	struct kube *k;
	long before, grown;

	/* The first watch: MODIFIED after MODIFIED of one pod (about 2 kB
	 * each), 200,000 of them, within one long watch.  Measured after a
	 * first 5,000, once the allocator has settled. */
	start_server(NULL);
	post("/_test/watchfail?mode=flood");
	kubeconfig("    token: any\n");
	set_groups(1, four_groups);
	k = new_kube();
	kube_set_watch(k, true);
	kube_set_watch_seconds(k, 600);
	cr_assert(watch_until(k, all_ok, 20000), "%s", groups[0].error);
	flood_goal = 5000;
	cr_assert(watch_until(k, flooded, 60000), "no flood: %ld events, %s",
		  kube_watch_events(k, 0), groups[0].error);
	before = live_kb();
	flood_goal = kube_watch_events(k, 0) + 20000;
	cr_assert(watch_until(k, flooded, 120000), "the flood stopped early: "
		  "%ld, %s", kube_watch_events(k, 0), groups[0].error);
	grown = live_kb() - before;
	cr_assert_lt(grown, 512, "grew %ld kB over 20,000 events", grown);
	cr_assert_eq(groups[0].total, 6, "one more pod, the flood's");
	cr_assert_eq(groups[0].state, SOURCE_OK);
	kube_free(k);
}

Test(kube, watch_refreshes_allocate_nothing_and_ask_nothing)
{
	struct kube *k = new_watching(60, 4);
	int reqs;
	long before;

	cr_assert(watch_until(k, four_watches, 10000));
	reqs = requests_with(NULL, NULL);
	/* Warm: the first publish after the lists. */
	kube_refresh(k);
	before = live_kb();
	for (int i = 0; i < 2000; i++) {
		kube_refresh(k);
		loop_run_once(l, 0);
	}
	cr_assert_leq(live_kb() - before, 4, "the heap grew by %ld kB",
		      live_kb() - before);
	cr_assert_eq(requests_with(NULL, NULL), reqs, "%d requests, not %d",
		     requests_with(NULL, NULL), reqs);
	for (int i = 0; i < plan.ngroups; i++)
		cr_assert_eq(groups[i].state, SOURCE_OK);
	kube_free(k);
}
