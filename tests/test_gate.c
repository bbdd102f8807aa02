/* test_gate — placeholder until its module lands. */
#include <criterion/criterion.h>
