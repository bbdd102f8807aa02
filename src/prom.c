/* prom — placeholder until its module lands. */
#include "config.h"
typedef int src_prom_placeholder;
