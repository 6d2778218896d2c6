/* SPDX-License-Identifier: MIT */
/*
 * mkbzimage - assemble build/pvkernel from its three parts:
 *
 *	[setup: 16 sectors, real-mode code + header]  file offset 0
 *	[kernel as a flat binary, loaded at 1 MiB]      file offset 0x2000
 *	[the kernel's ELF, unmodified: the payload]     4 KiB aligned after it
 *
 * and fill in the header fields that depend on sizes: syssize (the
 * protected-mode part in 16-byte units), payload_offset/payload_length
 * (relative to the protected-mode part, as boot.rst says), init_size (what
 * the kernel needs from 1 MiB on: the larger of the loaded part and the
 * ELF's memory image including .bss).
 *
 * usage: mkbzimage SETUP.bin KERNEL.bin KERNEL.elf OUT
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootparam.h"

#define LOAD_ADDRESS  0x100000u
#define PAYLOAD_ALIGN 4096u
#define PAGE	      4096u

static void die(const char *what, const char *why)
{
	fprintf(stderr, "mkbzimage: %s: %s\n", what, why);
	exit(2);
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (*size = (size_t)ftell(f)) == 0 || fseek(f, 0, SEEK_SET))
		die(path, "empty or unreadable");
	uint8_t *buf = malloc(*size);
	if (!buf || fread(buf, 1, *size, f) != *size)
		die(path, "read failed");
	fclose(f);
	return buf;
}

/* Highest p_paddr + p_memsz over PT_LOAD, and a check that it starts at 1 MiB. */
static uint64_t elf_memory_end(const char *path, const uint8_t *elf, size_t size)
{
	if (size < sizeof(Elf64_Ehdr) || memcmp(elf, ELFMAG, SELFMAG) ||
	    elf[EI_CLASS] != ELFCLASS64)
		die(path, "not an ELF64 file");
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		die(path, "program headers outside the file");
	uint64_t lowest = UINT64_MAX, end = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, elf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_paddr < lowest)
			lowest = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
	}
	if (lowest != LOAD_ADDRESS)
		die(path, "first PT_LOAD is not at 1 MiB");
	if (eh->e_entry != LOAD_ADDRESS + 0x200)
		die(path, "ELF entry is not startup_64 at 1 MiB + 0x200");
	return end;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: mkbzimage SETUP.bin KERNEL.bin KERNEL.elf OUT\n");
		return 2;
	}
	size_t setup_size, flat_size, elf_size;
	uint8_t *setup = read_file(argv[1], &setup_size);
	uint8_t *flat = read_file(argv[2], &flat_size);
	uint8_t *elf = read_file(argv[3], &elf_size);

	struct setup_header hdr;
	if (setup_size < SETUP_HEADER_OFFSET + sizeof(hdr))
		die(argv[1], "too small for a setup header");
	memcpy(&hdr, setup + SETUP_HEADER_OFFSET, sizeof(hdr));
	if (hdr.header != SETUP_HDRS_MAGIC || hdr.boot_flag != SETUP_BOOT_FLAG)
		die(argv[1], "no HdrS header");
	if ((size_t)(hdr.setup_sects + 1) * SETUP_SECT_SIZE != setup_size)
		die(argv[1], "size does not match setup_sects");

	uint64_t mem_end = elf_memory_end(argv[3], elf, elf_size);
	size_t payload_offset = (flat_size + PAYLOAD_ALIGN - 1) / PAYLOAD_ALIGN * PAYLOAD_ALIGN;
	size_t pm_size = (payload_offset + elf_size + 15) / 16 * 16;
	uint64_t need = mem_end - LOAD_ADDRESS;
	if (pm_size > need)
		need = pm_size;
	need = (need + PAGE - 1) / PAGE * PAGE;
	if (pm_size / 16 > UINT32_MAX || need > UINT32_MAX)
		die(argv[3], "kernel too large for the setup header");

	hdr.syssize = (uint32_t)(pm_size / 16);
	hdr.payload_offset = (uint32_t)payload_offset;
	hdr.payload_length = (uint32_t)elf_size;
	hdr.init_size = (uint32_t)need;
	memcpy(setup + SETUP_HEADER_OFFSET, &hdr, sizeof(hdr));

	size_t total = setup_size + pm_size;
	uint8_t *out = calloc(1, total);
	if (!out)
		die(argv[4], "out of memory");
	memcpy(out, setup, setup_size);
	memcpy(out + setup_size, flat, flat_size);
	memcpy(out + setup_size + payload_offset, elf, elf_size);

	FILE *f = fopen(argv[4], "wb");
	if (!f || fwrite(out, 1, total, f) != total || fclose(f))
		die(argv[4], "write failed");
	printf(
	    "mkbzimage: %s: setup %zu + kernel %zu + ELF payload %zu at +0x%zx, init_size 0x%x\n",
	    argv[4], setup_size, flat_size, elf_size, payload_offset, hdr.init_size);
	free(setup);
	free(flat);
	free(elf);
	free(out);
	return 0;
}
