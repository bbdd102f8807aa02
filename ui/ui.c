/* ui — placeholder until its module lands. */
#include "config.h"
typedef int ui_ui_placeholder;
