/*
 * logview — the full-screen event log (see logview.h).
 *
 * The view keeps the index of its first line in the pane's textlog, or
 * follows the newest (top < 0).  A search looks for the text (ASCII case
 * ignored) from the line after the current match, wrapping once; the
 * match is brought into view and drawn in the focus role.
 */
#include "config.h"

#include "logview.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Body rows: a title above, the prompt or the keys below. */
static int
logview_rows(void)
{
	return LINES - 2 > 1 ? LINES - 2 : 1;
}

/* The first line shown, from the top (following: the last page). */
static int
logview_top(const struct ui *u)
{
	int n = textlog_count(u->log);
	int last = n - logview_rows() > 0 ? n - logview_rows() : 0;

	if (u->lv.top < 0 || u->lv.top > last)
		return last;
	return u->lv.top;
}

static bool
logview_has(const char *line, const char *q)
{
	size_t n = strlen(q);

	if (n == 0)
		return false;
	for (; *line != '\0'; line++) {
		size_t i = 0;

		while (i < n && line[i] != '\0' &&
		       tolower((unsigned char)line[i]) ==
		       tolower((unsigned char)q[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* The next (dir 1) or previous (dir -1) line that matches, wrapping. */
static void
logview_find(struct ui *u, int dir)
{
	int n = textlog_count(u->log);
	int from = u->lv.match >= 0 ? u->lv.match :
		   dir > 0 ? logview_top(u) - 1 : logview_top(u) +
		   logview_rows();

	for (int k = 1; k <= n; k++) {
		int i = ((from + dir * k) % n + n) % n;

		if (logview_has(textlog_line(u->log, i, NULL), u->lv.query)) {
			u->lv.match = i;
			if (i < logview_top(u) ||
			    i >= logview_top(u) + logview_rows())
				u->lv.top = i > logview_rows() / 2 ?
					    i - logview_rows() / 2 : 0;
			return;
		}
	}
	u->lv.match = -1;
	snprintf(u->lv.status, sizeof(u->lv.status), "not found: %s",
		 u->lv.query);
}

void
logview_open(struct ui *u)
{
	u->lv.open = true;
	u->lv.top = -1;
	u->lv.match = -1;
	u->lv.typing = false;
	u->lv.status[0] = '\0';
}

void
logview_draw(struct ui *u)
{
	int n = textlog_count(u->log);
	int rows = logview_rows();
	int top = logview_top(u);
	char buf[192];

	erase();
	snprintf(buf, sizeof(buf), "event log: lines %d-%d of %d%s",
		 n > 0 ? top + 1 : 0, top + rows < n ? top + rows : n, n,
		 u->lv.top < 0 ? " (following)" : "");
	widget_text(stdscr, 0, 0, COLS, ROLE_TITLE, buf);
	for (int r = 0; r < rows && top + r < n; r++) {
		enum role role;
		const char *line = textlog_line(u->log, top + r, &role);

		if (top + r == u->lv.match)
			role = ROLE_FOCUS;
		widget_text_cut(stdscr, 1 + r, 0, COLS, role, line);
	}
	if (u->lv.typing) {
		snprintf(buf, sizeof(buf), "/%s", u->lv.query);
		widget_text(stdscr, LINES - 1, 0, COLS, ROLE_FOCUS, buf);
	} else if (u->lv.status[0] != '\0') {
		widget_text(stdscr, LINES - 1, 0, COLS, ROLE_WARN,
			    u->lv.status);
	} else {
		widget_text(stdscr, LINES - 1, 0, COLS, ROLE_DIM,
			    "j/k PgUp/PgDn g/G scroll  / search  n/N "
			    "next/previous  Esc or l: back");
	}
	wnoutrefresh(stdscr);
}

bool
logview_key(struct ui *u, int key)
{
	int rows = logview_rows();
	int top = logview_top(u);

	u->lv.status[0] = '\0';
	if (u->lv.typing) {
		size_t len = strlen(u->lv.query);

		if (key == 27) {
			u->lv.typing = false;
			u->lv.query[0] = '\0';
		} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
			u->lv.typing = false;
			u->lv.match = -1;
			logview_find(u, 1);
		} else if ((key == KEY_BACKSPACE || key == 127 || key == 8) &&
			   len > 0) {
			u->lv.query[len - 1] = '\0';
		} else if (key >= 32 && key < 127 &&
			   len + 1 < sizeof(u->lv.query)) {
			u->lv.query[len] = (char)key;
			u->lv.query[len + 1] = '\0';
		}
		return true;
	}
	switch (key) {
	case 27:
	case 'l':
	case 'q':
		u->lv.open = false;
		return false;
	case '/':
		u->lv.typing = true;
		u->lv.query[0] = '\0';
		break;
	case 'n':
	case 'N':
		if (u->lv.query[0] != '\0')
			logview_find(u, key == 'n' ? 1 : -1);
		break;
	case KEY_UP:
	case 'k':
		u->lv.top = top > 0 ? top - 1 : 0;
		break;
	case KEY_DOWN:
	case 'j':
		u->lv.top = top + 1;
		break;
	case KEY_PPAGE:
		u->lv.top = top - rows > 0 ? top - rows : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		u->lv.top = top + rows;
		break;
	case KEY_HOME:
	case 'g':
		u->lv.top = 0;
		break;
	case KEY_END:
	case 'G':
		u->lv.top = -1;
		break;
	default:
		break;
	}
	/* At the bottom again: follow the newest line. */
	if (u->lv.top >= 0 && u->lv.top >= textlog_count(u->log) - rows)
		u->lv.top = -1;
	return true;
}
