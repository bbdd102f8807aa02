/* driver_kube — placeholder until its module lands. */
#include "config.h"
typedef int src_driver_kube_placeholder;
