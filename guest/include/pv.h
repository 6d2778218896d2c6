/* SPDX-License-Identifier: MIT */
/*
 * pv.h - the paravirt ops table: every privileged operation of the kernel
 * goes through pv_ops, which holds the ops of the backend chosen at boot.
 *
 * "Everywhere we have multiple implementations we select at runtime, we use
 * an ops struct."  Callers never know which backend runs.  Each backend
 * (pv/native.c, pv/pvkit.c, pv/pvm.c) defines one complete, constant
 * struct pv_ops; pv/select.c lists the backends in one table, in the order
 * they are tried, and copies the chosen one's ops into pv_ops.  A new
 * backend (kvm with its PV clock) is one more file in pv/ and one more
 * entry in that table (pv/backend.h says what an entry holds).
 */
#ifndef PVKERNEL_PV_H
#define PVKERNEL_PV_H

#include "kernel.h"
#include "x86.h"

struct boot_info;
struct idt_stubs;

/*
 * The code selectors of the GDT kernel code runs with.  Two, because under
 * pvm they differ: the IDT's gates name the loader's kernel selector (the
 * CPL0 stubs run there), while the kernel itself runs on the user one.
 */
struct pv_selectors {
	uint16_t gate_cs;   /* in every IDT gate: where exceptions are delivered */
	uint16_t kernel_cs; /* what `mov %cs` reads in kernel code */
};

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
	/* Times the VM was resumed from a snapshot (pvkit's time page): when
	 * it changes the wall clock may have stepped against the monotonic
	 * one by the time the snapshot was stored.  NULL: never restored. */
	uint64_t (*clock_restores)(void);

	/* Console: returns 0 or a negative error. */
	int (*console_write)(const char *buf, size_t len);

	/* Periodic timer on `vector`; eoi acknowledges one tick. */
	int (*timer_start)(uint32_t hz, uint8_t vector);
	void (*timer_stop)(void);
	void (*timer_eoi)(void);

	NORETURN void (*power_off)(int status);

	/*
	 * CPU tables: the IDT's entry stubs (arch/x86/isr.S natively; pvm
	 * brings CPL0 bounce stubs), the selectors, and whether to keep the
	 * GDT and TSS the loader made (pvm: user segments, the TSS the CPU
	 * switches to) instead of loading the kernel's own.
	 */
	const struct idt_stubs *idt_stubs;
	const struct pv_selectors *selectors;
	bool keep_loader_gdt;
	/* The flags the interrupt-flag ops act on (RFLAGS natively; under
	 * pvm the IF of the deprivileged context, which pushfq cannot see). */
	uint64_t (*save_flags)(void);
	/* Extra bits in every kernel page-table entry (pvm: U). */
	uint64_t kernel_pte_flags;
	/* Benchmark: picoseconds per user->kernel->user round trip, best of
	 * a few batches of n; NULL: the backend has no user mode. */
	uint64_t (*user_round_trip_ps)(unsigned n);

	/* Self-tests of what only this backend has (its ABI): a NULL-ended
	 * list of groups, each ended by an entry with no name; or NULL. */
	const struct selftest *const *selftests;
};

/* The chosen backend's ops (pv_select), or until then the early ones. */
extern struct pv_ops pv_ops;

/*
 * Before a backend is chosen (boot_entry): the ops of the last-resort
 * backend, speaking through the early console of the backend the loader
 * named (pvm: pvkit's console call, since `out` faults there).
 */
void pv_early_init(const struct boot_info *bi);

/* Choose a backend, start it, print the "pv: backend=" line. */
void pv_select(const struct boot_info *bi);

#endif
