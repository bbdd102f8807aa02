/* test_metrics — placeholder until its module lands. */
#include <criterion/criterion.h>
