/* test_cutover — placeholder until its module lands. */
#include <criterion/criterion.h>
