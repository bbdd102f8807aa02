/* countdown — placeholder until its module lands. */
#include "config.h"
typedef int widgets_countdown_placeholder;
