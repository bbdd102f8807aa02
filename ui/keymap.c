/*
 * keymap — bindings table and the generated help.
 */
#include "config.h"

#include "keymap.h"

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define CTRL(c) ((c) & 0x1f)

static const struct binding {
	int key;
	const char *label;
	enum action action;
} bindings[] = {
	{ 'n', "n", ACT_ADVANCE },
	{ 'p', "p", ACT_PAUSE },
	{ 'r', "r", ACT_ROLLBACK },
	{ 't', "t", ACT_RETRY },
	{ 'a', "a", ACT_ACK },
	{ 'g', "g", ACT_GUARD },
	{ 'l', "l", ACT_LOG },
	{ '?', "?", ACT_HELP },
	{ 'q', "q", ACT_QUIT },
	{ '\t', "Tab", ACT_FOCUS },
	{ KEY_UP, "Up", ACT_UP },
	{ 'k', "k", ACT_UP },
	{ KEY_DOWN, "Down", ACT_DOWN },
	{ 'j', "j", ACT_DOWN },
	{ KEY_PPAGE, "PgUp", ACT_PAGE_UP },
	{ KEY_NPAGE, "PgDn", ACT_PAGE_DOWN },
	{ CTRL('l'), "Ctrl-L", ACT_REDRAW },
};

static const char *const action_names[] = {
	[ACT_NONE] = "",
#define X(id, name, help) [id] = name,
	ACTION_LIST(X)
#undef X
};

static const char *const action_help[] = {
	[ACT_NONE] = "",
#define X(id, name, help) [id] = help,
	ACTION_LIST(X)
#undef X
};

#define NBINDINGS (sizeof(bindings) / sizeof(bindings[0]))

enum action
keymap_lookup(int key)
{
	for (size_t i = 0; i < NBINDINGS; i++)
		if (bindings[i].key == key)
			return bindings[i].action;
	return ACT_NONE;
}

const char *
keymap_label(enum action a)
{
	for (size_t i = 0; i < NBINDINGS; i++)
		if (bindings[i].action == a)
			return bindings[i].label;
	return "";
}

char *
keymap_help(void)
{
	size_t cap = 2048;
	size_t len = 0;
	char *out = xmalloc(cap);

	out[0] = '\0';
	for (int a = ACT_NONE + 1; a < ACT_COUNT; a++) {
		char keys[48] = "";
		char line[160];
		int n;

		for (size_t i = 0; i < NBINDINGS; i++) {
			if (bindings[i].action != (enum action)a)
				continue;
			if (keys[0] != '\0')
				strncat(keys, " ", sizeof(keys) - strlen(keys) - 1);
			strncat(keys, bindings[i].label,
				sizeof(keys) - strlen(keys) - 1);
		}
		n = snprintf(line, sizeof(line), "%-10s %-9s %s\n", keys,
			     action_names[a], action_help[a]);
		if (len + (size_t)n + 1 > cap) {
			cap *= 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	return out;
}
