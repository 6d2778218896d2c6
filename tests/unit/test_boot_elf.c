// SPDX-License-Identifier: MIT
/* ELF64 parsing: segments by physical address, notes, and each bad header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "boot/elf.h"
#include "boot/loader.h"
#include "tests/unit/test_boot_images.h"

static const uint32_t pvh_entry32 = 0x200010;
static const uint64_t pvh_entry64 = 0x200020;
static const uint32_t pvkit_abi = 0x00010000;
static const char guest_os[] = "linux";

static void expect_elf_error(struct img *im, const char *msg)
{
	struct elf_image elf;
	struct boot_error err = {0};
	assert_int_equal(elf_parse(im->data, im->size, &elf, &err), -1);
	assert_string_equal(err.msg, msg);
	img_free(im);
}

/* The default ELF: text at 0x200000 (4 KiB), data + bss at 0x300000 (8 KiB). */
static struct img elf_with_notes(const struct spec_note *note, int copies)
{
	struct elf_spec s = elf_spec_default();
	for (int i = 0; i < copies; i++)
		s.note[s.nnotes++] = *note;
	return build_elf(&s);
}

static void parse_ok(const struct img *im, struct elf_image *elf)
{
	struct boot_error err = {0};
	if (elf_parse(im->data, im->size, elf, &err) < 0)
		fail_msg("%s", err.msg);
}

static void expect_note_error(struct spec_note note, int copies, const char *msg)
{
	struct img im = elf_with_notes(&note, copies);
	expect_elf_error(&im, msg);
}

static void test_segments_by_physical_address(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	struct elf_image elf;
	struct boot_error err = {0};
	assert_int_equal(elf_parse(im.data, im.size, &elf, &err), 0);
	assert_int_equal(elf.nsegments, 2);
	assert_int_equal(elf.segment[0].paddr, 0x200000);
	assert_int_equal(elf.segment[0].filesz, 0x1000);
	assert_int_equal(elf.segment[0].data[0], 0xc3);
	assert_int_equal(elf.segment[1].paddr, 0x300000);
	assert_int_equal(elf.segment[1].memsz, 0x2000);
	/* The virtual entry is translated through the segment that holds it. */
	assert_int_equal(elf.entry, 0xffffffff80200000ull);
	assert_int_equal(elf.entry_paddr, 0x200000);
	assert_int_equal(elf.lowest_paddr, 0x200000);
	assert_int_equal(elf.end_paddr, 0x302000);
	assert_false(elf.has_pvh);
	assert_false(elf.has_pvkit);
	assert_int_equal(elf.nnotes, 0);
	assert_int_equal(elf.file_size, im.size); /* the last segment ends the file */
	img_free(&im);
}

static void test_physical_entry(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	s.entry = 0x200100; /* already physical, as in the payload of a bzImage */
	struct img im = build_elf(&s);
	struct elf_image elf;
	struct boot_error err = {0};
	assert_int_equal(elf_parse(im.data, im.size, &elf, &err), 0);
	assert_int_equal(elf.entry_paddr, 0x200100);
	img_free(&im);
}

/*
 * Linux's vmlinux has a per-CPU segment at virtual address 0 and a physical
 * e_entry (0x1000000): the entry must stay physical even though it also
 * falls inside that segment's virtual range.
 */
static void test_physical_entry_inside_low_virtual_segment(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	s.nseg = 3;
	s.seg[2].paddr = 0x400000;
	s.seg[2].vaddr = 0; /* like .data..percpu */
	s.seg[2].filesz = s.seg[2].memsz = 0x300000;
	s.seg[2].flags = PF_R | PF_W;
	s.seg[2].fill = 0x11;
	s.entry = 0x200100;
	struct img im = build_elf(&s);
	struct elf_image elf;
	struct boot_error err = {0};
	assert_int_equal(elf_parse(im.data, im.size, &elf, &err), 0);
	assert_int_equal(elf.entry_paddr, 0x200100);
	img_free(&im);
}

static void test_notes_enumerated(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	s.nnotes = 3;
	s.note[0] = (struct spec_note){"Xen", XEN_ELFNOTE_GUEST_OS, guest_os, sizeof(guest_os)};
	s.note[1] = (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry32, 4};
	s.note[2] = (struct spec_note){"pvkit", PVKIT_ELFNOTE_ABI, &pvkit_abi, 4};
	struct img im = build_elf(&s);
	struct elf_image elf;
	struct boot_error err = {0};
	assert_int_equal(elf_parse(im.data, im.size, &elf, &err), 0);
	assert_int_equal(elf.nnotes, 3);
	assert_int_equal(elf.note[0].namesz, 3);
	assert_memory_equal(elf.note[0].name, "Xen", 3);
	assert_int_equal(elf.note[0].type, XEN_ELFNOTE_GUEST_OS);
	assert_int_equal(elf.note[0].descsz, sizeof(guest_os));
	assert_string_equal((const char *)elf.note[0].desc, "linux");
	assert_true(elf_note_is(&elf.note[1], "Xen", XEN_ELFNOTE_PHYS32_ENTRY));
	assert_true(elf_note_is(&elf.note[2], "pvkit", PVKIT_ELFNOTE_ABI));
	assert_true(elf.has_pvh);
	assert_int_equal(elf.pvh_entry, pvh_entry32);
	assert_true(elf.has_pvkit);
	assert_int_equal(elf.pvkit_abi, pvkit_abi);
	img_free(&im);
}

