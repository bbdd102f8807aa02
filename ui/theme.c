/*
 * theme — colour and monochrome themes (see theme.h).
 */
#include "config.h"

#include "theme.h"

#include "widget.h"

void
theme_init(bool no_color)
{
	attr_t a[ROLE_COUNT];

	a[ROLE_NORMAL] = A_NORMAL;
	a[ROLE_DIM] = A_DIM;
	a[ROLE_TITLE] = A_BOLD;
	a[ROLE_FOCUS] = A_REVERSE;
	if (!no_color && has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
		init_pair(2, COLOR_YELLOW, -1);
		init_pair(3, COLOR_RED, -1);
		init_pair(4, COLOR_MAGENTA, -1);
		init_pair(5, COLOR_CYAN, -1);
		init_pair(6, COLOR_YELLOW, -1);
		init_pair(7, COLOR_WHITE, COLOR_RED);
		a[ROLE_OK] = COLOR_PAIR(1);
		a[ROLE_WARN] = COLOR_PAIR(2) | A_BOLD;
		a[ROLE_CRIT] = COLOR_PAIR(3) | A_BOLD;
		a[ROLE_STALE] = COLOR_PAIR(4);
		a[ROLE_SIDE_A] = COLOR_PAIR(5);
		a[ROLE_SIDE_B] = COLOR_PAIR(6);
		a[ROLE_BANNER] = COLOR_PAIR(7) | A_BOLD;
	} else {
		/* Without colour: bold warns, reverse is critical. */
		a[ROLE_OK] = A_NORMAL;
		a[ROLE_WARN] = A_BOLD;
		a[ROLE_CRIT] = A_BOLD | A_REVERSE;
		a[ROLE_STALE] = A_DIM | A_UNDERLINE;
		a[ROLE_SIDE_A] = A_NORMAL;
		a[ROLE_SIDE_B] = A_NORMAL;
		a[ROLE_BANNER] = A_REVERSE | A_BOLD;
	}
	widget_set_theme(a);
}
