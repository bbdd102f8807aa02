/* test_prom — placeholder until its module lands. */
#include <criterion/criterion.h>
