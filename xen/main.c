// SPDX-License-Identifier: MIT
/*
 * main.c - pvxen's CPU tables, its first entry, the privileged gate's C
 * side, guest-memory access and the calls out to pvkit.
 */
#include "pvxen.h"

struct pvxen_boot xen_boot_info;
struct xen_vcpu xen_vcpu;
shared_info_t *xen_shared_info;
/* The CPU's tables, also on the user view (xen/user_view.c), which maps
 * xen_user_idt's frame at xen_idt's address. */
#define CPL0_DATA __attribute__((section(".bss.cpl0"), aligned(4096)))
uint64_t xen_gdt[XEN_GDT_ENTRIES] CPL0_DATA;
uint8_t xen_idt[256 * 16] CPL0_DATA;
uint8_t xen_user_idt[256 * 16] CPL0_DATA;
uint8_t xen_tss[104] CPL0_DATA;

extern const uint64_t xen_stub_table[32], xen_user_stub_table[32];
extern const uint64_t xen_stub_ignore_addr, xen_stub_timer_addr, xen_user_stub_timer_addr;

#define TSS_RSP0_OFFSET 4 /* the 64-bit TSS layout */
#define TSS_IST1_OFFSET 0x24

static bool booted;

/* ---- CPU tables -------------------------------------------------------- */

static uint64_t flat_descriptor(uint8_t access, uint8_t flags)
{
	return 0xffffull | ((uint64_t)access << 40) | ((uint64_t)(flags | 0xf) << 48);
}

/*
 * An interrupt gate to handler.  CPL0 (native false): to pvxen's ring-0
 * segment, on TSS.RSP0's stack.  Native: to the hardware's user code
 * segment, on the IST 1 stack: delivered from CPL3 without a privilege
 * change, the handler runs natively (docs/pvm.md, section 9).  Either
 * delivery turns IF off (on this host a trap gate's does too), and only a
 * CPL0 `iretq` turns it on again: see xen_if_off.
 */
static void set_gate(uint8_t *idt, unsigned vector, uint64_t handler, unsigned dpl, bool native)
{
	uint8_t *g = idt + vector * 16;
	uint64_t selector = native ? PVXEN_SEL_HW_CS : PVXEN_SEL_HV_CS;
	uint64_t ist = native ? 1 : 0;
	uint64_t lo = (handler & 0xffff) | selector << 16 | ist << 32 |
		      (uint64_t)(0x8e | dpl << 5) << 40 | ((handler >> 16) & 0xffff) << 48;
	uint64_t hi = handler >> 32;
	memcpy(g, &lo, 8);
	memcpy(g + 8, &hi, 8);
}

/* The hardware's user selectors, kept whatever the guest's GDT says. */
void install_hw_selectors(void)
{
	xen_gdt[PVXEN_SEL_HW_CS / 8] = flat_descriptor(0xfa, 0xa0);
	xen_gdt[PVXEN_SEL_HW_DS / 8] = flat_descriptor(0xf2, 0xc0);
}

static void init_cpu_tables(void)
{
	install_hw_selectors();
	/* Xen's reserved descriptors for a 64-bit PV guest. */
	xen_gdt[PVXEN_SEL_HV_CS / 8] = flat_descriptor(0x9a, 0xa0);
	xen_gdt[PVXEN_SEL_HV_DS / 8] = flat_descriptor(0x92, 0xc0);
	xen_gdt[PVXEN_SEL_SYSRET / 8] = flat_descriptor(0xfa, 0xc0); /* 0xe023: CS32 */
	xen_gdt[PVXEN_SEL_USER_DS / 8] = flat_descriptor(0xf2, 0xc0);
	xen_gdt[PVXEN_SEL_USER_CS / 8] = flat_descriptor(0xfa, 0xa0);
	uint64_t base = (uint64_t)xen_tss;
	xen_gdt[PVXEN_SEL_TSS / 8] = (sizeof(xen_tss) - 1) | ((base & 0xffffff) << 16) |
				     (0x8bull << 40) | ((base >> 24) & 0xff) << 56;
	xen_gdt[PVXEN_SEL_TSS / 8 + 1] = base >> 32;

	uint64_t rsp0 = (uint64_t)xen_exc_stack_top;
	uint64_t ist1 = (uint64_t)xen_native_exc_stack_top;
	memcpy(xen_tss + TSS_RSP0_OFFSET, &rsp0, 8);
	memcpy(xen_tss + TSS_IST1_OFFSET, &ist1, 8);
	uint16_t iomap = sizeof(xen_tss);
	memcpy(xen_tss + 0x66, &iomap, 2);

	/* The guest kernel's exceptions that need nothing of CPL0 are native
	 * (xen_native_vectors); the user IDT's stubs all load the kernel's L4
	 * first, so they stay CPL0. */
	for (unsigned v = 0; v < 256; v++) {
		unsigned dpl = v == 3 || v == 4 ? 3 : 0;
		bool native = v < 32 && (xen_native_vectors & (1u << v));
		set_gate(xen_idt, v, v < 32 ? xen_stub_table[v] : xen_stub_ignore_addr, dpl,
			 native);
		set_gate(xen_user_idt, v, v < 32 ? xen_user_stub_table[v] : xen_stub_ignore_addr,
			 dpl, false);
	}
	set_gate(xen_idt, XEN_TIMER_VECTOR, xen_stub_timer_addr, 0, false);
	set_gate(xen_user_idt, XEN_TIMER_VECTOR, xen_user_stub_timer_addr, 0, false);
}

