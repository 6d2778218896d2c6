/* SPDX-License-Identifier: MIT */
/*
 * pvxen.h - what pvxen's files share: the saved guest registers, the vCPU's
 * Xen state, guest-memory access and the calls out to pvkit.
 */
#ifndef PVXEN_H
#define PVXEN_H

/* Everything is in this one image: direct RIP-relative references, no GOT. */
#pragma GCC visibility push(hidden)

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/errno.h>
#include <xen/xen.h>

#include "abi/pvxen_abi.h"
#include "kernel.h" /* pvkernel's memory functions and vsnprintf (guest/kernel) */

#define PAGE_SIZE		     4096ull
#define XEN_DOMID		     1 /* the domain's id (xenstore's "domid") */
#define XEN_PV_HOLE_START_VA	     0xffff800000000000ull
#define XEN_PV_HOLE_END_VA	     0xffff880000000000ull /* end of Xen's PML4 slots 256-271 */
#define XEN_GDT_ENTRIES		     8192
#define XEN_FIRST_RESERVED_GDT_ENTRY (14 * 512)

#define RFLAGS_TF   0x100ull
#define RFLAGS_IF   0x200ull
#define RFLAGS_DF   0x400ull
#define RFLAGS_IOPL 0x3000ull
#define RFLAGS_NT   0x4000ull
#define RFLAGS_RF   0x10000ull
#define RFLAGS_VM   0x20000ull
#define RFLAGS_AC   0x40000ull

/* Page-table entry bits. */
#define PTE_P	 (1ull << 0)
#define PTE_RW	 (1ull << 1)
#define PTE_U	 (1ull << 2)
#define PTE_PCD	 (1ull << 4)
#define PTE_A	 (1ull << 5)
#define PTE_PSE	 (1ull << 7)
#define PTE_NX	 (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* The guest's registers, as entry.S saves them: SAVE_GPRS order, then the
 * iretq frame that resumes the guest. */
struct xen_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct trap_entry {
	uint64_t address; /* 0: none */
	uint8_t flags;	  /* DPL in 0-1, bit 2: mask events on entry */
};

/* One vCPU's Xen state. */
struct xen_vcpu {
	bool kernel_mode;
	struct trap_entry traps[256];
	uint64_t kernel_sp;
	uint64_t event_cb, failsafe_cb, syscall_cb, syscall32_cb, sysenter_cb, nmi_cb;
	bool syscall_mask, syscall32_mask, sysenter_mask;
	uint64_t kernel_cr3, user_cr3;	       /* guest-physical L4s; user 0: none */
	uint64_t gs_base_user, gs_base_kernel; /* the one not loaded now */
	unsigned iopl;			       /* virtual IOPL, 0-3 */
	uint64_t vm_assist;		       /* VMASST_TYPE_* bits */
	uint64_t dr[8];			       /* virtual debug registers */
	bool fpu_ts;			       /* fpu_taskswitch(1) */
	bool cr4_de;			       /* the guest's view of CR4 (DE) */
	struct vcpu_info *vcpu_info;
	uint64_t gdt_frames[16];
	unsigned gdt_entries;
};

extern struct xen_vcpu xen_vcpu;
extern struct pvxen_boot xen_boot_info;
extern shared_info_t *xen_shared_info;
extern uint64_t xen_gdt[XEN_GDT_ENTRIES];
extern uint8_t xen_exc_stack_top[], xen_native_exc_stack_top[]; /* TSS.RSP0, TSS.IST1 */

/* entry.S */
extern uint64_t xen_exc_rip, xen_exc_rflags, xen_exc_error, xen_exc_cr2, xen_vector;
extern volatile uint64_t xen_timer_fired; /* a tick arrived while pvxen ran */
/* Isolation: 1 while user mode runs on its own L4 (set on the way out);
 * the L4s the stubs load on the way in (kernel) and out (user). */
extern volatile uint8_t xen_in_user;
extern uint64_t xen_entry_cr3, xen_exit_cr3;
/* The guest kernel's exceptions whose stubs run natively (bit n: vector
 * n); each sets xen_if_off, as its delivery turned IF off. */
