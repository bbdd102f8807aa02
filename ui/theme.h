/* theme — placeholder until its module lands. */
#ifndef CUTOVER_UI_THEME_H
#define CUTOVER_UI_THEME_H
#endif
