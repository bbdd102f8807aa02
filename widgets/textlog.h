/*
 * textlog — a ring of the last N lines, each with a role, drawn newest at
 * the bottom.
 *
 * Lines are copied (xstrdup); when the ring is full the oldest goes.  In
 * follow mode the view shows the newest lines; scrolling back leaves
 * follow mode and the view then stays on the same lines while new ones
 * arrive (until they fall out of the ring); scrolling to the bottom
 * resumes following.  Long lines wrap, or are clipped with a '>' marker in
 * the last column.
 */
#ifndef CUTOVER_WIDGETS_TEXTLOG_H
#define CUTOVER_WIDGETS_TEXTLOG_H

#include "widget.h"

struct textlog;

/* New empty log keeping at most capacity (>= 1) lines; follow mode on. */
struct textlog *textlog_new(int capacity);
/* Free the log and its lines (NULL is fine). */
void textlog_free(struct textlog *l);
/* Append a copy of line with role r. */
void textlog_add(struct textlog *l, enum role r, const char *line);
/* Append a formatted line. */
void textlog_addf(struct textlog *l, enum role r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Lines held now. */
int textlog_count(const struct textlog *l);
/* Line i (0 = oldest held), its role into *r if r is not NULL. */
const char *textlog_line(const struct textlog *l, int i, enum role *r);
/* Scroll back (delta > 0) or forward (delta < 0) by delta lines. */
void textlog_scroll(struct textlog *l, int delta);
/* Turn follow mode on (jump to the newest line) or off. */
void textlog_follow(struct textlog *l, bool on);
/* Whether the view follows the newest line. */
bool textlog_following(const struct textlog *l);
/* Wrap long lines (true) or clip them with '>' (false, the default). */
void textlog_set_wrap(struct textlog *l, bool wrap);
/* Draw the view into the box. */
void textlog_draw(struct textlog *l, WINDOW *w, int y, int x, int width,
		  int height);

#endif
