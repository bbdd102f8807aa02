/* table — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_TABLE_H
#define CUTOVER_WIDGETS_TABLE_H
#endif
