/*
 * main — the thin binary: the command line lives in libcutover (cli.c),
 * the dashboard in libui; this only connects them.
 */
#include "config.h"

#include "cli.h"
#include "ui.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv, ui_run);
}
