/* SPDX-License-Identifier: MIT */
/* cmd_run.h - `pvkit run`: boot a kernel in a KVM VM. */
#ifndef PVKIT_HOST_CMD_RUN_H
#define PVKIT_HOST_CMD_RUN_H

#include "cli.h"

/* --mem when not given; `pvkit inspect` plans a Xen PV domain for it too. */
#define RUN_DEFAULT_MEM "256M"

/* Its options and exit statuses (host/cli.h). */
extern const struct cli_command cmd_run_command;

/* argv[0] is "run".  Returns pvkit's exit status (run_loop.h). */
int cmd_run(int argc, char **argv);

/* `pvkit restore`: a VM resumed from a snapshot (host/snapshot.h). */
extern const struct cli_command cmd_restore_command;
int cmd_restore(int argc, char **argv);

#endif
