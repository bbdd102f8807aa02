/* session — placeholder until its module lands. */
#include "config.h"
typedef int src_session_placeholder;