extern const uint32_t xen_native_vectors;
extern volatile uint8_t xen_if_off;
long xen_copy(void *dst, const void *src, size_t n);
void xen_gate(void);
void xen_thunk_write_cr3(void);
void xen_thunk_read_cr3(void);
void xen_thunk_invlpg(void);
void xen_thunk_set_if(void);

/* CPL0 operations through the gate (each costs an emulated trap). */
void xen_write_cr3(uint64_t cr3);
uint64_t xen_read_cr3(void);
void xen_invlpg(uint64_t va);
void xen_set_if(void);
/* The guest's view of CR4 (only DE and FSGSBASE may change). */
uint64_t guest_cr4(void);
bool set_guest_cr4(uint64_t value);
/* Segment bases: {rd,wr}{fs,gs}base always work here (see set_guest_cr4). */
#define SEGMENT_BASE_ACCESSORS(seg)                                                                \
	static inline uint64_t read_##seg##_base(void)                                             \
	{                                                                                          \
		uint64_t v;                                                                        \
		asm volatile("rd" #seg "base %0" : "=r"(v));                                       \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_##seg##_base(uint64_t v)                                          \
	{                                                                                          \
		asm volatile("wr" #seg "base %0" ::"r"(v));                                        \
	}
SEGMENT_BASE_ACCESSORS(fs)
SEGMENT_BASE_ACCESSORS(gs)
/* debugreg.c: the guest's debug registers; its breakpoints, emulated by
 * single-stepping while DR7 enables one. */
extern bool debug_breakpoints_on, debug_step_armed;
int64_t set_debugreg(unsigned reg, uint64_t value);
void debug_step_begin(struct xen_regs *r);		 /* on the way out */
void debug_step_end(struct xen_regs *r, bool completed); /* on the way in */
bool debug_trap(struct xen_regs *r, bool stepped);	 /* #DB: the guest's? */

/* Guest memory through the current page tables; -1 on a fault or an
 * address in the hypervisor's hole. */
int copy_from_guest(void *dst, uint64_t va, size_t n);
int copy_to_guest(uint64_t va, const void *src, size_t n);
/* The guest-physical address of something in pvxen's own area. */
static inline uint64_t hv_gpa(const void *p)
{
	return xen_boot_info.hv_base + ((uint64_t)p - PVXEN_VIRT_BASE);
}
/* Guest-physical memory through pvxen's direct map; NULL if not RAM. */
void *maddr_ptr(uint64_t maddr, size_t n);
bool mfn_is_domain_ram(uint64_t mfn);
/* The domain's reservation: frames given back are not its RAM. */
void set_frame_released(uint64_t mfn, bool released);
bool frame_is_released(uint64_t mfn);
uint64_t domain_pages(void); /* nr_pages less the frames given back */
static inline bool is_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* pvkit's hypercalls (abi/pvkit_abi.h) through the doorbell. */
int64_t pvkit_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
void pvkit_write(const char *s, size_t n);
void xen_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void xen_shutdown(unsigned reason);
__attribute__((noreturn)) void xen_crash(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* traps.c */
void xen_exception(struct xen_regs *r);
void xen_syscall(struct xen_regs *r);
/* Deliver vector to the guest kernel's handler (a Xen bounce frame). */
void inject_trap(struct xen_regs *r, unsigned vector, bool has_error, uint64_t error);
void xen_exit_to_guest(struct xen_regs *r);
void toggle_guest_mode(struct xen_regs *r);

/* hypercall.c */
void do_hypercall(struct xen_regs *r);
int64_t do_iret(struct xen_regs *r);

/* The LAPIC timer interrupt pvxen uses for the guest's timers (the bounce
 * reports it as vector 32, see entry.S). */
#define XEN_TIMER_VECTOR 0xf0
#define XEN_TIMER_BOUNCE 32

/* time.c */
uint64_t rdtsc(void);
uint64_t tsc_hz(void);
void time_init(void);
int64_t set_singleshot_timer(uint64_t timeout_abs_ns, bool future_only);
void stop_singleshot_timer(void);
bool singleshot_timer_armed(void);
/* The timer interrupt, or a check after a wait: raise VIRQ_TIMER if due. */
void timer_check(void);
void timer_interrupt(void);
void timer_tick_noted(void); /* the tick pvxen's stub noted, now seen */
/* Wait (in pvkit) until the guest's timer is due or input arrives. */
void wait_for_event(uint64_t until_ns);
void publish_vcpu_time(void);
uint64_t system_time_ns(void);
int64_t register_runstate(uint64_t area);
int64_t register_time_area(uint64_t area); /* the vDSO's pvclock */

/* main.c */
void install_hw_selectors(void);

/* mm.c */
int64_t do_mmu_update(uint64_t reqs, uint64_t count, uint64_t done_ptr, uint64_t domid);
int64_t do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags);
int64_t do_mmuext_op(uint64_t ops, uint64_t count, uint64_t done_ptr, uint64_t domid);
/* XENMEM_{increase,decrease}_reservation, XENMEM_populate_physmap */
int64_t do_reservation_op(unsigned op, uint64_t arg, uint64_t start_extent);
int64_t do_set_gdt(uint64_t frames, uint64_t entries);
int64_t do_update_descriptor(uint64_t maddr, uint64_t desc);
void mm_init(void);
uint64_t page_table_write_target(uint64_t va);
int64_t page_table_write(uint64_t maddr, uint64_t val);
void load_kernel_cr3(void);
/* The TLB holds nothing from before now (a CR3 load happened or will,
 * before the guest kernel runs again). */
void mm_tlb_flushed(void);
void mm_check(void); /* PVXEN_BOOT_CHECK */
void flush_tlb(void);
/* For grant mappings and copies: Xen's writable page type (-EBUSY for a
 * page table; no table is made of a frame that holds it), and what an L1
 * entry replaced outside mmu_update held. */
int64_t get_writable(uint64_t mfn);
void put_writable(uint64_t mfn);
void put_l1e(uint64_t pte);
/* The L1 entry for a linear address in the live tables (its machine
 * address, 0 if none), an entry of an L1 table by machine address (NULL if
 * it is not one), whether any L1 in use maps a frame. */
uint64_t l1e_maddr_of(uint64_t va);
uint64_t *l1_table_entry(uint64_t maddr);
bool frame_is_mapped(uint64_t mfn);

/* user_view.c */
extern uint64_t user_view_l4e;
void user_view_init(void);

/* events.c */
void raise_virq(unsigned virq);
void console_input(void);
bool events_pending(void);
bool port_pending(uint32_t port);
/* Deliver the event upcall now if one is pending and not masked. */
void deliver_events(struct xen_regs *r);
int64_t do_event_channel_op(uint64_t cmd, uint64_t arg);
int64_t do_console_io(uint64_t cmd, uint64_t count, uint64_t buf);

/* grant_table.c */
int64_t do_grant_table_op(uint64_t cmd, uint64_t arg, uint64_t count);
/* A grant table frame the domain may map now (v2's status frame only under v2). */
bool grant_frame_mappable(uint64_t mfn);

/* pit.c: PIT channel 2 and port 0x61, as Xen emulates them for PV guests */
bool pit_port(uint16_t port);
uint8_t pit_read(uint16_t port);
void pit_write(uint16_t port, uint8_t value);

/* xenstore.c */
void xenstore_init(void);
void xenstore_kick(void);

/* emulate.c: privileged instructions of the guest kernel; true if done. */
uint64_t *gpr(struct xen_regs *r, unsigned n); /* register n, hardware numbering */
bool emulate_privileged(struct xen_regs *r, unsigned vector);
bool fixup_stack_fault(struct xen_regs *r, uint64_t error);
bool emulate_m2p_read(struct xen_regs *r, uint64_t cr2, uint64_t error);
bool emulate_page_table_write(struct xen_regs *r, uint64_t cr2, uint64_t error);

#endif
