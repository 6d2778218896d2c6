// SPDX-License-Identifier: MIT
/*
 * xen_machine.c - start a Xen PV domain under pvxen (docs/xen-pv.md).
 *
 * The loader (boot/xen_pv.c) has built the domain in the low frames of RAM
 * and left the top XEN_PV_HV_SIZE bytes of low RAM to the hypervisor; its
 * first page is shared_info.  Here pvkit:
 *  - copies pvxen behind shared_info and fills its boot block;
 *  - builds pvxen's mappings in the rest of that area: slot 257 maps the
 *    area itself and a 2 MiB window onto the doorbell, slot 258 all RAM by
 *    guest-physical address; both with U set, because pvxen runs in the
 *    same hardware mode as the guest (PLATFORM.md);
 *  - puts those two L4 entries into the domain's first L4 (pvxen puts them
 *    into every later one);
 *  - sets STAR/LSTAR/SYSCALL_MASK, CR4 and the descriptor tables, and
 *    starts the vCPU in user mode on pvxen's `syscall` trampoline: the only
 *    way into code this host runs natively.  The vCPU's CR4 has no
 *    FSGSBASE, yet {rd,wr}{fs,gs}base work in native code: it runs with
 *    the host's CR4 (tests/pvm experiment `debug`).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abi/pvkit_abi.h"
#include "abi/pvxen_abi.h"
#include "cpu_setup.h"
#include "log.h"
#include "pvm_machine.h"
#include "pvm_mode.h"
#include "run_loop.h"
#include "xen_machine.h"

extern const uint8_t pvxen_image[];
extern const uint8_t pvxen_image_end[];

#define PAGE	 4096ull
#define HUGE	 (2ull << 20)
#define PTE_P	 (1ull << 0)
#define PTE_RW	 (1ull << 1)
#define PTE_U	 (1ull << 2)
#define PTE_PCD	 (1ull << 4)
#define PTE_PSE	 (1ull << 7)
#define PTE_NEXT (PTE_P | PTE_RW | PTE_U)

#define MSR_STAR	 0xc0000081u
#define MSR_LSTAR	 0xc0000082u
#define MSR_SYSCALL_MASK 0xc0000084u
#define EFER_SCE	 (1ull << 0)
#define EFER_NXE	 (1ull << 11)
#define CR4_OSFXSR	 (1ull << 9)
#define CR4_OSXMMEXCPT	 (1ull << 10)
#define CR4_PAE		 (1ull << 5)
#define XEN_HW_CR4	 (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT)
/* Cleared on every `syscall` into pvxen: TF, DF, AC, NT, IOPL.  Not IF:
 * nothing native could set it again here (xen/entry.S). */
#define SYSCALL_MASK 0x47500ull
#define RFLAGS_IF    0x200ull

_Static_assert(PVXEN_DOORBELL_GPA == PVM_HYPERCALL_MMIO, "pvxen rings pvm mode's doorbell");

struct hv_area {
	struct guest_memory *mem;
	uint64_t base, end, next; /* guest-physical; next: first free page */
};

static uint64_t *alloc_table(struct hv_area *a, uint64_t *gpa)
{
	if (a->next + PAGE > a->end)
		return NULL;
	*gpa = a->next;
	a->next += PAGE;
	uint64_t *t = guest_memory_ptr(a->mem, *gpa, PAGE);
	if (t)
		memset(t, 0, PAGE);
	return t;
}

/* Slot 257: the hypervisor area, and the doorbell window 1 GiB above it. */
static int map_hv_slot(struct hv_area *a, uint64_t *l4e)
{
	uint64_t l3_gpa, l2_gpa, mmio_gpa;
	uint64_t *l3 = alloc_table(a, &l3_gpa), *l2 = alloc_table(a, &l2_gpa),
		 *mmio = alloc_table(a, &mmio_gpa);
	if (!l3 || !l2 || !mmio)
		return -1;
	l3[0] = l2_gpa | PTE_NEXT;
	for (uint64_t off = 0; off < a->end - a->base; off += HUGE)
		l2[off / HUGE] = (a->base + off) | PTE_NEXT | PTE_PSE;
	l3[(PVXEN_MMIO_WINDOW - PVXEN_VIRT_BASE) >> 30] = mmio_gpa | PTE_NEXT;
	mmio[0] = PVXEN_MMIO_WINDOW_GPA | PTE_NEXT | PTE_PSE | PTE_PCD;
	*l4e = l3_gpa | PTE_NEXT;
	return 0;
}

/* Slot 258: guest RAM below 4 GiB by guest-physical address. */
static int map_direct_slot(struct hv_area *a, uint64_t ram_end, uint64_t *l4e)
{
	uint64_t l3_gpa;
	uint64_t *l3 = alloc_table(a, &l3_gpa);
	if (!l3)
		return -1;
	for (uint64_t gib = 0; gib * (1ull << 30) < ram_end; gib++) {
		uint64_t l2_gpa;
		uint64_t *l2 = alloc_table(a, &l2_gpa);
		if (!l2)
			return -1;
		l3[gib] = l2_gpa | PTE_NEXT;
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t pa = (gib << 30) + i * HUGE;
			if (pa < ram_end)
				l2[i] = pa | PTE_NEXT | PTE_PSE;
		}
	}
	*l4e = l3_gpa | PTE_NEXT;
	return 0;
}

