/*
 * keymap — the keys, declared once.  Each action has a name and a help
 * line (ACTION_LIST); the bindings table maps keys to actions; the help
 * overlay is generated from both, so it cannot disagree with the keys.
 */
#ifndef CUTOVER_UI_KEYMAP_H
#define CUTOVER_UI_KEYMAP_H

#define ACTION_LIST(X)                                                        \
	X(ACT_ADVANCE, "advance", "shift to the next stage (asks first)")     \
	X(ACT_PAUSE, "pause", "pause or resume the hold timer")               \
	X(ACT_ROLLBACK, "rollback", "all traffic back to APISIX (asks first)") \
	X(ACT_RETRY, "retry", "retry the driver step that failed")            \
	X(ACT_ACK, "acknowledge", "acknowledge the alarm (banner and bell)")  \
	X(ACT_GUARD, "guard", "start the plan's guard now when it is down")   \
	X(ACT_LOG, "log", "the whole event log, full screen (/ searches)")   \
	X(ACT_HELP, "help", "this help")                                      \
	X(ACT_QUIT, "quit", "quit; never changes traffic")                    \
	X(ACT_FOCUS, "focus", "move the focus to the next pane")              \
	X(ACT_UP, "up", "scroll the focused pane up")                         \
	X(ACT_DOWN, "down", "scroll the focused pane down")                   \
	X(ACT_PAGE_UP, "page up", "scroll the focused pane a page up")        \
	X(ACT_PAGE_DOWN, "page down", "scroll the focused pane a page down")  \
	X(ACT_REDRAW, "redraw", "redraw the whole screen")

enum action {
	ACT_NONE,
#define X(id, name, help) id,
	ACTION_LIST(X)
#undef X
	ACT_COUNT
};

/* The action bound to a key (wide char or KEY_*), ACT_NONE if none. */
enum action keymap_lookup(int key);

/* Label of the first key bound to an action ("n", "PgUp"). */
const char *keymap_label(enum action a);

/* Help text, one line per action with its keys (caller frees). */
char *keymap_help(void);

#endif
