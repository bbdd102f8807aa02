/* metrics — placeholder until its module lands. */
#include "config.h"
typedef int src_metrics_placeholder;
