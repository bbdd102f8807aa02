/* test_driver_exec — placeholder until its module lands. */
#include <criterion/criterion.h>
