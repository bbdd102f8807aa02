/* test_proc — placeholder until its module lands. */
#include <criterion/criterion.h>
