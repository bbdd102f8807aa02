/*
 * guard — the long-lived owner of a plan's session (see guard.h).  One
 * loop: the session's transfers, timers and children, the listening
 * socket and each client.  After every pass the guard pushes the view to
 * the clients when the session changed, answers the actions whose driver
 * step has ended, and decides whether it may exit.
 *
 * A client's socket is non-blocking both ways: what it sends is cut into
 * lines of at most PROTO_CLIENT_LINE_MAX bytes (a longer line closes it),
 * and what it is sent waits in its own buffer; a client that does not
 * read is sent no new views until it has caught up (views replace each
 * other; the log lines it missed come with the next one), and one that
 * falls GUARD_OUT_MAX behind is closed.  Nothing a client sends reaches
 * the session but a checked action.
 */
#include "config.h"

#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "loop.h"
#include "notify.h"
#include "preflight.h"
#include "probe.h"
#include "proto.h"
#include "session.h"
#include "session_view.h"
#include "view_json.h"
#include "xmalloc.h"

#define GUARD_CLIENTS_MAX 64
#define GUARD_OUT_MAX (64 * 1024 * 1024)
/* A client not yet caught up is sent no new view. */
#define GUARD_OUT_BEHIND (1024 * 1024)
/*
 * Views are coalesced: the answers of one refresh arrive one by one.  A
 * change of state or an alarm goes at once; fetched data, the log and the
 * second's tick at most every GUARD_PUSH_MS.  Each view says what changed,
 * so that a dashboard redraws only that (a tick: the clock).
 */
#define GUARD_PUSH_MS 100
#define GUARD_PUSH_LATER (SESSION_DIRTY_METRICS | SESSION_DIRTY_PODS | \
			  SESSION_DIRTY_LOG | SESSION_DIRTY_CLOCK)
/*
 * A command is sent its first view once the guard has judged the gates
 * and the preflight (or after this long): it confirms and acts on what
 * the guard will judge, not on a guard that has seen nothing yet.
 */
#define GUARD_FIRST_JUDGE_MS 15000

struct guard_client {
	struct guard *g;
	int fd;
	bool dead;
	bool closing;		/* close once its output is sent */
	bool hello;
	bool may_act;
	char why[256];		/* why it may only watch */
	struct audit_actor actor;
	enum proto_role role;
	struct proto_lines in;
	char *out;
	size_t outlen;
	size_t outcap;
	uint64_t log_sent;	/* the log lines it has, by number */
	unsigned dirty;		/* SESSION_DIRTY_* it has not been sent */
	bool bell;		/* the session rang since its last view */
	int64_t pushed_mono;	/* when it was last sent a view */

	/* The action whose driver step it waits for. */
	bool waiting;
	uint64_t act_id;
	enum proto_action act;
	uint32_t seq_before;

	struct guard_client *next;
};

struct guard {
	const struct plan *plan;
	const struct guard_options *opt;
	struct loop *loop;
	struct session s;
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct guard_client *clients;
	int nclients;
	bool changed;
	bool stop;
	int exit_code;
	int64_t idle_since;	/* monotonic: no client, off Istio */
	int64_t started_mono;
	bool had_client;
	struct loop_timer *readback;
};

/* traffic.readback_interval: an outside change is drift. */
static void
guard_readback(void *arg)
{
	struct guard *g = arg;

	session_read_back(&g->s);
	g->readback = loop_timer_at(g->loop, clock_mono(g->s.clock) +
				    g->plan->traffic.readback_interval_ms,
				    guard_readback, g);
}

/* ---- where ---------------------------------------------------------------- */

