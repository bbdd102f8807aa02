/* test_plan — placeholder until its module lands. */
#include <criterion/criterion.h>
