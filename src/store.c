/* store — placeholder until its module lands. */
#include "config.h"
typedef int src_store_placeholder;
