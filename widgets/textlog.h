/* textlog — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_TEXTLOG_H
#define CUTOVER_WIDGETS_TEXTLOG_H
#endif
