/*
 * plan_guard — the plan's guard: section: who may act through the guard
 * (operators by user name, or a group), the group that may reach its
 * socket to watch, and how long a guard with nothing
 * to watch waits for a client before it exits.  Without the section
 * everyone who can reach the socket may act, as everyone who can take
 * the lock may today.  `cutover check` prints the section and the socket
 * the plan's guard listens on.
 */
#include "config.h"

#include "plan_schema.h"

#include <sys/un.h>

#include "guard.h"

const struct field guard_fields[] = {
	FLD("operators", F_ARGV, struct plan_guard, operators),
	FLD("group", F_NAME, struct plan_guard, group),
	FLD("socket_group", F_NAME, struct plan_guard, socket_group),
	FLDBD("grace", F_DUR, struct plan_guard, grace_ms, 0, 24.0 * HOUR,
	      10 * SEC),
	FLDD("restart", F_BOOL, struct plan_guard, restart, 1),
	FEND
};

int
fn_guard(struct ctx *c, const struct field *f, yaml_node_t *n, void *base)
{
	struct plan *p = base;

	(void)f;
	return parse_map(c, n, "guard", guard_fields, &p->guard, NULL);
}

void
pr_guard(FILE *out, const char *key, const struct field *f,
	 const void *base, const struct plan *p)
{
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	char k[64];
	struct err e;

	(void)f;
	(void)base;
	print_map(out, key, guard_fields, &p->guard, p);
	snprintf(k, sizeof(k), "%s.socket", key);
	err_clear(&e);
	if (guard_socket_path(p, path, sizeof(path), &e) == 0)
		pr_str(out, k, path);
	else
		pr_str(out, k, e.msg);
}
