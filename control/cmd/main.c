/* SPDX-License-Identifier: MIT */
/* control/cmd/main.c - the devplane executable: the control process's command line. */
#include "control/cmd/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
