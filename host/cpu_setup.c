// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "cpu_setup.h"
#include "log.h"

#define CR0_PE	 (1ull << 0)
#define CR0_MP	 (1ull << 1)
#define CR0_ET	 (1ull << 4)
#define CR0_NE	 (1ull << 5)
#define CR0_WP	 (1ull << 16)
#define CR0_PG	 (1ull << 31)
#define CR4_PAE	 (1ull << 5)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#define MSR_STAR	 0xc0000081u
#define MSR_LSTAR	 0xc0000082u
#define MSR_SYSCALL_MASK 0xc0000084u
/* Cleared on `syscall` like Linux does: IF (the kernel enables interrupts
 * itself), TF, DF, AC, NT, IOPL. */
#define SYSCALL_MASK 0x47700ull

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE   (1ull << 1)
#define PTE_USER    (1ull << 2)
#define PTE_LARGE   (1ull << 7)

#define RFLAGS_RESERVED (1ull << 1) /* always 1; IF stays 0 */

/* A flat segment descriptor (base 0, limit 4 GiB): access byte + flags. */
static uint64_t flat_descriptor(uint8_t access, uint8_t flags)
{
	return 0xffffull | ((uint64_t)access << 40) | ((uint64_t)(flags | 0xf) << 48);
}

/* Access bytes: present | DPL | S | type. */
#define ACCESS_CODE0 0x9a /* present, DPL 0, code, read/execute */
#define ACCESS_DATA0 0x92 /* present, DPL 0, data, read/write */
#define ACCESS_CODE3 0xfa
#define ACCESS_DATA3 0xf2
#define FLAGS_32     0xc0 /* G, D/B */
#define FLAGS_64     0xa0 /* G, L */

static void write_gdt(uint64_t *gdt)
{
	memset(gdt, 0, GDT_ENTRIES * sizeof(uint64_t));
	gdt[GDT_SEL_CODE32 / 8] = flat_descriptor(ACCESS_CODE0, FLAGS_32);
	gdt[GDT_SEL_CODE64 / 8] = flat_descriptor(ACCESS_CODE0, FLAGS_64);
	gdt[GDT_SEL_DATA / 8] = flat_descriptor(ACCESS_DATA0, FLAGS_32);
	gdt[GDT_SEL_USER32 / 8] = flat_descriptor(ACCESS_CODE3, FLAGS_32);
	gdt[GDT_SEL_USERDATA / 8] = flat_descriptor(ACCESS_DATA3, FLAGS_32);
	gdt[GDT_SEL_USER64 / 8] = flat_descriptor(ACCESS_CODE3, FLAGS_64);
	/* 64-bit busy TSS (type 0xb), a 16-byte system descriptor. */
	uint64_t base = TSS_ADDR;
	gdt[GDT_SEL_TSS / 8] =
	    TSS_LIMIT | ((base & 0xffffff) << 16) | (0x8bull << 40) | ((base >> 24) & 0xff) << 56;
	gdt[GDT_SEL_TSS / 8 + 1] = base >> 32;
}

int cpu_setup_tables(struct guest_memory *mem, bool user_pages)
{
	uint64_t *gdt = guest_memory_ptr(mem, LAYOUT_GDT, GDT_ENTRIES * 8);
	uint8_t *tss = guest_memory_ptr(mem, TSS_ADDR, TSS_LIMIT + 1);
	uint64_t *pml4 = guest_memory_ptr(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = guest_memory_ptr(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = guest_memory_ptr(mem, LAYOUT_PD, 4 * 4096);
	if (!gdt || !tss || !pml4 || !pdpt || !pd)
		return -1;
	write_gdt(gdt);
	memset(tss, 0, TSS_LIMIT + 1);
	/* RSP0 (offset 4): a user-mode probe guest that traps lands on the
	 * boot stack rather than at address 0.  I/O map base past the limit:
	 * no I/O permission bitmap. */
	uint64_t rsp0 = LAYOUT_STACK_TOP;
	memcpy(tss + 4, &rsp0, sizeof(rsp0));
	uint16_t iomap = TSS_LIMIT + 1;
	memcpy(tss + 0x66, &iomap, sizeof(iomap));

	uint64_t user = user_pages ? PTE_USER : 0;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_PRESENT | PTE_WRITE | user;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | PTE_PRESENT | PTE_WRITE | user;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE | user;
	return 0;
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, uint8_t dpl, bool code64)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .dpl = dpl,
	    .db = code64 ? 0 : 1,
	    .s = 1,
	    .l = code64 ? 1 : 0,
	    .g = 1,
	};
}

#define SEG_TYPE_CODE 0xb /* execute/read, accessed */
#define SEG_TYPE_DATA 0x3 /* read/write, accessed */

