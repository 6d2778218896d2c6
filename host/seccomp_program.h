/* SPDX-License-Identifier: MIT */
/*
 * seccomp_program.h - the two seccomp filters as BPF programs, compiled by
 * libseccomp when pvkit is built (host/seccomp-gen/: the rules, and the
 * generator that writes build/gen/seccomp_programs*.c) and installed by
 * host/seccomp.c with the seccomp() system call.
 *
 * Compiling them at every start cost about half a millisecond of CPU and
 * the mapping of libseccomp (docs/performance.md); a filter is the same for
 * every run but for one number, pvkit's pid in the run filter's one kill()
 * rule, written there as SECCOMP_PID_PLACEHOLDER and patched at install.
 */
#ifndef PVKIT_HOST_SECCOMP_PROGRAM_H
#define PVKIT_HOST_SECCOMP_PROGRAM_H

#include <linux/filter.h>

#include "seccomp.h"

/* Above any pid Linux hands out (PID_MAX_LIMIT is 2^22). */
#define SECCOMP_PID_PLACEHOLDER 0x7ffffff5u

struct seccomp_program {
	const struct sock_filter *code;
	unsigned short len;
};

/*
 * Generated: the filters of this build (plain, or sanitizer runtime), one
 * of each for every combination of SECCOMP_RUN_* extras (host/seccomp.h),
 * indexed by it, so that a run gets exactly the calls of what it uses.
 */
extern const struct seccomp_program seccomp_load_programs[SECCOMP_RUN_EXTRAS + 1];
extern const struct seccomp_program seccomp_run_programs[SECCOMP_RUN_EXTRAS + 1];

#endif
