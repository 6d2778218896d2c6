/* SPDX-License-Identifier: MIT */
/*
 * run_loop.h - run the vCPU until the guest or the clock ends the run.
 *
 * pvkit's exit statuses are defined here (EXIT_STATUS_CONSOLE_LIMIT in
 * limits.h) and listed, with the guest's own and the signals', in
 * run_statuses[] in cmd_run.c: that list is what `pvkit help` prints and
 * what the README and docs/vmm.md quote.  A guest can of course choose any
 * of them itself; the message on stderr tells them apart.
 */
#ifndef PVKIT_HOST_RUN_LOOP_H
#define PVKIT_HOST_RUN_LOOP_H

#include "machine.h"

#define EXIT_STATUS_HOST_ERROR	 1
#define EXIT_STATUS_BAD_INPUT	 2
#define EXIT_STATUS_TRIPLE_FAULT 3
#define EXIT_STATUS_KVM_FAILURE	 4
#define EXIT_STATUS_GUEST_REBOOT 6
#define EXIT_STATUS_GUEST_CRASH	 7
#define EXIT_STATUS_TIMEOUT	 124

/* Seconds after which the guest is stopped; 0 for no limit. */
int run_loop(struct machine *m, double timeout_seconds);

/*
 * Answer the exit KVM just reported in m->vcpu.run (one return of KVM_RUN);
 * a reason to stop lands in m->stop.  Public so the exit fuzzer
 * (fuzz/fuzz_exits.c) can replay exits without KVM.
 */
void run_loop_handle_exit(struct machine *m);

/*
 * Serve the hypercall whose registers the vCPU holds now (RAX = number,
 * RDI/RSI/RDX/R10 = arguments; the status goes back in RAX).  Both
 * transports end here: the OUT to the hypercall port and, in pvm mode, the
 * MMIO write of host/pvm_machine.c.
 */
void run_loop_hypercall(struct machine *m);

/*
 * Stop between two KVM_RUNs with nothing in flight: complete the last
 * exit's instruction without entering the guest.  -1 with a message.
 */
int run_loop_pause(struct machine *m);

/* Pause and write a snapshot (host/snapshot.h); one line on stderr says
 * what was written.  -1 with a message. */
int run_loop_snapshot(struct machine *m, const char *state_path, const char *mem_path);

/*
 * Install the handler of SIGUSR1, the control socket's "a request waits"
 * (host/api_socket.h), before its thread can send one.  run_loop() serves
 * the request at its next turn.
 */
void run_loop_catch_kick(void);

/* The one --stats line: "pvkit: exits: total=N io=N ..." on stderr. */
void run_loop_print_stats(const struct machine *m);

#endif
