/*
 * cmd_log — `cutover log`: the audit log, readably or as JSON lines.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>

#include "audit.h"
#include "cli.h"
#include "err.h"
#include "plan.h"

static int
cmd_log_exec(const struct cmd_options *o, const struct plan *p,
	     struct loop *l)
{
	struct err e;

	err_clear(&e);
	if (audit_print(p->audit_log, stdout, o->json, &e) != 0) {
		cmd_complain(&e);
		return CLI_IO;
	}
	return CLI_OK;
}

const struct cmd_entry cmd_log_entry = {
	.name = "log",
	.help = "print the audit log",
	.lock = false,
	.read_only = true,
	.exec = cmd_log_exec,
};
