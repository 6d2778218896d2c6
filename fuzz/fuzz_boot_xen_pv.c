// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the Xen PV domain builder (boot/xen_pv.c) on any ELF: notes
 * that lie, layouts that do not fit.  Either one sentence of error and guest
 * memory untouched, or a domain whose plan holds together.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/elf.h"
#include "boot/loader.h"
#include "boot/xen_pv.h"

#define MEM_SIZE (16ull << 20)

static struct elf_image elf; /* large: keep it off the stack */
static uint8_t *ram;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_error err = {0};
	if (!ram && !(ram = calloc(1, MEM_SIZE)))
		abort();
	if (elf_parse(data, size, &elf, &err) < 0)
		return 0;
	struct guest_memory mem;
	guest_memory_init(&mem, ram, MEM_SIZE);
	static const uint8_t initrd[100] = {1};
	struct xen_pv_request req = {
	    .elf = &elf,
	    .initrd = initrd,
	    .initrd_size = size & 1 ? sizeof(initrd) : 0,
	    .cmdline = "console=hvc0",
	    .nr_pages = (MEM_SIZE - XEN_PV_HV_SIZE) / 4096,
	    .shared_info = MEM_SIZE - XEN_PV_HV_SIZE,
	};
	struct xen_pv_plan p;
	if (xen_pv_build(&req, &mem, &p, &err) < 0) {
		if (err.msg[0] == '\0')
			__builtin_trap();
		/* A refused image leaves guest memory as it was (all zero). */
		for (uint64_t i = 0; i < MEM_SIZE; i += 4096)
			if (ram[i])
				__builtin_trap();
		return 0;
	}
	if (p.entry < p.kernel_start || p.entry >= p.kernel_end || p.stack_top > p.region_end ||
	    p.cr3 >= req.nr_pages * 4096 || p.start_info < p.virt_base ||
	    p.start_info >= p.region_end || p.pt_frames == 0)
		__builtin_trap();
	memset(ram, 0, MEM_SIZE);
	return 0;
}
