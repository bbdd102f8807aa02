/* test_podhealth — placeholder until its module lands. */
#include <criterion/criterion.h>
