/*
 * pane — what the panes share: the ui's state and the `const struct
 * pane_ops` each pane file describes itself with (name, minimum height,
 * which changes make it dirty, draw, keys).  pane_table lists them in the
 * order of PANE_LIST; ui.c lays them out, redraws the dirty ones and
 * offers a key to the focused pane before the global keymap.  Panes draw
 * the session's read-only view (u->view, filled just before they draw)
 * and the ui's own state with widgets; they never see the session
 * itself.
 */
#ifndef CUTOVER_UI_PANE_H
#define CUTOVER_UI_PANE_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "keymap.h"
#include "layout.h"
#include "session_view.h"
#include "table.h"
#include "textlog.h"
#include "widget.h"

struct dialog;

/* What a confirmation is for, and the state it was asked in. */
struct pending {
	struct dialog *dialog;
	enum action_kind {
		PENDING_NONE,
		PENDING_ADVANCE,
		PENDING_ROLLBACK,
		PENDING_RETRY,
		PENDING_QUIT,
		PENDING_INFO,
	} kind;
	bool force;
	bool reason_step;		/* the reason asked after a yes */
	enum phase phase;
	int stage;
	uint32_t seq;
};

#define UI_DIALOGS_MAX 4
#define UI_GROUPS_MAX 32	/* pod groups listed (a plan has at most 32) */

struct ui {
	struct session *s;		/* acted on only through session_*() */
	struct session_view view;	/* what panes draw: the session now */
	struct cli_ui_options opt;
	struct layout lay;
	WINDOW *win[PANE_COUNT];
	unsigned dirty;			/* 1 << pane_id */
	int focus;			/* a pane whose ops are focusable */
	struct pending dialogs[UI_DIALOGS_MAX];
	int ndialogs;
	struct table pods;
	int pod_order[UI_GROUPS_MAX];	/* group of each row, failing first */
	struct textlog *log;
	uint64_t log_seen;		/* evlog lines copied to the textlog */
	struct {
		bool open;		/* the full-screen log (logview.c) */
		int top;		/* first line shown, -1: follow */
		int match;		/* line of the last match, -1: none */
		bool typing;		/* a search is being typed */
		char query[64];
		char status[96];
	} lv;
	bool quit;
	int exit_code;
	char note[256];			/* one-line message in the hints row */
	int64_t note_until;
};

/*
 * Changes of the ui's own that make panes dirty, next to the session's
 * SESSION_DIRTY_* bits (which stay below 1 << 16) in pane_ops.dirty.
 */
enum {
	PANE_DIRTY_FOCUS = 1 << 16,	/* the focus moved */
	PANE_DIRTY_NOTE = 1 << 17,	/* the hints row's note came or went */
};

/* What a pane's key handler did with an action (a flag set). */
enum {
	PANE_KEY_NOT_MINE = 0,		/* offer it to the global keymap */
	PANE_KEY_HANDLED = 1 << 0,	/* taken; the keymap does not see it */
	PANE_KEY_REDRAW = 1 << 1,	/* the pane must be drawn again */
};

struct pane_ops {
	const char *name;
	int min_h;			/* rows at 80x24 */
	unsigned dirty;			/* SESSION_DIRTY_* | PANE_DIRTY_* */
	bool focusable;			/* Tab stops here */
	/* Once, before the first draw (NULL: nothing to set up). */
	void (*init)(struct ui *u);
	/* The session changed in one of `dirty`'s bits (NULL: nothing). */
	void (*changed)(struct ui *u, unsigned session_dirty);
	/* Draw into the pane's window (the whole rectangle). */
	void (*draw)(struct ui *u, WINDOW *w, int h, int width);
	/* An action while focused: PANE_KEY_* (NULL: never mine). */
	int (*key)(struct ui *u, enum action a);
};

#define X(id, ops) extern const struct pane_ops ops;
PANE_LIST(X)
#undef X

/* Every pane, indexed by enum pane_id. */
extern const struct pane_ops *const pane_table[PANE_COUNT];

/* Format a value of query `id` for display ("0.12%", "182 ms"). */
const char *pane_format(enum query_id id, double v, char *buf, size_t len);

/* Role for the age of a sample: fresh, late (amber), stale (red). */
enum role pane_age_role(const struct ui *u, int64_t age_ms);

#endif
