// SPDX-License-Identifier: MIT
/* --mem SIZE parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "host/parse_size.h"

static void good_sizes(void **state)
{
	(void)state;
	uint64_t b;
	assert_int_equal(parse_size("256M", &b), 0);
	assert_int_equal(b, 256ull << 20);
	assert_int_equal(parse_size("1g", &b), 0);
	assert_int_equal(b, 1ull << 30);
	assert_int_equal(parse_size("65536K", &b), 0);
	assert_int_equal(b, 64ull << 20);
	assert_int_equal(parse_size("16777216", &b), 0);
	assert_int_equal(b, 16ull << 20);
	assert_int_equal(parse_size("0x1000000", &b), 0);
	assert_int_equal(b, 16ull << 20);
	assert_int_equal(parse_size("010M", &b), 0); /* decimal, not octal */
	assert_int_equal(b, 10ull << 20);
}

static void bad_sizes(void **state)
{
	(void)state;
	uint64_t b = 77;
	const char *bad[] = {"",
			     "M",
			     "-1",
			     " 5",
			     "+5",
			     "12Q",
			     "12MB",
			     "1.5G",
			     "0x",
			     "99999999999G",
			     "18446744073709551616",
			     NULL};
	for (int i = 0; bad[i]; i++) {
		if (parse_size(bad[i], &b) != -1)
			fail_msg("\"%s\" was accepted", bad[i]);
	}
	assert_int_equal(parse_size(NULL, &b), -1);
	assert_int_equal(b, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_sizes),
	    cmocka_unit_test(bad_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