/* The first entry: the guest starts in kernel mode at its entry point. */
static void boot(struct xen_regs *r)
{
	init_cpu_tables();
	xen_shared_info = maddr_ptr(xen_boot_info.shared_info, PAGE_SIZE);
	memset(xen_shared_info, 0, PAGE_SIZE);
	xen_vcpu.vcpu_info = &xen_shared_info->vcpu_info[0];
	/* Events stay masked until the guest unmasks them. */
	xen_vcpu.vcpu_info->evtchn_upcall_mask = 1;
	xen_vcpu.kernel_mode = true;
	xen_vcpu.kernel_cr3 = xen_boot_info.cr3;
	xen_vcpu.dr[6] = 0xffff0ff0;
	xen_vcpu.dr[7] = 0x400;
	user_view_init();
	mm_init();
	time_init();
	xenstore_init();
	console_input(); /* pvkit takes input once it is being read */
	memset(r, 0, sizeof(*r));
	r->rip = xen_boot_info.entry;
	r->rsp = xen_boot_info.stack;
	r->rsi = xen_boot_info.start_info;
	r->rflags = 0x202;
	booted = true;
}

void xen_syscall(struct xen_regs *r)
{
	if (debug_step_armed)
		debug_step_end(r, false);
	if (!booted)
		boot(r);
	else if (xen_vcpu.kernel_mode)
		do_hypercall(r);
	else if (xen_vcpu.syscall_cb)
		/* A system call of guest user mode: Xen's syscall callback. */
		inject_trap(r, 256, false, 0);
	else
		inject_trap(r, 6, false, 0);
	deliver_events(r);
	xen_exit_to_guest(r);
}

__attribute__((noreturn)) void xen_internal_fault(uint64_t vector, uint64_t rip, uint64_t cr2);
void xen_internal_fault(uint64_t vector, uint64_t rip, uint64_t cr2)
{
	xen_crash("pvxen: exception %llu inside the hypervisor at RIP=0x%llx (CR2 0x%llx)",
		  (unsigned long long)vector, (unsigned long long)rip, (unsigned long long)cr2);
}

/* ---- the gate ---------------------------------------------------------- */

static uint64_t gate(void (*thunk)(void), uint64_t a0, uint64_t a1)
{
	register uint64_t rdi asm("rdi") = a0;
	register uint64_t rsi asm("rsi") = a1;
	register uint64_t r11 asm("r11") = (uint64_t)thunk;
	register uint64_t rax asm("rax") = 0;
	asm volatile("call xen_gate"
		     : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(r11)
		     :
		     : "memory", "rcx", "rdx", "r8", "r9", "r10");
	return rax;
}

void xen_write_cr3(uint64_t cr3)
{
	gate(xen_thunk_write_cr3, cr3, 0);
}

uint64_t xen_read_cr3(void)
{
	return gate(xen_thunk_read_cr3, 0, 0);
}

void xen_invlpg(uint64_t va)
{
	gate(xen_thunk_invlpg, va, 0);
}

void xen_set_if(void)
{
	gate(xen_thunk_set_if, 0, 0);
	xen_if_off = 0;
}

#define CR4_BASE     0x6f0ull /* PAE, PSE, MCE, PGE... as a PV guest sees: OSFXSR, OSXMMEXCPT */
#define CR4_DE	     (1ull << 3)
#define CR4_FSGSBASE (1ull << 16)

uint64_t guest_cr4(void)
{
	return (CR4_BASE & ~0x80ull) | (xen_vcpu.cr4_de ? CR4_DE : 0);
}

