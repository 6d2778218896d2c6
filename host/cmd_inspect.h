/* SPDX-License-Identifier: MIT */
/*
 * cmd_inspect.h - `pvkit inspect IMAGE [--json]`: print what pvkit sees in a
 * kernel image (bzImage setup header, payload, ELF segments and notes)
 * without booting it.
 */
#ifndef PVKIT_HOST_CMD_INSPECT_H
#define PVKIT_HOST_CMD_INSPECT_H

#include "cli.h"

/* Its operand and options (host/cli.h). */
extern const struct cli_command cmd_inspect_command;

/* argv[0] is "inspect".  Returns the process exit status (0, or 2 on bad input). */
int cmd_inspect(int argc, char **argv);

#endif
