/* SPDX-License-Identifier: MIT */
/*
 * seccomp.h - least privilege for the run loop.
 *
 * Once the VM is set up (files read, RAM mapped, VM/vCPU/devices created,
 * the stdin thread started), everything pvkit still does is: run the vCPU,
 * answer exits, move console bytes, keep time, and finally tear down.  That
 * needs a handful of system calls.  seccomp_install_run_filter() installs a
 * libseccomp filter on every thread of the process (TSYNC) that allows just
 * those, with ioctl() narrowed to the KVM requests the run loop makes and
 * mmap/mprotect never executable.  A guest that finds a bug in a device
 * model then holds a process that cannot open a file, create a socket or a
 * thread, exec, or map code.
 *
 * A call outside the list raises SIGSYS (SECCOMP_RET_TRAP); pvkit's handler
 * prints one line naming the call and the stage ("while loading" or "after
 * set-up") and then dies by SIGSYS, so the process is killed AND says why.  (A thread that blocks
 * SIGSYS, as the stdin thread blocks all signals, is killed by the kernel without the line.)
 *
 * Adding a system call or a KVM ioctl to the run loop means adding it to
 * the lists in seccomp.c, with its reason: every test runs pvkit with the
 * filter on, so a missing one fails loudly, with the report naming it.
 *
 * Builds with AddressSanitizer (build/pvkit-san) also allow what the
 * sanitizer runtime needs to report an error and to check for leaks at exit
 * (a ptrace-based thread stopper, /proc reads); see seccomp.c.
 */
#ifndef PVKIT_HOST_SECCOMP_H
#define PVKIT_HOST_SECCOMP_H

#include <stdbool.h>

/*
 * Install the run-loop filter on all threads.  Call after set-up, before the
 * first KVM_RUN.  -1 with a message if libseccomp or the kernel refuses.
 */
int seccomp_install_run_filter(void);

/* What a run may need beyond the run loop, each only where it is used. */
#define SECCOMP_RUN_SNAPSHOTS  1u /* write snapshot files (host/snapshot.c) */
#define SECCOMP_RUN_API_SOCKET 2u /* serve the control socket (host/api_socket.c) */
#define SECCOMP_RUN_EXTRAS     3u /* all of them: a filter is compiled for each combination */

/* The run-loop filter plus the calls of `extras` (SECCOMP_RUN_*). */
int seccomp_install_run_filter_with(unsigned extras);

/*
 * The earlier, looser wall, for the time the image and initrd are parsed and
 * decompressed (the code most exposed to hostile files) and the VM is set
 * up: everything set-up needs stays allowed, but nothing that would let a
 * compromised parser reach out of the process: no exec, no socket, no new
 * process, no ptrace, no executable mapping, no kernel modules, mounts,
 * namespaces, BPF or io_uring.  A deny list, so it is weaker than the run
 * filter, which stacks on top of it later.  -1 with a message on failure.
 */
int seccomp_install_load_filter(void);

/* The same, leaving what `extras` (SECCOMP_RUN_*) needs during set-up: a
 * control socket's accept(). */
int seccomp_install_load_filter_with(unsigned extras);

/* True in builds whose sanitizer runtime needs the extra calls. */
bool seccomp_sanitizer_build(void);

#endif
