/*
 * cmd_check — `cutover check`: print the resolved plan (secrets masked)
 * and let the traffic driver check its settings, without contacting it.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>

#include "cli.h"
#include "driver.h"
#include "err.h"
#include "plan.h"

static int
cmd_check_exec(const struct cmd_options *o, const struct plan *p,
	       struct loop *l)
{
	struct driver d;
	struct err e;

	plan_print(p, stdout);
	if (p->traffic.driver != DRIVER_DEMO) {
		err_clear(&e);
		if (driver_init(&d, p, l, NULL, NULL, &e) != 0) {
			cmd_complain(&e);
			return CLI_BAD_PLAN;
		}
		driver_done(&d);
	}
	printf("plan OK: %d stages, driver %s\n", p->nstages,
	       plan_driver_name(p->traffic.driver));
	printf("(the file only: `cutover preflight` checks the world)\n");
	return CLI_OK;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.help = "validate the plan file and print its settings",
	.lock = false,
	.read_only = true,
	.exec = cmd_check_exec,
};
