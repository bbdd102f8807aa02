/*
 * pane — what the panes share: the ui's state and one draw function per
 * pane.  Panes read the session (the model) and draw it with widgets;
 * they never change the model and never read keys.
 */
#ifndef CUTOVER_UI_PANE_H
#define CUTOVER_UI_PANE_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "layout.h"
#include "session.h"
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
	enum phase phase;
	int stage;
	uint32_t seq;
};

#define UI_DIALOGS_MAX 4

struct ui {
	struct session *s;
	struct cli_ui_options opt;
	struct layout lay;
	WINDOW *win[PANE_COUNT];
	unsigned dirty;			/* 1 << pane_id */
	int focus;			/* PANE_METRICS, PANE_PODS or PANE_LOG */
	struct pending dialogs[UI_DIALOGS_MAX];
	int ndialogs;
	struct table pods;
	struct textlog *log;
	uint64_t log_seen;		/* evlog lines copied to the textlog */
	bool quit;
	int exit_code;
	char note[256];			/* one-line message in the hints row */
	int64_t note_until;
};

/* Draw pane `id` into its window (the whole rectangle). */
void pane_header_draw(struct ui *u, WINDOW *w, int h, int width);
void pane_split_draw(struct ui *u, WINDOW *w, int h, int width);
void pane_timeline_draw(struct ui *u, WINDOW *w, int h, int width);
void pane_metrics_draw(struct ui *u, WINDOW *w, int h, int width);
void pane_pods_draw(struct ui *u, WINDOW *w, int h, int width);
void pane_log_draw(struct ui *u, WINDOW *w, int h, int width);
void pane_hints_draw(struct ui *u, WINDOW *w, int h, int width);

/* Set up / release the pod table's columns. */
void pane_pods_init(struct ui *u);

/* Format a value of query `id` for display ("0.12%", "182 ms"). */
const char *pane_format(enum query_id id, double v, char *buf, size_t len);

/* Role for the age of a sample: fresh, late (amber), stale (red). */
enum role pane_age_role(const struct ui *u, int64_t age_ms);

#endif
