// SPDX-License-Identifier: MIT
/* libFuzzer: the ELF64 parser (segments, notes, PVH and pvkit notes). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "boot/elf.h"
#include "boot/loader.h"

static struct elf_image elf; /* large: keep it off the stack */

/* Is [pa, pa + len) inside one loaded segment? */
static bool loaded(uint64_t pa, uint64_t len)
{
	for (int i = 0; i < elf.nsegments; i++) {
		const struct elf_segment *s = &elf.segment[i];
		if (pa >= s->paddr && pa - s->paddr < s->memsz && len <= s->memsz - (pa - s->paddr))
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_error err;
	if (elf_parse(data, size, &elf, &err) < 0) {
		if (err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	volatile uint8_t sink = 0;
	for (int i = 0; i < elf.nsegments; i++) {
		const struct elf_segment *s = &elf.segment[i];
		if (s->filesz)
			sink ^= s->data[0] ^ s->data[s->filesz - 1];
		if (s->filesz > s->memsz)
			__builtin_trap();
		/* No two loaded segments may share a byte. */
		for (int j = 0; j < i; j++) {
			const struct elf_segment *t = &elf.segment[j];
			if (s->paddr < t->paddr + t->memsz && t->paddr < s->paddr + s->memsz)
				__builtin_trap();
		}
	}
	for (int i = 0; i < elf.nnotes; i++) {
		const struct elf_note *n = &elf.note[i];
		if (n->namesz)
			sink ^= (uint8_t)n->name[n->namesz - 1];
		if (n->descsz)
			sink ^= n->desc[n->descsz - 1];
	}
	/* The addresses of the notes pvkit acts on are loaded bytes. */
	if ((elf.has_pvh && !loaded(elf.pvh_entry, 1)) ||
	    (elf.has_pvm &&
	     (!loaded(elf.pvm.syscall_entry, 1) || !loaded(elf.pvm.idt, PVKIT_PVM_IDT_SIZE))))
		__builtin_trap();
	(void)sink;
	return 0;
}
