/*
 * test_driver_exec — the exec traffic driver with real child processes:
 * /bin/sh scripts written to a temporary directory stand in for the
 * team's command.  Also the strict parser of the `get` output, and
 * driver_init's choice of driver.  The exit status decides: a `set` that
 * exits 0 while a child it left behind (in its group, or escaped with
 * setsid) holds its output succeeds as soon as the output grace ends, and
 * only a command that does not exit in time is "timed out" — its group
 * killed, the step ended by the deadline whatever holds the pipes.  Waits
 * are bounded loop passes or bounded wall-clock time.
 */
#include "config.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "driver.h"
#include "drivers/driver_exec.h"
#include "err.h"
#include "loop.h"
#include "plan.h"
#include "proc.h"
#include "testsrv.h"

#define ITER_CAP 200		/* x 100 ms */
#define LOG_MAX 64

static char tmpdir[64];
static struct plan *plan;

/* The plan's driver settings (plan_traffic_use in setup). */
static struct plan_exec *
ex(void)
{
	return driver_exec_settings(plan);
}
static struct loop *loop;
static struct driver drv;
static bool drv_ready;
static char *logs[LOG_MAX];
static int nlogs;

struct got {
	int calls;
	struct driver_result r;
};

static void
got_cb(const struct driver_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->r = *r;
}

static void
log_cb(const char *line, void *arg)
{
	(void)arg;
	if (nlogs < LOG_MAX)
		logs[nlogs++] = strdup(line);
}

static bool
log_has(const char *line)
{
	int i;

	for (i = 0; i < nlogs; i++)
		if (strcmp(logs[i], line) == 0)
			return true;
	return false;
}

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/cutover-test-exec-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	plan = calloc(1, sizeof(*plan));
	plan_traffic_use(plan, DRIVER_EXEC);
	ex()->timeout_ms = 10000;
	loop = loop_new(&clock_system);
	nlogs = 0;
	drv_ready = false;
}

static void kill_strays(void);

