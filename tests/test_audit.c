/*
 * test_audit — one JSON line per entry, with the actor, appended and kept;
 * the readable printer copes with a torn last line.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cutover-audit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.audit.jsonl", dir);
	setenv("SSH_CONNECTION", "192.0.2.7 50022 192.0.2.1 22", 1);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
	unsetenv("SSH_CONNECTION");
}

static int
count_lines(void)
{
	FILE *f = fopen(path, "r");
	int n = 0;
	int c;

	if (f == NULL)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

Test(audit, lines_with_actor, .init = setup, .fini = teardown)
{
	struct audit_actor a;
	struct audit_entry en = {
		.wall_ms = 1764000000123, .action = "advance",
		.stage_from = 1, .stage_to = 2,
		.from = { 10, 90 }, .to = { 25, 75 },
		.reason = "forced by the operator", .result = "started",
	};
	json_t *metrics = json_pack("{s:f}", "istio_error_rate", 0.002);
	struct err e;
	struct stat sb;
	json_error_t je;
	json_t *j;
	FILE *f;
	char line[2048];

	audit_actor_current(&a);
	cr_expect_str_eq(a.ssh_client, "192.0.2.7");
	cr_expect_neq(a.user[0], '\0');
	en.metrics = metrics;
	cr_assert_eq(audit_append(path, &a, &en, &e), 0, "%s", e.msg);
	en.action = "stage_entered";
	en.metrics = NULL;
	en.reason = NULL;
	en.result = "ok";
	cr_assert_eq(audit_append(path, &a, &en, &e), 0, "%s", e.msg);
	json_decref(metrics);
	cr_expect_eq(count_lines(), 2);
	cr_assert_eq(stat(path, &sb), 0);
	cr_expect_eq(sb.st_mode & 0777, 0600);

	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	j = json_loads(line, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	cr_expect_str_eq(json_string_value(json_object_get(j, "time")),
			 "2025-11-24T16:00:00.123Z");
	cr_expect_str_eq(json_string_value(json_object_get(j, "action")),
			 "advance");
	cr_expect_str_eq(json_string_value(json_object_get(j, "result")),
			 "started");
	cr_expect_str_eq(json_string_value(json_object_get(
		json_object_get(j, "actor"), "ssh_client")), "192.0.2.7");
	cr_expect_eq(json_integer_value(json_object_get(
		json_object_get(j, "to"), "istio")), 25);
	cr_expect_float_eq(json_real_value(json_object_get(
		json_object_get(j, "metrics"), "istio_error_rate")), 0.002,
		1e-12);
	json_decref(j);
}

Test(audit, readable_print_survives_torn_line, .init = setup,
     .fini = teardown)
{
	struct audit_actor a;
	struct audit_entry en = {
		.wall_ms = 1764000000000, .action = "rollback",
		.from = { 50, 50 }, .to = { 0, 100 }, .stage_from = 3,
	};
	struct err e;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	FILE *f;

	audit_actor_current(&a);
	cr_assert_eq(audit_append(path, &a, &en, &e), 0);
	f = fopen(path, "a");
	fputs("{\"time\": \"2025-", f);
	fclose(f);
	out = open_memstream(&buf, &len);
	cr_assert_eq(audit_print(path, out, false, &e), 0);
	fclose(out);
	cr_expect(strstr(buf, "rollback") != NULL, "%s", buf);
	cr_expect(strstr(buf, "istio 50%->0%") != NULL, "%s", buf);
	cr_expect(strstr(buf, "from 192.0.2.7") != NULL, "%s", buf);
	cr_expect(strstr(buf, ":2: unreadable line") != NULL, "%s", buf);
	free(buf);
}

/* An automatic rollback says how many evaluations in a row decided it. */
Test(audit, readable_print_counts_the_breaches, .init = setup,
     .fini = teardown)
{
	struct err e;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs("{\"time\":\"2026-11-30T03:04:05Z\",\"actor\":{\"user\":"
	      "\"cutover\"},\"action\":\"auto_rollback\",\"stage_from\":1,"
	      "\"stage_to\":0,\"from\":{\"istio\":10},\"to\":{\"istio\":0},"
	      "\"result\":\"started\",\"metrics\":{\"verdict\":\"fail\","
	      "\"decided_by\":\"error_rate\",\"consecutive\":3,\"gates\":"
	      "{\"error_rate\":{\"value\":0.2,\"limit\":0.01}}}}\n", f);
	fputs("{\"action\":\"auto_rollback\",\"metrics\":{\"verdict\":"
	      "\"fail\",\"consecutive\":-7}}\n", f);
	fclose(f);
	out = open_memstream(&buf, &len);
	cr_assert_eq(audit_print(path, out, false, &e), 0);
	fclose(out);
	cr_expect(strstr(buf, "(limit <=1.00%), 3 in a row]") != NULL, "%s",
		  buf);
	cr_expect(strstr(buf, "-7") == NULL, "a count out of range: %s", buf);
	free(buf);
}

