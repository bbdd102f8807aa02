/*
 * test_proto — the guard's protocol: each message comes back as it was
 * sent; a hello of another version is told both versions; a client may
 * send only hello and action, each field checked; strings are bounded
 * and sanitised; a stream is cut into whole lines and an overlong line
 * is an error, not a cut.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static int
client_line(const char *line, struct proto_msg *m, struct err *e)
{
	err_clear(e);
	return proto_decode_client(line, strlen(line), m, e);
}

static int
guard_line(const char *line, struct proto_msg *m, struct err *e)
{
	err_clear(e);
	return proto_decode_guard(line, strlen(line), m, e);
}

/* The encoded line without its newline, decoded by `dec`. */
static int
back(const struct proto_msg *m, struct proto_msg *out, bool from_client,
     struct err *e)
{
	char *line = proto_encode(m);
	size_t n = strlen(line);
	int rc;

	cr_assert_gt(n, 1);
	cr_assert_eq(line[n - 1], '\n');
	cr_assert_null(memchr(line, '\n', n - 1), "one line: %s", line);
	err_clear(e);
	rc = from_client ? proto_decode_client(line, n - 1, out, e) :
			   proto_decode_guard(line, n - 1, out, e);
	free(line);
	return rc;
}

Test(proto, hello_and_action_round_trip)
{
	struct proto_msg m = { .type = PROTO_HELLO }, r;
	struct err e;

	m.u.hello.proto = PROTO_VERSION;
	strcpy(m.u.hello.program, "1.2.3");
	m.u.hello.role = PROTO_ROLE_DASHBOARD;
	strcpy(m.u.hello.tty, "/dev/pts/3");
	strcpy(m.u.hello.ssh_client, "10.0.0.1 5555 22");
	cr_assert_eq(back(&m, &r, true, &e), 0, "%s", e.msg);
	cr_assert_eq(r.type, PROTO_HELLO);
	cr_assert_eq(memcmp(&r.u.hello, &m.u.hello, sizeof(m.u.hello)), 0);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_ACTION;
	m.u.act.id = 42;
	m.u.act.name = PROTO_ACT_ROLLBACK;
	strcpy(m.u.act.reason, "5xx on checkout");
	m.u.act.force = true;
	cr_assert_eq(back(&m, &r, true, &e), 0, "%s", e.msg);
	cr_assert_eq(r.type, PROTO_ACTION);
	cr_assert_eq(r.u.act.id, 42);
	cr_assert_eq(r.u.act.name, PROTO_ACT_ROLLBACK);
	cr_assert_str_eq(r.u.act.reason, "5xx on checkout");
	cr_assert(r.u.act.force);
	cr_assert(!r.u.act.unconfirmed, "absent: confirmed");

	m.u.act.unconfirmed = true;
	cr_assert_eq(back(&m, &r, true, &e), 0, "%s", e.msg);
	cr_assert(r.u.act.unconfirmed, "sent unasked, and said so");
}

/* The verification's alarm is acknowledged at the guard, as an action. */
Test(proto, acknowledge_is_an_action)
{
	struct proto_msg m = { .type = PROTO_ACTION }, r;
	enum proto_action a;
	struct err e;

	cr_assert_eq(proto_action_parse("acknowledge", &a), 0);
	cr_assert_eq(a, PROTO_ACT_ACKNOWLEDGE);
	m.u.act.id = 7;
	m.u.act.name = PROTO_ACT_ACKNOWLEDGE;
	cr_assert_eq(back(&m, &r, true, &e), 0, "%s", e.msg);
	cr_assert_eq(r.u.act.name, PROTO_ACT_ACKNOWLEDGE);
	cr_assert_str_eq(proto_action_name(r.u.act.name), "acknowledge");
	proto_msg_done(&r);
}

Test(proto, guard_messages_round_trip)
{
	struct proto_msg m = { .type = PROTO_WELCOME }, r;
	struct err e;

	m.u.welcome.proto = PROTO_VERSION;
	strcpy(m.u.welcome.program, "1.2.3");
	strcpy(m.u.welcome.user, "alice");
	m.u.welcome.uid = 1000;
	m.u.welcome.may_act = false;
	strcpy(m.u.welcome.why, "alice is not an operator of this plan");
	m.u.welcome.pid = 4242;
	cr_assert_eq(back(&m, &r, false, &e), 0, "%s", e.msg);
	cr_assert_eq(r.type, PROTO_WELCOME);
	cr_assert_eq(memcmp(&r.u.welcome, &m.u.welcome,
			    sizeof(m.u.welcome)), 0);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_RESULT;
	m.u.result.id = 7;
	m.u.result.ok = false;
	strcpy(m.u.result.why, "the hold is not over");
	cr_assert_eq(back(&m, &r, false, &e), 0, "%s", e.msg);
	cr_assert_eq(r.u.result.id, 7);
	cr_assert_not(r.u.result.ok);
	cr_assert_str_eq(r.u.result.why, "the hold is not over");

	memset(&m, 0, sizeof(m));
	m.type = PROTO_ERROR;
	strcpy(m.u.error, "bye");
	cr_assert_eq(back(&m, &r, false, &e), 0, "%s", e.msg);
	cr_assert_eq(r.type, PROTO_ERROR);
	cr_assert_str_eq(r.u.error, "bye");

	memset(&m, 0, sizeof(m));
	m.type = PROTO_VIEW;
	m.view = json_pack("{s:i}", "x", 1);
	cr_assert_eq(back(&m, &r, false, &e), 0, "%s", e.msg);
	cr_assert_eq(r.type, PROTO_VIEW);
	cr_assert(json_equal(r.view, m.view));
	proto_msg_done(&r);
	json_decref(m.view);
}

