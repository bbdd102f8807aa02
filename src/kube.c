/* kube — placeholder until its module lands. */
#include "config.h"
typedef int src_kube_placeholder;
