/*
 * proto — the guard's JSON-lines protocol (see proto.h): encoding each
 * message, decoding what each side may receive, and cutting a stream
 * into bounded lines.
 */
#include "config.h"

#include "proto.h"

#include <string.h>

#include "text.h"
#include "xmalloc.h"

static const char *const proto_type_name[PROTO_TYPES] = {
	[PROTO_HELLO] = "hello",
	[PROTO_WELCOME] = "welcome",
	[PROTO_VIEW] = "view",
	[PROTO_ACTION] = "action",
	[PROTO_RESULT] = "result",
	[PROTO_ERROR] = "error",
};

static const char *const proto_role_names[PROTO_ROLES] = {
	[PROTO_ROLE_DASHBOARD] = "dashboard",
	[PROTO_ROLE_COMMAND] = "command",
};

static const char *const proto_action_names[PROTO_ACTIONS] = {
#define X(id, name) [id] = name,
	PROTO_ACTION_LIST(X)
#undef X
};

const char *
proto_action_name(enum proto_action a)
{
	return (unsigned)a < PROTO_ACTIONS ? proto_action_names[a] : "?";
}

int
proto_action_parse(const char *name, enum proto_action *a)
{
	for (int i = 0; i < PROTO_ACTIONS; i++)
		if (strcmp(name, proto_action_names[i]) == 0) {
			*a = (enum proto_action)i;
			return 0;
		}
	return -1;
}

const char *
proto_role_name(enum proto_role r)
{
	return (unsigned)r < PROTO_ROLES ? proto_role_names[r] : "?";
}

char *
proto_encode(const struct proto_msg *m)
{
	json_t *j;
	char *text, *line;

	switch (m->type) {
	case PROTO_HELLO:
		j = json_pack("{s:i, s:s, s:s, s:s, s:s}", "proto",
		    m->u.hello.proto, "program", m->u.hello.program, "role",
		    proto_role_name(m->u.hello.role), "tty", m->u.hello.tty,
		    "ssh_client", m->u.hello.ssh_client);
		break;
	case PROTO_WELCOME:
		j = json_pack("{s:i, s:s, s:s, s:I, s:b, s:s, s:I}", "proto",
		    m->u.welcome.proto, "program", m->u.welcome.program,
		    "user", m->u.welcome.user, "uid",
		    (json_int_t)m->u.welcome.uid, "may_act",
		    m->u.welcome.may_act, "why", m->u.welcome.why, "pid",
		    (json_int_t)m->u.welcome.pid);
		break;
	case PROTO_VIEW:
		j = json_pack("{s:O}", "view", m->view);
		break;
	case PROTO_ACTION:
		j = json_pack("{s:I, s:s, s:s, s:b}", "id",
		    (json_int_t)m->u.act.id, "name",
		    proto_action_name(m->u.act.name), "reason",
		    m->u.act.reason, "force", m->u.act.force);
		if (j != NULL && m->u.act.unconfirmed)
			json_object_set_new(j, "unconfirmed", json_true());
		break;
	case PROTO_RESULT:
		j = json_pack("{s:I, s:b, s:s}", "id",
		    (json_int_t)m->u.result.id, "ok", m->u.result.ok, "why",
		    m->u.result.why);
		break;
	case PROTO_ERROR:
	default:
		j = json_pack("{s:s}", "message", m->u.error);
		break;
	}
	if (j == NULL)
		abort();	/* only invalid UTF-8 fails, and all was sanitised */
	json_object_set_new(j, "type", json_string(proto_type_name[m->type]));
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (text == NULL)
		abort();
	line = xasprintf("%s\n", text);
	free(text);
	return line;
}

/* ---- decoding ----------------------------------------------------------- */

static int
proto_str(const json_t *o, const char *key, char *buf, size_t cap,
	  struct err *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= cap)
		return err_set(e, "\"%s\" is not a string shorter than %zu "
			       "bytes", key, cap);
	text_sanitise_n(buf, cap, json_string_value(v), json_string_length(v));
	return 0;
}

