/* podhealth — placeholder until its module lands. */
#include "config.h"
typedef int src_podhealth_placeholder;
