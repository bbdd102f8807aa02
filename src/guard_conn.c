/*
 * guard_conn — a client's end of the guard's socket (see guard_conn.h).
 * Blocking writes of small lines; reads through poll() with a deadline,
 * cut into lines of at most PROTO_GUARD_LINE_MAX bytes.
 */
#include "config.h"

#include "guard_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "guard.h"
#include "guard_spawn.h"
#include "xmalloc.h"

static int
guard_conn_write(struct guard_conn *gc, const struct proto_msg *m,
		 struct err *e)
{
	char *line = proto_encode(m);
	size_t n = strlen(line), off = 0;

	while (off < n) {
		ssize_t w = send(gc->fd, line + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			free(line);
			return err_set(e, "the guard closed the connection: %s",
				       strerror(errno));
		}
		off += (size_t)w;
	}
	free(line);
	return 0;
}

/* One message, waiting until `deadline` (monotonic ms): 1, 0 time up, -1. */
static int
guard_conn_read(struct guard_conn *gc, int64_t deadline, struct proto_msg *m,
		struct err *e)
{
	const char *line;
	size_t len;
	int rc;

	for (;;) {
		rc = proto_lines_next(&gc->in, &line, &len);
		if (rc < 0)
			return err_set(e, "the guard sent a line longer than "
				       "the protocol allows");
		if (rc == 1) {
			if (proto_decode_guard(line, len, m, e) != 0)
				return err_prefix(e, "the guard sent a bad "
						  "line: ");
			return 1;
		}

		struct pollfd pfd = { .fd = gc->fd, .events = POLLIN };
		int64_t left = deadline - clock_mono(&clock_system);
		char buf[65536];
		ssize_t n;

		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;
		n = recv(gc->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(e, "guard down: the connection closed");
		proto_lines_feed(&gc->in, buf, (size_t)n);
	}
}

/* Take one message: a view is decoded, an error ends it. */
static int
guard_conn_take(struct guard_conn *gc, struct proto_msg *m, struct err *e)
{
	if (m->type == PROTO_ERROR) {
		err_set(e, "the guard says: %s", m->u.error);
		return -1;
	}
	if (m->type == PROTO_VIEW) {
		int rc = view_json_decode(&gc->vj, m->view, e);

		proto_msg_done(m);
		if (rc != 0)
			return -1;
		gc->have_view = true;
	}
	return 0;
}

int
guard_conn_open(struct guard_conn *gc, const struct plan *p,
		enum proto_role role, int timeout_ms, struct err *e)
{
	struct proto_msg m = { .type = PROTO_HELLO };
	struct audit_actor a;
	struct sockaddr_un sa;
	int64_t deadline = clock_mono(&clock_system) + timeout_ms;
	int rc;

