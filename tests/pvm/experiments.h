/* SPDX-License-Identifier: MIT */
/*
 * experiments.h - the PVM experiments, one function per question; each prints
 * value/check/note lines (report.h) and returns the number of failed checks.
 */
#ifndef PVM_EXPERIMENTS_H
#define PVM_EXPERIMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/pvm/harness.h"

/* 1. CPL3 loop (native) vs CPL0 loop (emulated). */
int exp_loops(void);
/* 2. syscall entry: native handler, iretq round trip, sysretq -> #GP. */
int exp_syscall(void);
/* 3. exceptions from user mode: direct CPL0 handlers and the native bounce. */
int exp_exceptions(void);
/* 4. exception frames in kernel mode: CS shows the user selector. */
int exp_frames(void);
/* 5. LAPIC timer interrupts in user and in syscall-entered kernel mode. */
int exp_timer(void);
/* 6. CR3 switching and the published PVM spec's mechanisms on this host. */
int exp_cr3(void);
int exp_pvm_spec(void);
/* 6b. the mode that a page address in MSR 0x4b564d10 turns on. */
int exp_pvcs_mode(void);
/* 7. U/S checks in syscall-entered kernel mode. */
int exp_user_supervisor(void);
/* 8. debug registers, single-step and CR4.FSGSBASE for native code. */
int exp_debug(void);
/* 9. gates to the user code segment (native handlers) and the floor of an
 * isolated round trip. */
int exp_user_gate(void);

/* Shared helpers (exp_common.c). */
/* Whether exp_vm() maps the upper-half window (layout.h PVM_HIGH). */
extern bool exp_high_window;
bool exp_vm(struct pvm_vm *vm, bool irqchip, const char *lstar);
bool exp_run_to_doorbell(struct pvm_vm *vm, unsigned timeout_ms, const char *what);
double exp_ns(struct pvm_vm *vm, uint64_t cycles, double count);
bool exp_set_lapic_timer(struct pvm_vm *vm, bool on, uint32_t period_ns);
uint64_t exp_gaps(struct pvm_vm *vm, double *median_ns);
uint64_t exp_cycles(const struct pvm_vm *vm, double ns);

/*
 * Timings are the best of this many runs: the machine is shared, and a run
 * whose vCPU thread was preempted only ever measures longer.
 */
#define EXP_REPEAT 3

/* Detour loop parameters: run this long, count steps longer than this. */
#define DETOUR_NS	100e6
#define DETOUR_GAP_NS	1000.0
#define TIMER_PERIOD_NS 100000u

#endif
