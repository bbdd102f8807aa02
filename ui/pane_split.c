/* pane_split — placeholder until its module lands. */
#include "config.h"
typedef int ui_pane_split_placeholder;
