/* audit — placeholder until its module lands. */
#include "config.h"
typedef int src_audit_placeholder;
