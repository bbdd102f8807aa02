/* splitbar — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_SPLITBAR_H
#define CUTOVER_WIDGETS_SPLITBAR_H
#endif
