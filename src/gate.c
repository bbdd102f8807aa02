/* gate — placeholder until its module lands. */
#include "config.h"
typedef int src_gate_placeholder;
