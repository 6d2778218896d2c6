/* SPDX-License-Identifier: MIT */
/*
 * debug_exit.h - the test guest's "exit with this status" port.
 *
 * Same address as QEMU's isa-debug-exit (0xf4), so one test guest can end
 * itself under both.  A 1-, 2- or 4-byte write of v ends the run and pvkit
 * exits with status v & 0xff.  (QEMU exits with (v << 1) | 1 instead, so a
 * test that runs under both compares accordingly.)  Reads return all ones.
 */
#ifndef PVKIT_HOST_DEVICES_DEBUG_EXIT_H
#define PVKIT_HOST_DEVICES_DEBUG_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "host/stop_request.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_LEN	4

/* io_bus handler; opaque is the struct stop_request to fill. */
void debug_exit_io(void *stop, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);

#endif
