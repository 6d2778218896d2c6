// SPDX-License-Identifier: MIT
/*
 * ELF64 parsing.  Nothing here trusts the file: every offset and size is
 * checked against the file, with sums written so they cannot overflow,
 * before anything is read through it.
 */
#include <elf.h>
#include <string.h>

#include "abi/pvkit_abi.h"
#include "elf.h"
#include "error.h"
#include "pvh.h"

bool elf_detect(const uint8_t *image, size_t size)
{
	return size >= SELFMAG && memcmp(image, ELFMAG, SELFMAG) == 0;
}

/* Is [off, off + len) inside a file of `size` bytes? */
static bool in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

bool elf_note_is(const struct elf_note *note, const char *name, uint32_t type)
{
	size_t len = strlen(name);
	return note->type == type && note->namesz == len && memcmp(note->name, name, len) == 0;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, struct boot_error *err)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return boot_fail(err, "ELF class is %u, not 64-bit (ELFCLASS64)",
				 eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return boot_fail(err, "ELF data encoding is %u, not little-endian",
				 eh->e_ident[EI_DATA]);
	if (eh->e_ident[EI_VERSION] != EV_CURRENT)
		return boot_fail(err, "ELF version is %u, not 1", eh->e_ident[EI_VERSION]);
	if (eh->e_machine != EM_X86_64)
		return boot_fail(err, "ELF machine is %u, not x86-64 (62)", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return boot_fail(err, "ELF type is %u, not an executable (ET_EXEC)", eh->e_type);
	if (eh->e_phnum == 0)
		return boot_fail(err, "ELF has no program headers");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return boot_fail(err, "ELF program header size is %u, not %zu", eh->e_phentsize,
				 sizeof(Elf64_Phdr));
	if (eh->e_phnum == PN_XNUM)
		return boot_fail(err, "ELF has too many program headers (PN_XNUM)");
	if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size))
		return boot_fail(err,
				 "ELF program header table (offset 0x%llx, %u entries) extends "
				 "past the end of the file (%zu bytes)",
				 (unsigned long long)eh->e_phoff, eh->e_phnum, size);
	return 0;
}

