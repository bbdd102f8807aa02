/* pane_timeline — placeholder until its module lands. */
#include "config.h"
typedef int ui_pane_timeline_placeholder;
