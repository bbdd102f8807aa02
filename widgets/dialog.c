/* dialog — placeholder until its module lands. */
#include "config.h"
typedef int widgets_dialog_placeholder;