static int add_load_segment(struct elf_image *elf, const uint8_t *image, size_t size,
			    const Elf64_Phdr *ph, int index, struct boot_error *err)
{
	if (ph->p_filesz > ph->p_memsz)
		return boot_fail(err, "ELF segment %d has filesz %llu larger than memsz %llu",
				 index, (unsigned long long)ph->p_filesz,
				 (unsigned long long)ph->p_memsz);
	if (!in_file(ph->p_offset, ph->p_filesz, size))
		return boot_fail(err,
				 "ELF segment %d (offset 0x%llx, %llu bytes) extends past the end "
				 "of the file (%zu bytes)",
				 index, (unsigned long long)ph->p_offset,
				 (unsigned long long)ph->p_filesz, size);
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
		return boot_fail(
		    err,
		    "ELF segment %d (physical 0x%llx, %llu bytes) wraps around the address space",
		    index, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz);
	if (ph->p_memsz == 0)
		return 0; /* nothing to load; it cannot hold the entry either */
	for (int i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segment[i];
		if (ph->p_paddr < s->paddr + s->memsz && s->paddr < ph->p_paddr + ph->p_memsz)
			return boot_fail(err, "ELF segment %d overlaps segment %d", index,
					 s->phdr_index);
	}
	if (elf->nsegments == ELF_MAX_SEGMENTS)
		return boot_fail(err, "ELF has more than %d loadable segments", ELF_MAX_SEGMENTS);
	struct elf_segment *s = &elf->segment[elf->nsegments++];
	s->phdr_index = index;
	s->paddr = ph->p_paddr;
	s->vaddr = ph->p_vaddr;
	s->filesz = ph->p_filesz;
	s->memsz = ph->p_memsz;
	s->flags = ph->p_flags;
	s->data = image + ph->p_offset;
	return 0;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Walk one PT_NOTE segment: namesz, descsz, type, then name and desc, each padded. */
static int add_notes(struct elf_image *elf, const uint8_t *image, size_t size, const Elf64_Phdr *ph,
		     int index, struct boot_error *err)
{
	if (!in_file(ph->p_offset, ph->p_filesz, size))
		return boot_fail(err,
				 "ELF note segment %d (offset 0x%llx, %llu bytes) extends past the "
				 "end of the file (%zu bytes)",
				 index, (unsigned long long)ph->p_offset,
				 (unsigned long long)ph->p_filesz, size);
	/* gABI notes are 4-byte aligned; 8-aligned note segments (GNU properties) pad to 8. */
	uint64_t align = ph->p_align == 8 ? 8 : 4;
	const uint8_t *p = image + ph->p_offset;
	uint64_t left = ph->p_filesz, off = 0;
	while (left - off >= 12) {
		uint32_t namesz = rd32(p + off), descsz = rd32(p + off + 4),
			 type = rd32(p + off + 8);
		uint64_t name_off = off + 12;
		uint64_t desc_off = name_off + align_up(namesz, align);
		uint64_t next = desc_off + align_up(descsz, align);
		if (desc_off > left || descsz > left - desc_off)
			return boot_fail(
			    err, "ELF note at offset 0x%llx of segment %d extends past the segment",
			    (unsigned long long)off, index);
		if (elf->nnotes == ELF_MAX_NOTES)
			return boot_fail(err, "ELF has more than %d notes", ELF_MAX_NOTES);
		struct elf_note *n = &elf->note[elf->nnotes++];
		n->name = (const char *)(p + name_off);
		n->namesz = namesz;
		/* namesz counts the terminating NUL; compare and print without it. */
		while (n->namesz > 0 && n->name[n->namesz - 1] == '\0')
			n->namesz--;
		n->type = type;
		n->desc = p + desc_off;
		n->descsz = descsz;
		if (next > left)
			break; /* the last descriptor's padding may be cut off */
		off = next;
	}
	return 0;
}

static uint64_t desc_value(const struct elf_note *n)
{
	if (n->descsz == 4)
		return rd32(n->desc);
	uint64_t v;
	memcpy(&v, n->desc, sizeof(v));
	return v;
}

static const struct elf_segment *segment_holding_paddr(const struct elf_image *elf, uint64_t pa)
{
	for (int i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segment[i];
		if (pa >= s->paddr && pa - s->paddr < s->memsz)
			return s;
	}
	return NULL;
}

/* Is [pa, pa + len) inside one loaded segment? */
static bool loaded(const struct elf_image *elf, uint64_t pa, uint64_t len)
{
	const struct elf_segment *s = segment_holding_paddr(elf, pa);
	return s && len <= s->memsz - (pa - s->paddr);
}

static int read_pvh_note(struct elf_image *elf, const struct elf_note *n, struct boot_error *err)
{
	if (n->descsz != 4 && n->descsz != 8)
		return boot_fail(err, "Xen PHYS32_ENTRY note has a %u-byte descriptor, not 4 or 8",
				 n->descsz);
	uint64_t entry = desc_value(n);
	if (entry >= 0x100000000ull)
		return boot_fail(err, "PVH entry 0x%llx is above 4 GiB", (unsigned long long)entry);
	if (!loaded(elf, entry, 1))
		return boot_fail(err, "PVH entry 0x%llx is outside the loaded segments",
				 (unsigned long long)entry);
	elf->has_pvh = true;
	elf->pvh_entry = entry;
	return 0;
}

static int read_pvkit_abi_note(struct elf_image *elf, const struct elf_note *n,
			       struct boot_error *err)
{
	if (n->descsz != 4)
		return boot_fail(err, "pvkit ABI note has a %u-byte descriptor, not 4", n->descsz);
	if (elf->has_pvkit)
		return boot_fail(err, "ELF has two pvkit ABI notes");
	elf->has_pvkit = true;
	elf->pvkit_abi = rd32(n->desc);
	return 0;
}

/* Both addresses are used on pvkit's identity map: they must be loaded bytes. */
static int read_pvm_note(struct elf_image *elf, const struct elf_note *n, struct boot_error *err)
{
	if (n->descsz != 16)
		return boot_fail(err, "pvkit PVM note has a %u-byte descriptor, not 16", n->descsz);
	if (elf->has_pvm)
		return boot_fail(err, "ELF has two pvkit PVM notes");
	struct elf_pvm_note pvm;
	memcpy(&pvm.syscall_entry, n->desc, 8);
	memcpy(&pvm.idt, n->desc + 8, 8);
	if (!loaded(elf, pvm.syscall_entry, 1))
		return boot_fail(err,
				 "pvkit PVM note: syscall entry 0x%llx is outside the loaded "
				 "segments",
				 (unsigned long long)pvm.syscall_entry);
	if (!loaded(elf, pvm.idt, PVKIT_PVM_IDT_SIZE))
		return boot_fail(err,
				 "pvkit PVM note: IDT 0x%llx-0x%llx is outside the loaded segments",
				 (unsigned long long)pvm.idt,
				 (unsigned long long)(pvm.idt + PVKIT_PVM_IDT_SIZE));
	elf->has_pvm = true;
	elf->pvm = pvm;
	return 0;
}

/* Notes pvkit acts on: the PVH entry (Xen PHYS32_ENTRY), pvkit's own, and
 * whether there is a Xen PV entry (its value is boot/xen_pv.c's to check). */
static int read_known_notes(struct elf_image *elf, struct boot_error *err)
{
	for (int i = 0; i < elf->nnotes; i++) {
		const struct elf_note *n = &elf->note[i];
		int rc = 0;
		if (elf_note_is(n, XEN_ELFNOTE_NAME, XEN_ELFNOTE_PHYS32_ENTRY))
			rc = read_pvh_note(elf, n, err);
		else if (elf_note_is(n, XEN_ELFNOTE_NAME, XEN_ELFNOTE_ENTRY))
			elf->has_xen_entry = true;
		else if (elf_note_is(n, PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_ABI))
			rc = read_pvkit_abi_note(elf, n, err);
		else if (elf_note_is(n, PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_PVM))
			rc = read_pvm_note(elf, n, err);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * The 64-bit entry is entered with paging on an identity map, so pvkit needs
 * e_entry as a physical address.  Linux's vmlinux already stores it that way
 * (e_entry = phys_startup_64 = 0x1000000), and so does pvkernel; an ELF whose
 * e_entry is virtual (e.g. 0xffffffff8xxxxxxx) is translated through the
 * segment that holds it.  Physical first: a kernel's low virtual segments
 * (Linux's per-CPU segment sits at virtual 0) must not capture a physical
 * entry.
 */
static int translate_entry(struct elf_image *elf, struct boot_error *err)
{
	if (segment_holding_paddr(elf, elf->entry)) {
		elf->entry_paddr = elf->entry;
		return 0;
	}
	for (int i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segment[i];
		if (elf->entry >= s->vaddr && elf->entry - s->vaddr < s->memsz) {
			elf->entry_paddr = s->paddr + (elf->entry - s->vaddr);
			return 0;
		}
	}
	return boot_fail(err, "ELF entry point 0x%llx is outside the loaded segments",
			 (unsigned long long)elf->entry);
}

int elf_parse(const uint8_t *image, size_t size, struct elf_image *elf, struct boot_error *err)
{
	memset(elf, 0, sizeof(*elf));
	if (size < sizeof(Elf64_Ehdr))
		return boot_fail(err, "ELF file is truncated (%zu bytes, the header alone is %zu)",
				 size, sizeof(Elf64_Ehdr));
	if (!elf_detect(image, size))
		return boot_fail(err, "not an ELF file (no \\x7fELF magic)");
	Elf64_Ehdr eh;
	memcpy(&eh, image, sizeof(eh));
	if (check_header(&eh, size, err) < 0)
		return -1;
	elf->entry = eh.e_entry;
	elf->file_size = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);

	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, image + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		int rc = 0;
		if (ph.p_type == PT_LOAD)
			rc = add_load_segment(elf, image, size, &ph, i, err);
		else if (ph.p_type == PT_NOTE)
			rc = add_notes(elf, image, size, &ph, i, err);
		if (rc < 0)
			return -1;
		if ((ph.p_type == PT_LOAD || ph.p_type == PT_NOTE) &&
		    ph.p_offset + ph.p_filesz > elf->file_size)
			elf->file_size = ph.p_offset + ph.p_filesz;
	}
	if (elf->nsegments == 0)
		return boot_fail(err, "ELF has no loadable (PT_LOAD) segments");

	elf->lowest_paddr = UINT64_MAX;
	for (int i = 0; i < elf->nsegments; i++) {
		const struct elf_segment *s = &elf->segment[i];
		if (s->paddr < elf->lowest_paddr)
			elf->lowest_paddr = s->paddr;
		if (s->paddr + s->memsz > elf->end_paddr)
			elf->end_paddr = s->paddr + s->memsz;
	}
	if (translate_entry(elf, err) < 0)
		return -1;
	return read_known_notes(elf, err);
}
