/*
 * driver_exec — the team's own command as a traffic driver.
 *
 * apply runs traffic.exec.set with {istio} {apisix} {stage} expanded in
 * every argument (and CUTOVER_ISTIO / CUTOVER_APISIX / CUTOVER_STAGE in
 * the environment); exit status 0 means applied.  When a `get` command is
 * configured, apply then runs it and succeeds only if it reads back what
 * was asked, and read_back runs it alone.  `get` prints either
 * "istio=25 apisix=75" or {"istio":25,"apisix":75}; the parser is strict,
 * because a misread weight is worse than a clear failure.
 *
 * Invariants: at most one child at a time (a second operation is refused);
 * each operation answers exactly once unless cancelled; the callback is
 * the last thing done for an operation, so it may start the next one,
 * cancel, or even driver_done() the driver.  Every line the child prints
 * reaches the log prefixed "exec: ".
 */
#include "config.h"

#include "driver.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proc.h"
#include "rbac.h"
#include "strbuf.h"
#include "xmalloc.h"

#define EXEC_DEFAULT_TIMEOUT_MS (120 * 1000)
/* Child output lines logged per command; the rest are counted. */
#define EXEC_LOG_LINES_MAX 40
/* Characters of a line or of unparsable output quoted in a message. */
#define EXEC_QUOTE_MAX 80
#define EXEC_LINE_MAX 200

enum exec_op {
	EXEC_IDLE,
	EXEC_APPLY_SET,		/* running `set` for an apply */
	EXEC_APPLY_GET,		/* running `get` to verify an apply */
	EXEC_READ,		/* running `get` for read_back */
};

struct exec_priv {
	struct driver *d;
	const struct plan_exec *cfg;
	struct proc *proc;
	struct driver_job job;	/* op: enum exec_op */
	struct weights want;
	int stage;
};

static int64_t
exec_timeout(const struct exec_priv *x)
{
	return x->cfg->timeout_ms > 0 ? x->cfg->timeout_ms :
	    EXEC_DEFAULT_TIMEOUT_MS;
}

/* "120 s" or "250 ms". */
static void
exec_fmt_duration(int64_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 " s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 " ms", ms);
}

/* Copy at most `max` characters of s, escaping control characters and
 * marking a cut with "...". */
