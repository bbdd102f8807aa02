/*
 * dialog — a modal question drawn as an overlay: data plus a draw function.
 *
 * The ui keeps a stack of dialogs, hands each key to the top one with
 * dialog_key and draws them after the panes; nothing here reads keys or
 * refreshes.  Kinds:
 *  - DIALOG_CONFIRM: 'y'/'Y' answers yes; 'n', 'N', Esc and Enter (the
 *    default) answer no; other keys are ignored.
 *  - DIALOG_TYPED: the operator types a given word and presses Enter; a
 *    wrong word is refused (the dialog stays open and says so), Backspace
 *    edits, Ctrl-U clears, Esc cancels.
 *  - DIALOG_TEXT: the operator types a line (a reason) and presses
 *    Enter; an empty line is refused when the text is required
 *    (dialog_set_required); Backspace edits, Ctrl-U clears, Esc cancels.
 *  - DIALOG_INFO: Up/Down/k/j, PgUp/PgDn, Home/End scroll a body taller
 *    than the box; any other key closes it (DIALOG_YES).
 * KEY_RESIZE never answers a dialog.  Keys are characters (Unicode code
 * points) or curses KEY_* codes; values KEY_MIN..KEY_MAX count as KEY_*.
 * Once answered, a dialog keeps returning its answer.
 */
#ifndef CUTOVER_WIDGETS_DIALOG_H
#define CUTOVER_WIDGETS_DIALOG_H

#include "widget.h"

enum dialog_kind {
	DIALOG_CONFIRM,
	DIALOG_TYPED,
	DIALOG_TEXT,
	DIALOG_INFO
};

enum dialog_result {
	DIALOG_PENDING,
	DIALOG_YES,
	DIALOG_NO
};

#define DIALOG_INPUT_MAX 64	/* characters the typed answer may hold */

struct dialog;

/* New dialog; body may hold '\n'; word is what DIALOG_TYPED wants typed. */
struct dialog *dialog_new(enum dialog_kind kind, const char *title,
			  const char *body, const char *word);
/* Free d (NULL is fine). */
void dialog_free(struct dialog *d);
/* Role of the border and title (ROLE_CRIT for a louder question). */
void dialog_set_role(struct dialog *d, enum role r);
/* DIALOG_TEXT: whether Enter on an empty line is refused. */
void dialog_set_required(struct dialog *d, bool required);
/* Feed one key; returns the answer so far. */
enum dialog_result dialog_key(struct dialog *d, int key);
/* The answer so far. */
enum dialog_result dialog_result(const struct dialog *d);
/* What has been typed so far (UTF-8; DIALOG_TYPED). */
const char *dialog_input(const struct dialog *d);
/*
 * The size of d's own rectangle when drawn in a box width x height: an
 * overlay covers that much and nothing beside it.
 */
void dialog_size(const struct dialog *d, int width, int height, int *bw,
		 int *bh);
/* Draw d centred in the box (y, x, width, height), clipped to it. */
void dialog_draw(struct dialog *d, WINDOW *w, int y, int x, int width,
		 int height);

#endif
