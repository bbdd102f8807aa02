/* test_store — placeholder until its module lands. */
#include <criterion/criterion.h>