Test(proto, another_version_is_told_both)
{
	struct proto_msg m;
	struct err e;

	cr_assert_eq(client_line("{\"type\":\"hello\",\"proto\":3,"
				 "\"whatever\":[]}", &m, &e),
		     PROTO_OTHER_VERSION);
	cr_assert(strstr(e.msg, "version 3") != NULL, "%s", e.msg);
	cr_assert(strstr(e.msg, "version 2") != NULL, "%s", e.msg);
	cr_assert_eq(guard_line("{\"type\":\"welcome\",\"proto\":0}", &m, &e),
		     PROTO_BAD);
	cr_assert(strstr(e.msg, "version 0") != NULL, "%s", e.msg);
}

Test(proto, a_client_sends_only_what_it_may)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2]",
		"{\"type\":\"welcome\",\"proto\":2}",
		"{\"type\":\"view\",\"view\":{}}",
		"{\"type\":\"result\",\"id\":1,\"ok\":true,\"why\":\"\"}",
		"{\"type\":\"nope\"}",
		"{\"proto\":2}",
		"{\"type\":\"hello\"}",
		"{\"type\":\"hello\",\"proto\":2,\"program\":\"x\","
		"\"role\":\"admin\",\"tty\":\"\",\"ssh_client\":\"\"}",
		"{\"type\":\"hello\",\"proto\":2,\"program\":7,"
		"\"role\":\"command\",\"tty\":\"\",\"ssh_client\":\"\"}",
		"{\"type\":\"action\",\"id\":1,\"name\":\"format_disk\","
		"\"reason\":\"\",\"force\":false}",
		"{\"type\":\"action\",\"id\":-1,\"name\":\"advance\","
		"\"reason\":\"\",\"force\":false}",
		"{\"type\":\"action\",\"id\":1,\"name\":\"advance\","
		"\"reason\":\"\",\"force\":1}",
		"{\"type\":\"action\",\"id\":1,\"name\":\"advance\","
		"\"reason\":null,\"force\":false}",
		"{\"type\":\"action\",\"id\":1,\"name\":\"advance\","
		"\"reason\":\"\",\"force\":false,\"unconfirmed\":\"no\"}",
		"{\"type\":\"action\",\"type\":\"action\",\"id\":1,"
		"\"name\":\"advance\",\"reason\":\"\",\"force\":false}",
	};
	struct proto_msg m;
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(client_line(bad[i], &m, &e), PROTO_BAD, "%s",
			     bad[i]);
		cr_assert_neq(e.msg[0], '\0', "no reason for %s", bad[i]);
	}
}

Test(proto, strings_are_bounded_and_sanitised)
{
	char line[8192];
	char reason[400];
	struct proto_msg m;
	struct err e;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	snprintf(line, sizeof(line), "{\"type\":\"action\",\"id\":1,"
		 "\"name\":\"rollback\",\"reason\":\"%s\",\"force\":false}",
		 reason);
	cr_assert_eq(client_line(line, &m, &e), PROTO_BAD);
	cr_assert_eq(client_line("{\"type\":\"hello\",\"proto\":2,"
				 "\"program\":\"x\",\"role\":\"command\","
				 "\"tty\":\"\\u001b[2J/dev/pts/1\","
				 "\"ssh_client\":\"\"}", &m, &e), 0, "%s",
		     e.msg);
	cr_assert_null(strchr(m.u.hello.tty, '\033'));
	/* A line over the client's limit is refused before it is parsed. */
	char *big = malloc(PROTO_CLIENT_LINE_MAX + 2);

	memset(big, ' ', PROTO_CLIENT_LINE_MAX + 1);
	big[PROTO_CLIENT_LINE_MAX + 1] = '\0';
	cr_assert_eq(client_line(big, &m, &e), PROTO_BAD);
	free(big);
}

Test(proto, lines_come_whole)
{
	struct proto_lines pl;
	const char *line;
	size_t len;

	proto_lines_init(&pl, 16);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 0);
	proto_lines_feed(&pl, "abc", 3);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 0);
	proto_lines_feed(&pl, "def\nxy\n\nzz", 10);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 1);
	cr_assert_str_eq(line, "abcdef");
	cr_assert_eq(len, 6);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 1);
	cr_assert_str_eq(line, "xy");
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 1);
	cr_assert_str_eq(line, "");
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 0);
	proto_lines_feed(&pl, "\n", 1);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 1);
	cr_assert_str_eq(line, "zz");
	/* 17 bytes without a newline: over the limit, whatever follows. */
	proto_lines_feed(&pl, "0123456789abcdefg", 17);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), -1);
	proto_lines_done(&pl);

	proto_lines_init(&pl, 16);
	proto_lines_feed(&pl, "0123456789abcdef\n", 17);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), 1);
	cr_assert_eq(len, 16);
	proto_lines_feed(&pl, "0123456789abcdefg\n", 18);
	cr_assert_eq(proto_lines_next(&pl, &line, &len), -1);
	proto_lines_done(&pl);
}
