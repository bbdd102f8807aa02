/* gauge — placeholder until its module lands. */
#include "config.h"
typedef int widgets_gauge_placeholder;
