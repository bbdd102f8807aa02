/*
 * cmd_rbac — `cutover rbac`: print the Kubernetes Roles the plan needs,
 * for the cluster admin.  Nothing is contacted.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>

#include "cli.h"
#include "plan.h"
#include "rbac.h"

static int
cmd_rbac_exec(const struct cmd_options *o, const struct plan *p,
	      struct loop *l)
{
	struct rbac r;

	(void)o;
	(void)l;
	rbac_init(&r);
	rbac_collect(&r, p);
	rbac_print(&r, p, stdout);
	rbac_done(&r);
	return fflush(stdout) == 0 ? CLI_OK : CLI_IO;
}

const struct cmd_entry cmd_rbac_entry = {
	.name = "rbac",
	.help = "print the Kubernetes Roles the plan needs",
	.lock = false,
	.read_only = true,
	.exec = cmd_rbac_exec,
};
