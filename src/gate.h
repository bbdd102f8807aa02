/* gate — placeholder until its module lands. */
#ifndef CUTOVER_SRC_GATE_H
#define CUTOVER_SRC_GATE_H
#endif
