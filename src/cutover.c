/* cutover — placeholder until its module lands. */
#include "config.h"
typedef int src_cutover_placeholder;