	memset(gc, 0, sizeof(*gc));
	gc->fd = -1;
	gc->next_id = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (guard_socket_path(p, sa.sun_path, sizeof(sa.sun_path), e) != 0)
		return -1;
	gc->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (gc->fd < 0)
		return err_set(e, "socket: %s", strerror(errno));
	if (connect(gc->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int errsv = errno;

		close(gc->fd);
		gc->fd = -1;
		if (errsv == ENOENT || errsv == ECONNREFUSED)
			return 0;
		return err_set(e, "the guard's socket %s: %s", sa.sun_path,
			       strerror(errsv));
	}
	proto_lines_init(&gc->in, PROTO_GUARD_LINE_MAX);
	view_json_init(&gc->vj, p);

	/* The tty and the ssh client are claims; the guard knows the uid. */
	audit_actor_current(&a);
	m.u.hello.proto = PROTO_VERSION;
	snprintf(m.u.hello.program, sizeof(m.u.hello.program), "%s",
		 PACKAGE_VERSION);
	m.u.hello.role = role;
	snprintf(m.u.hello.tty, sizeof(m.u.hello.tty), "%s", a.tty);
	snprintf(m.u.hello.ssh_client, sizeof(m.u.hello.ssh_client), "%s",
		 a.ssh_client);
	if (guard_conn_write(gc, &m, e) != 0)
		goto fail;
	while (!gc->have_view) {
		rc = guard_conn_read(gc, deadline, &m, e);
		if (rc == 0) {
			err_set(e, "the guard did not answer within %ds",
				timeout_ms / 1000);
			goto fail;
		}
		if (rc < 0)
			goto fail;
		if (m.type == PROTO_WELCOME)
			gc->welcome = m.u.welcome;
		else if (guard_conn_take(gc, &m, e) != 0)
			goto fail;
	}
	if (gc->welcome.proto != PROTO_VERSION) {
		err_set(e, "the guard sent a view before its welcome");
		goto fail;
	}
	return 1;
fail:
	guard_conn_close(gc);
	return -1;
}

/* How long a client looks for the socket of a guard another one started. */
#define GUARD_CONN_RACE_MS 5000

/* The guard it reached was leaving (its last client gone, a stop). */
static bool
guard_conn_leaving(const struct err *e)
{
	return strncmp(e->msg, "guard down", 10) == 0 ||
	       strstr(e->msg, "the guard stops") != NULL;
}

int
guard_conn_start(struct guard_conn *gc, const struct plan *p,
		 enum proto_role role, const struct guard_options *o,
		 int timeout_ms, long *started, struct err *e)
{
	struct err se;
	bool locked = false;
	int64_t end;
	int rc;

	*started = 0;
	rc = guard_conn_open(gc, p, role, timeout_ms, e);
	/* One that was leaving removes its socket at once: then start one. */
	for (int i = 0; rc < 0 && guard_conn_leaving(e) && i < 10; i++) {
		poll(NULL, 0, 100);
		rc = guard_conn_open(gc, p, role, timeout_ms, e);
	}
	if (rc != 0)
		return rc;
	err_clear(&se);
	if (guard_spawn(p, o, started, &locked, &se) != 0 && !locked) {
		*e = se;
		return -1;
	}
	/* Ours said "ok", so its socket is there; or another client's guard
	 * took the lock first and is about to listen. */
	end = clock_mono(&clock_system) + GUARD_CONN_RACE_MS;
	for (;;) {
		rc = guard_conn_open(gc, p, role, timeout_ms, e);
		if (rc != 0 || clock_mono(&clock_system) >= end)
			break;
		poll(NULL, 0, 100);
	}
	if (rc != 0)
		return rc;
	if (locked) {
		*e = se;
		return 0;
	}
	return err_set(e, "the guard started (pid %ld) but its socket does "
		       "not answer", *started);
}

void
guard_conn_close(struct guard_conn *gc)
{
	if (gc->fd < 0)
		return;
	close(gc->fd);
	gc->fd = -1;
	proto_lines_done(&gc->in);
	view_json_done(&gc->vj);
}

static uint64_t
guard_conn_send_act(struct guard_conn *gc, enum proto_action a,
		    const char *reason, bool force, bool unconfirmed,
		    struct err *e)
{
	struct proto_msg m = { .type = PROTO_ACTION };

	m.u.act.id = gc->next_id++;
	m.u.act.name = a;
	m.u.act.force = force;
	m.u.act.unconfirmed = unconfirmed;
	snprintf(m.u.act.reason, sizeof(m.u.act.reason), "%s",
		 reason != NULL ? reason : "");
	if (guard_conn_write(gc, &m, e) != 0)
		return 0;
	return m.u.act.id;
}

uint64_t
guard_conn_act(struct guard_conn *gc, enum proto_action a, const char *reason,
	       bool force, struct err *e)
{
	return guard_conn_send_act(gc, a, reason, force, false, e);
}

uint64_t
guard_conn_act_unconfirmed(struct guard_conn *gc, enum proto_action a,
			   const char *reason, bool force, struct err *e)
{
	return guard_conn_send_act(gc, a, reason, force, true, e);
}

int
guard_conn_wait(struct guard_conn *gc, uint64_t id, int timeout_ms,
		struct proto_result *r, struct err *e)
{
	int64_t deadline = clock_mono(&clock_system) + timeout_ms;
	struct proto_msg m;
	int rc;

	for (;;) {
		rc = guard_conn_read(gc, deadline, &m, e);
		if (rc <= 0)
			return rc == 0 ? 1 : -1;
		if (m.type == PROTO_RESULT && m.u.result.id == id && id != 0) {
			*r = m.u.result;
			return 0;
		}
		if (guard_conn_take(gc, &m, e) != 0)
			return -1;
		if (id == 0 && m.type == PROTO_VIEW)
			return 0;
	}
}