static int
proto_int(const json_t *o, const char *key, json_int_t lo, json_int_t hi,
	  json_int_t *out, struct err *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return err_set(e, "\"%s\" is not an integer in %lld..%lld", key,
			       (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

static int
proto_bool(const json_t *o, const char *key, bool *out, struct err *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return err_set(e, "\"%s\" is not true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* The object of one line, and its type. */
static json_t *
proto_parse(const char *line, size_t len, enum proto_type *type,
	    struct err *e)
{
	json_error_t je;
	json_t *j;
	const char *t;

	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		err_set(e, "not JSON: %s", je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		err_set(e, "not a JSON object");
		json_decref(j);
		return NULL;
	}
	t = json_string_value(json_object_get(j, "type"));
	for (int i = 0; t != NULL && i < PROTO_TYPES; i++)
		if (strcmp(t, proto_type_name[i]) == 0) {
			*type = (enum proto_type)i;
			return j;
		}
	err_set(e, "no known \"type\"");
	json_decref(j);
	return NULL;
}

static int
proto_dec_hello(const json_t *j, struct proto_hello *h, struct err *e)
{
	const char *role;
	json_int_t v;

	/* The version first: another version's other fields may differ. */
	if (proto_int(j, "proto", 0, INT32_MAX, &v, e) != 0)
		return PROTO_BAD;
	if (v != PROTO_VERSION) {
		err_set(e, "the client speaks protocol version %lld and this "
			"guard version %d: use the same cutover release for "
			"both", (long long)v, PROTO_VERSION);
		return PROTO_OTHER_VERSION;
	}
	h->proto = (int)v;
	if (proto_str(j, "program", h->program, sizeof(h->program), e) != 0 ||
	    proto_str(j, "tty", h->tty, sizeof(h->tty), e) != 0 ||
	    proto_str(j, "ssh_client", h->ssh_client, sizeof(h->ssh_client),
		      e) != 0)
		return PROTO_BAD;
	role = json_string_value(json_object_get(j, "role"));
	for (int i = 0; role != NULL && i < PROTO_ROLES; i++)
		if (strcmp(role, proto_role_names[i]) == 0) {
			h->role = (enum proto_role)i;
			return 0;
		}
	err_set(e, "\"role\" is not dashboard or command");
	return PROTO_BAD;
}

static int
proto_dec_action(const json_t *j, struct proto_act *a, struct err *e)
{
	const char *name;
	json_int_t id;

	if (proto_int(j, "id", 0, INT64_MAX, &id, e) != 0 ||
	    proto_str(j, "reason", a->reason, sizeof(a->reason), e) != 0 ||
	    proto_bool(j, "force", &a->force, e) != 0)
		return PROTO_BAD;
	a->unconfirmed = false;
	if (json_object_get(j, "unconfirmed") != NULL &&
	    proto_bool(j, "unconfirmed", &a->unconfirmed, e) != 0)
		return PROTO_BAD;
	a->id = (uint64_t)id;
	name = json_string_value(json_object_get(j, "name"));
	if (name == NULL || proto_action_parse(name, &a->name) != 0) {
		err_set(e, "\"name\" is not an action");
		return PROTO_BAD;
	}
	return 0;
}

int
proto_decode_client(const char *line, size_t len, struct proto_msg *m,
		    struct err *e)
{
	json_t *j;
	int rc = PROTO_BAD;

	memset(m, 0, sizeof(*m));
	if (len > PROTO_CLIENT_LINE_MAX) {
		err_set(e, "a line of more than %d bytes",
			PROTO_CLIENT_LINE_MAX);
		return PROTO_BAD;
	}
	if ((j = proto_parse(line, len, &m->type, e)) == NULL)
		return PROTO_BAD;
	if (m->type == PROTO_HELLO)
		rc = proto_dec_hello(j, &m->u.hello, e);
	else if (m->type == PROTO_ACTION)
		rc = proto_dec_action(j, &m->u.act, e);
	else
		err_set(e, "a client may send hello or action, not %s",
			proto_type_name[m->type]);
	json_decref(j);
	return rc;
}

int
proto_decode_guard(const char *line, size_t len, struct proto_msg *m,
		   struct err *e)
{
	json_t *j;
	json_int_t v;
	int rc = PROTO_BAD;

	memset(m, 0, sizeof(*m));
	if ((j = proto_parse(line, len, &m->type, e)) == NULL)
		return PROTO_BAD;
	switch (m->type) {
	case PROTO_WELCOME: {
		struct proto_welcome *w = &m->u.welcome;

		if (proto_int(j, "proto", 0, INT32_MAX, &v, e) != 0)
			break;
		if (v != PROTO_VERSION) {
			err_set(e, "the guard speaks protocol version %lld and "
				"this client version %d: use the same cutover "
				"release for both", (long long)v,
				PROTO_VERSION);
			break;
		}
		w->proto = (int)v;
		if (proto_str(j, "program", w->program, sizeof(w->program),
			      e) != 0 ||
		    proto_str(j, "user", w->user, sizeof(w->user), e) != 0 ||
		    proto_str(j, "why", w->why, sizeof(w->why), e) != 0 ||
		    proto_bool(j, "may_act", &w->may_act, e) != 0)
			break;
		if (proto_int(j, "uid", 0, UINT32_MAX, &v, e) != 0)
			break;
		w->uid = (long)v;
		if (proto_int(j, "pid", 1, INT32_MAX, &v, e) != 0)
			break;
		w->pid = (long)v;
		rc = 0;
		break;
	}
	case PROTO_VIEW:
		m->view = json_object_get(j, "view");
		if (!json_is_object(m->view)) {
			m->view = NULL;
			err_set(e, "\"view\" is not an object");
			break;
		}
		json_incref(m->view);
		rc = 0;
		break;
	case PROTO_RESULT:
		if (proto_int(j, "id", 0, INT64_MAX, &v, e) != 0 ||
		    proto_bool(j, "ok", &m->u.result.ok, e) != 0 ||
		    proto_str(j, "why", m->u.result.why,
			      sizeof(m->u.result.why), e) != 0)
			break;
		m->u.result.id = (uint64_t)v;
		rc = 0;
		break;
	case PROTO_ERROR:
		if (proto_str(j, "message", m->u.error, sizeof(m->u.error),
			      e) == 0)
			rc = 0;
		break;
	default:
		err_set(e, "a guard may send welcome, view, result or error, "
			"not %s", proto_type_name[m->type]);
		break;
	}
	json_decref(j);
	return rc;
}

void
proto_msg_done(struct proto_msg *m)
{
	json_decref(m->view);
	m->view = NULL;
}

/* ---- lines -------------------------------------------------------------- */

void
proto_lines_init(struct proto_lines *pl, size_t max)
{
	memset(pl, 0, sizeof(*pl));
	pl->max = max;
}

void
proto_lines_done(struct proto_lines *pl)
{
	free(pl->buf);
	memset(pl, 0, sizeof(*pl));
}

void
proto_lines_feed(struct proto_lines *pl, const char *p, size_t n)
{
	if (pl->skip > 0) {
		memmove(pl->buf, pl->buf + pl->skip, pl->len - pl->skip);
		pl->len -= pl->skip;
		pl->skip = 0;
	}
	if (pl->len + n + 1 > pl->cap) {
		size_t cap = pl->cap > 0 ? pl->cap : 4096;

		while (cap < pl->len + n + 1)
			cap *= 2;
		pl->buf = xrealloc(pl->buf, cap);
		pl->cap = cap;
	}
	memcpy(pl->buf + pl->len, p, n);
	pl->len += n;
}

int
proto_lines_next(struct proto_lines *pl, const char **line, size_t *len)
{
	char *start, *nl;
	size_t have;

	if (pl->skip > 0 && pl->skip == pl->len) {
		pl->len = 0;
		pl->skip = 0;
	}
	start = pl->buf + pl->skip;
	have = pl->len - pl->skip;
	nl = have > 0 ? memchr(start, '\n', have) : NULL;
	if (nl == NULL)
		return have > pl->max ? -1 : 0;
	if ((size_t)(nl - start) > pl->max)
		return -1;
	*nl = '\0';
	*line = start;
	*len = (size_t)(nl - start);
	pl->skip += *len + 1;
	return 1;
}
