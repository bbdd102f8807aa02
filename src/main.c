/*
 * main — the thin binary: everything lives in libcutover (cli.c) and
 * libui; this only hands argv over.
 */
#include "config.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cutover %s\n", PACKAGE_VERSION);
	return 0;
}
