/* sparkline — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_SPARKLINE_H
#define CUTOVER_WIDGETS_SPARKLINE_H
#endif
