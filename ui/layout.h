/* layout — placeholder until its module lands. */
#ifndef CUTOVER_UI_LAYOUT_H
#define CUTOVER_UI_LAYOUT_H
#endif
