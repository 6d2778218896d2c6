/* SPDX-License-Identifier: MIT */
/*
 * teardown.h - pvkit exits as soon as the run's result is known; the
 * kernel's teardown of the VM happens after, in a helper process.
 *
 * KVM destroys a VM when the last reference to its file goes, and on this
 * host that takes 2-30 ms (synchronize_srcu() for every in-kernel device on
 * the I/O bus: PIT, PIC, IOAPIC; docs/performance.md).  A process that holds
 * the last reference pays it in close() or in its own exit, before whoever
 * waits for pvkit (a shell, a sandbox starting many VMs) sees it end.
 *
 * teardown_helper_start() clones a helper that shares pvkit's memory
 * (CLONE_VM: nothing to copy) and holds its own copy of pvkit's descriptor
 * table, minus stdin, stdout and stderr.  It blocks every signal and sleeps
 * until pvkit has exited (PR_SET_PDEATHSIG: SIGKILL), then its own exit
 * drops the last references: the VM and the guest RAM are torn down there.
 * pvkit's output, its exit status and the end of its stdout pipe are
 * therefore complete when pvkit itself ends; the helper holds none of them.
 */
#ifndef PVKIT_HOST_TEARDOWN_H
#define PVKIT_HOST_TEARDOWN_H

#include <stdbool.h>

/*
 * The clone flags of the helper, exactly: the loading seccomp filter allows
 * this one non-thread clone (host/seccomp.c).
 */
#define TEARDOWN_HELPER_CLONE_FLAGS 0x100 /* CLONE_VM, no exit signal */

/*
 * Start the helper; call it once every descriptor it should keep alive is
 * open, before limits_bound_process() (RLIMIT_NPROC 0).  Returns 0 when the
 * helper holds the VM, -1 (nothing to undo) when it could not be started:
 * then pvkit tears the VM down itself, as it would without one.
 */
int teardown_helper_start(void);

/*
 * Wait until the helper has let go of stdin, stdout and stderr (it does so
 * first thing, so this almost never waits); pvkit calls it before it ends so
 * that its stdout reaches end-of-file with it.  No-op without a helper.
 */
void teardown_helper_release_stdio(void);

/* Whether a helper was started (for tests and --debug). */
bool teardown_helper_running(void);

#endif