static void test_pvh_note_64bit_descriptor(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	s.nnotes = 1;
	s.note[0] = (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry64, 8};
	struct img im = build_elf(&s);
	struct elf_image elf;
	struct boot_error err = {0};
	assert_int_equal(elf_parse(im.data, im.size, &elf, &err), 0);
	assert_true(elf.has_pvh);
	assert_int_equal(elf.pvh_entry, pvh_entry64);
	img_free(&im);
}

static void test_pvh_note_bad_size(void **state)
{
	(void)state;
	expect_note_error((struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &pvh_entry64, 3}, 1,
			  "Xen PHYS32_ENTRY note has a 3-byte descriptor, not 4 or 8");
}

static void test_pvh_entry_outside_segments(void **state)
{
	(void)state;
	static const uint32_t outside = 0x500000;
	struct elf_spec s = elf_spec_default();
	s.nnotes = 1;
	s.note[0] = (struct spec_note){"Xen", XEN_ELFNOTE_PHYS32_ENTRY, &outside, 4};
	struct img im = build_elf(&s);
	expect_elf_error(&im, "PVH entry 0x500000 is outside the loaded segments");
}

static struct spec_note pvm_note(const uint64_t *desc, uint32_t descsz)
{
	return (struct spec_note){"pvkit", PVKIT_ELFNOTE_PVM, desc, descsz};
}

static void test_pvm_note(void **state)
{
	(void)state;
	/* The IDT ends exactly where the data segment's bss does. */
	static const uint64_t desc[2] = {0x200fff, 0x302000 - PVKIT_PVM_IDT_SIZE};
	struct spec_note note = pvm_note(desc, 16);
	struct img im = elf_with_notes(&note, 1);
	struct elf_image elf;
	parse_ok(&im, &elf);
	assert_true(elf.has_pvm);
	assert_int_equal(elf.pvm.syscall_entry, 0x200fff);
	assert_int_equal(elf.pvm.idt, 0x301000);
	/* It stays in the generic list too. */
	assert_int_equal(elf.nnotes, 1);
	assert_true(elf_note_is(&elf.note[0], PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_PVM));
	img_free(&im);
	/* No note, no pvm mode. */
	im = elf_with_notes(&note, 0);
	parse_ok(&im, &elf);
	assert_false(elf.has_pvm);
	img_free(&im);
}

