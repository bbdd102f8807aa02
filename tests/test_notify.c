/*
 * test_notify — the messages built from an audit line: each target's
 * format (Slack text and blocks with the deciding gate, a webhook's record,
 * Grafana's annotation, a Kubernetes Event within the API's limits), an
 * operator's text escaped for Slack, the event names and the default set,
 * and refused actions never queued.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "notify.h"
#include "plan.h"
#include "secret.h"
#include "xmalloc.h"

static json_t *
sample(const char *action, const char *result, const char *reason)
{
	json_t *line = json_pack(
	    "{s:s, s:{s:s, s:i, s:s, s:s, s:i}, s:s, s:i, s:i, "
	    "s:{s:i, s:i}, s:{s:i, s:i}, s:s, s:{s:s, s:s, s:{s:{s:s, s:f, "
	    "s:f, s:s}}}}",
	    "time", "2026-11-30T03:04:05.678Z",
	    "actor", "user", "alice", "uid", 1000, "ssh_client", "192.0.2.7",
	    "tty", "/dev/pts/3", "pid", 42,
	    "action", action, "stage_from", 3, "stage_to", 0,
	    "from", "istio", 50, "apisix", 50,
	    "to", "istio", 0, "apisix", 100,
	    "result", result,
	    "metrics", "verdict", "fail", "decided_by", "error_rate",
	    "gates", "error_rate", "verdict", "fail", "value", 0.0527,
	    "limit", 0.05, "why", "5.27 % > 5.00 %");

	if (reason != NULL)
		json_object_set_new(line, "reason", json_string(reason));
	return line;
}

static struct plan p;

static void
setup(void)
{
	plan_defaults(&p);
}

static void
teardown(void)
{
	plan_done(&p);
}

static json_t *
body_of(const char *type, int ev, json_t *line, struct plan_notify *t)
{
	char *s;
	json_t *j;

	t->type = (char *)type;
	t->name = (char *)type;
	s = notify_body(&p, t, ev, line);
	cr_assert_not_null(s);
	j = json_loads(s, 0, NULL);
	cr_assert_not_null(j, "%s", s);
	free(s);
	return j;
}

TestSuite(notify, .init = setup, .fini = teardown);

Test(notify, events_and_actions)
{
	char names[512];

	cr_expect_eq(notify_event_of_action("auto_rollback"),
		     NOTIFY_EV_AUTO_ROLLBACK);
	cr_expect_eq(notify_event_of_action("reconcile_mismatch"),
		     NOTIFY_EV_DRIFT);
	cr_expect_eq(notify_event_find("drift"), NOTIFY_EV_DRIFT);
	cr_expect_eq(notify_event_of_action("notify_failed"), -1,
		     "a notification's own failure is never sent");
	cr_expect_eq(notify_event_of_action("guard_stop"),
		     NOTIFY_EV_GUARD_STOPPED);
	cr_expect_eq(notify_event_find("nonsense"), -1);
	notify_event_names(names, sizeof(names));
	cr_expect(strstr(names, "rollback_unverified") != NULL);
}

Test(notify, slack_text_blocks_and_escapes)
{
	struct plan_notify t = { 0 };
	json_t *line = sample("auto_rollback", "started",
			      "gate failed <!channel> & <@U123>");
	json_t *j = body_of("slack", NOTIFY_EV_AUTO_ROLLBACK, line, &t);
	const char *text = json_string_value(json_object_get(j, "text"));
	json_t *blocks = json_object_get(j, "blocks");
	const char *fields = json_string_value(json_object_get(
	    json_object_get(json_array_get(blocks, 1), "text"), "text"));

	cr_assert_not_null(text);
	cr_expect(strstr(text, "automatic rollback, stage 3 -> 0") != NULL,
		  "%s", text);
	cr_expect(strstr(text, "decided by error_rate: 5.27 % > 5.00 %") !=
		  NULL, "%s", text);
	cr_expect_eq(json_array_size(blocks), 3);
	/* The mrkdwn blocks carry no mention Slack would act on. */
	cr_expect(strstr(json_string_value(json_object_get(
		      json_object_get(json_array_get(blocks, 0), "text"),
		      "text")), "&lt;!channel&gt; &amp; &lt;@U123&gt;") != NULL);
	cr_expect(strstr(fields, "Deciding gate: error_rate: 5.27 %") != NULL,
		  "%s", fields);
	cr_expect(strstr(fields, "Actor: alice on /dev/pts/3 from 192.0.2.7") !=
		  NULL, "%s", fields);
	json_decref(j);
	json_decref(line);
}

