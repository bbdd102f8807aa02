/* http — placeholder until its module lands. */
#include "config.h"
typedef int src_http_placeholder;