/*
 * Xen discards what it does not like in a CR4 write rather than fault.
 * Only DE is the guest's to change.  Not FSGSBASE: pv_cpuid does not offer
 * it, because this host runs the guest's native code with its own CR4,
 * where {rd,wr}{fs,gs}base always work whatever the vCPU's CR4 says (tests/pvm
 * experiment 'debug'); pvxen itself uses them.
 */
bool set_guest_cr4(uint64_t value)
{
	xen_vcpu.cr4_de = value & CR4_DE;
	return true;
}

/* ---- memory ------------------------------------------------------------ */

static bool guest_range_ok(uint64_t va, size_t n)
{
	uint64_t end = va + n;
	if (end < va)
		return false;
	bool low = end <= 0x0000800000000000ull;
	bool high = va >= XEN_PV_HOLE_END_VA;
	return low || high;
}

int copy_from_guest(void *dst, uint64_t va, size_t n)
{
	if (!guest_range_ok(va, n))
		return -1;
	return (int)xen_copy(dst, (const void *)va, n);
}

int copy_to_guest(uint64_t va, const void *src, size_t n)
{
	if (!guest_range_ok(va, n))
		return -1;
	return (int)xen_copy((void *)va, src, n);
}

void *maddr_ptr(uint64_t maddr, size_t n)
{
	if (maddr > xen_boot_info.ram_end || n > xen_boot_info.ram_end - maddr)
		return NULL;
	return (void *)(PVXEN_DIRECT_MAP + maddr);
}

bool mfn_is_domain_ram(uint64_t mfn)
{
	return mfn < xen_boot_info.nr_pages;
}

/*
 * Frames the domain gave back (XENMEM_decrease_reservation), one bit each.
 * Linux gives back the frames under its memory map's holes and then maps
 * some of them as its p2m's identity ("I/O") frames, as a domain may map
 * the legacy area: so a given-back frame stays mappable.  pvxen has no use
 * for it meanwhile; it only leaves the reservation until populated again.
 */
static uint8_t frame_released[PVXEN_M2P_MAX_PAGES / 8];
static uint64_t nr_released;

void set_frame_released(uint64_t mfn, bool released)
{
	uint8_t bit = (uint8_t)(1u << (mfn % 8));
	if (released && !(frame_released[mfn / 8] & bit)) {
		frame_released[mfn / 8] |= bit;
		nr_released++;
	} else if (!released && (frame_released[mfn / 8] & bit)) {
		frame_released[mfn / 8] &= (uint8_t)~bit;
		nr_released--;
	}
}

bool frame_is_released(uint64_t mfn)
{
	return mfn < xen_boot_info.nr_pages && mfn < PVXEN_M2P_MAX_PAGES &&
	       (frame_released[mfn / 8] & (1u << (mfn % 8)));
}

uint64_t domain_pages(void)
{
	return xen_boot_info.nr_pages - nr_released;
}

/* ---- pvkit ------------------------------------------------------------- */

int64_t pvkit_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	register uint64_t rax asm("rax") = nr;
	register uint64_t rdi asm("rdi") = a0;
	register uint64_t rsi asm("rsi") = a1;
	register uint64_t rdx asm("rdx") = a2;
	volatile uint32_t *doorbell = (volatile uint32_t *)PVXEN_DOORBELL_VA;
	asm volatile("movl %%eax, (%[db])"
		     : "+r"(rax)
		     : [db] "r"(doorbell), "r"(rdi), "r"(rsi), "r"(rdx)
		     : "memory");
	return (int64_t)rax;
}

void pvkit_write(const char *s, size_t n)
{
	static char buf[4096];
	while (n) {
		size_t part = n < sizeof(buf) ? n : sizeof(buf);
		memcpy(buf, s, part);
		pvkit_call(1 /* PVKIT_HC_CONSOLE_WRITE */, hv_gpa(buf), part, 0);
		s += part;
		n -= part;
	}
}

/* One line for pvkit: LOG adds a newline, SHUTDOWN takes the text as is. */
static uint64_t vmessage(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	return n < (int)size ? (uint64_t)n : size - 1;
}

void xen_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	uint64_t n = vmessage(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	pvkit_call(PVKIT_HC_LOG, hv_gpa(buf), n, 0);
}

void xen_shutdown(unsigned reason)
{
	for (;;)
		pvkit_call(PVKIT_HC_SHUTDOWN, reason, 0, 0);
}

void xen_crash(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	uint64_t n = vmessage(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (;;)
		pvkit_call(PVKIT_HC_SHUTDOWN, PVKIT_SHUTDOWN_CRASH, hv_gpa(buf), n);
}
