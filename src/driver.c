/* driver — placeholder until its module lands. */
#include "config.h"
typedef int src_driver_placeholder;
