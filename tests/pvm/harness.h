/* SPDX-License-Identifier: MIT */
/*
 * harness.h - a tiny, self-contained KVM VM for the PVM experiments.
 *
 * One VM, one vCPU, 4 MiB of RAM, long mode with identity paging, a GDT with
 * Linux's selector layout, a TSS, an IDT whose every vector starts as a
 * catch-all handler, and the syscall MSRs, all set up through KVM before the
 * first KVM_RUN (this host's PVM only honours the CPL of that first setup).
 * The guest side is tests/pvm/guest.S; layout.h is the shared memory map.
 */
#ifndef PVM_HARNESS_H
#define PVM_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/pvm/layout.h"

/* Labels of guest.S; pvm_gaddr() turns one into a guest address. */
extern const char pvm_guest_start[], pvm_guest_end[];
extern const char pvm_g_loop[], pvm_g_syscall_once[], pvm_g_syscall_loop[];
extern const char pvm_g_entry_iret[], pvm_g_entry_sysret[], pvm_g_sysret_insn[];
extern const char pvm_g_int3_loop[], pvm_g_ud2_loop[], pvm_g_h_iret[], pvm_g_h_ud2_skip[];
extern const char pvm_g_stub_bounce[], pvm_g_tramp[], pvm_g_entry[];
extern const char pvm_g_bounce_user[], pvm_g_frames_user[], pvm_g_user_int3[];
extern const char pvm_g_kernel_int3[], pvm_g_h_record[], pvm_g_h_record_fault[];
extern const char pvm_g_us_user[], pvm_g_user_us_write[], pvm_g_kernel_us_write[];
extern const char pvm_g_kernel_us_read[], pvm_g_h_gp_cr3[], pvm_g_cr3_write_b[];
extern const char pvm_g_h_gp_wrmsr[], pvm_g_h_timer[], pvm_g_timer_user[];
extern const char pvm_g_cpl0_wrmsr[], pvm_g_user_cpuid[], pvm_g_synthetic_cpuid[];
extern const char pvm_g_cpl0_wrmsr_to_user[], pvm_g_cpl0_wrmsr_out[], pvm_g_probe_user[];
extern const char pvm_g_cpl0_wrmsr_loop[];
extern const char pvm_g_sup_entry[];
extern const char pvm_g_detour_user[];
extern const char pvm_g_sup_us_write[], pvm_g_sup_us_read[], pvm_g_sup_np_read[];
extern const char pvm_g_user_np_read[];
extern const char pvm_g_user_touch[];
extern const char pvm_g_entry_sysret_cr3[];
extern const char pvm_g_unexpected_stubs[];
extern const char pvm_g_h_priv[], pvm_g_h_ud_skip5[], pvm_g_dbg_watch_user[], pvm_g_dbg_write[];
extern const char pvm_g_dbg_after_write[], pvm_g_dbg_tf_user[], pvm_g_dbg_icebp[];
extern const char pvm_g_dbg_tf_first[];
extern const char pvm_g_cr4_user[];
extern const char pvm_g_h_native_probe[], pvm_g_h_cr3_reload[], pvm_g_user_int_n[];

uint64_t pvm_gaddr(const char *label);

struct pvm_vm_options {
	bool irqchip;	/* KVM_CREATE_IRQCHIP (in-kernel LAPIC) */
	uint64_t lstar; /* guest address of the syscall entry, 0 = none */
	uint64_t syscall_mask;
	bool no_high_window; /* leave out the PVM_HIGH mappings */
};

struct pvm_vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	long run_size;
	uint8_t *mem; /* guest RAM, PVM_MEM_SIZE bytes at GPA 0 */
	uint64_t tsc_khz;
	uint64_t kernel_rflags; /* RFLAGS of a CPL0 start (default 0x2: IF clear) */
};

enum pvm_stop_kind {
	PVM_STOP_DOORBELL,   /* the guest stored to PVM_DOORBELL */
	PVM_STOP_UNEXPECTED, /* the catch-all handler reported a vector */
	PVM_STOP_TIMEOUT,    /* the deadline passed inside KVM_RUN */
	PVM_STOP_OTHER,	     /* any other exit (shutdown, hlt, failed entry...) */
};

struct pvm_stop {
	enum pvm_stop_kind kind;
	uint32_t exit_reason;
	uint64_t rip;
	uint64_t vector; /* PVM_STOP_UNEXPECTED */
	uint64_t error;	 /* its error code, if the vector has one */
	uint64_t frame_rip, frame_cs, frame_rsp, cr2;
	double wall_ms; /* time spent in this pvm_vm_run() */
};

/* Create the VM; returns 0, or -1 with a message on stderr. */
int pvm_vm_create(struct pvm_vm *vm, const struct pvm_vm_options *opt);
void pvm_vm_destroy(struct pvm_vm *vm);

/* Point IDT vector at a guest address, with gate DPL 0 or 3. */
void pvm_vm_set_gate(struct pvm_vm *vm, int vector, uint64_t handler, int dpl);
/* The same with any code selector and IST index (0 = none). */
void pvm_vm_set_gate_to(struct pvm_vm *vm, int vector, uint64_t handler, int dpl, uint16_t selector,
			int ist);
/* TSS.IST[ist] (1-7) = stack_top. */
void pvm_vm_set_ist(struct pvm_vm *vm, int ist, uint64_t stack_top);

/*
 * Set the first registers and segments: CPL3 (user = true: CS 0x33, SS 0x2b,
 * IF set) or CPL0 (CS 0x08, SS 0x10, IF clear).  Must come before the first
 * pvm_vm_run().  rdi/rsi/rax are the guest's arguments.
 */
int pvm_vm_start(struct pvm_vm *vm, bool user, uint64_t rip, uint64_t rdi, uint64_t rsi,
		 uint64_t rax);

/* Run until a stop; timeout_ms bounds the wall time of this call. */
int pvm_vm_run(struct pvm_vm *vm, unsigned timeout_ms, struct pvm_stop *stop);

/* Describe a stop in one line (static buffer). */
const char *pvm_stop_describe(const struct pvm_stop *stop);

uint64_t pvm_data(struct pvm_vm *vm, uint64_t gpa);
void pvm_set_data(struct pvm_vm *vm, uint64_t gpa, uint64_t value);

/* Host-side MSR access through KVM_GET_MSRS/KVM_SET_MSRS; 0 on success. */
int pvm_get_msr(struct pvm_vm *vm, uint32_t index, uint64_t *value);
int pvm_set_msr(struct pvm_vm *vm, uint32_t index, uint64_t value);

/* TSC cycles to nanoseconds at the vCPU's TSC rate. */
double pvm_cycles_to_ns(const struct pvm_vm *vm, uint64_t cycles);

#endif
