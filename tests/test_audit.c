/* test_audit — placeholder until its module lands. */
#include <criterion/criterion.h>
