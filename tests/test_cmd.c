/*
 * test_cmd — the command table keeps its promises: names are unique and
 * found by cmd_find, every entry has a help line and a handler, and no
 * entry that takes the plan's lock allows --read-only.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

Test(cmd, entries_are_complete)
{
	int n = 0;

	for (const struct cmd_entry *const *ce = cmd_table; *ce != NULL;
	     ce++, n++) {
		cr_assert_not_null((*ce)->name);
		cr_assert_not_null((*ce)->help, "%s", (*ce)->name);
		cr_assert_gt(strlen((*ce)->help), 0, "%s", (*ce)->name);
		cr_assert_not_null((*ce)->exec, "%s", (*ce)->name);
		cr_assert_eq(cmd_find((*ce)->name), *ce, "%s: not unique",
			     (*ce)->name);
	}
	cr_assert_gt(n, 0);
	cr_assert_null(cmd_find("frobnicate"));
	cr_assert_null(cmd_find(""));
}

Test(cmd, lock_excludes_read_only)
{
	for (const struct cmd_entry *const *ce = cmd_table; *ce != NULL; ce++)
		cr_assert(!((*ce)->lock && (*ce)->read_only),
			  "%s takes the lock but allows --read-only",
			  (*ce)->name);
	cr_assert(cmd_find("reconcile")->lock);
	cr_assert(!cmd_find("reconcile")->read_only);
	cr_assert(!cmd_find("status")->lock);
	cr_assert(cmd_find("status")->read_only);
}

Test(cmd, usage_lists_every_entry)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cmd_usage(f);
	fclose(f);
	for (const struct cmd_entry *const *ce = cmd_table; *ce != NULL;
	     ce++) {
		char line[128];

		snprintf(line, sizeof(line), "  %-11s %s\n", (*ce)->name,
			 (*ce)->help);
		cr_assert_not_null(strstr(buf, line), "%s", (*ce)->name);
	}
	free(buf);
}