static void
teardown(void)
{
	char cmd[128];
	int i;

	kill_strays();
	if (drv_ready)
		driver_done(&drv);
	/* Let killed children be reaped before the loop goes. */
	for (i = 0; i < 10; i++)
		loop_run_once(loop, 20);
	loop_free(loop);
	plan_done(plan);
	free(plan);
	for (i = 0; i < nlogs; i++)
		free(logs[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(exec, .init = setup, .fini = teardown);

/* Write a script into the temporary directory; returns its path. */
static char *
script(const char *name, const char *body)
{
	char *path;
	FILE *f;

	cr_assert_geq(asprintf(&path, "%s/%s", tmpdir, name), 0);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", body);
	fclose(f);
	return path;
}

/* argv = /bin/sh <script path> extra...; takes ownership of path. */
static void
set_argv(struct plan_argv *a, char *path, const char *const *extra)
{
	int n = 0, i;

	while (extra != NULL && extra[n] != NULL)
		n++;
	a->argv = calloc((size_t)n + 3, sizeof(char *));
	a->argv[0] = strdup("/bin/sh");
	a->argv[1] = path;
	for (i = 0; i < n; i++)
		a->argv[2 + i] = strdup(extra[i]);
	a->argc = n + 2;
}

static void
init_driver(void)
{
	struct err e;

	err_clear(&e);
	cr_assert_eq(driver_init(&drv, plan, loop, log_cb, NULL, &e), 0,
		     "driver_init: %s", e.msg);
	cr_assert(driver_present(&drv));
	drv_ready = true;
}

static int
run_until(struct got *g)
{
	int i;

	for (i = 0; i < ITER_CAP && g->calls == 0; i++)
		loop_run_once(loop, 100);
	return i;
}

static char *
slurp(const char *name)
{
	static char buf[4096];
	char path[128];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(exec, apply_substitutes_placeholders)
{
	static const char *const extra[] = { "{istio}", "{apisix}", "{stage}",
		"w={istio}/{apisix}", "{unknown}", "{{istio}}", "{istio",
		NULL };
	struct got g = { 0 };
	struct err e;
	char *body;

	cr_assert_geq(asprintf(&body, "cd '%s' || exit 9\n"
	    "printf '%%s\\n' \"$@\" > args\n"
	    "echo \"env $CUTOVER_ISTIO $CUTOVER_APISIX $CUTOVER_STAGE\" "
	    ">> args\n"
	    "echo 'shifting now' >&2\necho done", tmpdir), 0);
	set_argv(&ex()->set, script("set.sh", body), extra);
	free(body);
	init_driver();
	cr_assert(!driver_can_read_back(&drv));

	err_clear(&e);
	cr_assert_eq(driver_apply(&drv, (struct weights){ 25, 75 }, 2, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_eq(g.calls, 0);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert_eq(g.calls, 1);
	cr_assert(g.r.ok, "%s", g.r.message);
	cr_assert(!g.r.have_weights);
	cr_assert_str_eq(slurp("args"),
			 "25\n75\n2\nw=25/75\n{unknown}\n{25}\n{istio\n"
			 "env 25 75 2\n");
	cr_assert(log_has("exec: shifting now"));
	cr_assert(log_has("exec: done"));
}

static void
setup_state_driver(const char *get_body)
{
	char *body;

	cr_assert_geq(asprintf(&body,
	    "echo \"istio=$1 apisix=$2\" > '%s/state'", tmpdir), 0);
	set_argv(&ex()->set, script("set.sh", body),
		 (const char *const[]){ "{istio}", "{apisix}", NULL });
	free(body);
	set_argv(&ex()->get, script("get.sh", get_body), NULL);
	init_driver();
}

Test(exec, apply_with_get_reads_back)
{
	struct got g = { 0 };
	struct err e;
	char *body;

	cr_assert_geq(asprintf(&body, "cat '%s/state'", tmpdir), 0);
	setup_state_driver(body);
	free(body);
	cr_assert(driver_can_read_back(&drv));

	cr_assert_eq(driver_apply(&drv, (struct weights){ 25, 75 }, 2, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert(g.r.ok, "%s", g.r.message);
	cr_assert(g.r.have_weights);
	cr_assert_eq(g.r.weights.istio, 25);
	cr_assert_eq(g.r.weights.apisix, 75);

	memset(&g, 0, sizeof(g));
	cr_assert_eq(driver_read_back(&drv, got_cb, &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert(g.r.ok, "%s", g.r.message);
	cr_assert(g.r.have_weights);
	cr_assert_eq(g.r.weights.istio, 25);
	cr_assert_eq(g.r.weights.apisix, 75);
}

Test(exec, apply_mismatch_fails)
{
	struct got g = { 0 };
	struct err e;

	setup_state_driver("echo 'istio=10 apisix=90'");
	cr_assert_eq(driver_apply(&drv, (struct weights){ 25, 75 }, 2, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert(!g.r.ok);
	cr_assert(g.r.have_weights);
	cr_assert_eq(g.r.weights.istio, 10);
	cr_assert_str_eq(g.r.message, "applied 25/75 but read back 10/90");
}

Test(exec, apply_get_garbage_fails)
{
	struct got g = { 0 };
	struct err e;

	setup_state_driver("echo 'all good'");
	cr_assert_eq(driver_apply(&drv, (struct weights){ 25, 75 }, 2, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert(!g.r.ok);
	cr_assert(!g.r.have_weights);
	cr_assert_not_null(strstr(g.r.message, "not understood"), "%s",
			   g.r.message);
	cr_assert_not_null(strstr(g.r.message, "all good"), "%s",
			   g.r.message);
}

Test(exec, nonzero_exit_message)
{
	struct got g = { 0 };
	struct err e;

	set_argv(&ex()->set, script("set.sh",
	    "echo 'first problem' >&2\necho 'route not found' >&2\n"
	    "echo '' >&2\nexit 3"), NULL);
	init_driver();
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert(!g.r.ok);
	cr_assert_str_eq(g.r.message,
			 "set command exited with status 3: route not found");
	cr_assert(log_has("exec: first problem"));
	cr_assert(log_has("exec: route not found"));
}

Test(exec, timeout_message)
{
	struct got g = { 0 };
	struct err e;
	int64_t t0 = clock_mono(&clock_system);

	ex()->timeout_ms = 300;
	set_argv(&ex()->set, script("set.sh", "exec sleep 30"),
		 NULL);
	init_driver();
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP, "iteration cap hit");
	cr_assert(!g.r.ok);
	cr_assert_str_eq(g.r.message, "set command timed out after 300 ms");
	cr_assert_lt(clock_mono(&clock_system) - t0, 2000);
}

Test(exec, spawn_failure_message)
{
	struct got g = { 0 };
	struct err e;

	ex()->set.argv = calloc(2, sizeof(char *));
	ex()->set.argv[0] = strdup("cutover-no-such-tool-xyz");
	ex()->set.argc = 1;
	init_driver();
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert(!g.r.ok);
	cr_assert_not_null(strstr(g.r.message, "set command could not be "
	    "started: cannot run cutover-no-such-tool-xyz"),
			   "%s", g.r.message);
}

Test(exec, read_back_without_get)
{
	struct got g = { 0 };
	struct err e;
	char desc[128];

	set_argv(&ex()->set, script("set.sh", "exit 0"), NULL);
	init_driver();
	cr_assert(!driver_can_read_back(&drv));
	err_clear(&e);
	cr_assert_eq(driver_read_back(&drv, got_cb, &g, &e), -1);
	cr_assert_not_null(strstr(e.msg, "cannot read back"), "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "get"), "%s", e.msg);
	drv.ops->describe(&drv, desc, sizeof(desc));
	cr_assert_str_eq(desc, "exec: /bin/sh (read-back: no)");
	cr_assert_eq(g.calls, 0);
}

Test(exec, describe_with_get)
{
	char desc[128];

	setup_state_driver("cat state");
	drv.ops->describe(&drv, desc, sizeof(desc));
	cr_assert_str_eq(desc, "exec: /bin/sh (read-back: yes)");
}

Test(exec, second_apply_refused_then_cancel_no_callback)
{
	struct got g = { 0 }, g2 = { 0 };
	struct err e;
	char *body, *pidtxt = NULL;
	pid_t pid;
	int i;

	cr_assert_geq(asprintf(&body, "echo $$ > '%s/pid.tmp'; "
	    "mv '%s/pid.tmp' '%s/pid'; exec sleep 30", tmpdir, tmpdir, tmpdir),
	    0);
	set_argv(&ex()->set, script("set.sh", body), NULL);
	free(body);
	set_argv(&ex()->get, script("get.sh", "exit 0"), NULL);
	init_driver();
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  &g, &e), 0, "%s", e.msg);

	err_clear(&e);
	cr_assert_eq(driver_apply(&drv, (struct weights){ 25, 75 }, 2, got_cb,
				  &g2, &e), -1);
	cr_assert_not_null(strstr(e.msg, "busy"), "%s", e.msg);
	err_clear(&e);
	cr_assert_eq(driver_read_back(&drv, got_cb, &g2, &e), -1);
	cr_assert_not_null(strstr(e.msg, "busy"), "%s", e.msg);

	for (i = 0; i < ITER_CAP && (pidtxt = slurp("pid")) == NULL; i++)
		loop_run_once(loop, 20);
	cr_assert_not_null(pidtxt);
	pid = (pid_t)atoi(pidtxt);
	cr_assert_gt(pid, 0);

	driver_cancel(&drv);
	for (i = 0; i < ITER_CAP; i++) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			break;
		loop_run_once(loop, 20);
	}
	cr_assert_lt(i, ITER_CAP, "cancelled child not reaped");
	for (i = 0; i < 10; i++)
		loop_run_once(loop, 20);
	cr_assert_eq(g.calls, 0);
	cr_assert_eq(g2.calls, 0);

	/* Idle again: a new apply is accepted. */
	cr_assert_eq(driver_read_back(&drv, got_cb, &g2, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g2), ITER_CAP);
	cr_assert(!g2.r.ok, "empty get output is not a weight");
}

Test(exec, refuses_bad_weights)
{
	struct got g = { 0 };
	struct err e;

	set_argv(&ex()->set, script("set.sh", "exit 0"), NULL);
	init_driver();
	cr_assert_eq(driver_apply(&drv, (struct weights){ 30, 75 }, 2, got_cb,
				  &g, &e), -1);
	cr_assert_eq(g.calls, 0);
}

static struct driver *chain_drv;
static int chain_calls;

static void
chain_cb(const struct driver_result *r, void *arg)
{
	struct err e;

	(void)arg;
	cr_assert(r->ok, "%s", r->message);
	if (++chain_calls == 1)
		cr_assert_eq(driver_apply(chain_drv, (struct weights){ 50, 50 },
					  3, chain_cb, NULL, &e), 0, "%s",
			     e.msg);
}

Test(exec, callback_may_start_next_apply)
{
	struct err e;
	int i;

	set_argv(&ex()->set, script("set.sh", "exit 0"), NULL);
	init_driver();
	chain_drv = &drv;
	chain_calls = 0;
	cr_assert_eq(driver_apply(&drv, (struct weights){ 25, 75 }, 2,
				  chain_cb, NULL, &e), 0, "%s", e.msg);
	for (i = 0; i < ITER_CAP && chain_calls < 2; i++)
		loop_run_once(loop, 100);
	cr_assert_eq(chain_calls, 2);
}

/* --- driver_init -------------------------------------------------------- */

Test(exec, init_none_demo_and_placeholders)
{
	struct err e;

	plan->traffic.driver = DRIVER_NONE;
	cr_assert_eq(driver_init(&drv, plan, loop, log_cb, NULL, &e), 0);
	cr_assert(!driver_present(&drv));
	cr_assert(!driver_can_read_back(&drv));
	driver_done(&drv);

	plan->traffic.driver = DRIVER_DEMO;
	err_clear(&e);
	cr_assert_eq(driver_init(&drv, plan, loop, log_cb, NULL, &e), -1);
	cr_assert_str_eq(e.msg, "the demo driver is installed by the demo");
	cr_assert(!driver_present(&drv));

	/* Drivers whose settings are missing refuse to start. */
	plan->traffic.driver = DRIVER_ROUTE53;
	err_clear(&e);
	cr_assert_eq(driver_init(&drv, plan, loop, log_cb, NULL, &e), -1);
	cr_assert_not_null(strstr(e.msg, "route53"), "%s", e.msg);
	cr_assert(!driver_present(&drv));
	plan->traffic.driver = DRIVER_CLOUDFLARE;
	err_clear(&e);
	cr_assert_eq(driver_init(&drv, plan, loop, log_cb, NULL, &e), -1);
	cr_assert_not_null(strstr(e.msg, "cloudflare"), "%s", e.msg);
	cr_assert(!driver_present(&drv));
	plan->traffic.driver = DRIVER_KUBERNETES;
	err_clear(&e);
	cr_assert_eq(driver_init(&drv, plan, loop, log_cb, NULL, &e), -1);
	cr_assert_not_null(strstr(e.msg, "kubernetes"), "%s", e.msg);
	cr_assert(!driver_present(&drv));

	plan->traffic.driver = DRIVER_EXEC;
	err_clear(&e);
	cr_assert_eq(driver_init(&drv, plan, loop, log_cb, NULL, &e), -1,
		     "exec without a set command");
	cr_assert_not_null(strstr(e.msg, "traffic.exec.set"), "%s", e.msg);
}

/* --- the get output parser ---------------------------------------------- */

struct parse_case {
	const char *in;
	int ok;
	int istio;
	const char *needle;	/* in the error message */
};

static const struct parse_case parse_cases[] = {
	{ "istio=10 apisix=90", 1, 10, NULL },
	{ "apisix=90\nistio=10\n", 1, 10, NULL },
	{ "istio=0,apisix=100", 1, 0, NULL },
	{ "  istio=100 , apisix=0\r\n", 1, 100, NULL },
	{ "{\"istio\":25,\"apisix\":75}", 1, 25, NULL },
	{ "\n {\"apisix\": 75, \"istio\": 25}\n", 1, 25, NULL },
	{ "istio=10 apisix=89", 0, 0, "sum to 100" },
	{ "istio=10", 0, 0, "no apisix weight" },
	{ "apisix=100", 0, 0, "no istio weight" },
	{ "istio=101 apisix=-1", 0, 0, "istio weight 101 is outside 0..100" },
	{ "istio=-10 apisix=110", 0, 0, "istio weight -10 is outside" },
	{ "istio=ten apisix=90", 0, 0,
	  "istio value \"ten\" is not an integer" },
	{ "istio=10x apisix=90", 0, 0, "not an integer" },
	{ "istio= apisix=90", 0, 0, "not an integer" },
	{ "istio=+10 apisix=90", 0, 0, "not an integer" },
	/* huge, exponent, fraction: never wrapped into range */
	{ "istio=99999999999999999999 apisix=90", 0, 0, "not an integer" },
	{ "istio=4294967306 apisix=-4294967206", 0, 0,
	  "istio weight 4294967306 is outside 0..100" },
	{ "istio=1e1 apisix=90", 0, 0, "not an integer" },
	{ "istio=10.0 apisix=90", 0, 0, "not an integer" },
	{ "{\"istio\":4294967306,\"apisix\":-4294967206}", 0, 0,
	  "outside 0..100" },
	{ "{\"istio\":1e1,\"apisix\":90}", 0, 0, "istio is not an integer" },
	{ "{\"istio\":99999999999999999999,\"apisix\":0}", 0, 0,
	  "invalid JSON" },
	{ "istio=10 apisix=90 extra", 0, 0, "unexpected \"extra\"" },
	{ "istio=10 apisix=90 canary=5", 0, 0, "unknown name \"canary\"" },
	{ "istio=10 istio=10 apisix=90", 0, 0, "istio given twice" },
	{ "garbage", 0, 0, "(output: \"garbage\")" },
	{ "", 0, 0, "printed nothing" },
	{ " \n\t", 0, 0, "printed nothing" },
	{ "{\"istio\":25}", 0, 0, "no apisix weight" },
	{ "{\"istio\":25.0,\"apisix\":75}", 0, 0, "istio is not an integer" },
	{ "{\"istio\":\"25\",\"apisix\":75}", 0, 0, "not an integer" },
	{ "{\"istio\":25,\"apisix\":75,\"x\":1}", 0, 0, "unknown key \"x\"" },
	{ "{\"istio\":25,", 0, 0, "invalid JSON" },
	{ "[25,75]", 0, 0, "unexpected" },
};

Test(exec, parse_weights_table)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct weights w = { -1, -1 };
		struct err e;
		int rc;

		err_clear(&e);
		rc = driver_exec_parse_weights(c->in, &w, &e);
		if (c->ok) {
			cr_assert_eq(rc, 0, "case %zu \"%s\": %s", i, c->in,
				     e.msg);
			cr_assert_eq(w.istio, c->istio, "case %zu", i);
			cr_assert_eq(w.apisix, 100 - c->istio, "case %zu", i);
		} else {
			cr_assert_eq(rc, -1, "case %zu \"%s\" accepted", i,
				     c->in);
			cr_assert_not_null(strstr(e.msg, c->needle),
					   "case %zu: \"%s\" lacks \"%s\"", i,
					   e.msg, c->needle);
		}
	}
}

Test(exec, parse_quotes_first_80_chars)
{
	char in[300];
	struct weights w;
	struct err e;
	const char *q;

	memset(in, 'z', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	cr_assert_eq(driver_exec_parse_weights(in, &w, &e), -1);
	q = strstr(e.msg, "(output: \"");
	cr_assert_not_null(q, "%s", e.msg);
	q += strlen("(output: \"");
	cr_assert_eq(strspn(q, "z"), 80, "%s", e.msg);
	cr_assert_eq(strncmp(q + 80, "...\")", 5), 0, "%s", e.msg);
}

/* --- the exit decides ---------------------------------------------------- */

/* The pid in tmpdir/name, waiting (bounded) for a script to write it. */
static pid_t
pid_file(const char *name)
{
	char *txt = NULL;
	int i;

	for (i = 0; i < ITER_CAP && ((txt = slurp(name)) == NULL ||
	    atoi(txt) <= 0); i++)
		loop_run_once(loop, 20);
	cr_assert(txt != NULL && atoi(txt) > 0, "no pid in %s", name);
	return (pid_t)atoi(txt);
}

/* Kill the sleepers the scripts of a test left behind (their pids in
 * tmpdir/NAME.pid), whatever the test's outcome. */
static void
kill_strays(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *txt;

		if (n < 5 || strcmp(de->d_name + n - 4, ".pid") != 0)
			continue;
		txt = slurp(de->d_name);
		if (txt != NULL && atoi(txt) > 0 && testsrv_pid_alive(atoi(txt)))
			(void)kill((pid_t)atoi(txt), SIGKILL);
	}
	closedir(d);
}

/* Run the loop (no SIGCHLD) until the answer or `ms`; the time taken. */
static int64_t
run_for(struct got *g, int64_t ms)
{
	int64_t t0 = clock_mono(&clock_system);

	while (g->calls == 0 && clock_mono(&clock_system) - t0 < ms)
		loop_run_once(loop, 50);
	return clock_mono(&clock_system) - t0;
}

/* Apply 10/90 with `body` as the set script and a deadline of
 * `timeout_ms`; wait at most `wait_ms` for the answer. */
static void
apply_set(const char *body, int64_t timeout_ms, int64_t wait_ms,
	  struct got *g)
{
	struct err e;

	ex()->timeout_ms = timeout_ms;
	set_argv(&ex()->set, script("set.sh", body), NULL);
	init_driver();
	err_clear(&e);
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  g, &e), 0, "%s", e.msg);
	run_for(g, wait_ms);
	cr_assert_eq(g->calls, 1, "no answer within %lld ms",
		     (long long)wait_ms);
}

Test(exec, set_exits_0_while_a_child_holds_stdout)
{
	struct got g = { 0 };
	int fds;
	char *body;
	pid_t bg;

	cr_assert_geq(asprintf(&body, "cd '%s' || exit 9\n"
	    "(sh -c 'echo $$ > bg.pid; exec sleep 30' &)\n"
	    "echo shifted\nexit 0", tmpdir), 0);
	fds = testsrv_fd_count();
	/* The deadline is well after the grace: the answer must come from
	 * the exit, and must not be "timed out". */
	apply_set(body, 4000, 6000, &g);
	free(body);
	cr_assert(g.r.ok, "%s", g.r.message);
	cr_assert_str_eq(g.r.message, "applied 10/90");
	cr_assert(log_has("exec: shifted"));
	bg = pid_file("bg.pid");
	for (int i = 0; i < ITER_CAP && testsrv_pid_alive(bg); i++)
		loop_run_once(loop, 20);
	cr_assert(!testsrv_pid_alive(bg), "the child left in the group survived");
	cr_assert_eq(testsrv_fd_count(), fds, "a descriptor leaked");
}

Test(exec, set_exits_0_while_an_escaped_child_holds_stdout)
{
	struct got g = { 0 };
	char *body;
	pid_t esc;

	cr_assert_geq(asprintf(&body, "cd '%s' || exit 9\n"
	    "setsid sh -c 'echo $$ > esc.pid; exec sleep 30' &\n"
	    "echo shifted\nexit 0", tmpdir), 0);
	apply_set(body, 4000, 6000, &g);
	free(body);
	cr_assert(g.r.ok, "%s", g.r.message);
	cr_assert_str_eq(g.r.message, "applied 10/90");
	esc = pid_file("esc.pid");
	cr_assert(testsrv_pid_alive(esc), "the test needs a child out of the group");
	cr_assert_not_null(strstr(logs[nlogs - 1], "still held"), "%s",
			   logs[nlogs - 1]);
}

Test(exec, get_output_written_after_the_exit_is_read)
{
	struct got g = { 0 };
	struct err e;
	char *body;

	cr_assert_geq(asprintf(&body, "echo \"istio=$1 apisix=$2\" > "
	    "'%s/state'", tmpdir), 0);
	set_argv(&ex()->set, script("set.sh", body),
		 (const char *const[]){ "{istio}", "{apisix}", NULL });
	free(body);
	/* get exits at once; what it started prints the weights later. */
	cr_assert_geq(asprintf(&body, "(sleep 0.3; cat '%s/state') &\n"
	    "exit 0", tmpdir), 0);
	set_argv(&ex()->get, script("get.sh", body), NULL);
	free(body);
	init_driver();
	cr_assert_eq(driver_apply(&drv, (struct weights){ 25, 75 }, 2, got_cb,
				  &g, &e), 0, "%s", e.msg);
	run_for(&g, 8000);
	cr_assert(g.r.ok, "%s", g.r.message);
	cr_assert(g.r.have_weights);
	cr_assert_eq(g.r.weights.istio, 25);
	cr_assert_str_eq(g.r.message, "applied 25/75 (read back)");
}

Test(exec, set_that_never_exits_times_out_and_its_group_is_killed)
{
	struct got g = { 0 };
	int fds;
	char *body;
	pid_t bg;

	cr_assert_geq(asprintf(&body, "cd '%s' || exit 9\n"
	    "sh -c 'echo $$ > bg.pid; exec sleep 30' &\n"
	    "exec sleep 30", tmpdir), 0);
	fds = testsrv_fd_count();
	apply_set(body, 300, 300 + 2000 + PROC_OUTPUT_GRACE_MS + 2000, &g);
	free(body);
	cr_assert(!g.r.ok);
	cr_assert_str_eq(g.r.message, "set command timed out after 300 ms");
	bg = pid_file("bg.pid");
	for (int i = 0; i < ITER_CAP && testsrv_pid_alive(bg); i++)
		loop_run_once(loop, 20);
	cr_assert(!testsrv_pid_alive(bg), "the group was not killed");
	cr_assert_eq(testsrv_fd_count(), fds, "a descriptor leaked");
}

Test(exec, deadline_ends_the_step_despite_an_escaped_holder)
{
	struct got g = { 0 };
	char *body;

	/* Never exits, and what it started outside the group keeps the
	 * pipes: the step must still end, as a timeout. */
	cr_assert_geq(asprintf(&body, "cd '%s' || exit 9\n"
	    "setsid sh -c 'echo $$ > esc.pid; exec sleep 30' &\n"
	    "exec sleep 30", tmpdir), 0);
	apply_set(body, 300, 300 + PROC_OUTPUT_GRACE_MS + 3000, &g);
	free(body);
	cr_assert(!g.r.ok);
	cr_assert_str_eq(g.r.message, "set command timed out after 300 ms");
	cr_assert(testsrv_pid_alive(pid_file("esc.pid")),
		  "the test needs a child out of the group");
}

/* What a child says reaches the caller redacted and without controls. */
Test(exec, answers_and_lines_are_scrubbed)
{
	struct got g = { 0 };
	struct err e;

	set_argv(&ex()->set, script("set.sh",
	    "printf 'token=s3cr3t \\033[2J\\n'\n"
	    "printf '\\033]0;x\\007 \\302\\233 Authorization: Bearer s3cr3t\\n' "
	    ">&2\nexit 3"), NULL);
	init_driver();
	cr_assert_eq(driver_apply(&drv, (struct weights){ 10, 90 }, 1, got_cb,
				  &g, &e), 0, "%s", e.msg);
	cr_assert_lt(run_until(&g), ITER_CAP);
	cr_assert(!g.r.ok);
	cr_assert_not_null(strstr(g.r.message, "Authorization: Bearer ***"),
			   "%s", g.r.message);
	cr_assert_null(strstr(g.r.message, "s3cr3t"), "%s", g.r.message);
	cr_assert_null(strchr(g.r.message, '\x1b'), "%s", g.r.message);
	cr_assert_null(strchr(g.r.message, '\x07'), "%s", g.r.message);
	cr_assert_null(strchr(g.r.message, (char)0x9b), "%s", g.r.message);
	cr_assert(log_has("exec: token=*** ?[2J"));
	for (int i = 0; i < nlogs; i++) {
		cr_assert_null(strstr(logs[i], "s3cr3t"), "%s", logs[i]);
		cr_assert_null(strchr(logs[i], (char)0x9b), "%s", logs[i]);
	}
}