static uint32_t
guard_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int
guard_socket_path(const struct plan *p, char *buf, size_t len,
		  struct err *e)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	const char *sf = p->state_file != NULL ? p->state_file : p->name;
	char dir[4096];
	int n;

	if (run != NULL && run[0] == '/') {
		snprintf(dir, sizeof(dir), "%s/cutover", run);
	} else {
		const char *slash = strrchr(sf, '/');

		if (slash == NULL)
			snprintf(dir, sizeof(dir), ".");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - sf),
				 sf);
	}
	n = snprintf(buf, len, "%s/%s-%08x.sock", dir, p->name,
		     (unsigned)guard_hash(sf));
	if (n < 0 || (size_t)n >= len)
		return err_set(e, "the guard's socket path %s/%s-... is longer "
			       "than a Unix socket allows (%zu bytes): set "
			       "XDG_RUNTIME_DIR to a shorter directory", dir,
			       p->name, len - 1);
	return 0;
}

char *
guard_log_path(const struct plan *p)
{
	const char *sf = p->state_file != NULL ? p->state_file : "cutover";
	size_t n = strlen(sf);
	const char *suffix = ".state.json";
	size_t sn = strlen(suffix);

	if (n > sn && strcmp(sf + n - sn, suffix) == 0)
		return xasprintf("%.*s.guard.log", (int)(n - sn), sf);
	return xasprintf("%s.guard.log", sf);
}

/*
 * The socket's directory: made 0700 (0710 and the group's with
 * guard.socket_group), and refused when someone else owns it or others
 * may write to it.
 */
static int
guard_dir(const struct plan *p, const char *path, struct err *e)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat sb;
	mode_t mode = 0700;
	gid_t gid = (gid_t)-1;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (p->guard.socket_group != NULL) {
		struct group *gr = getgrnam(p->guard.socket_group);

		if (gr == NULL)
			return err_set(e, "guard.socket_group: no group named "
				       "%s", p->guard.socket_group);
		gid = gr->gr_gid;
		mode = 0710;
	}
	if (mkdir(dir, mode) != 0 && errno != EEXIST)
		return err_set(e, "%s: %s", dir, strerror(errno));
	if (lstat(dir, &sb) != 0)
		return err_set(e, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid())
		return err_set(e, "%s: not a directory of this user: the "
			       "guard's socket cannot live there", dir);
	if (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) != 0)
		return err_set(e, "%s: chgrp %s: %s", dir,
			       p->guard.socket_group, strerror(errno));
	if (chmod(dir, mode) != 0)
		return err_set(e, "%s: chmod: %s", dir, strerror(errno));
	return 0;
}

static int
guard_listen(struct guard *g, struct err *e)
{
	struct sockaddr_un sa;
	int fd;

	if (guard_socket_path(g->plan, g->path, sizeof(g->path), e) != 0 ||
	    guard_dir(g->plan, g->path, e) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, g->path, strlen(g->path) + 1);
	/* The lock is ours: a socket left there is a dead guard's. */
	unlink(g->path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(g->path, g->plan->guard.socket_group != NULL ? 0660 :
		  0600) != 0 ||
	    (g->plan->guard.socket_group != NULL &&
	     chown(g->path, (uid_t)-1,
		   getgrnam(g->plan->guard.socket_group)->gr_gid) != 0) ||
	    listen(fd, 16) != 0) {
		err_set(e, "%s: %s", g->path, strerror(errno));
		close(fd);
		unlink(g->path);
		return -1;
	}
	g->lfd = fd;
	return 0;
}

/* ---- who may act ------------------------------------------------------------ */

