/*
 * theme — the roles of widgets/ mapped to curses attributes: colours when
 * the terminal has them and NO_COLOR / --no-color is not set, otherwise
 * monochrome attributes (bold, reverse, dim) that keep every state
 * distinguishable without colour.
 */
#ifndef CUTOVER_UI_THEME_H
#define CUTOVER_UI_THEME_H

#include <stdbool.h>

/* Install the theme; call after the screen is initialised. */
void theme_init(bool no_color);

#endif
