/* SPDX-License-Identifier: MIT */
/*
 * trap.c - IDT and GDT, and what happens on an exception or interrupt:
 * timer ticks are counted, expected faults (fault_probe.S) are recovered,
 * anything else is reported in full and powers the machine off with
 * PVKERNEL_EXIT_PANIC, so a test run can never hang or pass by accident.
 */
#include "pv.h"
#include "trap.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

#define KERNEL_CS      0x10
#define KERNEL_DS      0x18
#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */

/*
 * Global: the pvm note names it, so pvkit can point IDTR here from the
 * start.  In .pvm.cpl0 with timer_ticks (which pvm's CPL0 timer stub
 * counts): the pages pvm maps into user page tables for the CPU's use.
 */
struct idt_gate idt_table[256] __attribute__((aligned(4096), section(".pvm.cpl0")));
/* Same selectors as the boot GDT (Linux's __BOOT_CS/__BOOT_DS). */
static uint64_t gdt[4] __attribute__((aligned(16))) = {
    0,
    0,
    0x00af9a000000ffffull,
    0x00cf92000000ffffull,
};

struct fault_expectation fault_expect;
volatile uint64_t timer_ticks __attribute__((section(".pvm.cpl0")));

const struct pv_selectors kernel_gdt_selectors = {.gate_cs = KERNEL_CS, .kernel_cs = KERNEL_CS};

static const char *const exception_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
};

static void set_gate(unsigned vec, uint64_t handler, uint16_t selector, uint8_t ist)
{
	idt_table[vec] = (struct idt_gate){
	    .offset_low = handler & 0xffff,
	    .selector = selector,
	    .ist = ist,
	    .type_attr = GATE_INTERRUPT,
	    .offset_mid = (handler >> 16) & 0xffff,
	    .offset_high = handler >> 32,
	};
}

void trap_init(void)
{
	/* The backend's entry stubs: isr.S's in ring 0, pvm's CPL0 and
	 * native bounces. */
	const struct idt_stubs *stubs = pv_ops.idt_stubs;
	const struct pv_selectors *sel = pv_ops.selectors;
	for (unsigned v = 0; v < ARRAY_SIZE(stubs->exceptions); v++) {
		if (stubs->native_exceptions & (1u << v))
			set_gate(v, stubs->exceptions[v], sel->kernel_cs, 1);
		else
			set_gate(v, stubs->exceptions[v], sel->gate_cs, 0);
	}
	set_gate(VEC_TIMER, stubs->timer, sel->gate_cs, 0);
	set_gate(VEC_SPURIOUS, stubs->spurious, sel->gate_cs, 0);
	struct desc_ptr dp = {sizeof(idt_table) - 1, (uint64_t)idt_table};
	pv_ops.load_idt(&dp);
}

void gdt_init(void)
{
	if (pv_ops.keep_loader_gdt)
		return;
	struct desc_ptr dp = {sizeof(gdt) - 1, (uint64_t)gdt};
	pv_ops.load_gdt(&dp);
	/* Reload every segment register from the new table. */
	asm volatile("pushq %0\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movl %1, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     :
		     : "i"(KERNEL_CS), "i"(KERNEL_DS)
		     : "rax", "memory");
}

static NORETURN void die(const struct trap_frame *f)
{
	const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector]
									: "unexpected vector";
	printk("\nexception: vector %lu (%s) error=0x%lx\n", f->vector, name, f->error_code);
	printk("  rip=%016lx cs=%04lx rflags=%016lx rsp=%016lx ss=%04lx cr2=%016lx\n", f->rip,
	       f->cs, f->rflags, f->rsp, f->ss, pv_ops.read_cr2());
	printk("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printk("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	printk("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", f->r9, f->r10, f->r11, f->r12);
	printk("  r13=%016lx r14=%016lx r15=%016lx cr3=%016lx\n", f->r13, f->r14, f->r15,
	       pv_ops.read_cr3());
	printk("exception: powering off with status %d\n", PVKERNEL_EXIT_PANIC);
	pv_ops.power_off(PVKERNEL_EXIT_PANIC);
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == VEC_TIMER) {
		timer_ticks++;
		pv_ops.timer_eoi();
		return;
	}
	if (f->vector == VEC_SPURIOUS)
		return;
	if (fault_expect.armed && f->vector == fault_expect.vector) {
		fault_expect.armed = false;
		fault_expect.hit = true;
		fault_expect.error_code = f->error_code;
		fault_expect.fault_rip = f->rip;
		fault_expect.cr2 = f->vector == VEC_PF ? pv_ops.read_cr2() : 0;
		f->rip = fault_expect.resume_rip;
		return;
	}
	die(f);
}

/* fault_probe.S writes these fields by offset. */
_Static_assert(__builtin_offsetof(struct fault_expectation, armed) == 0, "fault_expect.armed");
_Static_assert(__builtin_offsetof(struct fault_expectation, resume_rip) == 8, "resume_rip");
_Static_assert(__builtin_offsetof(struct fault_expectation, hit) == 16, "fault_expect.hit");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "isr.S frame layout");
