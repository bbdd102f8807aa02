/* kube — placeholder until its module lands. */
#ifndef CUTOVER_SRC_KUBE_H
#define CUTOVER_SRC_KUBE_H
#endif
