/* SPDX-License-Identifier: MIT */
/*
 * probe.h - `pvkit probe [--json]`: what this host's KVM offers and what
 * guest code costs on it, measured with tiny guests built in memory.
 *
 * The numbers decide how a guest should be built for this host (see
 * PLATFORM.md): with hardware virtualization guest kernel code is native;
 * under PVM ring-0 guest code is emulated and only user mode (and kernel
 * code entered by `syscall`) is native.
 */
#ifndef PVKIT_HOST_PROBE_H
#define PVKIT_HOST_PROBE_H

#include "cli.h"

/* Its options (host/cli.h). */
extern const struct cli_command cmd_probe_command;

/* argv[0] is "probe".  0 on success, 1 if KVM is unusable, 2 on bad usage. */
int cmd_probe(int argc, char **argv);

#endif
