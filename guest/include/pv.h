/* SPDX-License-Identifier: MIT */
/*
 * pv.h - the paravirt ops table: every privileged operation of the kernel
 * goes through pv_ops, which the backend chosen at boot fills in.
 *
 * "Everywhere we have multiple implementations we select at runtime, we use
 * an ops struct."  Callers never know which backend runs; a new backend
 * (kvm with its PV clock, pvm deprivileged) is one more file in pv/ and one
 * more line in the backend list of pv/select.c.
 */
#ifndef PVKERNEL_PV_H
#define PVKERNEL_PV_H

#include "kernel.h"
#include "x86.h"

struct boot_info;

struct pv_ops {
	const char *name;

	/* Interrupt flag.  save returns the old flags for restore. */
	uint64_t (*irq_save)(void);
	void (*irq_restore)(uint64_t flags);
	void (*irq_enable)(void);
	void (*irq_disable)(void);
	/* Enable interrupts and wait for one (or a short bounded while). */
	void (*safe_halt)(void);

	/* MMU. */
	uint64_t (*read_cr3)(void);
	void (*write_cr3)(uint64_t cr3);
	uint64_t (*read_cr2)(void);
	void (*flush_tlb_all)(void);
	void (*flush_tlb_one)(uint64_t va);
	void (*set_pte)(uint64_t *ptep, uint64_t val);

	/* Descriptor tables. */
	void (*load_idt)(const struct desc_ptr *dp);
	void (*load_gdt)(const struct desc_ptr *dp);

	/* MSRs and CPUID.  read_msr_safe returns 0 or -1 if the MSR faults. */
	int (*read_msr_safe)(uint32_t msr, uint64_t *val);
	int (*write_msr_safe)(uint32_t msr, uint64_t val);
	void (*cpuid)(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);

	/* Time: nanoseconds since boot, and since 1970 (0 if unknown). */
	uint64_t (*monotonic_ns)(void);
	uint64_t (*wall_clock_ns)(void);
	/* How far each of the two may be from the true time now, in ns
	 * (pvkit: what its time page says); NULL: both come from one
	 * counter, so they never disagree. */
	uint64_t (*clock_error_ns)(void);

	/* Console: returns 0 or a negative error. */
	int (*console_write)(const char *buf, size_t len);

	/* Periodic timer on `vector`; eoi acknowledges one tick. */
	int (*timer_start)(uint32_t hz, uint8_t vector);
	void (*timer_stop)(void);
	void (*timer_eoi)(void);

	NORETURN void (*power_off)(int status);

	/*
	 * CPU tables.  NULL/0/false: the native ones (arch/x86/isr.S, the
	 * kernel's GDT).  pvm brings CPL0 bounce stubs and keeps the GDT and
	 * TSS the loader made (user segments, the TSS the CPU switches to).
	 */
	const uint64_t *exception_stubs; /* IDT targets of vectors 0-31 */
	uint64_t timer_stub, spurious_stub;
	bool keep_loader_gdt;
	/* What `mov %cs` reads in kernel code (pvm: the user selector,
	 * the CPU runs the deprivileged kernel at CPL3). */
	uint16_t kernel_cs;
	/* The flags the interrupt-flag ops act on (RFLAGS natively; under
	 * pvm the IF of the deprivileged context, which pushfq cannot see). */
	uint64_t (*save_flags)(void);
	/* Extra bits in every kernel page-table entry (pvm: U). */
	uint64_t kernel_pte_flags;
	/* Benchmark: picoseconds per user->kernel->user round trip, best of
	 * a few batches of n; NULL: the backend has no user mode. */
	uint64_t (*user_round_trip_ps)(unsigned n);

	/* Self-tests of what only this backend has (its ABI), or none. */
	const struct selftest *selftests;
	unsigned nselftests;
};

extern struct pv_ops pv_ops;

/*
 * A backend: `detect` says whether it can run here (and why not), `init`
 * fills pv_ops.  Backends are tried in the order of pv/select.c.
 */
struct pv_backend {
	const char *name;
	bool (*detect)(const struct boot_info *bi, const char **why_not);
	int (*init)(const struct boot_info *bi);
};

extern const struct pv_backend pv_backend_native;
extern const struct pv_backend pv_backend_pvkit;
extern const struct pv_backend pv_backend_pvm;

/* The native ops, which other backends start from and override. */
extern const struct pv_ops native_pv_ops;

/* Choose a backend, fill pv_ops, print the "pv: backend=" line. */
void pv_select(const struct boot_info *bi);

/* Early console (before pv_select): the 8250 UART. */
int early_console_write(const char *buf, size_t len);
/* ...or pvkit's console call, for a kernel entered deprivileged (pvm):
 * the hypercall page from boot_info's PVKIT_SETUP_PVM entry. */
int pvkit_early_console_write(const char *buf, size_t len);

#endif