static bool
guard_in_group(const char *user, gid_t primary, const char *group)
{
	struct group *gr = getgrnam(group);
	gid_t groups[256];
	int n = (int)(sizeof(groups) / sizeof(groups[0]));

	if (gr == NULL)
		return false;
	if (primary == gr->gr_gid)
		return true;
	if (getgrouplist(user, primary, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gr->gr_gid)
			return true;
	return false;
}

static void
guard_judge(struct guard_client *c, uid_t uid, gid_t gid)
{
	const struct plan_guard *pg = &c->g->plan->guard;

	c->may_act = false;
	if (pg->operators.argc == 0 && pg->group == NULL) {
		c->may_act = uid == geteuid() || uid == 0;
		if (!c->may_act)
			snprintf(c->why, sizeof(c->why), "%s may only watch: "
				 "the plan names no operators (guard.operators, "
				 "guard.group), so only the guard's own user "
				 "may act", c->actor.user);
		return;
	}
	for (int i = 0; i < pg->operators.argc; i++)
		if (strcmp(pg->operators.argv[i], c->actor.user) == 0)
			c->may_act = true;
	if (pg->group != NULL && guard_in_group(c->actor.user, gid, pg->group))
		c->may_act = true;
	if (!c->may_act)
		snprintf(c->why, sizeof(c->why), "%s may only watch: not one of "
			 "the plan's guard.operators%s%s", c->actor.user,
			 pg->group != NULL ? " nor in group " : "",
			 pg->group != NULL ? pg->group : "");
}

/* ---- clients ------------------------------------------------------------------ */

static void guard_client_io(int fd, short revents, void *arg);
static bool guard_on_istio_now(struct session *s);

static void
guard_flush(struct guard_client *c)
{
	while (c->outlen > 0 && !c->dead) {
		ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->dead = true;
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	if (c->outlen == 0 && c->closing)
		c->dead = true;
	if (!c->dead)
		loop_add_fd(c->g->loop, c->fd, POLLIN |
			    (c->outlen > 0 ? POLLOUT : 0), guard_client_io, c);
}

static void
guard_send(struct guard_client *c, const struct proto_msg *m)
{
	char *line = proto_encode(m);
	size_t n = strlen(line);

	if (c->outlen + n > GUARD_OUT_MAX) {
		c->dead = true;		/* it stopped reading long ago */
		free(line);
		return;
	}
	if (c->outlen + n > c->outcap) {
		c->outcap = c->outlen + n + 4096;
		c->out = xrealloc(c->out, c->outcap);
	}
	memcpy(c->out + c->outlen, line, n);
	c->outlen += n;
	free(line);
	guard_flush(c);
}

static void
guard_send_error(struct guard_client *c, const char *msg)
{
	struct proto_msg m = { .type = PROTO_ERROR };

	snprintf(m.u.error, sizeof(m.u.error), "%s", msg);
	guard_send(c, &m);
	c->closing = true;
	guard_flush(c);
}

static void
guard_result(struct guard_client *c, uint64_t id, bool ok, const char *why)
{
	struct proto_msg m = { .type = PROTO_RESULT };

	m.u.result.id = id;
	m.u.result.ok = ok;
	snprintf(m.u.result.why, sizeof(m.u.result.why), "%s",
		 why != NULL ? why : "");
	guard_send(c, &m);
}

/*
 * Refuse an action the session did not judge (who may act, a stop, ...):
 * into the shared log, which every attached dashboard shows, then the
 * answer.  A refusal of the session's own is in its log already, so a
 * dashboard never writes one itself (it would show twice).
 */
static void
guard_refuse(struct guard_client *c, uint64_t id, enum proto_action a,
	     const char *why)
{
	if (why == NULL)
		why = "refused";
	session_log(&c->g->s, EVLOG_WARN, "%s's %s refused: %s",
		    c->actor.user, proto_action_name(a), why);
	guard_result(c, id, false, why);
}

static void
guard_audit(struct guard *g, const struct audit_actor *a, const char *action,
	    const char *reason, const char *result)
{
	const struct cutover_state *st = &g->s.rec.state;
	struct audit_entry en = {
		.wall_ms = clock_wall(g->s.clock),
		.action = action,
		.stage_from = st->stage,
		.stage_to = st->stage,
		.from = st->applied,
		.to = st->applied,
		.reason = reason,
		.result = result,
	};
	struct err e;

	err_clear(&e);
	if (audit_append(g->plan->audit_log, a, &en, &e) != 0) {
		session_log(&g->s, EVLOG_CRIT, "%s", e.msg);
	} else if (g->s.notify != NULL) {
		/* Told as every audit line is: from the line itself. */
		json_t *line = audit_line(a, &en);

		if (line != NULL)
			notify_audit(g->s.notify, line);
		json_decref(line);
	}
}

static void
guard_hello(struct guard_client *c, const struct proto_hello *h)
{
	struct proto_msg m = { .type = PROTO_WELCOME };

	c->hello = true;
	c->role = h->role;
	/* Claims, recorded as such: the socket said who it is. */
	audit_actor_claim(&c->actor, h->tty, h->ssh_client);
	m.u.welcome.proto = PROTO_VERSION;
	snprintf(m.u.welcome.program, sizeof(m.u.welcome.program), "%s",
		 PACKAGE_VERSION);
	snprintf(m.u.welcome.user, sizeof(m.u.welcome.user), "%s",
		 c->actor.user);
	m.u.welcome.uid = c->actor.uid;
	m.u.welcome.may_act = c->may_act;
	snprintf(m.u.welcome.why, sizeof(m.u.welcome.why), "%s", c->why);
	m.u.welcome.pid = (long)getpid();
	guard_send(c, &m);
	c->dirty = SESSION_DIRTY_ALL;
	session_log(&c->g->s, EVLOG_INFO, "%s attached (%s%s%s)",
		    c->actor.user, proto_role_name(h->role),
		    c->actor.tty[0] != '\0' ? ", " : "", c->actor.tty);
}

static enum event_type
guard_event(enum proto_action a)
{
	switch (a) {
	case PROTO_ACT_ADVANCE:
		return EV_ADVANCE;
	case PROTO_ACT_PAUSE:
		return EV_PAUSE;
	case PROTO_ACT_RESUME:
		return EV_RESUME;
	case PROTO_ACT_RETRY:
		return EV_RETRY;
	case PROTO_ACT_ROLLBACK:
	default:
		return EV_ROLLBACK;
	}
}

bool
guard_action_moves(enum proto_action a)
{
	return a == PROTO_ACT_ADVANCE || a == PROTO_ACT_ROLLBACK ||
	       a == PROTO_ACT_RETRY;
}

enum session_view_key
guard_action_key(enum proto_action a, bool force)
{
	switch (a) {
	case PROTO_ACT_ADVANCE:
		return force ? SESSION_VIEW_FORCE : SESSION_VIEW_ADVANCE;
	case PROTO_ACT_PAUSE:
	case PROTO_ACT_RESUME:
		return SESSION_VIEW_PAUSE;
	case PROTO_ACT_RETRY:
		return SESSION_VIEW_RETRY;
	default:
		return SESSION_VIEW_ROLLBACK;
	}
}

/* Would the session let a step through now (as the view says to a client)? */
static bool
guard_would_allow(struct guard *g, const struct proto_act *a)
{
	struct session_view v;

	if (!guard_action_moves(a->name))
		return false;
	session_view_fill(&g->s, &v);
	return v.act[guard_action_key(a->name, a->force)].allowed;
}

static void
guard_act(struct guard_client *c, const struct proto_act *a)
{
	struct guard *g = c->g;
	struct session *s = &g->s;
	struct audit_actor own = s->actor;
	const char *why = NULL;
	const char *reason = a->reason[0] != '\0' ? a->reason : NULL;
	int rc;

	if (!c->may_act) {
		guard_refuse(c, a->id, a->name, c->why);
		return;
	}
	if (c->waiting) {
		guard_refuse(c, a->id, a->name, "an action of this client is "
			     "still under way");
		return;
	}
	if (a->name == PROTO_ACT_STOP) {
		if (guard_on_istio_now(s) && !a->force) {
			guard_refuse(c, a->id, a->name, "traffic is on Istio: "
				     "with the guard stopped nobody watches "
				     "the gates; stop it by force (cutover "
				     "guard --stop asks to confirm)");
			return;
		}
		guard_audit(g, &c->actor, "guard_stop", reason != NULL ?
			    reason : guard_on_istio_now(s) ? "stopped by force "
			    "with traffic on Istio: nobody watches the gates" :
			    "stopped", "ok");
		session_log(s, EVLOG_WARN, "guard stopped by %s",
			    c->actor.user);
		guard_result(c, a->id, true, "the guard stops");
		g->stop = true;
		return;
	}
	s->actor = c->actor;
	if (a->name == PROTO_ACT_RECONCILE) {
		rc = s->drift ? session_reconcile_drift(s, &why) : 0;
		if (!s->drift && rc == 0)
			why = "no drift: nothing to reconcile";
		s->actor = own;
		if (rc == 0)
			guard_result(c, a->id, true, why);
		else
			guard_refuse(c, a->id, a->name, why);
		return;
	}
	if (a->name == PROTO_ACT_ACKNOWLEDGE) {
		rc = session_acknowledge(s);
		s->actor = own;
		if (rc == 0)
			guard_result(c, a->id, true, "acknowledged");
		else
			guard_refuse(c, a->id, a->name, "no alarm to "
				     "acknowledge");
		return;
	}
	/* Sent unasked, as one the guard would refuse: it no longer does. */
	if (a->unconfirmed && guard_would_allow(g, a)) {
		s->actor = own;
		guard_refuse(c, a->id, a->name, "not confirmed: the state "
			     "changed since the command looked, and it would "
			     "now go through; run it again to be asked");
		return;
	}
	s->outcome = SESSION_OUTCOME_NONE;
	c->seq_before = s->rec.state.seq;
	rc = session_act(s, guard_event(a->name), a->force, reason, &why);
	s->actor = own;
	if (rc != 0) {
		guard_result(c, a->id, false, why);
		return;
	}
	/* Answered when the driver step (or the read-back first) is over. */
	c->waiting = true;
	c->act_id = a->id;
	c->act = a->name;
}

/* Answer the action a client waits for, once its driver step is over. */
static void
guard_settle(struct guard_client *c)
{
	struct session *s = &c->g->s;
	bool moves = guard_action_moves(c->act);

	if (!c->waiting || session_busy(s) || s->checking)
		return;
	c->waiting = false;
	if (s->outcome == SESSION_OUTCOME_DRIVER_FAILED)
		guard_result(c, c->act_id, false, s->last_failure);
	else if (s->outcome == SESSION_OUTCOME_NOT_RECORDED)
		guard_result(c, c->act_id, false, s->record_error);
	else if (moves && s->rec.state.seq == c->seq_before)
		guard_result(c, c->act_id, false, s->drift ? s->drift_why :
			     "refused once the weights were read back: see "
			     "the log");
	else
		guard_result(c, c->act_id, true, s->record_lost ?
			     s->record_error : "done");
}

static void
guard_line(struct guard_client *c, const char *line, size_t len)
{
	struct proto_msg m;
	struct err e;
	int rc;

	err_clear(&e);
	rc = proto_decode_client(line, len, &m, &e);
	if (rc == PROTO_OTHER_VERSION) {
		guard_send_error(c, e.msg);
		return;
	}
	if (rc != 0) {
		char msg[ERR_MSG_MAX + 32];

		snprintf(msg, sizeof(msg), "bad line: %s", e.msg);
		guard_send_error(c, msg);
		return;
	}
	if (!c->hello && m.type != PROTO_HELLO) {
		guard_send_error(c, "a client's first line is its hello");
		return;
	}
	if (m.type == PROTO_HELLO) {
		if (c->hello)
			guard_send_error(c, "a second hello");
		else
			guard_hello(c, &m.u.hello);
		return;
	}
	guard_act(c, &m.u.act);
}

static void
guard_client_io(int fd, short revents, void *arg)
{
	struct guard_client *c = arg;
	char buf[16384];
	const char *line;
	size_t len;
	ssize_t n;
	int rc;

	if (c->dead)
		return;
	if (revents & POLLOUT)
		guard_flush(c);
	if (!(revents & (POLLIN | POLLHUP | POLLERR)) || c->dead)
		return;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->dead = true;
		return;
	}
	if (c->closing)
		return;		/* said goodbye: nothing more is read */
	proto_lines_feed(&c->in, buf, (size_t)n);
	while (!c->closing && (rc = proto_lines_next(&c->in, &line,
						     &len)) != 0) {
		if (rc < 0) {
			guard_send_error(c, "a line longer than the protocol "
					 "allows");
			break;
		}
		guard_line(c, line, len);
	}
}

static void
guard_accept(int fd, short revents, void *arg)
{
	struct guard *g = arg;
	struct guard_client *c;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct passwd *pw;
	int cfd;

	(void)revents;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (g->nclients >= GUARD_CLIENTS_MAX ||
	    getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) {
		close(cfd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->g = g;
	c->fd = cfd;
	proto_lines_init(&c->in, PROTO_CLIENT_LINE_MAX);
	c->actor.uid = (long)cred.uid;
	c->actor.pid = (long)cred.pid;
	pw = getpwuid(cred.uid);
	if (pw != NULL)
		snprintf(c->actor.user, sizeof(c->actor.user), "%s",
			 pw->pw_name);
	else
		snprintf(c->actor.user, sizeof(c->actor.user), "uid%ld",
			 (long)cred.uid);
	guard_judge(c, cred.uid, cred.gid);
	c->next = g->clients;
	g->clients = c;
	g->nclients++;
	g->had_client = true;
	loop_add_fd(g->loop, cfd, POLLIN, guard_client_io, c);
}

static void
guard_client_free(struct guard_client *c)
{
	loop_del_fd(c->g->loop, c->fd);
	close(c->fd);
	proto_lines_done(&c->in);
	free(c->out);
	free(c);
}

static void
guard_sweep(struct guard *g)
{
	struct guard_client **pc = &g->clients;

	while (*pc != NULL) {
		struct guard_client *c = *pc;

		if (c->dead) {
			if (c->hello)
				session_log(&g->s, EVLOG_INFO, "%s detached",
					    c->actor.user);
			*pc = c->next;
			g->nclients--;
			guard_client_free(c);
		} else {
			pc = &c->next;
		}
	}
}

/*
 * Has the guard judged what it sees once: the gates evaluated, the
 * weights read back, the preflight's and the probes' answers in (a new
 * guard has not)?
 */
static bool
guard_judged(struct guard *g)
{
	const struct session *s = &g->s;

	return (s->evaluated_once && !s->reading_back && !session_busy(s) &&
		!preflight_busy(&s->pf) &&
		(s->probes == NULL || !probe_busy(s->probes))) ||
	       clock_mono(s->clock) - g->started_mono >= GUARD_FIRST_JUDGE_MS;
}

/* Is a view due for c now (its changes, and when it was last sent)? */
static bool
guard_push_due(const struct guard *g, const struct guard_client *c)
{
	int64_t since = clock_mono(g->s.clock) - c->pushed_mono;

	if (c->dirty == 0)
		return false;
	if (c->dirty & ~(unsigned)GUARD_PUSH_LATER)
		return true;
	return since >= GUARD_PUSH_MS;
}

/*
 * Send the view to every client that has not seen this change, with the
 * bits of what changed since its last view (so that it redraws only
 * those panes).  Returns how long until a coalesced view is due (ms), or
 * -1 when none waits.
 */
static int
guard_push(struct guard *g)
{
	struct session_view v;
	unsigned bits = session_view_take_dirty(&g->s);
	bool judged = guard_judged(g);
	bool bell = session_view_take_bell(&g->s);
	bool filled = false;
	int next = -1;

	/* The session says what changed with its dirty bits (g->changed
	 * only woke the loop). */
	g->changed = false;
	for (struct guard_client *c = g->clients; c != NULL; c = c->next) {
		struct proto_msg m = { .type = PROTO_VIEW };

		if (c->dead || c->closing || !c->hello)
			continue;
		c->dirty |= bits;
		c->bell |= bell;
		if (c->role == PROTO_ROLE_COMMAND && !judged)
			continue;
		if (c->outlen > GUARD_OUT_BEHIND)
			continue;
		if (!guard_push_due(g, c)) {
			if (c->dirty != 0 && (next < 0 || next > GUARD_PUSH_MS))
				next = GUARD_PUSH_MS;
			continue;
		}
		if (!filled) {
			session_view_fill(&g->s, &v);
			filled = true;
		}
		m.view = view_json_encode(&v, c->log_sent);
		json_object_set_new(m.view, "changed",
				    json_integer(c->dirty & SESSION_DIRTY_ALL));
		/* The session's bell (a breach, an alarm, a late rollback's
		 * minute): every dashboard rings it. */
		if (c->bell)
			json_object_set_new(m.view, "bell", json_true());
		guard_send(c, &m);
		json_decref(m.view);
		c->log_sent = v.log->total;
		c->dirty = 0;
		c->bell = false;
		c->pushed_mono = clock_mono(g->s.clock);
	}
	return next;
}

/* ---- the loop -------------------------------------------------------------------- */

bool
guard_on_istio(const struct session_view *v)
{
	const struct cutover_state *st = &v->state;

	/* A read-back moves nothing; an apply may have. */
	if (st->stage >= 1 || st->applied.istio > 0 ||
	    (v->busy && !v->reading_back))
		return true;
	switch (st->phase) {
	case PHASE_SHIFTING:
	case PHASE_ROLLING_BACK:
	case PHASE_ERROR:
		return true;
	case PHASE_ROLLED_BACK:
		return v->verify == VERIFY_WATCHING || v->verify == VERIFY_LATE;
	default:
		return false;
	}
}

static bool
guard_on_istio_now(struct session *s)
{
	struct session_view v;

	session_view_fill(s, &v);
	return guard_on_istio(&v) || s->rec.apply_in_flight;
}

static void
guard_wake(void *arg)
{
	struct guard *g = arg;

	g->changed = true;
}

static void
guard_on_signal(int signo, void *arg)
{
	struct guard *g = arg;
	struct audit_actor a;

	if (signo != SIGTERM && signo != SIGINT)
		return;		/* SIGHUP: a guard has no terminal to lose */
	audit_actor_current(&a);
	snprintf(a.user, sizeof(a.user), "signal");
	guard_audit(g, &a, "guard_stop", guard_on_istio_now(&g->s) ?
		    "stopped by a signal with traffic on Istio: nobody "
		    "watches the gates" : "stopped by a signal", "ok");
	session_log(&g->s, EVLOG_WARN, "signal %d: the guard stops", signo);
	g->stop = true;
}

/* May the guard leave now?  Never while traffic is on Istio. */
static bool
guard_idle_over(struct guard *g)
{
	int64_t now = clock_mono(g->s.clock);

	/* The demo's traffic is simulated: its guard ends with its last
	 * client, so that the demo leaves nothing running. */
	if (g->opt->demo)
		return g->nclients == 0 && g->had_client;
	if (g->nclients > 0 || guard_on_istio_now(&g->s)) {
		g->idle_since = -1;
		return false;
	}
	if (g->idle_since < 0)
		g->idle_since = now;
	return now - g->idle_since >= g->plan->guard.grace_ms;
}

static void
guard_ready(const struct guard_options *o, const char *msg)
{
	if (o->ready_fd < 0)
		return;
	if (write(o->ready_fd, msg, strlen(msg)) < 0)
		(void)0;	/* the starter is gone: nothing to tell */
	close(o->ready_fd);
}

int
guard_run(const struct plan *p, struct loop *l, const struct guard_options *o)
{
	struct session_options so = {
		.demo = o->demo,
		.demo_speed = o->demo_speed,
		.autopilot = o->autopilot,
	};
	struct guard *g = xcalloc(1, sizeof(*g));
	struct err e;
	char msg[ERR_MSG_MAX + 64];
	int rc, wait_ms = 1000;

	g->plan = p;
	g->opt = o;
	g->loop = l;
	g->lfd = -1;
	g->idle_since = -1;
	g->started_mono = clock_mono(loop_clock(l));
	err_clear(&e);
	if (session_open(&g->s, p, loop_clock(l), l, &so, false, &e) != 0) {
		rc = strstr(e.msg, "another cutover") != NULL ? CLI_LOCKED :
		     CLI_IO;
		snprintf(msg, sizeof(msg), "%s\n", e.msg);
		guard_ready(o, msg);
		fprintf(stderr, "cutover guard: %s\n", e.msg);
		free(g);
		return rc;
	}
	/* The state directory exists now: the log goes next to it. */
	if (o->log_path != NULL) {
		int fd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND |
			      O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
	if (guard_listen(g, &e) != 0) {
		snprintf(msg, sizeof(msg), "%s\n", e.msg);
		guard_ready(o, msg);
		fprintf(stderr, "cutover guard: %s\n", e.msg);
		session_close(&g->s);
		free(g);
		return CLI_IO;
	}
	if (session_signals(&g->s, guard_on_signal, g, &e) != 0)
		session_log(&g->s, EVLOG_WARN, "signals: %s", e.msg);
	signal(SIGPIPE, SIG_IGN);
	loop_add_fd(l, g->lfd, POLLIN, guard_accept, g);
	session_view_on_change(&g->s, guard_wake, g);
	session_start(&g->s, true);
	if (p->traffic.readback_interval_ms > 0)
		g->readback = loop_timer_at(l, clock_mono(g->s.clock) +
					    p->traffic.readback_interval_ms,
					    guard_readback, g);
	guard_audit(g, &g->s.actor, "guard_start", g->path, "ok");
	session_log(&g->s, EVLOG_NOTE, "guard %ld on %s", (long)getpid(),
		    g->path);
	fprintf(stderr, "cutover guard: pid %ld, socket %s\n", (long)getpid(),
		g->path);
	guard_ready(o, "ok\n");

	while (!g->stop) {
		loop_run_once(l, wait_ms);
		for (struct guard_client *c = g->clients; c != NULL;
		     c = c->next)
			guard_settle(c);
		wait_ms = guard_push(g);
		if (wait_ms < 0)
			wait_ms = 1000;
		for (struct guard_client *c = g->clients; c != NULL;
		     c = c->next)
			if (!c->dead)
				guard_flush(c);
		guard_sweep(g);
		if (guard_idle_over(g)) {
			struct audit_actor a = g->s.actor;

			guard_audit(g, &a, "guard_stop", "idle at stage 0 with "
				    "no client", "ok");
			break;
		}
	}
	/* A stop, not a death: attached dashboards do not restart it. */
	for (struct guard_client *c = g->clients; c != NULL; c = c->next)
		if (!c->dead && c->hello && !c->closing)
			guard_send_error(c, "the guard stops");
	for (struct guard_client *c = g->clients; c != NULL; c = c->next)
		c->dead = true;
	guard_sweep(g);
	session_view_on_change(&g->s, NULL, NULL);
	loop_timer_cancel(l, g->readback);
	loop_del_fd(l, g->lfd);
	close(g->lfd);
	unlink(g->path);
	session_close(&g->s);
	rc = g->exit_code;
	free(g);
	return rc;
}
