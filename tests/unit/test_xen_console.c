// SPDX-License-Identifier: MIT
/* The Xen PV console ring, pvkit's end (host/xen_console.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/xen_console.h"

static struct xencons_interface ring;
static struct console con;
static int pipe_fd[2];

static int setup(void **state)
{
	(void)state;
	memset(&ring, 0, sizeof(ring));
	assert_int_equal(pipe(pipe_fd), 0);
	assert_int_equal(console_init(&con, pipe_fd[1], -1), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	console_destroy(&con);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	return 0;
}

static void guest_print(const char *s)
{
	for (; *s; s++)
		ring.out[MASK_XENCONS_IDX(ring.out_prod++, ring.out)] = *s;
}

static void expect_output(const char *want)
{
	console_flush(&con);
	char got[4096] = {0};
	ssize_t n = read(pipe_fd[0], got, sizeof(got) - 1);
	assert_int_equal(n, (ssize_t)strlen(want));
	assert_string_equal(got, want);
}

static void drains_and_wraps(void **state)
{
	(void)state;
	struct xen_console xc = {.ring = &ring};
	guest_print("hello\n");
	assert_int_equal(xen_console_drain(&xc, &con), 6);
	expect_output("hello\n");
	assert_int_equal(ring.out_cons, ring.out_prod);
	/* Indices near the end of the ring and of the 32-bit space. */
	ring.out_cons = ring.out_prod = UINT32_MAX - 2;
	guest_print("wrapped text\n");
	assert_int_equal(xen_console_drain(&xc, &con), 13);
	expect_output("wrapped text\n");
	assert_int_equal(xen_console_drain(&xc, &con), 0);
}

static void feeds_until_full(void **state)
{
	(void)state;
	struct xen_console xc = {.ring = &ring};
	uint8_t keys[1500];
	memset(keys, 'k', sizeof(keys));
	assert_int_equal(xen_console_feed(&xc, keys, sizeof(keys)), sizeof(ring.in));
	assert_int_equal(xen_console_feed(&xc, keys, 1), 0);
	ring.in_cons += 10; /* the guest read ten */
	assert_int_equal(xen_console_feed(&xc, keys, sizeof(keys)), 10);
	assert_int_equal(ring.in_prod - ring.in_cons, sizeof(ring.in));
}

static void lying_indices_break_the_ring(void **state)
{
	(void)state;
	struct xen_console xc = {.ring = &ring};
	ring.out_prod = 100000;
	assert_int_equal(xen_console_drain(&xc, &con), 0);
	assert_true(xc.broken);
	ring.out_prod = 0;
	guest_print("ignored");
	assert_int_equal(xen_console_drain(&xc, &con), 0);
	struct xen_console input = {.ring = &ring};
	ring.in_cons = 5000;
	assert_int_equal(xen_console_feed(&input, (const uint8_t *)"x", 1), 0);
	assert_true(input.broken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(drains_and_wraps, setup, teardown),
	    cmocka_unit_test_setup_teardown(feeds_until_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(lying_indices_break_the_ring, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
