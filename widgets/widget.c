/* widget — placeholder until its module lands. */
#include "config.h"
typedef int widgets_widget_placeholder;
