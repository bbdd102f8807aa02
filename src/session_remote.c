/*
 * session_remote — a session whose model lives in the plan's guard: the
 * dashboard attached to a guard draws the views the guard pushes and acts
 * by sending actions, through the same calls as with a local session
 * (session_view_fill, session_act, session_log, the change bits), so the
 * ui does not know the difference.
 *
 * Nothing here decides anything: a refusal comes back from the guard as
 * a log line and the bell; the operator's own notes ("confirmation
 * withdrawn") go to the decoded view's log.  When the guard goes (killed,
 * OOM), the view says so at once (guard_down: the header's red banner)
 * and every two seconds the session tries to attach again; when no guard
 * answers it starts one (guard.restart, at most every 10 s), unless the
 * guard said it was stopping (an operator's --stop, a signal).  The
 * operator's key starts one at once either way (session_guard_restart).
 */
#include "config.h"

#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "guard_conn.h"
#include "guard_spawn.h"
#include "session_view.h"
#include "xmalloc.h"

#define REMOTE_RETRY_MS 2000
#define REMOTE_RESTART_MS 300	/* first look for the guard started on a key */

struct session_remote {
	struct guard_conn gc;
	bool attached;		/* gc is open */
	bool down;		/* it was, and the guard went */
	bool stopped;		/* ... saying it stops: not to be restarted */
	int64_t restarted_mono;	/* when this dashboard last started one */
	enum phase last_phase;
	struct loop_timer *retry;
};

static void remote_read(int fd, short revents, void *arg);

static void
remote_changed(struct session *s, unsigned bits)
{
	s->dirty |= bits;
	if (s->on_change != NULL)
		s->on_change(s->on_change_arg);
}

static void remote_retry(void *arg);

static void
remote_down(struct session *s, const char *why)
{
	struct session_remote *r = s->remote;

	loop_del_fd(s->loop, r->gc.fd);
	close(r->gc.fd);
	r->gc.fd = -1;
	r->down = true;
	session_log(s, EVLOG_CRIT, "guard down - gates not watched: %s", why);
	s->bell = true;
	remote_changed(s, SESSION_DIRTY_ALL);
	r->retry = loop_timer_at(s->loop, clock_mono(s->clock) +
				 REMOTE_RETRY_MS, remote_retry, s);
}

/* How the guard is started: as this dashboard was (the demo's options). */
static void
remote_guard_options(const struct session_options *so,
		     struct guard_options *go)
{
	memset(go, 0, sizeof(*go));
	go->demo = so->demo;
	go->demo_speed = so->demo_speed;
	go->autopilot = so->autopilot;
	go->ready_fd = -1;
}

/*
 * Start the plan's guard again (guard.restart), as a client starts one
 * (guard_spawn): nothing is left for this process to reap.  The new
 * guard settles an apply the dead one left in flight from the state file.
 */
static void
remote_restart(struct session *s)
{
	struct guard_options go;
	struct err e;
	bool locked;
	long pid;

	remote_guard_options(&s->opt, &go);
	err_clear(&e);
	if (guard_spawn(s->plan, &go, &pid, &locked, &e) != 0 && !locked)
		session_log(s, EVLOG_CRIT, "the guard did not start: %s",
			    e.msg);
	else
		session_log(s, EVLOG_WARN, "starting the guard again");
}

/* Attach again when a guard answers; the old view stays until then. */
static void
remote_retry(void *arg)
{
	struct session *s = arg;
	struct session_remote *r = s->remote;
	struct guard_conn gc;
	struct err e;
	int rc;

	r->retry = NULL;
	err_clear(&e);
	rc = guard_conn_open(&gc, s->plan, PROTO_ROLE_DASHBOARD, 1000, &e);
	if (rc == 0 && !r->stopped && s->plan->guard.restart &&
	    clock_mono(s->clock) - r->restarted_mono > 10000) {
		/* Several dashboards may try: the lock lets one guard in. */
		r->restarted_mono = clock_mono(s->clock);
		remote_restart(s);
	}
	if (rc != 1) {
		r->retry = loop_timer_at(s->loop, clock_mono(s->clock) +
					 REMOTE_RETRY_MS, remote_retry, s);
		return;
	}
	/* Keep the log read so far; take the rest of the new connection. */
	r->gc.fd = gc.fd;
	r->gc.welcome = gc.welcome;
	proto_lines_done(&r->gc.in);
	r->gc.in = gc.in;
	view_json_done(&gc.vj);
	r->down = false;
	loop_add_fd(s->loop, r->gc.fd, POLLIN, remote_read, s);
	session_log(s, EVLOG_NOTE, "attached again to the guard (pid %ld)",
		    r->gc.welcome.pid);
	remote_changed(s, SESSION_DIRTY_ALL);
}

