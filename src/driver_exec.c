/* driver_exec — placeholder until its module lands. */
#include "config.h"
typedef int src_driver_exec_placeholder;
