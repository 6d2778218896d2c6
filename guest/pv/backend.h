/* SPDX-License-Identifier: MIT */
/*
 * backend.h - what a backend of pv/ provides, and the pieces backends
 * share.  Only pv/ includes this; the rest of the kernel sees pv_ops.
 *
 * A backend is one entry of the table in pv/select.c:
 *
 *   named_by   whether the loader named this backend outright (the entry it
 *              used, boot_params.hardware_subarch); says how, for the log
 *   probe      whether it can run here: says how it knows, or why not
 *   early_console_write  the console for the lines before any backend
 *              is chosen
 *   ops        its complete, constant pv_ops (with its name, which
 *              "pv: backend=" prints)
 *   start      what must happen before the ops work (calibrate a clock,
 *              connect to a hypervisor); runs with pv_ops already = *ops
 *
 * The ops of different backends share functions, never copies: a backend
 * that keeps something of another names that backend's functions in its
 * initializer, by the groups below.
 */
#ifndef PVKERNEL_PV_BACKEND_H
#define PVKERNEL_PV_BACKEND_H

#include "boot_info.h"
#include "drivers.h"
#include "pv.h"
#include "trap.h"

struct pv_backend {
	bool (*named_by)(const struct boot_info *bi, char *how, size_t size);
	bool (*probe)(const struct boot_info *bi, char *how_or_why, size_t size);
	int (*early_console_write)(const char *buf, size_t len);
	const struct pv_ops *ops;
	int (*start)(const struct boot_info *bi);
};

/* ---- the backends (one file each) -------------------------------------- */

bool native_named_by(const struct boot_info *bi, char *how, size_t size);
bool native_probe(const struct boot_info *bi, char *how_or_why, size_t size);
int native_start(const struct boot_info *bi);
extern const struct pv_ops native_pv_ops;

bool pvkit_named_by(const struct boot_info *bi, char *how, size_t size);
bool pvkit_probe(const struct boot_info *bi, char *how_or_why, size_t size);
int pvkit_start(const struct boot_info *bi);
extern const struct pv_ops pvkit_pv_ops;

bool pvm_named_by(const struct boot_info *bi, char *how, size_t size);
bool pvm_probe(const struct boot_info *bi, char *how_or_why, size_t size);
int pvm_start(const struct boot_info *bi);
extern const struct pv_ops pvm_pv_ops;

/* ---- shared pieces ------------------------------------------------------ */

/* Ring 0 as it is (pv/native.c): the instructions themselves. */
uint64_t native_irq_save(void);
void native_irq_restore(uint64_t flags);
void native_irq_enable(void);
void native_irq_disable(void);
uint64_t native_save_flags(void);
void native_safe_halt(void);
uint64_t native_read_cr3(void);
void native_write_cr3(uint64_t cr3);
uint64_t native_read_cr2(void);
void native_flush_tlb_all(void);
void native_flush_tlb_one(uint64_t va);
void native_set_pte(uint64_t *ptep, uint64_t val);
void native_load_idt(const struct desc_ptr *dp);
void native_load_gdt(const struct desc_ptr *dp);
int native_read_msr_safe(uint32_t msr, uint64_t *val);
int native_write_msr_safe(uint32_t msr, uint64_t val);
void native_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);
NORETURN void native_power_off(int status);

/*
 * The CPU state ops of a kernel in ring 0 (native, and pvkit, which
 * paravirtualizes devices and time but not the CPU).
 */
#define PV_RING0_CPU_OPS                                                                           \
	.irq_save = native_irq_save, .irq_restore = native_irq_restore,                            \
	.irq_enable = native_irq_enable, .irq_disable = native_irq_disable,                        \
	.save_flags = native_save_flags, .read_cr3 = native_read_cr3,                              \
	.write_cr3 = native_write_cr3, .read_cr2 = native_read_cr2,                                \
	.flush_tlb_all = native_flush_tlb_all, .flush_tlb_one = native_flush_tlb_one,              \
	.load_idt = native_load_idt, .load_gdt = native_load_gdt,                                  \
	.read_msr_safe = native_read_msr_safe, .write_msr_safe = native_write_msr_safe,            \
	.idt_stubs = &isr_idt_stubs, .selectors = &kernel_gdt_selectors

/*
 * What every backend so far keeps as it is: PTE writes are plain stores
 * (pvm's page tables are the CPU's own), CPUID is not intercepted, and the
 * LAPIC (in KVM) gives the timer.
 */
#define PV_COMMON_OPS                                                                              \
	.set_pte = native_set_pte, .cpuid = native_cpuid, .timer_stop = lapic_timer_stop,          \
	.timer_eoi = lapic_eoi

/* pvkit's ABI (pv/pvkit.c), spoken by pvkit in ring 0 and by pvm. */
int pvkit_console_write(const char *buf, size_t len);
int pvkit_early_console_write(const char *buf, size_t len);
uint64_t pvkit_monotonic_ns(void);
uint64_t pvkit_wall_clock_ns(void);
uint64_t pvkit_clock_error_ns(void);
uint64_t pvkit_clock_restores(void);
int pvkit_timer_start(uint32_t hz, uint8_t vector);
NORETURN void pvkit_power_off(int status);
/* Find the hypercall and time pages, negotiate what this kernel uses. */
void pvkit_connect(uint32_t abi_version, uint32_t host_features, uint64_t hypercall_page,
		   uint64_t time_page_gpa);
/* The self-tests of the ABI as the host serves it (ended by {0}). */
extern const struct selftest pvkit_abi_selftests[];

/*
 * What pvkit provides through its ABI: console, clocks, power-off, and
 * the LAPIC timer calibrated against pvkit's clock.
 */
#define PV_PVKIT_ABI_OPS                                                                           \
	.console_write = pvkit_console_write, .monotonic_ns = pvkit_monotonic_ns,                  \
	.wall_clock_ns = pvkit_wall_clock_ns, .clock_error_ns = pvkit_clock_error_ns,              \
	.clock_restores = pvkit_clock_restores, .timer_start = pvkit_timer_start,                  \
	.power_off = pvkit_power_off

#endif
