// SPDX-License-Identifier: MIT
/*
 * pvm_machine.c - what differs in the VM for a deprivileged kernel on a
 * PVM host: the hypercall transport and what pvkit tells the kernel.  The
 * rest is built by the common path for the entry the loader chose
 * (BOOT_CPU_PVM): machine_create() maps every page with U set
 * (cpu_setup_tables()), cpu_setup_entry() sets the MSRs and starts the vCPU
 * at CPL3 on the trampoline; boot/ writes the PVKIT_SETUP_PVM entry that
 * pvm_machine_info() describes.
 *
 * Why each piece (measured in tests/pvm/, docs/pvm.md):
 *  - The vCPU starts at CPL3: only the first KVM_SET_SREGS may choose the
 *    CPL, and code entered with `syscall` from CPL3 is what this host runs
 *    natively.  The trampoline is one `syscall`; RSI (boot_params) survives
 *    it, RCX/R11 are the only registers `syscall` changes.
 *  - `out` does not reach the VMM from that context (IOPL stays 0
 *    underneath), so the hypercall page writes EAX to an unbacked address
 *    instead: an MMIO exit, with the other registers read through
 *    KVM_CAP_SYNC_REGS.  Same ABI: call offset 0, RAX/args, status in RAX.
 */
#include <string.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "cpu_setup.h"
#include "log.h"
#include "pvm_machine.h"
#include "run_loop.h"

/*L:820 The doorbell: any write is a hypercall, whatever was written (the
 * guest's registers hold the call), and takes the path of the ring-0 one.
 * Next: host/run_loop.c. :*/
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

/*L:330 The hypercall page for pvm mode.  Its entry stores EAX to
 * PVM_HYPERCALL_MMIO, an address no memory backs, so KVM exits to pvkit with
 * KVM_EXIT_MMIO and the doorbell that pvm_machine_add_doorbell() puts on the
 * io bus answers.  Further in the page, at PVM_TRAMPOLINE_OFFSET, the
 * trampoline: one `syscall`, the vCPU's first instruction.  The comment at
 * the top of this file says why each piece is so.
 * Next: host/machine.c. :*/
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

void pvm_machine_info(struct pvkit_pvm_info *info)
{
	*info = (struct pvkit_pvm_info){
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
	    .features = HYPERCALL_FEATURES,
	    .hypercall_page = LAYOUT_HYPERCALL_PAGE,
	    .time_page = LAYOUT_TIME_PAGE,
	};
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

int pvm_machine_setup(struct machine *m)
{
	if (fill_hypercall_page(&m->vm.mem) < 0) {
		log_msg("guest RAM too small for pvkit's low-memory tables");
		return -1;
	}
	return pvm_machine_add_doorbell(m);
}
