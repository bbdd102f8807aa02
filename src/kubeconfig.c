/* kubeconfig — placeholder until its module lands. */
#include "config.h"
typedef int src_kubeconfig_placeholder;
