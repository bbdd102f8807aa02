/* test_kubeconfig — placeholder until its module lands. */
#include <criterion/criterion.h>
