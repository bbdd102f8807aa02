/* textlog — placeholder until its module lands. */
#include "config.h"
typedef int widgets_textlog_placeholder;
