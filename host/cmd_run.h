/* SPDX-License-Identifier: MIT */
/* cmd_run.h - `pvkit run`: boot a kernel in a KVM VM. */
#ifndef PVKIT_HOST_CMD_RUN_H
#define PVKIT_HOST_CMD_RUN_H

#include <stdint.h>

/* argv[0] is "run".  Returns pvkit's exit status (run_loop.h). */
int cmd_run(int argc, char **argv);

/* "256M", "1G", "65536K", "16777216": bytes, or -1 if not a size. */
int parse_size(const char *text, uint64_t *bytes);

#endif
