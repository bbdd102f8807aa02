/*
 * cmd_guard — `cutover guard`: start the plan's guard (detached, its
 * output to a log file next to the state file, or in the foreground for
 * systemd), or stop it with --stop; and cmd_guard_act(), by which the
 * commands that act go through the plan's guard when one runs.
 *
 * A stop while traffic is on Istio leaves the gates unwatched: it asks
 * for the plan's name typed on the terminal (or --yes) and is audited by
 * the guard.
 */
#include "config.h"

#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "guard.h"
#include "guard_conn.h"
#include "plan.h"
#include "session_view.h"
#include "xmalloc.h"

/* The guard this command starts: the demo's options as given. */
static void
cmd_guard_options(const struct cmd_options *c, struct guard_options *go)
{
	memset(go, 0, sizeof(*go));
	go->demo = c->demo;
	go->demo_speed = c->demo_speed;
	go->autopilot = c->autopilot;
	go->ready_fd = -1;
}

/* The state the guard sent, as a command without a guard prints it. */
static void
cmd_guard_print(const struct guard_conn *gc, FILE *out)
{
	struct session_view v = gc->vj.v;

	v.guard_pid = gc->welcome.pid;
	cmd_print_state(&v, out);
}


int
cmd_guard_act(const struct cmd_options *c, const struct plan *p,
	      enum proto_action a)
{
	struct guard_conn gc;
	struct proto_result r;
	struct err e;
	const struct session_view *v;
	bool moves, asked = false;
	int rc;
	uint64_t id;

	if (c->no_guard)
		return CMD_NO_GUARD;
	err_clear(&e);
	if (a == PROTO_ACT_ADVANCE) {
		/* A stage is never left unwatched: start the guard. */
		struct guard_options go;
		long started;

		cmd_guard_options(c, &go);
		rc = guard_conn_start(&gc, p, PROTO_ROLE_COMMAND, &go,
				      CMD_GUARD_HELLO_MS, &started, &e);
		if (rc < 0) {
			cmd_complain(&e);
			fprintf(stderr, "cutover: nothing advanced; --no-guard "
				"advances without a guard (then nothing "
				"watches the gates once the command exits)\n");
			return CLI_IO;
		}
		if (rc == 1 && started > 0)
			fprintf(stderr, "cutover: started the guard of plan "
				"%s (pid %ld): it watches the gates after this "
				"command exits\n", p->name, started);
	} else {
		rc = guard_conn_open(&gc, p, PROTO_ROLE_COMMAND,
				     CMD_GUARD_HELLO_MS, &e);
	}
	if (rc == 0)
		return CMD_NO_GUARD;
	if (rc < 0) {
		cmd_complain(&e);
		return CLI_IO;
	}
	v = &gc.vj.v;
	if (!gc.welcome.may_act) {
		fprintf(stderr, "cutover: %s refused: %s\n",
			proto_action_name(a), gc.welcome.why);
		guard_conn_close(&gc);
		return CLI_REFUSED;
	}
	moves = guard_action_moves(a);
	if (moves && v->act[guard_action_key(a, c->force)].allowed) {
		const struct cutover_state *st = &v->state;
		int to = a == PROTO_ACT_ROLLBACK ||
			 (a == PROTO_ACT_RETRY && st->retry_rollback) ? 0 :
			 cutover_stage_weights(p, a == PROTO_ACT_RETRY ?
			     st->target : st->phase == PHASE_ROLLED_BACK ? 1 :
			     st->stage + 1).istio;
		char question[256];

		snprintf(question, sizeof(question), "%s: istio %d%% -> %d%%?",
			 proto_action_name(a), v->drift ?
			 v->drift_weights.istio : st->applied.istio, to);
		if (!cmd_confirm(c, question)) {
			fprintf(stderr, "cutover: not confirmed; nothing "
				"changed\n");
			guard_conn_close(&gc);
			return CLI_REFUSED;
		}
		asked = true;
	}
	/*
	 * A refusal is sent too: the guard audits it.  Unasked, it is sent
	 * as such: should the guard now let it through, it refuses it.
	 */
	id = moves && !asked && !c->yes ?
	     guard_conn_act_unconfirmed(&gc, a, c->reason, c->force, &e) :
	     guard_conn_act(&gc, a, c->reason, c->force, &e);
	if (id == 0 || (rc = guard_conn_wait(&gc, id, (int)cmd_deadline(p) +
					     60000, &r, &e)) < 0) {
		cmd_complain(&e);
		guard_conn_close(&gc);
		return CLI_IO;
	}
	if (rc > 0) {
		fprintf(stderr, "cutover: the guard did not answer the %s in "
			"time; see `cutover status`\n", proto_action_name(a));
		guard_conn_close(&gc);
		return CLI_DRIVER_FAILED;
	}
	/* The view after the action, for the state printed. */
	(void)guard_conn_wait(&gc, 0, 2000, NULL, &e);
	if (r.ok) {
		rc = CLI_OK;
	} else if (v->state.phase == PHASE_ERROR && r.why[0] != '\0' &&
		   v->last_failure != NULL &&
		   strncmp(r.why, v->last_failure, strlen(r.why)) == 0) {
		/* The driver step failed: said as without a guard. */
		fprintf(stderr, "cutover: driver failed: %s\n", r.why);
		rc = CLI_DRIVER_FAILED;
	} else {
		fprintf(stderr, "cutover: %s refused: %s\n",
			proto_action_name(a), r.why);
		rc = v->state.phase == PHASE_ERROR ? CLI_DRIVER_FAILED :
		     CLI_REFUSED;
	}
	cmd_guard_print(&gc, stdout);
	guard_conn_close(&gc);
	return rc;
}

