/* keymap — placeholder until its module lands. */
#ifndef CUTOVER_UI_KEYMAP_H
#define CUTOVER_UI_KEYMAP_H
#endif
