// SPDX-License-Identifier: MIT
/*
 * pvkit - a small VMM on Linux KVM.
 *
 *	pvkit run ...       boot a kernel (host/cmd_run.c)
 *	pvkit inspect ...   describe a kernel image (host/cmd_inspect.c)
 *	pvkit probe ...     what this host offers and costs (host/probe.c)
 */
#include <stdio.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "cmd_inspect.h"
#include "cmd_run.h"
#include "log.h"
#include "probe.h"
#include "usage.h"

#define PVKIT_VERSION "0.1.0"

int main(int argc, char **argv)
{
	if (argc < 2) {
		log_msg("no command given");
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(argc - 1, argv + 1);
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("pvkit %s (ABI %u.%u)\n", PVKIT_VERSION, PVKIT_ABI_VERSION_MAJOR,
		       PVKIT_ABI_VERSION_MINOR);
		return 0;
	}
	log_msg("%s: unknown command", cmd);
	usage(stderr);
	return 2;
}
