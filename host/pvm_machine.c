// SPDX-License-Identifier: MIT
/*
 * pvm_machine.c - the VM for a deprivileged kernel on a PVM host.
 *
 * Why each piece (measured in tests/pvm/, docs/pvm.md):
 *  - The vCPU starts at CPL3: only the first KVM_SET_SREGS may choose the
 *    CPL, and code entered with `syscall` from CPL3 is what this host runs
 *    natively.  The trampoline is one `syscall`; RSI (boot_params) survives
 *    it, RCX/R11 are the only registers `syscall` changes.
 *  - STAR/LSTAR/SYSCALL_MASK come from the VMM before the first KVM_RUN:
 *    the kernel cannot write MSRs before it has an IDT to trap through.
 *    For the same reason IDTR points at the kernel's IDT (from its note)
 *    from the start: the kernel fills the gates in memory, natively.
 *  - Every page is mapped with U set: syscall-entered code obeys U/S like
 *    user code.
 *  - `out` does not reach the VMM from that context (IOPL stays 0
 *    underneath), so the hypercall page writes EAX to an unbacked address
 *    instead: an MMIO exit, with the other registers read through
 *    KVM_CAP_SYNC_REGS.  Same ABI: call offset 0, RAX/args, status in RAX.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abi/pvkit_abi.h"
#include "boot/bootparam.h"
#include "boot/layout.h"
#include "cpu_setup.h"
#include "log.h"
#include "pvm_machine.h"
#include "run_loop.h"

#define MSR_STAR	 0xc0000081u
#define MSR_LSTAR	 0xc0000082u
#define MSR_SYSCALL_MASK 0xc0000084u
#define EFER_SCE	 (1ull << 0)
/* Cleared on entry like Linux does: IF (the kernel enables interrupts
 * itself), TF, DF, AC, NT, IOPL. */
#define SYSCALL_MASK	0x47700ull
#define RFLAGS_RESERVED 0x2ull
#define IDT_LIMIT	(256 * 16 - 1)

static void pvm_hypercall_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			     bool is_write)
{
	struct machine *m = opaque;
	(void)offset;
	if (!is_write) {
		memset(data, 0xff, size); /* reads are not hypercalls */
		return;
	}
	run_loop_hypercall(m);
}

/* Hypercall entry for this mode, and the trampoline further in the page. */
static int fill_hypercall_page(struct guest_memory *mem)
{
	uint8_t *page = guest_memory_ptr(mem, LAYOUT_HYPERCALL_PAGE, 4096);
	if (!page)
		return -1;
	memset(page, 0xcc, 4096);
	uint8_t entry[10] = {0xa3}; /* movabs %eax, PVM_HYPERCALL_MMIO */
	uint64_t doorbell = PVM_HYPERCALL_MMIO;
	memcpy(entry + 1, &doorbell, 8);
	entry[9] = 0xc3; /* ret */
	memcpy(page + PVKIT_HYPERCALL_ENTRY, entry, sizeof(entry));
	static const uint8_t trampoline[] = {0x0f, 0x05, 0x0f, 0x0b}; /* syscall; ud2 */
	memcpy(page + PVM_TRAMPOLINE_OFFSET, trampoline, sizeof(trampoline));
	return 0;
}

/* Append the PVKIT_SETUP_PVM entry to the loader's setup_data chain. */
static int add_setup_data(struct guest_memory *mem, uint32_t features)
{
	struct boot_params *bp = guest_memory_ptr(mem, LAYOUT_BOOT_PARAMS, sizeof(*bp));
	if (!bp)
		return -1;
	/* The chain is packed data in guest memory: addresses, not pointers
	 * to its fields, and memcpy for the link we rewrite. */
	uint64_t end = LAYOUT_SETUP_DATA, pa = bp->hdr.setup_data, last = 0;
	for (unsigned n = 0; pa && n < 64; n++) {
		struct setup_data *sd = guest_memory_ptr(mem, pa, sizeof(*sd));
		if (!sd)
			return -1;
		if (pa + sizeof(*sd) + sd->len > end)
			end = pa + sizeof(*sd) + sd->len;
		last = pa;
		pa = sd->next;
	}
	end = (end + 7) & ~7ull;
	struct pvkit_pvm_info info = {
	    .version = PVKIT_PVM_INFO_VERSION,
	    .trampoline = LAYOUT_HYPERCALL_PAGE + PVM_TRAMPOLINE_OFFSET,
	    .hypercall_mmio = PVM_HYPERCALL_MMIO,
	    .gdt = LAYOUT_GDT,
	    .tss = TSS_ADDR,
	    .kernel_cs = GDT_SEL_CODE64,
	    .kernel_ds = GDT_SEL_DATA,
	    .user_cs = GDT_SEL_USER64 | 3,
	    .user_ds = GDT_SEL_USERDATA | 3,
	    .abi_version = PVKIT_ABI_VERSION,
	    .features = features,
	    .hypercall_page = LAYOUT_HYPERCALL_PAGE,
	    .time_page = (features & PVKIT_FEATURE_TIME_PAGE) ? LAYOUT_TIME_PAGE : 0,
	};
	uint64_t size = sizeof(struct setup_data) + sizeof(info);
	struct setup_data *sd = guest_memory_ptr(mem, end, size);
	if (!sd || end + size > LAYOUT_SETUP_DATA_END)
		return -1;
	sd->next = 0;
	sd->type = PVKIT_SETUP_PVM;
	sd->len = sizeof(info);
	memcpy(sd->data, &info, sizeof(info));
	if (last) {
		struct setup_data *prev = guest_memory_ptr(mem, last, sizeof(*prev));
		prev->next = end;
	} else {
		bp->hdr.setup_data = end;
	}
	return 0;
}

