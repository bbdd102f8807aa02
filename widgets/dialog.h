/* dialog — placeholder until its module lands. */
#ifndef CUTOVER_WIDGETS_DIALOG_H
#define CUTOVER_WIDGETS_DIALOG_H
#endif
