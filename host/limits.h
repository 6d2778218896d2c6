/* SPDX-License-Identifier: MIT */
/*
 * limits.h - what one pvkit run may consume, fixed once set-up is done.
 *
 * Guest RAM is capped by --mem and time by --timeout; console output by
 * --console-limit (console.c counts, the run stops with
 * EXIT_STATUS_CONSOLE_LIMIT).  This file bounds the process itself: after
 * set-up pvkit needs no new file descriptor and no new thread, so
 * limits_bound_process() lowers RLIMIT_NOFILE to the descriptors already
 * open and RLIMIT_NPROC to what exists.  The seccomp filter (seccomp.h)
 * forbids the calls that would create either anyway; the rlimits are the
 * second wall and what `prlimit` / /proc/PID/limits shows.
 */
#ifndef PVKIT_HOST_LIMITS_H
#define PVKIT_HOST_LIMITS_H

/* pvkit's exit status when the guest printed more than --console-limit
 * (the others are in run_loop.h). */
#define EXIT_STATUS_CONSOLE_LIMIT 5

/* Descriptors allowed beyond the highest one open at set-up: none in
 * production; the sanitizer runtime opens /proc files to report. */
#define LIMITS_SANITIZER_SPARE_FDS 16

/* The highest open file descriptor, or -1 if none. */
int limits_highest_open_fd(void);

/*
 * Lower RLIMIT_NOFILE to (highest open fd + 1) and RLIMIT_NPROC to 0 new
 * processes for an unprivileged user (root is exempt from NPROC by the
 * kernel; seccomp covers it).  -1 with a message if the kernel refuses.
 */
int limits_bound_process(void);

/* The same with `spare_fds` more descriptors: a snapshot's file being
 * written, a control socket's client (host/cmd_run.c counts them). */
int limits_bound_process_with(int spare_fds);

#endif
