/* splitbar — placeholder until its module lands. */
#include "config.h"
typedef int widgets_splitbar_placeholder;
