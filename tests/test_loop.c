/* test_loop — placeholder until its module lands. */
#include <criterion/criterion.h>
