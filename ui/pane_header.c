/* pane_header — placeholder until its module lands. */
#include "config.h"
typedef int ui_pane_header_placeholder;
