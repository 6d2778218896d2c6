/* SPDX-License-Identifier: MIT */
/*
 * elf.h - read and check an ELF64 x86-64 executable (a vmlinux, the ELF in
 * a bzImage payload, or pvkernel): its loadable segments, placed by PHYSICAL
 * address, and its notes.  Every note is kept in a generic list (Xen's PV
 * notes are read from there); the ones pvkit acts on are also decoded and
 * checked: the PVH entry and pvkit's own notes (abi/pvkit_abi.h).
 */
#ifndef PVKIT_BOOT_ELF_H
#define PVKIT_BOOT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_error;

#define ELF_MAX_SEGMENTS 32
#define ELF_MAX_NOTES	 128

struct elf_segment {
	int phdr_index; /* in the program header table, for messages */
	uint64_t paddr; /* where it goes in guest-physical memory */
	uint64_t vaddr;
	uint64_t filesz;     /* bytes copied from the file... */
	uint64_t memsz;	     /* ...the rest up to memsz is zeroed */
	uint32_t flags;	     /* PF_R/PF_W/PF_X */
	const uint8_t *data; /* filesz bytes inside the image */
};

struct elf_note {
	const char *name; /* namesz bytes, not necessarily NUL-terminated */
	uint32_t namesz;  /* without a trailing NUL */
	uint32_t type;
	const uint8_t *desc;
	uint32_t descsz;
};

/* PVKIT_ELFNOTE_PVM's descriptor, both inside the loaded segments. */
struct elf_pvm_note {
	uint64_t syscall_entry; /* -> MSR_LSTAR */
	uint64_t idt;		/* -> IDTR.base: PVKIT_PVM_IDT_SIZE bytes */
};

struct elf_image {
	uint64_t entry;	      /* e_entry as written (often virtual) */
	uint64_t entry_paddr; /* e_entry translated through the PT_LOAD holding it */
	int nsegments;
	struct elf_segment segment[ELF_MAX_SEGMENTS];
	int nnotes;
	struct elf_note note[ELF_MAX_NOTES];
	uint64_t lowest_paddr; /* span of the loaded image */
	uint64_t end_paddr;
	bool has_pvh;	    /* Xen PHYS32_ENTRY note */
	bool has_xen_entry; /* Xen ENTRY note: a Xen PV kernel (boot/xen_pv.c reads it) */
	uint64_t pvh_entry; /* its 32-bit physical entry */
	bool has_pvkit;	    /* PVKIT_ELFNOTE_ABI (abi/pvkit_abi.h) */
	uint32_t pvkit_abi; /* its descriptor */
	bool has_pvm;	    /* PVKIT_ELFNOTE_PVM: the kernel can run deprivileged */
	struct elf_pvm_note pvm;
	size_t file_size; /* end of the last header or segment in the file */
};

/* Does this start with the ELF magic?  For format detection. */
bool elf_detect(const uint8_t *image, size_t size);

/* Parse and check the whole image; on error, -1 with err filled. */
int elf_parse(const uint8_t *image, size_t size, struct elf_image *elf, struct boot_error *err);

/* Is this note (name, type) the one asked for?  Compares the name without its NUL. */
bool elf_note_is(const struct elf_note *note, const char *name, uint32_t type);

#endif
