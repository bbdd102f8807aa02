/* pane_pods — placeholder until its module lands. */
#include "config.h"
typedef int ui_pane_pods_placeholder;