/* Through a guard, the tty and ssh client are the client's claims. */
Test(notify, a_claimed_origin_says_so)
{
	struct plan_notify t = { 0 };
	json_t *line = sample("rollback", "ok", NULL);
	json_t *a = json_object_get(line, "actor");
	json_t *j;
	const char *fields;

	json_object_del(a, "tty");
	json_object_del(a, "ssh_client");
	json_object_set_new(a, "claimed", json_pack("{s:s, s:s}", "tty",
			    "/dev/pts/4", "ssh_client", "192.0.2.9"));
	j = body_of("slack", NOTIFY_EV_ROLLBACK, line, &t);
	fields = json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(j, "blocks"), 1), "text"), "text"));
	cr_assert_not_null(fields);
	cr_expect(strstr(fields, "Actor: alice on /dev/pts/4 from 192.0.2.9 "
			 "(claimed)") != NULL, "%s", fields);
	json_decref(j);
	json_decref(line);
}

Test(notify, webhook_carries_the_record)
{
	struct plan_notify t = { 0 };
	json_t *line = sample("rollback", "started", "CHG-1");
	json_t *j = body_of("webhook", NOTIFY_EV_ROLLBACK, line, &t);

	cr_expect(json_equal(json_object_get(j, "record"), line));
	cr_expect_str_eq(json_string_value(json_object_get(j, "event")),
			 "rollback");
	cr_expect_str_eq(json_string_value(json_object_get(j, "plan")),
			 "cutover");
	json_decref(j);
	json_decref(line);
}

Test(notify, grafana_annotation)
{
	char *tags[] = { "istio-migration", NULL };
	struct plan_notify t = { .tags = { tags, 1 } };
	json_t *line = sample("rolled_back", "ok", NULL);
	json_t *j = body_of("grafana", NOTIFY_EV_ROLLED_BACK, line, &t);

	/* 2026-11-30T03:04:05.678Z */
	cr_expect_eq(json_integer_value(json_object_get(j, "time")),
		     1796007845678LL);
	cr_expect_null(json_object_get(j, "dashboardUID"),
		       "no board named: an organisation-wide annotation");
	cr_expect_eq(json_array_size(json_object_get(j, "tags")), 3);
	cr_expect_str_eq(json_string_value(json_array_get(
			     json_object_get(j, "tags"), 2)), "rolled_back");
	json_decref(j);
	t.dashboard_uid = "board";
	j = body_of("grafana", NOTIFY_EV_ROLLED_BACK, line, &t);
	cr_expect_str_eq(json_string_value(json_object_get(j, "dashboardUID")),
			 "board");
	json_decref(j);
	json_decref(line);
}

