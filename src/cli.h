/* cli — placeholder until its module lands. */
#ifndef CUTOVER_SRC_CLI_H
#define CUTOVER_SRC_CLI_H
#endif
