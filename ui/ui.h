/* ui — placeholder until its module lands. */
#ifndef CUTOVER_UI_UI_H
#define CUTOVER_UI_UI_H
#endif
