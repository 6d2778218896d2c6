// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "host/cmd_inspect.h"

int cmd_inspect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "pvkit: inspect: not implemented yet\n");
	return 2;
}
