/* gauge — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_GAUGE_H
#define CUTOVER_WIDGETS_GAUGE_H
#endif
