/* proc — placeholder until its module lands. */
#include "config.h"
typedef int src_proc_placeholder;
