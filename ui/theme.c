/* theme — placeholder until its module lands. */
#include "config.h"
typedef int ui_theme_placeholder;