static void
exec_quote(const char *s, size_t slen, size_t max, char *buf, size_t len)
{
	size_t i, o = 0;

	if (len == 0)
		return;
	for (i = 0; i < slen && i < max && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '?';
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < slen && o + 3 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* Expand {istio} {apisix} {stage}; other braces are left alone. */
static char *
exec_expand(const char *arg, struct weights w, int stage)
{
	static const char *const names[] = { "{istio}", "{apisix}",
					     "{stage}" };
	struct strbuf b = { 0 };
	const char *s = arg;

	strbuf_add(&b, "");	/* "" expands to "", not NULL */
	while (*s != '\0') {
		char val[16];
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			size_t nlen = strlen(names[i]);

			if (strncmp(s, names[i], nlen) != 0)
				continue;
			snprintf(val, sizeof(val), "%d", i == 0 ? w.istio :
			    i == 1 ? w.apisix : stage);
			strbuf_add(&b, val);
			s += nlen;
			break;
		}
		if (i == sizeof(names) / sizeof(names[0]))
			strbuf_addn(&b, s++, 1);
	}
	return b.s;
}

static void
exec_free_argv(char **argv)
{
	char **a;

	if (argv == NULL)
		return;
	for (a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

/* Pass each non-empty line of `text` to the log as "exec: line". */
static void
exec_log_lines(const struct driver *d, const char *text, bool truncated)
{
	const char *s = text, *nl;
	int logged = 0, skipped = 0;

	while (*s != '\0') {
		size_t len;

		nl = strchr(s, '\n');
		len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' ' ||
		    s[len - 1] == '\t'))
			len--;
		if (len > 0) {
			if (logged < EXEC_LOG_LINES_MAX) {
				char q[EXEC_LINE_MAX * 2 + 8];

				exec_quote(s, len, EXEC_LINE_MAX, q,
				    sizeof(q));
				driver_log(d, "exec: %s", q);
				logged++;
			} else {
				skipped++;
			}
		}
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	if (skipped > 0 || truncated)
		driver_log(d, "exec: (%d more line%s%s)", skipped,
		    skipped == 1 ? "" : "s",
		    truncated ? ", output cut at the capture limit" : "");
}

/* The last non-empty line of `text`, quoted, or "" when there is none. */
static void
exec_last_line(const char *text, char *buf, size_t len)
{
	const char *end = text + strlen(text), *start;

	buf[0] = '\0';
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	if (end == text)
		return;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	exec_quote(start, (size_t)(end - start), EXEC_LINE_MAX, buf, len);
}

/*
 * Describe why a command did not succeed into msg; returns true when it
 * did (exit status 0).
 */
static bool
exec_judge(const struct exec_priv *x, const char *what,
	   const struct proc_result *r, char *msg, size_t len)
{
	char last[EXEC_LINE_MAX * 2 + 8], dur[32];

	if (r->spawn_failed) {
		snprintf(msg, len, "%s command could not be started: %s", what,
		    r->err);
		return false;
	}
	if (r->timed_out) {
		exec_fmt_duration(exec_timeout(x), dur, sizeof(dur));
		snprintf(msg, len, "%s command timed out after %s", what, dur);
		return false;
	}
	if (r->exit_code == 0)
		return true;
	exec_last_line(r->err, last, sizeof(last));
	if (r->signo != 0)
		snprintf(msg, len, "%s command was killed by signal %d "
		    "(%s)%s%s", what, r->signo, strsignal(r->signo),
		    last[0] != '\0' ? ": " : "", last);
	else
		snprintf(msg, len, "%s command exited with status %d%s%s",
		    what, r->exit_code, last[0] != '\0' ? ": " : "", last);
	return false;
}

/* The end of a step, answered or cancelled (driver_job's end). */
static void
exec_end(void *arg, bool cancelled)
{
	struct exec_priv *x = arg;

	if (cancelled)
		proc_kill(x->proc);
	x->proc = NULL;
}

static void exec_proc_done(const struct proc_result *r, void *arg);

static struct proc *
exec_start(struct exec_priv *x, const struct plan_argv *pa, struct err *e)
{
	char **argv;
	char istio[32], apisix[32], stage[32];
	char *env[] = { istio, apisix, stage, NULL };
	struct proc *p;
	int i;

	snprintf(istio, sizeof(istio), "CUTOVER_ISTIO=%d", x->want.istio);
	snprintf(apisix, sizeof(apisix), "CUTOVER_APISIX=%d", x->want.apisix);
	snprintf(stage, sizeof(stage), "CUTOVER_STAGE=%d", x->stage);
	argv = xcalloc((size_t)pa->argc + 1, sizeof(*argv));
	for (i = 0; i < pa->argc; i++)
		argv[i] = exec_expand(pa->argv[i], x->want, x->stage);
	p = proc_start(x->d->loop, argv, env, exec_timeout(x),
	    exec_proc_done, x, e);
	exec_free_argv(argv);
	return p;
}

static void
exec_proc_done(const struct proc_result *r, void *arg)
{
	struct exec_priv *x = arg;
	struct driver_result res;
	struct weights got;
	struct err e;
	char why[384];

	memset(&res, 0, sizeof(res));
	x->proc = NULL;
	exec_log_lines(x->d, r->out, r->out_truncated);
	exec_log_lines(x->d, r->err, r->err_truncated);
	if (r->output_cut)
		driver_log(x->d, "exec: output still held open %d s after the "
		    "command ended (by something it started): no longer read",
		    PROC_OUTPUT_GRACE_MS / 1000);

	switch (x->job.op) {
	case EXEC_APPLY_SET:
		if (!exec_judge(x, "set", r, res.message,
		    sizeof(res.message)))
			break;
		if (x->cfg->get.argc == 0) {
			res.ok = true;
			snprintf(res.message, sizeof(res.message),
			    "applied %d/%d", x->want.istio, x->want.apisix);
			break;
		}
		x->job.op = EXEC_APPLY_GET;
		err_clear(&e);
		x->proc = exec_start(x, &x->cfg->get, &e);
		if (x->proc != NULL)
			return;
		snprintf(res.message, sizeof(res.message),
		    "applied %d/%d but could not read back: %s",
		    x->want.istio, x->want.apisix, e.msg);
		break;
	case EXEC_APPLY_GET:
	case EXEC_READ:
		if (!exec_judge(x, "get", r, why, sizeof(why))) {
			if (x->job.op == EXEC_APPLY_GET)
				snprintf(res.message, sizeof(res.message),
				    "applied %d/%d but could not read back: %s",
				    x->want.istio, x->want.apisix, why);
			else
				snprintf(res.message, sizeof(res.message),
				    "%s", why);
			break;
		}
		err_clear(&e);
		if (driver_exec_parse_weights(r->out, &got, &e) == -1) {
			snprintf(res.message, sizeof(res.message),
			    "%sget command output not understood: %s",
			    x->job.op == EXEC_APPLY_GET ? "applied, but " : "",
			    e.msg);
			break;
		}
		res.have_weights = true;
		res.weights = got;
		if (x->job.op == EXEC_READ) {
			res.ok = true;
			snprintf(res.message, sizeof(res.message),
			    "read back %d/%d", got.istio, got.apisix);
		} else if (got.istio != x->want.istio ||
		    got.apisix != x->want.apisix) {
			snprintf(res.message, sizeof(res.message),
			    "applied %d/%d but read back %d/%d",
			    x->want.istio, x->want.apisix, got.istio,
			    got.apisix);
		} else {
			res.ok = true;
			snprintf(res.message, sizeof(res.message),
			    "applied %d/%d (read back)", got.istio,
			    got.apisix);
		}
		break;
	case EXEC_IDLE:
		return;
	}
	driver_job_answer(&x->job, &res);
}

static int
exec_busy(const struct exec_priv *x, struct err *e)
{
	if (x->job.op == EXEC_IDLE)
		return 0;
	return err_set(e, "the exec driver is busy: a %s command is still "
		       "running", x->job.op == EXEC_APPLY_SET ? "set" : "get");
}

static int
exec_init(struct driver *d, struct err *e)
{
	const struct plan_exec *cfg = &d->plan->traffic.exec;
	struct exec_priv *x;

	if (cfg->set.argc <= 0 || cfg->set.argv == NULL ||
	    cfg->set.argv[0] == NULL || cfg->set.argv[0][0] == '\0')
		return err_set(e, "traffic.exec.set is empty: the exec driver "
			       "needs a command to run");
	if (cfg->get.argc > 0 && (cfg->get.argv == NULL ||
	    cfg->get.argv[0] == NULL || cfg->get.argv[0][0] == '\0'))
		return err_set(e, "traffic.exec.get has no program to run");
	x = xcalloc(1, sizeof(*x));
	x->d = d;
	x->cfg = cfg;
	driver_job_init(&x->job, d, exec_end, x);
	d->priv = x;
	return 0;
}

static int
exec_apply(struct driver *d, struct weights w, int stage, driver_cb cb,
	   void *arg, struct err *e)
{
	struct exec_priv *x = d->priv;

	if (exec_busy(x, e) == -1)
		return -1;
	if (driver_weights_check(w, e) == -1)
		return -1;
	x->want = w;
	x->stage = stage;
	driver_job_begin(&x->job, EXEC_APPLY_SET, cb, arg);
	x->proc = exec_start(x, &x->cfg->set, e);
	if (x->proc == NULL) {
		driver_job_cancel(&x->job);
		return err_prefix(e, "set command");
	}
	return 0;
}

static int
exec_read_back(struct driver *d, driver_cb cb, void *arg, struct err *e)
{
	struct exec_priv *x = d->priv;

	if (x->cfg->get.argc == 0)
		return err_set(e, "the exec driver cannot read back weights: "
			       "traffic.exec.get is not set");
	if (exec_busy(x, e) == -1)
		return -1;
	x->want = (struct weights){ 0, 0 };
	x->stage = 0;
	driver_job_begin(&x->job, EXEC_READ, cb, arg);
	x->proc = exec_start(x, &x->cfg->get, e);
	if (x->proc == NULL) {
		driver_job_cancel(&x->job);
		return err_prefix(e, "get command");
	}
	return 0;
}

static void
exec_describe(const struct driver *d, char *buf, size_t len)
{
	const struct plan_exec *cfg = &d->plan->traffic.exec;

	if (len == 0)
		return;
	snprintf(buf, len, "exec: %s (read-back: %s)",
	    cfg->set.argc > 0 ? cfg->set.argv[0] : "(none)",
	    cfg->get.argc > 0 ? "yes" : "no");
}

static bool
exec_can_read_back(const struct driver *d)
{
	return d->plan->traffic.exec.get.argc > 0;
}

/* set and get, each up to its timeout, then SIGTERM, SIGKILL 2 s later
 * and 2 s more for the answer (proc.c) */
static int64_t
exec_deadline(const struct plan *p)
{
	return 2 * (p->traffic.exec.timeout_ms + 5000);
}

/* The scripts' own needs are theirs: say so rather than guess. */
static void
ed_rbac(const struct plan *p, struct rbac *r)
{
	(void)p;
	rbac_note(r, "traffic.driver exec: the set/get scripts need their "
		  "own permissions, not listed here.");
}

const struct driver_ops exec_driver = {
	.name = "exec",
	.kind = DRIVER_EXEC,
	.deadline = exec_deadline,
	.init = exec_init,
	.apply = exec_apply,
	.read_back = exec_read_back,
	.describe = exec_describe,
	.can_read_back = exec_can_read_back,
	.rbac = ed_rbac,
};

/* --- parsing the `get` output --------------------------------------------- */

static int
exec_parse_fail(const char *out, struct err *e, const char *what)
{
	char q[EXEC_QUOTE_MAX * 2 + 8];

	exec_quote(out, strlen(out), EXEC_QUOTE_MAX, q, sizeof(q));
	return err_set(e, "%s (output: \"%s\")", what, q);
}

static int
exec_parse_check(const char *out, long long istio, long long apisix,
		 bool have_istio, bool have_apisix, struct weights *w,
		 struct err *e)
{
	char what[128];

	if (!have_istio || !have_apisix) {
		snprintf(what, sizeof(what), "no %s weight",
		    !have_istio && !have_apisix ? "istio or apisix" :
		    !have_istio ? "istio" : "apisix");
		return exec_parse_fail(out, e, what);
	}
	if (istio < 0 || istio > 100 || apisix < 0 || apisix > 100) {
		bool bad_istio = istio < 0 || istio > 100;

		snprintf(what, sizeof(what), "%s weight %lld is outside 0..100",
		    bad_istio ? "istio" : "apisix",
		    bad_istio ? istio : apisix);
		return exec_parse_fail(out, e, what);
	}
	if (istio + apisix != 100) {
		snprintf(what, sizeof(what), "weights istio=%lld apisix=%lld "
		    "do not sum to 100", istio, apisix);
		return exec_parse_fail(out, e, what);
	}
	w->istio = (int)istio;
	w->apisix = (int)apisix;
	return 0;
}

static int
exec_parse_json(const char *out, struct weights *w, struct err *e)
{
	json_error_t je;
	json_t *root, *v;
	const char *key;
	long long val[2] = { 0, 0 };
	bool have[2] = { false, false };
	char what[160];
	int rc;

	root = json_loads(out, 0, &je);
	if (root == NULL) {
		snprintf(what, sizeof(what), "invalid JSON at line %d column "
		    "%d: %s", je.line, je.column, je.text);
		return exec_parse_fail(out, e, what);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return exec_parse_fail(out, e, "JSON is not an object");
	}
	json_object_foreach(root, key, v) {
		int i;

		if (strcmp(key, "istio") == 0)
			i = 0;
		else if (strcmp(key, "apisix") == 0)
			i = 1;
		else {
			snprintf(what, sizeof(what), "unknown key \"%.40s\" "
			    "(expected istio and apisix)", key);
			json_decref(root);
			return exec_parse_fail(out, e, what);
		}
		if (!json_is_integer(v)) {
			snprintf(what, sizeof(what), "%s is not an integer",
			    key);
			json_decref(root);
			return exec_parse_fail(out, e, what);
		}
		val[i] = json_integer_value(v);
		have[i] = true;
	}
	rc = exec_parse_check(out, val[0], val[1], have[0], have[1], w, e);
	json_decref(root);
	return rc;
}

/* Separators between "name=value" tokens. */
static bool
exec_is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',';
}

static int
exec_parse_tokens(const char *out, struct weights *w, struct err *e)
{
	long long val[2] = { 0, 0 };
	bool have[2] = { false, false };
	const char *s = out;
	char what[160];

	for (;;) {
		const char *tok, *eq, *end, *num;
		size_t tlen;
		int i;
		char *stop;
		long long n;

		while (exec_is_sep(*s))
			s++;
		if (*s == '\0')
			break;
		tok = s;
		while (*s != '\0' && !exec_is_sep(*s))
			s++;
		end = s;
		tlen = (size_t)(end - tok);
		eq = memchr(tok, '=', tlen);
		if (eq == NULL) {
			snprintf(what, sizeof(what), "unexpected \"%.*s\" "
			    "(expected istio=N apisix=N)",
			    (int)(tlen > 40 ? 40 : tlen), tok);
			return exec_parse_fail(out, e, what);
		}
		if ((size_t)(eq - tok) == 5 && strncmp(tok, "istio", 5) == 0)
			i = 0;
		else if ((size_t)(eq - tok) == 6 &&
		    strncmp(tok, "apisix", 6) == 0)
			i = 1;
		else {
			snprintf(what, sizeof(what), "unknown name \"%.*s\" "
			    "(expected istio and apisix)",
			    (int)((eq - tok) > 40 ? 40 : (eq - tok)), tok);
			return exec_parse_fail(out, e, what);
		}
		if (have[i]) {
			snprintf(what, sizeof(what), "%s given twice",
			    i == 0 ? "istio" : "apisix");
			return exec_parse_fail(out, e, what);
		}
		num = eq + 1;
		errno = 0;
		n = strtoll(num, &stop, 10);
		if (num == end || stop != end || errno != 0 ||
		    !(isdigit((unsigned char)*num) ||
		    (*num == '-' && isdigit((unsigned char)num[1])))) {
			snprintf(what, sizeof(what), "%s value \"%.*s\" is not "
			    "an integer", i == 0 ? "istio" : "apisix",
			    (int)((end - num) > 40 ? 40 : (end - num)), num);
			return exec_parse_fail(out, e, what);
		}
		val[i] = n;
		have[i] = true;
	}
	return exec_parse_check(out, val[0], val[1], have[0], have[1], w, e);
}

int
driver_exec_parse_weights(const char *out, struct weights *w, struct err *e)
{
	const char *s = out;

	if (out == NULL)
		return err_set(e, "no output from the get command");
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return err_set(e, "the get command printed nothing (expected "
			       "istio=N apisix=N)");
	if (*s == '{')
		return exec_parse_json(out, w, e);
	return exec_parse_tokens(out, w, e);
}
