/*
 * audit — the append-only JSON-lines log (see audit.h).  Each line is
 * written with one write(2) on an O_APPEND descriptor and fsynced, so two
 * processes never interleave inside a line and a line reported written
 * survives a crash.  The reader tolerates a torn last line (a crash in the
 * middle of a write) and says so.  The log is opened like every file of
 * the state directory (store_file_open): never through a symbolic link.
 */
#include "config.h"

#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "gate.h"
#include "store.h"
#include "text.h"
#include "xmalloc.h"

void
audit_actor_current(struct audit_actor *a)
{
	struct passwd *pw;
	const char *ssh = getenv("SSH_CONNECTION");
	const char *tty = ttyname(STDIN_FILENO);

	memset(a, 0, sizeof(*a));
	a->uid = (long)getuid();
	a->pid = (long)getpid();
	pw = getpwuid(getuid());
	if (pw != NULL)
		snprintf(a->user, sizeof(a->user), "%s", pw->pw_name);
	else
		snprintf(a->user, sizeof(a->user), "uid%ld", a->uid);
	/* SSH_CONNECTION: "client_ip client_port server_ip server_port". */
	if (ssh != NULL) {
		size_t n = strcspn(ssh, " ");

		if (n >= sizeof(a->ssh_client))
			n = sizeof(a->ssh_client) - 1;
		memcpy(a->ssh_client, ssh, n);
		a->ssh_client[n] = '\0';
	}
	if (tty != NULL)
		snprintf(a->tty, sizeof(a->tty), "%s", tty);
}

/* Keep what a device path or an address is made of; '?' for the rest. */
static void
audit_claim_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < len; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || strchr("._:/%@-", ch) !=
			 NULL ? (char)ch : '?';
	}
	dst[i] = '\0';
}

void
audit_actor_claim(struct audit_actor *a, const char *tty,
		  const char *ssh_client)
{
	audit_claim_copy(a->tty, sizeof(a->tty), tty);
	audit_claim_copy(a->ssh_client, sizeof(a->ssh_client), ssh_client);
	a->claimed = true;
}

const char *
audit_actor_field(json_t *actor, const char *key, bool *claimed)
{
	const char *s = json_string_value(json_object_get(actor, key));

	*claimed = false;
	if (s == NULL) {
		s = json_string_value(json_object_get(json_object_get(actor,
						      "claimed"), key));
		*claimed = s != NULL;
	}
	return s != NULL ? s : "";
}

static json_t *
weights_obj(struct weights w)
{
	return json_pack("{s:i, s:i}", "istio", w.istio, "apisix", w.apisix);
}

int
audit_open(const char *path, struct err *e)
{
	int fd;

	if (store_dir_check(path, e) != 0) {
		err_prefix(e, "audit log");
		return -1;
	}
	fd = store_file_open(path, O_WRONLY | O_APPEND | O_CREAT, e);
	if (fd < 0)
		err_prefix(e, "audit log");
	return fd;
}

json_t *
audit_line(const struct audit_actor *a, const struct audit_entry *en)
{
	char when[40];
	json_t *actor;
	json_t *line;

	clock_rfc3339(en->wall_ms, when, sizeof(when));
	if (a->claimed)
		actor = json_pack("{s:s, s:I, s:I, s:{s:s, s:s}}", "user",
				  a->user, "uid", (json_int_t)a->uid, "pid",
				  (json_int_t)a->pid, "claimed", "tty", a->tty,
				  "ssh_client", a->ssh_client);
	else
		actor = json_pack("{s:s, s:I, s:s, s:s, s:I}", "user", a->user,
				  "uid", (json_int_t)a->uid, "ssh_client",
				  a->ssh_client, "tty", a->tty, "pid",
				  (json_int_t)a->pid);
	line = json_pack("{s:s, s:o, s:s, s:i, s:i, s:o, s:o, s:s}",
			 "time", when,
			 "actor", actor,
			 "action", en->action,
			 "stage_from", en->stage_from, "stage_to", en->stage_to,
			 "from", weights_obj(en->from),
			 "to", weights_obj(en->to),
			 "result", en->result != NULL ? en->result : "ok");
	if (line == NULL)
		return NULL;
	if (en->reason != NULL) {
		/* Outside text: redacted, and valid UTF-8 for the encoder. */
		char *reason = text_scrub_dup(en->reason);

		json_object_set_new(line, "reason", json_string(reason));
		free(reason);
	}
	if (en->metrics != NULL)
		json_object_set(line, "metrics", en->metrics);
	return line;
}

int
audit_append(const char *path, const struct audit_actor *a,
	     const struct audit_entry *en, struct err *e)
{
	json_t *line;
	char *text;
	size_t len;
	int fd;
	int rc = 0;

	line = audit_line(a, en);
	if (line == NULL)
		return err_set(e, "cannot encode an audit line");
	text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(line);
	if (text == NULL)
		return err_set(e, "cannot encode an audit line");
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	fd = audit_open(path, e);
	if (fd < 0) {
		rc = -1;
	} else {
		struct stat sb;
		bool sized = fstat(fd, &sb) == 0;

		if (store_write_all(fd, text, len) != 0 || fsync(fd) != 0) {
			rc = err_set(e, "cannot write audit log %s: %s", path,
				     strerror(errno));
			/* No torn line for the next one to run into. */
			if (sized && ftruncate(fd, sb.st_size) != 0)
				err_prefix(e, "torn last line");
		}
		close(fd);
	}
	free(text);
	return rc;
}

