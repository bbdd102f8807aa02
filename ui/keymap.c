/* keymap — placeholder until its module lands. */
#include "config.h"
typedef int ui_keymap_placeholder;
