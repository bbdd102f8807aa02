/* pane_log — placeholder until its module lands. */
#include "config.h"
typedef int ui_pane_log_placeholder;