/* Ask for the plan's name, typed: leaving Istio's traffic unwatched. */
static bool
cmd_guard_confirm_stop(const struct cmd_options *c, const struct plan *p)
{
	char answer[256];
	FILE *tty;
	bool yes;

	if (c->yes)
		return true;
	tty = fopen("/dev/tty", "r+");
	if (tty == NULL) {
		fprintf(stderr, "cutover: traffic is on Istio and nobody will "
			"watch the gates once the guard stops; no terminal to "
			"confirm on: pass --yes\n");
		return false;
	}
	fprintf(tty, "Traffic is on Istio: once the guard stops, nobody will "
		"watch the gates.\nType the plan's name (%s) to stop it: ",
		p->name);
	fflush(tty);
	yes = fgets(answer, sizeof(answer), tty) != NULL &&
	      strncmp(answer, p->name, strlen(p->name)) == 0 &&
	      (answer[strlen(p->name)] == '\n' ||
	       answer[strlen(p->name)] == '\0');
	fclose(tty);
	return yes;
}

static int
cmd_guard_stop(const struct cmd_options *c, const struct plan *p)
{
	struct guard_conn gc;
	struct proto_result r;
	struct err e;
	bool on_istio;
	uint64_t id;
	int rc;

	err_clear(&e);
	rc = guard_conn_open(&gc, p, PROTO_ROLE_COMMAND, CMD_GUARD_HELLO_MS,
			     &e);
	if (rc == 0) {
		printf("no guard runs for plan %s\n", p->name);
		return CLI_OK;
	}
	if (rc < 0) {
		cmd_complain(&e);
		return CLI_IO;
	}
	on_istio = guard_on_istio(&gc.vj.v);
	if (on_istio && !cmd_guard_confirm_stop(c, p)) {
		fprintf(stderr, "cutover: not confirmed; the guard goes on\n");
		guard_conn_close(&gc);
		return CLI_REFUSED;
	}
	id = guard_conn_act(&gc, PROTO_ACT_STOP, c->reason, on_istio, &e);
	if (id == 0 || guard_conn_wait(&gc, id, CMD_GUARD_HELLO_MS, &r,
				       &e) != 0) {
		cmd_complain(&e);
		guard_conn_close(&gc);
		return CLI_IO;
	}
	if (!r.ok) {
		fprintf(stderr, "cutover: stop refused: %s\n", r.why);
		guard_conn_close(&gc);
		return CLI_REFUSED;
	}
	/* Gone when it closes the connection. */
	while (guard_conn_wait(&gc, 0, CMD_GUARD_HELLO_MS, NULL, &e) == 0)
		;
	printf("guard of plan %s stopped\n", p->name);
	guard_conn_close(&gc);
	return CLI_OK;
}

/* Detach: a new session, stdio to the log; the parent waits for "ok". */
static int
cmd_guard_detach(const struct plan *p, struct loop *l,
		 struct guard_options *go)
{
	char *log = guard_log_path(p);
	char path[108], msg[1024];
	struct err e;
	size_t n = 0;
	int pfd[2], fd, rc;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		fprintf(stderr, "cutover: pipe: %s\n", strerror(errno));
		free(log);
		return CLI_IO;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "cutover: fork: %s\n", strerror(errno));
		free(log);
		return CLI_IO;
	}
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		go->ready_fd = pfd[1];
		go->log_path = log;
		rc = guard_run(p, l, go);
		free(log);
		return rc;
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		ssize_t r;

		if (poll(&pf, 1, 120000) <= 0)
			break;
		r = read(pfd[0], msg + n, sizeof(msg) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof(msg) - 1)
			break;
	}
	msg[n] = '\0';
	close(pfd[0]);
	err_clear(&e);
	if (strcmp(msg, "ok\n") != 0) {
		msg[strcspn(msg, "\n")] = '\0';
		fprintf(stderr, "cutover: the guard did not start: %s (log: "
			"%s)\n", msg[0] != '\0' ? msg : "it ended", log);
		waitpid(pid, NULL, WNOHANG);
		free(log);
		return strstr(msg, "another cutover") != NULL ? CLI_LOCKED :
		       CLI_IO;
	}
	if (guard_socket_path(p, path, sizeof(path), &e) != 0)
		path[0] = '\0';
	printf("guard of plan %s: pid %ld, socket %s, log %s\n", p->name,
	       (long)pid, path, log);
	free(log);
	return CLI_OK;
}

static int
cmd_guard_exec(const struct cmd_options *c, const struct plan *p,
	       struct loop *l)
{
	struct guard_options go;

	cmd_guard_options(c, &go);
	if (c->stop)
		return cmd_guard_stop(c, p);
	if (c->foreground)
		return guard_run(p, l, &go);
	return cmd_guard_detach(p, l, &go);
}

const struct cmd_entry cmd_guard_entry = {
	.name = "guard",
	.help = "run the plan's guard (--foreground, --stop)",
	.lock = true,
	.read_only = false,
	.exec = cmd_guard_exec,
};
