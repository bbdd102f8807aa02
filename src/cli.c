/* cli — placeholder until its module lands. */
#include "config.h"
typedef int src_cli_placeholder;
