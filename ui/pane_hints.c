/* pane_hints — placeholder until its module lands. */
#include "config.h"
typedef int ui_pane_hints_placeholder;
