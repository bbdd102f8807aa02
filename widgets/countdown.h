/* countdown — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_COUNTDOWN_H
#define CUTOVER_WIDGETS_COUNTDOWN_H
#endif