/* A string member, scrubbed for the terminal (caller frees); NULL if none. */
static char *
audit_text(json_t *o, const char *key)
{
	return text_scrub_dup(json_string_value(json_object_get(o, key)));
}

/*
 * The key values of a line: its verdict, and the gate that decided it
 * (or, on a pass, the error rate) with its value and limit, in the
 * gate's unit: "fail: error_rate 5.27% (limit 5.00%)".  "" when the line
 * has none.
 */
static void
print_values(json_t *metrics, FILE *out)
{
	const char *verdict = json_string_value(json_object_get(metrics,
								"verdict"));
	const char *by = json_string_value(json_object_get(metrics,
							   "decided_by"));
	json_t *gates = json_object_get(metrics, "gates");
	const struct gate_def *d = NULL;
	json_t *g;
	char *vs;
	char v[32];
	char l[32];

	if (verdict == NULL)
		return;
	vs = text_scrub_dup(verdict);
	if (by == NULL)
		by = "error_rate";
	for (int i = 0; i < GATE_COUNT; i++)
		if (strcmp(gate_name((enum gate_id)i), by) == 0)
			d = gate_def((enum gate_id)i);
	g = json_object_get(gates, by);
	if (d == NULL || !json_is_object(g)) {
		fprintf(out, "  [%s]", vs);
		free(vs);
		return;
	}
	if (json_is_number(json_object_get(g, "value")))
		gate_format(d->unit, json_number_value(json_object_get(g,
			    "value")), false, v, sizeof(v));
	else
		snprintf(v, sizeof(v), "no data");
	fprintf(out, "  [%s: %s %s", vs, d->name, v);
	if (json_is_number(json_object_get(g, "limit"))) {
		gate_format(d->unit, json_number_value(json_object_get(g,
			    "limit")), false, l, sizeof(l));
		fprintf(out, " (limit %s%s)", d->dir == GATE_DIR_MIN ? ">=" :
			"<=", l);
	}
	/* An automatic decision: how many evaluations in a row made it. */
	g = json_object_get(metrics, "consecutive");
	if (json_is_integer(g) && json_integer_value(g) > 0 &&
	    json_integer_value(g) < 1000000)
		fprintf(out, ", %lld in a row", (long long)json_integer_value(g));
	fputc(']', out);
	free(vs);
}

/*
 * Any line may have been written by another operator's cutover or by
 * hand: every string is scrubbed before it reaches the terminal.
 */
static void
print_readable(json_t *j, FILE *out)
{
	json_t *actor = json_object_get(j, "actor");
	json_t *from = json_object_get(j, "from");
	json_t *to = json_object_get(j, "to");
	char *when = audit_text(j, "time");
	char *user = audit_text(actor, "user");
	char *action = audit_text(j, "action");
	char *result = audit_text(j, "result");
	bool claimed;
	char *ssh = text_scrub_dup(audit_actor_field(actor, "ssh_client",
						     &claimed));
	char *reason = audit_text(j, "reason");

	fprintf(out, "%s  %-8s %-16s stage %lld->%lld  istio %lld%%->%lld%%  "
		"%s",
		when ?: "?", user ?: "?", action ?: "?",
		(long long)json_integer_value(json_object_get(j, "stage_from")),
		(long long)json_integer_value(json_object_get(j, "stage_to")),
		(long long)json_integer_value(json_object_get(from, "istio")),
		(long long)json_integer_value(json_object_get(to, "istio")),
		result ?: "?");
	if (ssh != NULL && *ssh != '\0')
		fprintf(out, "  from %s%s", ssh, claimed ? " (claimed)" : "");
	if (reason != NULL)
		fprintf(out, "  (%s)", reason);
	print_values(json_object_get(j, "metrics"), out);
	fputc('\n', out);
	free(when);
	free(user);
	free(action);
	free(result);
	free(ssh);
	free(reason);
}

int
audit_print(const char *path, FILE *out, bool json, struct err *e)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;

	if (in == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "cannot read audit log %s: %s", path,
			       strerror(errno));
	}
	while ((n = getline(&line, &cap, in)) > 0) {
		json_t *j;

		lineno++;
		if (json) {
			/* A line we wrote is ASCII and unchanged by this; a
			 * planted control byte is not passed on. */
			if (line[n - 1] == '\n')
				n--;
			text_sanitise_n(line, (size_t)n + 1, line, (size_t)n);
			fprintf(out, "%s\n", line);
			continue;
		}
		j = json_loads(line, 0, NULL);
		if (j == NULL) {
			fprintf(out, "%s:%d: unreadable line (torn write?)\n",
				path, lineno);
			continue;
		}
		print_readable(j, out);
		json_decref(j);
	}
	free(line);
	fclose(in);
	return 0;
}
