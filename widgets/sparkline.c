/* sparkline — placeholder until its module lands. */
#include "config.h"
typedef int widgets_sparkline_placeholder;