/* Slot 256: the M2P, read-only, one 2 MiB page (the identity: m2p[i] = i). */
static int map_m2p_slot(struct hv_area *a, uint64_t nr_pages, uint64_t *l4e)
{
	uint64_t l3_gpa, l2_gpa, m2p_gpa = a->base + PVXEN_M2P_OFFSET;
	uint64_t *l3 = alloc_table(a, &l3_gpa), *l2 = alloc_table(a, &l2_gpa);
	uint64_t *m2p = guest_memory_ptr(a->mem, m2p_gpa, HUGE);
	if (!l3 || !l2 || !m2p || a->next > m2p_gpa || nr_pages > PVXEN_M2P_MAX_PAGES)
		return -1;
	for (uint64_t i = 0; i < HUGE / 8; i++)
		m2p[i] = i < nr_pages ? i : ~0ull; /* INVALID_M2P_ENTRY */
	l3[0] = l2_gpa | PTE_NEXT;
	l2[0] = m2p_gpa | PTE_P | PTE_U | PTE_PSE;
	*l4e = l3_gpa | PTE_NEXT;
	return 0;
}

static int start_in_user_mode(struct vcpu *vcpu, const struct pvxen_header *h, uint64_t cr3)
{
	struct kvm_sregs s;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		log_msg("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	cpu_setup_sregs(&s, BOOT_CPU_LONG64, true);
	s.cs.selector = PVXEN_SEL_HW_CS;
	s.ss.selector = s.ds.selector = s.es.selector = s.fs.selector = s.gs.selector =
	    PVXEN_SEL_HW_DS;
	s.gdt.base = h->gdt;
	s.gdt.limit = (uint16_t)h->gdt_limit;
	s.idt.base = h->idt;
	s.idt.limit = (uint16_t)h->idt_limit;
	s.tr.base = h->tss;
	s.tr.selector = PVXEN_SEL_TSS;
	s.cr3 = cr3;
	s.cr4 = XEN_HW_CR4;
	s.efer |= EFER_SCE | EFER_NXE;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &s) < 0) {
		log_msg("KVM_SET_SREGS (pvxen, user mode): %s", strerror(errno));
		return -1;
	}
	struct kvm_regs regs = {
	    .rip = h->trampoline, .rsp = h->boot_stack, .rflags = RFLAGS_IF | 2};
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0) {
		log_msg("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* pvxen's image at hv_base + PVXEN_IMAGE_OFFSET; its header, checked. */
static int load_pvxen(struct hv_area *a, struct pvxen_header *h)
{
	size_t size = (size_t)(pvxen_image_end - pvxen_image);
	uint64_t at = a->base + PVXEN_IMAGE_OFFSET;
	if (size < sizeof(*h)) {
		log_msg("this build of pvkit carries no pvxen image");
		return -1;
	}
	memcpy(h, pvxen_image, sizeof(*h));
	if (h->magic != PVXEN_MAGIC || h->image_end <= PVXEN_LINK_ADDRESS ||
	    h->image_end - PVXEN_VIRT_BASE > a->end - a->base ||
	    size > h->image_end - PVXEN_LINK_ADDRESS) {
		log_msg("the pvxen image in this build of pvkit is damaged");
		return -1;
	}
	uint64_t span = h->image_end - PVXEN_LINK_ADDRESS;
	uint8_t *dst = guest_memory_ptr(a->mem, at, span);
	if (!dst)
		return -1;
	memcpy(dst, pvxen_image, size);
	memset(dst + size, 0, span - size);
	a->next = (a->base + (h->image_end - PVXEN_VIRT_BASE) + PAGE - 1) & ~(PAGE - 1);
	return 0;
}

int xen_machine_setup(struct machine *m, const struct boot_entry *entry, bool no_isolation)
{
	const struct xen_pv_plan *plan = &entry->xen;
	/* hvc0 is a tty: the end of a piped stdin reaches the guest as ^D. */
	m->console.eof_as_ctrl_d = true;
	m->hypercalls.pvxen = true;
	struct hv_area a = {.mem = &m->vm.mem, .base = plan->shared_info};
	a.end = a.base + XEN_PV_HV_SIZE;
	uint64_t ram_end = guest_memory_low_end(&m->vm.mem);
	struct pvxen_header h;
	struct pvxen_boot boot = {
	    .hv_base = a.base,
	    .hv_size = XEN_PV_HV_SIZE,
	    .ram_end = ram_end,
	    .nr_pages = plan->nr_pages,
	    .entry = plan->entry,
	    .stack = plan->stack_top,
	    .start_info = plan->start_info,
	    .cr3 = plan->cr3,
	    .shared_info = plan->shared_info,
	    .console_pfn = plan->console_pfn,
	    .store_pfn = plan->store_pfn,
	    .tsc_khz = m->tsc_khz,
	    .flags = (log_debug_enabled && getenv("PVKIT_XEN_TRACE") ? PVXEN_BOOT_TRACE : 0) |
		     (no_isolation ? PVXEN_BOOT_NO_ISOLATION : 0) |
		     (getenv("PVKIT_XEN_CHECK") ? PVXEN_BOOT_CHECK : 0),
	};
	uint64_t *l4 = guest_memory_ptr(&m->vm.mem, plan->cr3, PAGE);
	if (a.end > ram_end || !l4 || load_pvxen(&a, &h) < 0 ||
	    map_hv_slot(&a, &boot.hv_l4e[0]) < 0 ||
	    map_direct_slot(&a, ram_end, &boot.hv_l4e[1]) < 0 ||
	    map_m2p_slot(&a, plan->nr_pages, &boot.hv_l4e[2]) < 0) {
		log_msg("no room for pvxen in the top %llu MiB of low RAM",
			(unsigned long long)(XEN_PV_HV_SIZE >> 20));
		return -1;
	}
	l4[(PVXEN_VIRT_BASE >> 39) & 511] = boot.hv_l4e[0];
	l4[(PVXEN_DIRECT_MAP >> 39) & 511] = boot.hv_l4e[1];
	l4[(PVXEN_M2P >> 39) & 511] = boot.hv_l4e[2];
	void *boot_block =
	    guest_memory_ptr(&m->vm.mem, a.base + (h.boot - PVXEN_VIRT_BASE), sizeof(boot));
	if (!boot_block || h.boot < PVXEN_LINK_ADDRESS || h.boot + sizeof(boot) > h.image_end)
		return -1;
	memcpy(boot_block, &boot, sizeof(boot));
	if (pvm_machine_add_doorbell(m) < 0 ||
	    cpu_setup_syscall_msrs(
		&m->vcpu, (uint64_t)PVXEN_SEL_SYSRET << 48 | (uint64_t)PVXEN_SEL_HV_CS << 32,
		h.syscall_entry) < 0 ||
	    start_in_user_mode(&m->vcpu, &h, plan->cr3) < 0)
		return -1;
	log_debug("xen pv: pvxen at 0x%llx (%llu KiB), domain %llu pages, entry 0x%llx, "
		  "start_info 0x%llx, L4 0x%llx",
		  (unsigned long long)a.base, (unsigned long long)((a.next - a.base) >> 10),
		  (unsigned long long)plan->nr_pages, (unsigned long long)plan->entry,
		  (unsigned long long)plan->start_info, (unsigned long long)plan->cr3);
	return 0;
}

int64_t xen_hypercall_shutdown(struct hypercall_service *svc, uint64_t reason, uint64_t gpa,
			       uint64_t len)
{
	char why[160] = "";
	if (len) {
		const char *text = len < sizeof(why) ? guest_memory_ptr(svc->mem, gpa, len) : NULL;
		if (!text)
			return PVKIT_EFAULT;
		memcpy(why, text, len);
		why[len] = '\0';
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)why[i] < 0x20)
				why[i] = ' ';
	}
	switch (reason) {
	case PVKIT_SHUTDOWN_POWEROFF:
		stop_request_set(svc->stop, 0, NULL);
		return PVKIT_OK;
	case PVKIT_SHUTDOWN_REBOOT:
		stop_request_set(svc->stop, EXIT_STATUS_GUEST_REBOOT,
				 why[0] ? why : "the guest asked for a reboot");
		return PVKIT_OK;
	case PVKIT_SHUTDOWN_CRASH:
		stop_request_set(svc->stop, EXIT_STATUS_GUEST_CRASH,
				 why[0] ? why : "the guest crashed");
		return PVKIT_OK;
	default:
		return PVKIT_EINVAL;
	}
}

int64_t xen_hypercall_console_read(struct hypercall_service *svc, uint64_t gpa, uint64_t len)
{
	if (len > 4096)
		return PVKIT_EINVAL;
	uint8_t *dst = guest_memory_ptr(svc->mem, gpa, len);
	if (!dst)
		return PVKIT_EFAULT;
	/* The console's input goes to the UART's receive FIFO (host/console.c);
	 * a Xen domain reads it from there through pvxen instead. */
	struct uart16550 *uart = svc->console->uart;
	uint64_t n = 0;
	uint8_t lsr;
	while (uart && n < len) {
		uart16550_io(uart, UART_LSR, &lsr, 1, false);
		if (!(lsr & UART_LSR_DR))
			break;
		uart16550_io(uart, UART_RBR, &dst[n++], 1, false);
	}
	return (int64_t)n;
}

int64_t xen_hypercall_log(struct hypercall_service *svc, uint64_t gpa, uint64_t len)
{
	if (len > 4096)
		return PVKIT_EINVAL;
	const char *text = guest_memory_ptr(svc->mem, gpa, len);
	if (!text)
		return PVKIT_EFAULT;
	fprintf(stderr, "pvkit: %.*s", (int)len, text);
	return (int64_t)len;
}
