/* pane_metrics — placeholder until its module lands. */
#include "config.h"
typedef int ui_pane_metrics_placeholder;
