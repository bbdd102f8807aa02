/*
 * ui — the curses dashboard: the only code that touches the terminal.
 * One loop pass: wait in the event loop (keys, signals, transfers,
 * timers), let callbacks change the model and set dirty bits, then draw
 * the dirty panes (wnoutrefresh) and send it all with one doupdate().
 */
#ifndef CUTOVER_UI_UI_H
#define CUTOVER_UI_UI_H

#include "cli.h"

struct session;

/* Run the dashboard until the operator quits or a signal ends it. */
int ui_run(struct session *s, const struct cli_ui_options *o);

#endif
