/* loop — placeholder until its module lands. */
#include "config.h"
typedef int src_loop_placeholder;
