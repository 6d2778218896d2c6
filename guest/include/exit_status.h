/* SPDX-License-Identifier: MIT */
/*
 * exit_status.h - the statuses pvkernel powers off with (pv_ops.power_off),
 * defined here once: the C code uses them and the test scripts read them
 * from this file (tests/lib/pvkernel_exit.sh), so keep each a plain
 * "#define NAME decimal" line.
 *
 * They must never be mistaken for pvkit's own: pvkit exits 1 (host error),
 * 2 (bad input), 3 (triple fault), 4 (KVM cannot run the guest), 5
 * (console limit), 124 (timeout) and 128+N (signal N), all of which a
 * pvkernel failure would otherwise be read as (host/run_loop.h).  So
 * pvkernel's failures live in a range of their own, 32 and up, which also
 * survives QEMU's isa-debug-exit: it exits with (status << 1) | 1, 65 and
 * 67 for these, still below the 128 of "killed by a signal".
 */
#ifndef PVKERNEL_EXIT_STATUS_H
#define PVKERNEL_EXIT_STATUS_H

#define PVKERNEL_EXIT_OK	  0  /* every self-test passed */
#define PVKERNEL_EXIT_TEST_FAILED 32 /* at least one self-test failed */
#define PVKERNEL_EXIT_PANIC	  33 /* panic() or an exception nobody expected */

#endif
