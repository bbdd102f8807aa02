/* demo — placeholder until its module lands. */
#ifndef CUTOVER_SRC_DEMO_H
#define CUTOVER_SRC_DEMO_H
#endif
