/* pane — placeholder until its module lands. */
#ifndef CUTOVER_UI_PANE_H
#define CUTOVER_UI_PANE_H
#endif