static int set_msrs(struct vcpu *vcpu, const struct pvm_image *img)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} msrs = {.hdr.nmsrs = 3};
	/* syscall: CS = 0x10, SS = 0x18; the sysret half names 0x20 so that
	 * user CS/SS are 0x33/0x2b, Linux's layout, which pvkit's GDT has. */
	msrs.e[0] = (struct kvm_msr_entry){.index = MSR_STAR,
					   .data = ((uint64_t)GDT_SEL_USER32 << 48) |
						   ((uint64_t)GDT_SEL_CODE64 << 32)};
	msrs.e[1] = (struct kvm_msr_entry){.index = MSR_LSTAR, .data = img->syscall_entry};
	msrs.e[2] = (struct kvm_msr_entry){.index = MSR_SYSCALL_MASK, .data = SYSCALL_MASK};
	int r = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
	if (r != 3) {
		log_msg("KVM_SET_MSRS (STAR, LSTAR, SYSCALL_MASK): %s",
			r < 0 ? strerror(errno) : "not all accepted");
		return -1;
	}
	return 0;
}

static int start_at_trampoline(struct vcpu *vcpu, const struct pvm_image *img,
			       const struct boot_entry *entry)
{
	struct kvm_sregs sregs;
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		log_msg("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	cpu_setup_sregs(&sregs, BOOT_CPU_LONG64, true);
	sregs.efer |= EFER_SCE;
	sregs.idt.base = img->idt;
	sregs.idt.limit = IDT_LIMIT;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0) {
		log_msg("KVM_SET_SREGS (CPL3): %s", strerror(errno));
		return -1;
	}
	struct kvm_regs regs = {
	    .rip = LAYOUT_HYPERCALL_PAGE + PVM_TRAMPOLINE_OFFSET,
	    .rsp = LAYOUT_STACK_TOP,
	    .rsi = entry->rsi,
	    .rflags = RFLAGS_RESERVED,
	};
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0) {
		log_msg("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int pvm_machine_add_doorbell(struct machine *m)
{
	if (io_bus_register(&m->bus, IO_SPACE_MMIO, PVM_HYPERCALL_MMIO, 8, pvm_hypercall_io, m,
			    "pvm hypercall doorbell") < 0) {
		log_msg("cannot register the pvm hypercall doorbell");
		return -1;
	}
	return 0;
}

int pvm_machine_setup(struct machine *m, const struct pvm_image *img,
		      const struct boot_entry *entry)
{
	if (cpu_setup_tables(&m->vm.mem, true) < 0 || fill_hypercall_page(&m->vm.mem) < 0) {
		log_msg("guest RAM too small for pvkit's low-memory tables");
		return -1;
	}
	if (add_setup_data(&m->vm.mem, m->hypercalls.features) < 0) {
		log_msg("no room for the PVM setup_data entry");
		return -1;
	}
	if (pvm_machine_add_doorbell(m) < 0)
		return -1;
	if (set_msrs(&m->vcpu, img) < 0 || start_at_trampoline(&m->vcpu, img, entry) < 0)
		return -1;
	log_debug("pvm mode: LSTAR 0x%llx, IDT 0x%llx, trampoline 0x%llx",
		  (unsigned long long)img->syscall_entry, (unsigned long long)img->idt,
		  (unsigned long long)(LAYOUT_HYPERCALL_PAGE + PVM_TRAMPOLINE_OFFSET));
	return 0;
}
