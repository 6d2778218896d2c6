// SPDX-License-Identifier: MIT
/*
 * test_pvm_mode.c - host/pvm_mode.c: --pv-mode parsing, finding the
 * PVKIT_ELFNOTE_PVM note in an ELF and in a bzImage's payload, and the
 * decision (never pvm where ring 0 is not emulated; refused when forced
 * and impossible).  PVKIT_PVM_HOST_OVERRIDE stands in for the host kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "boot/pvh.h"
#include "host/pvm_mode.h"
#include "tests/unit/test_boot_images.h"

static const uint64_t pvm_desc[2] = {0x100abc, 0x117000};

static struct img elf_with_notes(int with_pvm, uint32_t descsz)
{
	struct elf_spec s = elf_spec_default();
	static const uint32_t abi = PVKIT_ABI_VERSION;
	s.note[s.nnotes++] = (struct spec_note){PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_ABI, &abi, 4};
	if (with_pvm)
		s.note[s.nnotes++] =
		    (struct spec_note){PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_PVM, pvm_desc, descsz};
	return build_elf(&s);
}

static void note_in_elf(void **state)
{
	(void)state;
	struct img im = elf_with_notes(1, 16);
	struct pvm_image img = {0};
	assert_true(pvm_image_find(im.data, im.size, &img));
	assert_int_equal(img.syscall_entry, pvm_desc[0]);
	assert_int_equal(img.idt, pvm_desc[1]);
	img_free(&im);
}

static void no_note_or_short_note(void **state)
{
	(void)state;
	struct pvm_image img = {0};
	struct img plain = elf_with_notes(0, 0);
	assert_false(pvm_image_find(plain.data, plain.size, &img));
	img_free(&plain);
	struct img shrt = elf_with_notes(1, 8); /* only the entry: not enough */
	assert_false(pvm_image_find(shrt.data, shrt.size, &img));
	img_free(&shrt);
	static const uint8_t junk[64] = {1, 2, 3};
	assert_false(pvm_image_find(junk, sizeof(junk), &img));
	assert_false(pvm_image_find(junk, 0, &img));
}

static void note_in_bzimage_payload(void **state)
{
	(void)state;
	struct img elf = elf_with_notes(1, 16);
	struct img bz = build_bzimage(elf.data, elf.size);
	struct pvm_image img = {0};
	assert_true(pvm_image_find(bz.data, bz.size, &img));
	assert_int_equal(img.syscall_entry, pvm_desc[0]);
	/* A compressed payload is not looked into (Linux never has the note). */
	struct img gz = compress_gzip(elf.data, elf.size);
	struct img bz_gz = build_bzimage(gz.data, gz.size);
	assert_false(pvm_image_find(bz_gz.data, bz_gz.size, &img));
	img_free(&bz_gz);
	img_free(&gz);
	img_free(&bz);
	img_free(&elf);
}

static void decide(void **state)
{
	(void)state;
	struct img im = elf_with_notes(1, 16);
	struct img plain = elf_with_notes(0, 0);
	struct boot_entry e64 = {.mode = BOOT_CPU_LONG64}, pvh = {.mode = BOOT_CPU_PROTECTED32};
	struct pvm_image img;
	const char *why = NULL;

	setenv("PVKIT_PVM_HOST_OVERRIDE", "1", 1);
	assert_int_equal(pvm_decide(PV_MODE_AUTO, im.data, im.size, &e64, &img, &why), 1);
	assert_int_equal(img.idt, pvm_desc[1]);
	assert_int_equal(pvm_decide(PV_MODE_RING0, im.data, im.size, &e64, &img, &why), 0);
	assert_int_equal(pvm_decide(PV_MODE_AUTO, im.data, im.size, &pvh, &img, &why), 0);
	assert_non_null(strstr(why, "64-bit entry"));
	assert_int_equal(pvm_decide(PV_MODE_AUTO, plain.data, plain.size, &e64, &img, &why), 0);
	assert_int_equal(pvm_decide(PV_MODE_PVM, plain.data, plain.size, &e64, &img, &why), -1);
	assert_non_null(strstr(why, "no pvkit PVM note"));

	/* Ring 0 runs natively: never pvm, and forcing it is refused. */
	setenv("PVKIT_PVM_HOST_OVERRIDE", "0", 1);
	assert_int_equal(pvm_decide(PV_MODE_AUTO, im.data, im.size, &e64, &img, &why), 0);
	assert_int_equal(pvm_decide(PV_MODE_PVM, im.data, im.size, &e64, &img, &why), -1);
	assert_non_null(strstr(why, "not emulated"));
	unsetenv("PVKIT_PVM_HOST_OVERRIDE");
	img_free(&plain);
	img_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(note_in_elf),
	    cmocka_unit_test(no_note_or_short_note),
	    cmocka_unit_test(note_in_bzimage_payload),
	    cmocka_unit_test(decide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
