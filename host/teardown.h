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
 * teardown_helper_start() clones a helper that shares pvkit's memory and
 * its descriptor table (CLONE_VM | CLONE_FILES: nothing to copy, and no
 * wait for the helper to run, ever).  It blocks every signal and sleeps
 * until all of pvkit's threads have exited (a pidfd of pvkit's); pvkit's own
 * exit then only drops its references to the memory and the table, and the
 * helper's exit drops the last ones: the VM and the guest RAM are torn down
 * there.
 * So that pvkit's stdout reaches its end with pvkit, pvkit flushes and
 * closes stdin, stdout and stderr (teardown_helper_release_stdio()) as the
 * last thing it does, and leaves the VM's descriptors and RAM alone
 * (closing them in a shared table would be the teardown itself).
 *
 * Sanitizer builds (build/pvkit-san) start no helper: LeakSanitizer's exit
 * check cannot stop KVM's worker thread of a VM still alive.
 */
#ifndef PVKIT_HOST_TEARDOWN_H
#define PVKIT_HOST_TEARDOWN_H

#include <stdbool.h>

/*
 * The clone flags of the helper, exactly: the loading seccomp filter allows
 * this one non-thread clone (host/seccomp.c).
 */
#define TEARDOWN_HELPER_CLONE_FLAGS 0x500 /* CLONE_VM | CLONE_FILES, no exit signal */

/*
 * Start the helper; call it once every descriptor it should keep alive is
 * open, before limits_bound_process() (RLIMIT_NPROC 0).  Returns 0 when the
 * helper holds the VM, -1 (nothing to undo) when it could not be started:
 * then pvkit tears the VM down itself, as it would without one.
 */
int teardown_helper_start(void);

/*
 * pvkit's last step when a helper holds the VM: flush stdio and close stdin,
 * stdout and stderr, which the helper shares, so that whoever reads pvkit's
 * output sees its end when pvkit ends.  No-op without a helper.
 */
void teardown_helper_release_stdio(void);

/* Whether a helper was started (for tests and --debug). */
bool teardown_helper_running(void);

#endif