void cpu_setup_sregs(struct kvm_sregs *sregs, enum boot_cpu_mode mode, bool user_mode)
{
	/* Keep what KVM reports for the APIC base and the interrupt bitmap;
	 * set everything that describes the mode. */
	struct kvm_segment code, data;
	if (mode == BOOT_CPU_PROTECTED32) {
		code = segment(GDT_SEL_CODE32, SEG_TYPE_CODE, 0, false);
		data = segment(GDT_SEL_DATA, SEG_TYPE_DATA, 0, false);
	} else if (user_mode || mode == BOOT_CPU_PVM) {
		code = segment(GDT_SEL_USER64 | 3, SEG_TYPE_CODE, 3, true);
		data = segment(GDT_SEL_USERDATA | 3, SEG_TYPE_DATA, 3, false);
	} else {
		code = segment(GDT_SEL_CODE64, SEG_TYPE_CODE, 0, true);
		data = segment(GDT_SEL_DATA, SEG_TYPE_DATA, 0, false);
	}
	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = (struct kvm_segment){
	    .base = TSS_ADDR,
	    .limit = TSS_LIMIT,
	    .selector = GDT_SEL_TSS,
	    .type = 0xb,
	    .present = 1,
	};
	sregs->ldt = (struct kvm_segment){.type = 0x2, .present = 1, .limit = 0xffff};
	sregs->gdt.base = LAYOUT_GDT;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	if (mode == BOOT_CPU_PROTECTED32) {
		sregs->cr0 = CR0_PE | CR0_ET;
		sregs->cr3 = 0;
		sregs->cr4 = 0;
		sregs->efer = 0;
	} else {
		sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		sregs->cr3 = LAYOUT_PML4;
		sregs->cr4 = CR4_PAE;
		sregs->efer = EFER_LME | EFER_LMA;
	}
	if (mode == BOOT_CPU_PVM)
		sregs->efer |= EFER_SCE; /* the trampoline's `syscall` */
}

/* idt: IDTR.base (0: none), as pvm mode needs before the first instruction. */
static int load_state(struct vcpu *vcpu, enum boot_cpu_mode mode, bool user_mode, uint64_t idt,
		      const struct kvm_regs *regs)
{
	struct kvm_sregs sregs;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		log_msg("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	cpu_setup_sregs(&sregs, mode, user_mode);
	if (idt) {
		sregs.idt.base = idt;
		sregs.idt.limit = PVKIT_PVM_IDT_SIZE - 1;
	}
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0) {
		log_msg("KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0) {
		log_msg("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A deprivileged kernel (pvm mode, and pvxen for a Xen PV domain) cannot
 * write MSRs before it has an IDT to trap through, so pvkit sets the
 * `syscall` MSRs before the first KVM_RUN.
 */
int cpu_setup_syscall_msrs(struct vcpu *vcpu, uint64_t star, uint64_t lstar)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} msrs = {.hdr.nmsrs = 3};
	msrs.e[0] = (struct kvm_msr_entry){.index = MSR_STAR, .data = star};
	msrs.e[1] = (struct kvm_msr_entry){.index = MSR_LSTAR, .data = lstar};
	msrs.e[2] = (struct kvm_msr_entry){.index = MSR_SYSCALL_MASK, .data = SYSCALL_MASK};
	int r = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
	if (r != 3) {
		log_msg("KVM_SET_MSRS (STAR, LSTAR, SYSCALL_MASK): %s",
			r < 0 ? strerror(errno) : "not all accepted");
		return -1;
	}
	return 0;
}

/*L:360 The vCPU's state at its first instruction, in the mode the loader
 * chose (L:270): segments, control registers and EFER from
 * cpu_setup_sregs(), the entry registers from the loader.  pvm mode also
 * needs before the first KVM_RUN what the kernel cannot set without an IDT:
 * STAR, LSTAR and SYSCALL_MASK (the trampoline's `syscall` then lands on
 * the PVM note's entry), IDTR on the kernel's IDT, and CPL3, which only this
 * first KVM_SET_SREGS may choose.
 * Next: host/cmd_run.c. :*/
int cpu_setup_entry(struct vcpu *vcpu, const struct boot_entry *entry)
{
	struct kvm_regs regs = {
	    .rip = entry->rip,
	    .rsi = entry->rsi,
	    .rbx = entry->rbx,
	    .rsp = entry->rsp,
	    .rflags = RFLAGS_RESERVED,
	};
	bool pvm = entry->mode == BOOT_CPU_PVM;
	/* `syscall` enters at LSTAR with CS 0x10, SS 0x18; the sysret half
	 * names 0x20 so that user CS/SS are 0x33/0x2b, Linux's layout, which
	 * pvkit's GDT has. */
	uint64_t star = (uint64_t)GDT_SEL_USER32 << 48 | (uint64_t)GDT_SEL_CODE64 << 32;
	if (pvm && cpu_setup_syscall_msrs(vcpu, star, entry->pvm.syscall_entry) < 0)
		return -1;
	return load_state(vcpu, entry->mode, false, pvm ? entry->pvm.idt : 0, &regs);
}

int cpu_setup_user64(struct vcpu *vcpu, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs regs = {.rip = rip, .rsp = rsp, .rflags = RFLAGS_RESERVED};
	return load_state(vcpu, BOOT_CPU_LONG64, true, 0, &regs);
}
