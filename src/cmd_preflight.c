/*
 * cmd_preflight — `cutover preflight`: the guide's checks before the first
 * shift (preflight.h), judged once on fresh answers, one line each, or
 * JSON.  It never takes the lock, so it runs beside a dashboard.  Exit 0
 * only when no check fails or is unknown (a skipped one says why), else
 * CLI_PREFLIGHT_FAILED.
 */
#include "config.h"

#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"
#include "plan.h"
#include "preflight.h"
#include "session.h"
#include "text.h"

static const char *
cmd_preflight_mark(enum preflight_state st)
{
	switch (st) {
	case PREFLIGHT_PASS:
		return "[ ok ]";
	case PREFLIGHT_FAIL:
		return "[FAIL]";
	case PREFLIGHT_SKIP:
		return "[skip]";
	case PREFLIGHT_UNKNOWN:
		break;
	}
	return "[ ?? ]";
}

static int
cmd_preflight_exec(const struct cmd_options *c, const struct plan *p,
		   struct loop *l)
{
	struct session s;
	int rc = cmd_open_session(c, &s, p, l, true);
	bool blocks;

	if (rc != CLI_OK)
		return rc;
	session_start(&s, false);
	session_wait(&s, cmd_deadline(p));
	/* Judged as at stage 0, wherever the cutover is now. */
	{
		int stage = s.rec.state.stage;

		s.rec.state.stage = 0;
		session_refresh_once(&s);
		blocks = session_preflight(&s);
		s.rec.state.stage = stage;
	}
	if (c->json) {
		json_t *j = preflight_json(&s.pf);

		/* ASCII only: no string can carry a control to the tty. */
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		for (int i = 0; i < PF_COUNT; i++) {
			const struct preflight_def *d =
			    preflight_def((enum preflight_id)i);
			const struct preflight_check *ck = &s.pf.c[i];
			char *why = text_scrub_dup(ck->reason);

			printf("%s %-16s %s\n", cmd_preflight_mark(ck->state),
			       d->label, why);
			free(why);
		}
		printf(blocks ? "preflight: NOT ready for the first shift "
		       "(advance needs --force)\n" : "preflight: ready for "
		       "the first shift\n");
	}
	session_close(&s);
	return blocks ? CLI_PREFLIGHT_FAILED : CLI_OK;
}

const struct cmd_entry cmd_preflight_entry = {
	.name = "preflight",
	.help = "the guide's checks before the first shift",
	.lock = false,
	.read_only = true,
	.exec = cmd_preflight_exec,
};
