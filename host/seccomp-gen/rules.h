/* SPDX-License-Identifier: MIT */
/*
 * rules.h - the rules of pvkit's seccomp filters (host/seccomp.h), in
 * libseccomp's terms.  Only the build-time generator (main.c here) links
 * libseccomp and these rules; pvkit installs what it generated.
 */
#ifndef PVKIT_HOST_SECCOMP_GEN_RULES_H
#define PVKIT_HOST_SECCOMP_GEN_RULES_H

#include <seccomp.h>

#include "host/seccomp_program.h"

/* The loading filter (a deny list: what it does not name is allowed) of a
 * run using `extras` (SECCOMP_RUN_*), or NULL. */
scmp_filter_ctx seccomp_rules_load(unsigned extras);

/* The run filter (an allow list) of a run using `extras`, or NULL; the pid
 * it may SIGINT is SECCOMP_PID_PLACEHOLDER, which pvkit replaces with its own. */
scmp_filter_ctx seccomp_rules_run(unsigned extras);

#endif
