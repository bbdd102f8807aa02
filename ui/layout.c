/* layout — placeholder until its module lands. */
#include "config.h"
typedef int ui_layout_placeholder;
