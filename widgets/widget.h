/* widget — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_WIDGET_H
#define CUTOVER_WIDGETS_WIDGET_H
#endif
