// SPDX-License-Identifier: MIT
/* bzImage setup header: a good image, then each way a header can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "boot/bzimage.h"
#include "boot/loader.h"
#include "tests/unit/test_boot_images.h"

static const uint8_t fake_payload[64] = {0x1f, 0x8b, 8, 0};

static struct img good_image(void)
{
	return build_bzimage(fake_payload, sizeof(fake_payload));
}

static void expect_parse_error(struct img *im, const char *msg)
{
	struct bzimage_info info;
	struct boot_error err = {0};
	assert_int_equal(bzimage_parse(im->data, im->size, &info, &err), -1);
	assert_string_equal(err.msg, msg);
	img_free(im);
}

static void test_good_image(void **state)
{
	(void)state;
	struct img im = good_image();
	struct bzimage_info info;
	struct boot_error err = {0};
	assert_true(bzimage_detect(im.data, im.size));
	assert_int_equal(bzimage_parse(im.data, im.size, &info, &err), 0);
	assert_int_equal(info.version, 0x020f);
	assert_int_equal(info.setup_sects, TEST_SETUP_SECTS);
	assert_int_equal(info.setup_size, TEST_SETUP_SIZE);
	assert_ptr_equal(info.kernel, im.data + TEST_SETUP_SIZE);
	assert_int_equal(info.kernel_size, im.size - TEST_SETUP_SIZE);
	assert_ptr_equal(info.payload, im.data + TEST_SETUP_SIZE + TEST_DECOMP_SIZE);
	assert_int_equal(info.payload_size, sizeof(fake_payload));
	assert_int_equal(info.load_address, 0x1000000);
	assert_int_equal(info.init_size, info.kernel_size + 0x100000);
	assert_int_equal(info.hdr.cmdline_size, 2047);
	assert_int_equal(info.hdr.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	assert_int_equal(info.header_len, 0x26c - 0x1f1);
	assert_string_equal(info.version_string, TEST_KVER);
	img_free(&im);
}

static void test_setup_sects_zero_means_four(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->setup_sects = 0;
	struct bzimage_info info;
	struct boot_error err = {0};
	assert_int_equal(bzimage_parse(im.data, im.size, &info, &err), 0);
	assert_int_equal(info.setup_sects, 4);
	assert_int_equal(info.setup_size, 5 * 512);
	img_free(&im);
}

static void test_protocol_206_has_no_later_fields(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->version = 0x0206;
	struct bzimage_info info;
	struct boot_error err = {0};
	assert_int_equal(bzimage_parse(im.data, im.size, &info, &err), 0);
	/* payload (2.08), pref_address and init_size (2.10) and xloadflags (2.12) read as 0 */
	assert_null(info.payload);
	assert_int_equal(info.hdr.pref_address, 0);
	assert_int_equal(info.hdr.xloadflags, 0);
	assert_int_equal(info.load_address, BZIMAGE_DEFAULT_LOAD);
	assert_int_equal(info.init_size, info.kernel_size);
	img_free(&im);
}

static void test_wrong_magic(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->header = 0;
	expect_parse_error(&im, "setup header magic is 0x00000000, not \"HdrS\"");
}

static void test_wrong_boot_flag(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->boot_flag = 0x1234;
	expect_parse_error(&im, "boot_flag is 0x1234, not 0xaa55");
}

static void test_old_protocol(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->version = 0x0205;
	expect_parse_error(&im, "boot protocol 2.05 is too old (pvkit needs 2.06 or later)");
}

static void test_file_too_small(void **state)
{
	(void)state;
	struct img im = good_image();
	im.size = 0x100;
	expect_parse_error(&im, "file is too small for a bzImage (256 bytes)");
}

static void test_setup_sects_past_eof(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->setup_sects = 200;
	char msg[256];
	snprintf(
	    msg, sizeof(msg),
	    "setup code (200 sectors, 102912 bytes) extends past the end of the file (%zu bytes)",
	    im.size);
	expect_parse_error(&im, msg);
}

static void test_syssize_past_eof(void **state)
{
	(void)state;
	struct img im = good_image();
	size_t pm = im.size - TEST_SETUP_SIZE;
	bz_hdr(&im)->syssize = (uint32_t)(pm / 16 + 1);
	char msg[256];
	snprintf(msg, sizeof(msg),
		 "protected-mode kernel (syssize %zu = %zu bytes) extends past the end of the file "
		 "(%zu bytes after the setup code)",
		 pm / 16 + 1, pm + 16, pm);
	expect_parse_error(&im, msg);
}

static void test_syssize_zero(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->syssize = 0;
	expect_parse_error(&im, "syssize is 0: the image has no protected-mode kernel");
}

static void test_payload_out_of_range(void **state)
{
	(void)state;
	struct img im = good_image();
	size_t pm = im.size - TEST_SETUP_SIZE;
	bz_hdr(&im)->payload_length = (uint32_t)pm;
	char msg[256];
	snprintf(
	    msg, sizeof(msg),
	    "payload (offset 0x%x, length %zu) extends past the protected-mode kernel (%zu bytes)",
	    TEST_DECOMP_SIZE, pm, pm);
	expect_parse_error(&im, msg);
}

static void test_payload_offset_wraps(void **state)
{
	(void)state;
	struct img im = good_image();
	size_t pm = im.size - TEST_SETUP_SIZE;
	bz_hdr(&im)->payload_offset = 0xffffffffu;
	bz_hdr(&im)->payload_length = 2;
	char msg[256];
	snprintf(msg, sizeof(msg),
		 "payload (offset 0xffffffff, length 2) extends past the protected-mode kernel "
		 "(%zu bytes)",
		 pm);
	expect_parse_error(&im, msg);
}

static void test_zimage_rejected(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->loadflags = 0;
	expect_parse_error(&im, "loadflags has LOADED_HIGH clear: a zImage, not a bzImage");
}

static void test_bad_alignment(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->kernel_alignment = 0x300000;
	expect_parse_error(&im, "kernel_alignment 0x300000 is not a power of two");
}

static void test_version_string_out_of_setup(void **state)
{
	(void)state;
	struct img im = good_image();
	bz_hdr(&im)->kernel_version = 0xfff0; /* past the setup code: no string, no error */
	struct bzimage_info info;
	struct boot_error err = {0};
	assert_int_equal(bzimage_parse(im.data, im.size, &info, &err), 0);
	assert_string_equal(info.version_string, "");
	img_free(&im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_image),
	    cmocka_unit_test(test_setup_sects_zero_means_four),
	    cmocka_unit_test(test_protocol_206_has_no_later_fields),
	    cmocka_unit_test(test_wrong_magic),
	    cmocka_unit_test(test_wrong_boot_flag),
	    cmocka_unit_test(test_old_protocol),
	    cmocka_unit_test(test_file_too_small),
	    cmocka_unit_test(test_setup_sects_past_eof),
	    cmocka_unit_test(test_syssize_past_eof),
	    cmocka_unit_test(test_syssize_zero),
	    cmocka_unit_test(test_payload_out_of_range),
	    cmocka_unit_test(test_payload_offset_wraps),
	    cmocka_unit_test(test_zimage_rejected),
	    cmocka_unit_test(test_bad_alignment),
	    cmocka_unit_test(test_version_string_out_of_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
