/* demo — placeholder until its module lands. */
#include "config.h"
typedef int src_demo_placeholder;
