/* plan — placeholder until its module lands. */
#include "config.h"
typedef int src_plan_placeholder;