/* Decode a view; returns the dirty bits of what it changed. */
static unsigned
remote_view(struct session *s, const json_t *view)
{
	struct session_remote *r = s->remote;
	const struct cutover_state *st;
	struct err e;

	err_clear(&e);
	if (view_json_decode(&r->gc.vj, view, &e) != 0) {
		session_log(s, EVLOG_WARN, "a view from the guard was refused: "
			    "%s", e.msg);
		return 0;
	}
	st = &r->gc.vj.v.state;
	/* The guard's session's bell (an alarm, an error, drift, a late
	 * rollback), and as ever on entering a breach or a rollback. */
	if (r->gc.vj.bell ||
	    (st->phase != r->last_phase && (st->phase == PHASE_BREACH ||
	     st->phase == PHASE_ROLLING_BACK)))
		s->bell = true;
	r->last_phase = st->phase;
	return r->gc.vj.changed;
}

static void
remote_read(int fd, short revents, void *arg)
{
	struct session *s = arg;
	struct session_remote *r = s->remote;
	char buf[65536];
	const char *line;
	unsigned bits = 0;
	size_t len;
	ssize_t n;
	int rc;

	(void)revents;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		remote_down(s, "the connection closed");
		return;
	}
	proto_lines_feed(&r->gc.in, buf, (size_t)n);
	while ((rc = proto_lines_next(&r->gc.in, &line, &len)) == 1) {
		struct proto_msg m;
		struct err e;

		err_clear(&e);
		if (proto_decode_guard(line, len, &m, &e) != 0) {
			session_log(s, EVLOG_WARN, "the guard sent a bad line: "
				    "%s", e.msg);
			continue;
		}
		if (m.type == PROTO_VIEW)
			bits |= remote_view(s, m.view);
		else
			bits = SESSION_DIRTY_ALL;
		/* The guard's log, which the next view brings, says why. */
		if (m.type == PROTO_RESULT && !m.u.result.ok) {
			s->bell = true;
		} else if (m.type == PROTO_ERROR) {
			session_log(s, EVLOG_CRIT, "the guard says: %s",
				    m.u.error);
			if (strcmp(m.u.error, "the guard stops") == 0)
				r->stopped = true;
		}
		proto_msg_done(&m);
	}
	if (rc < 0) {
		remote_down(s, "it sent a line longer than the protocol "
			    "allows");
		return;
	}
	if (bits != 0)
		remote_changed(s, bits);
}

static int
remote_attach(struct session *s, const struct plan *p, const struct clock *c,
	      struct loop *l, const struct session_options *start,
	      struct err *e)
{
	struct session_remote *r = xcalloc(1, sizeof(*r));
	struct guard_options go;
	long pid;
	int rc;

	memset(s, 0, sizeof(*s));
	if (start != NULL) {
		remote_guard_options(start, &go);
		rc = guard_conn_start(&r->gc, p, PROTO_ROLE_DASHBOARD, &go,
				      10000, &pid, e);
	} else {
		rc = guard_conn_open(&r->gc, p, PROTO_ROLE_DASHBOARD, 10000,
				     e);
	}
	if (rc != 1) {
		free(r);
		return rc;
	}
	if (start != NULL)
		s->opt = *start;
	s->plan = p;
	s->clock = c;
	s->loop = l;
	s->remote = r;
	s->live = true;
	evlog_init(&s->log);
	r->attached = true;
	r->last_phase = r->gc.vj.v.state.phase;
	loop_add_fd(l, r->gc.fd, POLLIN, remote_read, s);
	s->dirty = SESSION_DIRTY_ALL;
	return 1;
}

int
session_attach(struct session *s, const struct plan *p, const struct clock *c,
	       struct loop *l, struct err *e)
{
	return remote_attach(s, p, c, l, NULL, e);
}

