// SPDX-License-Identifier: MIT
/* libFuzzer: the ELF64 parser (segments, notes, PVH and pvkit notes). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boot/elf.h"
#include "boot/loader.h"

static struct elf_image elf; /* large: keep it off the stack */

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
	(void)sink;
	return 0;
}
