/* session — placeholder until its module lands. */
#ifndef CUTOVER_SRC_SESSION_H
#define CUTOVER_SRC_SESSION_H
#endif