int
session_attach_start(struct session *s, const struct plan *p,
		     const struct clock *c, struct loop *l,
		     const struct session_options *opt, struct err *e)
{
	return remote_attach(s, p, c, l, opt, e);
}

void
session_remote_close(struct session *s)
{
	struct session_remote *r = s->remote;

	loop_timer_cancel(s->loop, r->retry);
	if (r->gc.fd >= 0) {
		loop_del_fd(s->loop, r->gc.fd);
		guard_conn_close(&r->gc);
	} else {
		proto_lines_done(&r->gc.in);
		view_json_done(&r->gc.vj);
	}
	free(r);
	s->remote = NULL;
	evlog_done(&s->log);
	s->plan = NULL;
}

void
session_remote_fill(struct session *s, struct session_view *v)
{
	struct session_remote *r = s->remote;

	*v = r->gc.vj.v;
	v->read_only = !r->gc.welcome.may_act || r->down;
	v->guard_pid = r->gc.welcome.pid;
	v->guard_down = r->down;
	if (r->down) {
		/* Nobody counts the hold: say nothing about it. */
		v->now_mono = clock_mono(s->clock);
		v->now_wall = clock_wall(s->clock);
		for (int k = 0; k < SESSION_VIEW_KEYS; k++) {
			v->act[k].allowed = false;
			v->act[k].why = "the guard is down";
		}
	}
}

int
session_remote_act(struct session *s, enum event_type type, bool force,
		   const char *reason, const char **why)
{
	struct session_remote *r = s->remote;
	enum proto_action a;
	bool unasked;
	struct err e;

	if (r->down) {
		*why = "the guard is down: nothing watches the gates";
		return -1;
	}
	if (!r->gc.welcome.may_act) {
		*why = r->gc.welcome.why;
		return -1;
	}
	switch (type) {
	case EV_ADVANCE:
		a = PROTO_ACT_ADVANCE;
		break;
	case EV_PAUSE:
		a = PROTO_ACT_PAUSE;
		break;
	case EV_RESUME:
		a = PROTO_ACT_RESUME;
		break;
	case EV_RETRY:
		a = PROTO_ACT_RETRY;
		break;
	case EV_ROLLBACK:
		a = PROTO_ACT_ROLLBACK;
		break;
	default:
		*why = "not an operator's action";
		return -1;
	}
	/*
	 * The dashboard asks before a step it sees allowed, and sends the
	 * others unasked, for the guard to refuse and record: marked so,
	 * should the guard let it through by now.
	 */
	unasked = guard_action_moves(a) &&
		  !r->gc.vj.v.act[guard_action_key(a, force)].allowed;
	err_clear(&e);
	if ((unasked ? guard_conn_act_unconfirmed(&r->gc, a, reason, force,
						  &e) :
	     guard_conn_act(&r->gc, a, reason, force, &e)) == 0) {
		*why = "the guard did not take it (connection closed)";
		return -1;
	}
	return 0;
}

int
session_guard_restart(struct session *s, const char **why)
{
	struct session_remote *r = s->remote;

	if (r == NULL) {
		*why = "no guard: this dashboard acts itself";
		return -1;
	}
	if (!r->down) {
		*why = "the guard is running";
		return -1;
	}
	/* The operator asks: a guard stopped on purpose is started too. */
	r->stopped = false;
	r->restarted_mono = clock_mono(s->clock);
	remote_restart(s);
	loop_timer_cancel(s->loop, r->retry);
	r->retry = loop_timer_at(s->loop, clock_mono(s->clock) +
				 REMOTE_RESTART_MS, remote_retry, s);
	return 0;
}

/* The verification's alarm, acknowledged at the guard (audited there). */
int
session_remote_acknowledge(struct session *s)
{
	struct session_remote *r = s->remote;
	struct err e;

	if (r->down || !r->gc.welcome.may_act || !r->gc.vj.v.verify_alarm)
		return -1;
	err_clear(&e);
	return guard_conn_act(&r->gc, PROTO_ACT_ACKNOWLEDGE, NULL, false,
			      &e) != 0 ? 0 : -1;
}

struct evlog *
session_remote_log(struct session *s)
{
	return &s->remote->gc.vj.log;
}
