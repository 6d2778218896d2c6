// SPDX-License-Identifier: MIT
/*
 * pvkit - a small VMM on Linux KVM.
 *
 *	pvkit run ...       boot a kernel (host/cmd_run.c)
 *	pvkit restore ...   resume a VM from a snapshot (host/cmd_run.c)
 *	pvkit inspect ...   describe a kernel image (host/cmd_inspect.c)
 *	pvkit probe ...     what this host offers and costs (host/probe.c)
 *	pvkit help          every command, option and exit status (host/cli.c)
 *	pvkit --version
 *
 * The commands and their options are tables (host/cli.h): this file lists
 * the commands, finds the one asked for, and prints `pvkit help` from them.
 */
#include <stdio.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "cli.h"
#include "cmd_inspect.h"
#include "cmd_run.h"
#include "log.h"
#include "probe.h"
#include "run_loop.h"
#include "version.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct cli_command help_command = {
    .name = "help",
    .aliases = {"--help", "-h"},
    .summary = "every command, option and exit status (this text)",
    .main = cmd_help,
};

static const struct cli_command version_command = {
    .name = "--version",
    .aliases = {"version"},
    .summary = "pvkit's version and the version of the guest ABI it serves",
    .main = cmd_version,
};

static const struct cli_command *const commands[] = {
    &cmd_run_command,	&cmd_restore_command, &cmd_inspect_command,
    &cmd_probe_command, &help_command,	      &version_command,
};

static int cmd_help(int argc, char **argv)
{
	if (cli_parse(&help_command, argc, argv, NULL) < 0)
		return EXIT_STATUS_BAD_INPUT;
	cli_print_usage(commands, CLI_COUNT(commands), stdout);
	for (size_t i = 0; i < CLI_COUNT(commands); i++) {
		fputc('\n', stdout);
		cli_print_help(commands[i], stdout);
	}
	for (size_t i = 0; i < CLI_COUNT(commands); i++) {
		if (commands[i]->nstatuses) {
			fputc('\n', stdout);
			cli_print_statuses(commands[i], stdout);
		}
	}
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	if (cli_parse(&version_command, argc, argv, NULL) < 0)
		return EXIT_STATUS_BAD_INPUT;
	printf("pvkit %s (ABI %u.%u)\n", PVKIT_VERSION, PVKIT_ABI_VERSION_MAJOR,
	       PVKIT_ABI_VERSION_MINOR);
	return 0;
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < CLI_COUNT(commands); i++) {
		const struct cli_command *cmd = commands[i];
		if (strcmp(cmd->name, name) == 0)
			return cmd;
		for (size_t a = 0; a < CLI_COUNT(cmd->aliases); a++)
			if (cmd->aliases[a] && strcmp(cmd->aliases[a], name) == 0)
				return cmd;
	}
	return NULL;
}

/*L:100 A launch starts here.  pvkit is one program with a few commands,
 * each a row of the table above with a main() of its own; this main() only
 * finds the row argv[1] names and hands it the rest of the command line.
 * The story follows `pvkit run` from here into the guest, through
 * pvkernel's kernel_main() to its power-off, and back out to the exit
 * status (scripts/story.sh prints it in order).
 * Next: host/cmd_run.c. :*/
int main(int argc, char **argv)
{
	if (argc < 2) {
		log_msg("no command given (see pvkit help)");
		return EXIT_STATUS_BAD_INPUT;
	}
	const struct cli_command *cmd = find_command(argv[1]);
	if (!cmd) {
		log_msg("%s: unknown command (see pvkit help)", argv[1]);
		return EXIT_STATUS_BAD_INPUT;
	}
	return cmd->main(argc - 1, argv + 1);
}
