/* prom — placeholder until its module lands. */
#ifndef CUTOVER_SRC_PROM_H
#define CUTOVER_SRC_PROM_H
#endif
