/* driver_route53 — placeholder until its module lands. */
#include "config.h"
typedef int src_driver_route53_placeholder;
