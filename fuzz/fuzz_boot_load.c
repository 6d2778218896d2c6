// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the one parse and the whole of boot_load() into a 16 MiB
 * guest, as `pvkit run` calls them.  Input layout:
 *
 *	byte 0     entry choice (bits 0-2 % 4) | 0x08: the host deprivileges
 *	           (auto may take a Xen PV entry) | 0x10: pvm mode offered
 *	           | 0x20: pvm mode required | 0x40: RNG seed
 *	           | 0x80: hardware_subarch given
 *	bytes 1-2  command line length (LE)
 *	bytes 3-5  initrd length (LE, 24 bits)
 *	then the command line (none: the entry's default), the initrd and, for
 *	the rest, the kernel image.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "boot/image.h"
#include "boot/layout.h"
#include "boot/loader.h"

#define FUZZ_GUEST_RAM LAYOUT_MIN_RAM

static uint8_t *guest_ram;
static struct guest_memory mem;

static const struct pvkit_pvm_info pvm_offer = {
    .version = PVKIT_PVM_INFO_VERSION,
    .trampoline = 0x9e800,
    .hypercall_page = 0x9e000,
};

/* Whatever the image says, the CPU starts inside guest RAM, where it must. */
static void check_entry(const struct boot_entry *entry)
{
	if (entry->path[0] == '\0')
		__builtin_trap();
	if (entry->mode == BOOT_CPU_XEN_PV) {
		/* Virtual addresses: the entry in the segments, the stack and
		 * start_info in the bootstrap mapping above them. */
		const struct xen_pv_plan *x = &entry->xen;
		if (entry->rip != x->entry || entry->rip < x->kernel_start ||
		    entry->rip >= x->kernel_end || entry->rsi != x->start_info ||
		    x->start_info < x->kernel_end || entry->rsp > x->region_end ||
		    entry->rsp <= x->start_info || !guest_memory_ptr(&mem, x->cr3, 4096))
			__builtin_trap();
		return;
	}
	if (!guest_memory_ptr(&mem, entry->rip, 1))
		__builtin_trap();
	if (entry->mode == BOOT_CPU_PVM) {
		/* On the host's trampoline, into the kernel's loaded bytes. */
		if (entry->rip != pvm_offer.trampoline ||
		    !guest_memory_ptr(&mem, entry->pvm.syscall_entry, 1) ||
		    !guest_memory_ptr(&mem, entry->pvm.idt, PVKIT_PVM_IDT_SIZE) ||
		    entry->pvm.syscall_entry < LAYOUT_HIGH_RAM || entry->pvm.idt < LAYOUT_HIGH_RAM)
			__builtin_trap();
	} else if (entry->rip < LAYOUT_HIGH_RAM) {
		__builtin_trap(); /* above the boot data */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!guest_ram) {
		guest_ram = calloc(1, FUZZ_GUEST_RAM);
		if (!guest_ram)
			abort();
		guest_memory_init(&mem, guest_ram, FUZZ_GUEST_RAM);
	}
	if (size < 6)
		return 0;
	size_t cmdline_len = (size_t)data[1] | (size_t)data[2] << 8;
	size_t initrd_len = (size_t)data[3] | (size_t)data[4] << 8 | (size_t)data[5] << 16;
	size_t pos = 6;
	if (cmdline_len > size - pos)
		cmdline_len = size - pos;
	char *cmdline = malloc(cmdline_len + 1);
	memcpy(cmdline, data + pos, cmdline_len);
	cmdline[cmdline_len] = '\0';
	pos += cmdline_len;
	if (initrd_len > size - pos)
		initrd_len = size - pos;
	const uint8_t *initrd = data + pos;
	pos += initrd_len;

	struct boot_error err;
	struct boot_image *img = boot_image_parse(data + pos, size - pos, FUZZ_GUEST_RAM, &err);
	if (!img) {
		if (err.msg[0] == '\0' || err.input != BOOT_INPUT_KERNEL)
			__builtin_trap();
		free(cmdline);
		return 0;
	}
	static const uint8_t seed[16] = {0x42};
	struct boot_request req = {
	    .image = img,
	    .initrd = initrd_len ? initrd : NULL,
	    .initrd_size = initrd_len,
	    .cmdline = cmdline_len ? cmdline : NULL,
	    .entry = (enum boot_entry_choice)((data[0] & 0x07) % 4),
	    .deprivilege = (data[0] & 0x08) != 0,
	    .why_ring0 = (data[0] & 0x08) ? NULL : "fuzzed",
	    .subarch_given = (data[0] & 0x80) != 0,
	    .hardware_subarch = 0x1234,
	    .rng_seed = (data[0] & 0x40) ? seed : NULL,
	    .rng_seed_size = sizeof(seed),
	    .pvm = (data[0] & 0x30) ? &pvm_offer : NULL,
	    .pvm_required = (data[0] & 0x20) != 0,
	};
	struct boot_entry entry;
	int rc = boot_load(&req, &mem, &entry, &err);
	if (rc < 0 && err.msg[0] == '\0')
		__builtin_trap();
	if (rc == 0)
		check_entry(&entry);
	boot_image_free(img);
	free(cmdline);
	return 0;
}