/*
 * A reason carries outside text (a driver's failure, an operator's
 * words): it is written redacted and valid UTF-8, so it is never dropped
 * by the encoder and never records a credential.
 */
Test(audit, reason_is_scrubbed, .init = setup, .fini = teardown)
{
	struct audit_actor a;
	struct audit_entry en = {
		.wall_ms = 1764000000000, .action = "shift_failed",
		.reason = "exit 3: Bearer s3cr3t \x1b[31m cut \xc3",
		.result = "failed",
	};
	struct err e;
	json_error_t je;
	json_t *j;
	FILE *f;
	char line[2048];

	audit_actor_current(&a);
	cr_assert_eq(audit_append(path, &a, &en, &e), 0, "%s", e.msg);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	cr_assert_null(strstr(line, "s3cr3t"), "%s", line);
	j = json_loads(line, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	cr_expect_str_eq(json_string_value(json_object_get(j, "reason")),
			 "exit 3: Bearer *** ?[31m cut ?");
	json_decref(j);
}

/*
 * A guard acts for a client: the uid and pid came from the socket, the
 * tty and the ssh client from the client's word.  The line keeps the two
 * apart (actor.claimed), the claims hold only what a device path or an
 * address is made of, and `cutover log` says "(claimed)".
 */
Test(audit, a_clients_claims_are_marked, .init = setup, .fini = teardown)
{
	struct audit_actor a;
	struct audit_entry en = {
		.wall_ms = 1764000000000, .action = "rollback",
		.from = { 10, 90 }, .to = { 0, 100 }, .stage_from = 1,
	};
	char huge[300];
	struct err e;
	json_error_t je;
	json_t *j, *actor, *claimed;
	char line[2048];
	char *buf = NULL;
	size_t len = 0;
	FILE *f, *out;

	memset(&a, 0, sizeof(a));
	snprintf(a.user, sizeof(a.user), "alice");
	a.uid = 1000;
	a.pid = 4242;
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	audit_actor_claim(&a, "/dev/pts/3\033]0;owned\007", "198.51.100.4");
	cr_assert(a.claimed);
	cr_assert_eq(audit_append(path, &a, &en, &e), 0, "%s", e.msg);
	audit_actor_claim(&a, huge, "fe80::1%eth0 {\"uid\":0}");
	cr_assert_eq(audit_append(path, &a, &en, &e), 0, "%s", e.msg);

	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	j = json_loads(line, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	actor = json_object_get(j, "actor");
	claimed = json_object_get(actor, "claimed");
	cr_expect_str_eq(json_string_value(json_object_get(actor, "user")),
			 "alice");
	cr_expect_eq(json_integer_value(json_object_get(actor, "uid")), 1000);
	cr_expect_eq(json_integer_value(json_object_get(actor, "pid")), 4242);
	cr_expect_null(json_object_get(actor, "tty"), "%s", line);
	cr_expect_null(json_object_get(actor, "ssh_client"), "%s", line);
	cr_expect_str_eq(json_string_value(json_object_get(claimed, "tty")),
			 "/dev/pts/3??0?owned?");
	cr_expect_str_eq(json_string_value(json_object_get(claimed,
			 "ssh_client")), "198.51.100.4");
	json_decref(j);

	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	j = json_loads(line, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	claimed = json_object_get(json_object_get(j, "actor"), "claimed");
	cr_expect_eq(strlen(json_string_value(json_object_get(claimed,
		     "tty"))), sizeof(a.tty) - 1);
	cr_expect_str_eq(json_string_value(json_object_get(claimed,
			 "ssh_client")), "fe80::1%eth0???uid?:0?");
	json_decref(j);

	out = open_memstream(&buf, &len);
	cr_assert_eq(audit_print(path, out, false, &e), 0);
	fclose(out);
	cr_expect(strstr(buf, "from 198.51.100.4 (claimed)") != NULL, "%s",
		  buf);
	free(buf);
}