Test(notify, kubernetes_event_within_limits)
{
	struct plan_notify t = { 0 };
	char reason[3000];
	json_t *line, *j, *reg;
	const char *note;

	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	/* A multi-byte character right at the cut. */
	memcpy(reason + 960, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
	line = sample("rollback_unverified", "warning", reason);
	j = body_of("kubernetes-events", NOTIFY_EV_ROLLBACK_UNVERIFIED, line,
		    &t);
	cr_expect_str_eq(json_string_value(json_object_get(j, "type")),
			 "Warning");
	cr_expect_str_eq(json_string_value(json_object_get(j, "reason")),
			 "RollbackNotVerified");
	cr_expect_str_eq(json_string_value(json_object_get(j, "eventTime")),
			 "2026-11-30T03:04:05.678000Z");
	cr_expect_str_eq(json_string_value(json_object_get(
			     j, "reportingController")), "cutover");
	note = json_string_value(json_object_get(j, "note"));
	cr_assert_not_null(note, "the note must stay valid UTF-8");
	cr_expect_leq(strlen(note), 1024);
	reg = json_object_get(j, "regarding");
	cr_expect_str_eq(json_string_value(json_object_get(reg, "kind")),
			 "Deployment");
	cr_expect_str_eq(json_string_value(json_object_get(reg, "name")),
			 "istio-ingressgateway");
	cr_expect_str_eq(json_string_value(json_object_get(reg, "namespace")),
			 "istio-system");
	json_decref(j);
	json_decref(line);
}

Test(notify, refused_and_unwanted_are_not_queued)
{
	struct clock_fake fc;
	struct loop *l;
	struct notify *n;
	struct plan_notify targets[1] = { { 0 } };
	char *evs[] = { "rollback", NULL };
	json_t *line;

	clock_fake_init(&fc, 1000, 1796007845678LL);
	l = loop_new(&fc.clock);
	targets[0].type = "webhook";
	targets[0].name = "w";
	/* Nothing listens there: whatever is queued stays queued. */
	targets[0].url = "http://127.0.0.1:9/x";
	targets[0].events.argv = evs;
	targets[0].events.argc = 1;
	targets[0].timeout_ms = 1000;
	p.notify = targets;
	p.nnotify = 1;
	n = notify_new(&p, l, NULL, NULL);
	line = sample("rollback", "refused", NULL);
	notify_audit(n, line);
	cr_expect_eq(notify_pending(n), 0, "a refused action is not sent");
	json_decref(line);
	line = sample("auto_rollback", "started", NULL);
	notify_audit(n, line);
	cr_expect_eq(notify_pending(n), 0, "not among the target's events");
	json_decref(line);
	line = sample("rollback", "started", NULL);
	notify_audit(n, line);
	cr_expect_eq(notify_pending(n), 1);
	json_decref(line);
	notify_free(n);
	loop_free(l);
	p.notify = NULL;
	p.nnotify = 0;
}

/*
 * The secret files a target reads (a Slack URL, a token) are outside
 * input: one line, bounded, surrounding blanks dropped; empty, several
 * lines, too large and missing are refused, naming the file, never
 * quoting it.
 */
Test(notify, secret_files_are_bounded_and_one_line)
{
	char dir[] = "/tmp/cutover-secret.XXXXXX";
	char path[128];
	struct err e;
	size_t len = 0;
	char *s;
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	f = fopen(path, "w");
	fputs("  https://hooks.example/T0/B0/s3cret-line  \n\n", f);
	fclose(f);
	err_clear(&e);
	s = secret_read_file(path, 4096, &len, &e);
	cr_assert_not_null(s, "%s", e.msg);
	cr_expect_str_eq(s, "https://hooks.example/T0/B0/s3cret-line");
	cr_expect_eq(len, strlen(s) + 1);
	xfree_secret(s, len);

	f = fopen(path, "w");
	fputs("first-s3cret\nsecond-s3cret\n", f);
	fclose(f);
	err_clear(&e);
	cr_expect_null(secret_read_file(path, 4096, &len, &e));
	cr_expect(strstr(e.msg, "more than one line") != NULL, "%s", e.msg);
	cr_expect(strstr(e.msg, "s3cret") == NULL, "never quoted: %s", e.msg);

	f = fopen(path, "w");
	fputs(" \t\r\n", f);
	fclose(f);
	err_clear(&e);
	cr_expect_null(secret_read_file(path, 4096, &len, &e));
	cr_expect(strstr(e.msg, "is empty") != NULL, "%s", e.msg);

	/* An endless file (a device, a pipe) is read no further than the
	 * bound. */
	f = fopen(path, "w");
	for (int i = 0; i < 5000; i++)
		fputc('x', f);
	fclose(f);
	err_clear(&e);
	cr_expect_null(secret_read_file(path, 4096, &len, &e));
	cr_expect(strstr(e.msg, "larger than 4096 bytes") != NULL, "%s", e.msg);
	cr_expect_null(secret_read_file("/dev/zero", 4096, &len, &e));

	unlink(path);
	err_clear(&e);
	cr_expect_null(secret_read_file(path, 4096, &len, &e));
	cr_expect(strstr(e.msg, "cannot read") != NULL, "%s", e.msg);
	rmdir(dir);
}