/* Both addresses are used as loaded bytes: each must lie in a segment. */
static void test_pvm_note_checked(void **state)
{
	(void)state;
	static const struct {
		uint64_t desc[2];
		uint32_t descsz;
		int copies;
		const char *msg;
	} bad[] = {
	    {{0x200100, 0x300000}, 8, 1, "pvkit PVM note has a 8-byte descriptor, not 16"},
	    {{0x201000, 0x300000},
	     16,
	     1,
	     "pvkit PVM note: syscall entry 0x201000 is outside the loaded segments"},
	    {{0, 0x300000},
	     16,
	     1,
	     "pvkit PVM note: syscall entry 0x0 is outside the loaded segments"},
	    /* One byte of the 4 KiB table past the end of the bss. */
	    {{0x200100, 0x301001},
	     16,
	     1,
	     "pvkit PVM note: IDT 0x301001-0x302001 is outside the loaded segments"},
	    {{0x200100, 0x500000},
	     16,
	     1,
	     "pvkit PVM note: IDT 0x500000-0x501000 is outside the loaded segments"},
	    {{0x200100, 0x300000}, 16, 2, "ELF has two pvkit PVM notes"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_note_error(pvm_note(bad[i].desc, bad[i].descsz), bad[i].copies, bad[i].msg);
}

static void test_pvkit_abi_note_checked(void **state)
{
	(void)state;
	expect_note_error((struct spec_note){"pvkit", PVKIT_ELFNOTE_ABI, &pvh_entry64, 8}, 1,
			  "pvkit ABI note has a 8-byte descriptor, not 4");
	expect_note_error((struct spec_note){"pvkit", PVKIT_ELFNOTE_ABI, &pvkit_abi, 4}, 2,
			  "ELF has two pvkit ABI notes");
}

static void test_truncated(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	im.size = 40;
	expect_elf_error(&im, "ELF file is truncated (40 bytes, the header alone is 64)");
}

static void test_phdrs_past_eof(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	im.size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 10;
	expect_elf_error(&im, "ELF program header table (offset 0x40, 2 entries) extends past the "
			      "end of the file (130 bytes)");
}

static void test_bad_class(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_ehdr(&im)->e_ident[EI_CLASS] = ELFCLASS32;
	expect_elf_error(&im, "ELF class is 1, not 64-bit (ELFCLASS64)");
}

static void test_big_endian(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_ehdr(&im)->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_elf_error(&im, "ELF data encoding is 2, not little-endian");
}

static void test_wrong_machine(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_ehdr(&im)->e_machine = EM_AARCH64;
	expect_elf_error(&im, "ELF machine is 183, not x86-64 (62)");
}

static void test_bad_phentsize(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_ehdr(&im)->e_phentsize = 32;
	expect_elf_error(&im, "ELF program header size is 32, not 56");
}

static void test_not_executable(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_ehdr(&im)->e_type = ET_REL;
	expect_elf_error(&im, "ELF type is 1, not an executable (ET_EXEC)");
}

static void test_segment_past_eof(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_phdr(&im, 1)->p_filesz = 0x1800; /* memsz 0x2000, but the file ends first */
	char msg[256];
	snprintf(msg, sizeof(msg),
		 "ELF segment 1 (offset 0x%llx, 6144 bytes) extends past the end of the file (%zu "
		 "bytes)",
		 (unsigned long long)elf_phdr(&im, 1)->p_offset, im.size);
	expect_elf_error(&im, msg);
}

static void test_overlapping_segments(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	s.seg[1].paddr = 0x200800; /* inside segment 0's [0x200000, 0x201000) */
	struct img im = build_elf(&s);
	expect_elf_error(&im, "ELF segment 1 overlaps segment 0");
}

static void test_memsz_below_filesz(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_phdr(&im, 1)->p_memsz = 0x100;
	expect_elf_error(&im, "ELF segment 1 has filesz 2048 larger than memsz 256");
}

static void test_entry_outside_segments(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	s.entry = 0xffffffff80400000ull;
	struct img im = build_elf(&s);
	expect_elf_error(&im, "ELF entry point 0xffffffff80400000 is outside the loaded segments");
}

static void test_segment_wraps(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_phdr(&im, 1)->p_paddr = 0xfffffffffffff000ull;
	expect_elf_error(&im, "ELF segment 1 (physical 0xfffffffffffff000, 8192 bytes) wraps "
			      "around the address space");
}

static void test_no_load_segments(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	struct img im = build_elf(&s);
	elf_phdr(&im, 0)->p_type = PT_NULL;
	elf_phdr(&im, 1)->p_type = PT_NULL;
	expect_elf_error(&im, "ELF has no loadable (PT_LOAD) segments");
}

static void test_note_past_segment(void **state)
{
	(void)state;
	struct elf_spec s = elf_spec_default();
	s.nnotes = 1;
	s.note[0] = (struct spec_note){"Xen", XEN_ELFNOTE_GUEST_OS, guest_os, sizeof(guest_os)};
	struct img im = build_elf(&s);
	/* descsz far beyond the note segment */
	uint32_t *hdr = (uint32_t *)(im.data + elf_phdr(&im, 0)->p_offset);
	hdr[1] = 0x10000;
	expect_elf_error(&im, "ELF note at offset 0x0 of segment 0 extends past the segment");
}

static void test_not_elf(void **state)
{
	(void)state;
	struct img im = {0};
	img_pad_to(&im, 128);
	expect_elf_error(&im, "not an ELF file (no \\x7fELF magic)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_segments_by_physical_address),
	    cmocka_unit_test(test_physical_entry),
	    cmocka_unit_test(test_physical_entry_inside_low_virtual_segment),
	    cmocka_unit_test(test_notes_enumerated),
	    cmocka_unit_test(test_pvh_note_64bit_descriptor),
	    cmocka_unit_test(test_pvh_note_bad_size),
	    cmocka_unit_test(test_pvh_entry_outside_segments),
	    cmocka_unit_test(test_pvm_note),
	    cmocka_unit_test(test_pvm_note_checked),
	    cmocka_unit_test(test_pvkit_abi_note_checked),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_phdrs_past_eof),
	    cmocka_unit_test(test_bad_class),
	    cmocka_unit_test(test_big_endian),
	    cmocka_unit_test(test_wrong_machine),
	    cmocka_unit_test(test_bad_phentsize),
	    cmocka_unit_test(test_not_executable),
	    cmocka_unit_test(test_segment_past_eof),
	    cmocka_unit_test(test_overlapping_segments),
	    cmocka_unit_test(test_memsz_below_filesz),
	    cmocka_unit_test(test_entry_outside_segments),
	    cmocka_unit_test(test_segment_wraps),
	    cmocka_unit_test(test_no_load_segments),
	    cmocka_unit_test(test_note_past_segment),
	    cmocka_unit_test(test_not_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
