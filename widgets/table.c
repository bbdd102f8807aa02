/* table — placeholder until its module lands. */
#include "config.h"
typedef int widgets_table_placeholder;
