/* kubeconfig — placeholder until its module lands. */
#ifndef CUTOVER_SRC_KUBECONFIG_H
#define CUTOVER_SRC_KUBECONFIG_H
#endif
