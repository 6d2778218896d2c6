// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the whole of boot_load() into a 16 MiB guest.  Input layout:
 *
 *	byte 0     entry choice (% 3) | 0x80: hardware_subarch given | 0x40: RNG seed
 *	bytes 1-2  command line length (LE)
 *	bytes 3-5  initrd length (LE, 24 bits)
 *	then the command line, the initrd and, for the rest, the kernel image.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/layout.h"
#include "boot/loader.h"

#define FUZZ_GUEST_RAM LAYOUT_MIN_RAM

static uint8_t *guest_ram;
static struct guest_memory mem;

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

	static const uint8_t seed[16] = {0x42};
	struct boot_request req = {
	    .kernel = data + pos,
	    .kernel_size = size - pos,
	    .initrd = initrd_len ? initrd : NULL,
	    .initrd_size = initrd_len,
	    .cmdline = cmdline,
	    .entry = (enum boot_entry_choice)((data[0] & 0x3f) % 3),
	    .subarch_given = (data[0] & 0x80) != 0,
	    .hardware_subarch = 0x1234,
	    .rng_seed = (data[0] & 0x40) ? seed : NULL,
	    .rng_seed_size = sizeof(seed),
	};
	struct boot_entry entry;
	struct boot_error err;
	int rc = boot_load(&req, &mem, &entry, &err);
	if (rc < 0 && err.msg[0] == '\0')
		__builtin_trap();
	if (rc == 0) {
		/* Whatever the image says, the CPU starts inside guest RAM, above the boot data. */
		if (!guest_memory_ptr(&mem, entry.rip, 1) || entry.rip < LAYOUT_HIGH_RAM ||
		    entry.path[0] == '\0')
			__builtin_trap();
	}
	free(cmdline);
	return 0;
}
