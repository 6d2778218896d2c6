// SPDX-License-Identifier: MIT
/*
 * The hypercall service against a malloc'd guest RAM, with the arguments a
 * hostile guest would pass: wild pointers, huge lengths, ranges that wrap
 * around, unknown calls.  None may crash the host (ASan watches).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "abi/pvxen_abi.h"
#include "host/hypercall.h"

#define RAM_SIZE (16ull << 20)

struct fixture {
	uint8_t *ram;
	struct guest_memory mem;
	struct console console;
	int pipe_rd;
	struct stop_request stop;
	struct hypercall_service svc;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ram = calloc(1, RAM_SIZE);
	guest_memory_init(&f->mem, f->ram, RAM_SIZE);
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0)
		return -1;
	f->pipe_rd = p[0];
	if (console_init(&f->console, p[1], -1) < 0)
		return -1;
	f->svc = (struct hypercall_service){
	    .mem = &f->mem,
	    .console = &f->console,
	    .stop = &f->stop,
	    .start_monotonic_ns = hypercall_monotonic_now(),
	    .features = PVKIT_FEATURE_HYPERCALL | PVKIT_FEATURE_CONSOLE | PVKIT_FEATURE_NEGOTIATE |
			PVKIT_FEATURE_TIME_PAGE,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int out = f->console.out_fd;
	console_destroy(&f->console);
	close(out);
	close(f->pipe_rd);
	free(f->ram);
	free(f);
	return 0;
}

static int64_t call(struct fixture *f, uint64_t nr, uint64_t a0, uint64_t a1)
{
	struct hypercall_args args = {.nr = nr, .a0 = a0, .a1 = a1};
	return hypercall_dispatch(&f->svc, &args);
}

static void console_write_reaches_stdout(void **state)
{
	struct fixture *f = *state;
	memcpy(f->ram + 0x200000, "hello\n", 6);
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, 0x200000, 6), 6);
	char out[16] = {0};
	assert_int_equal(read(f->pipe_rd, out, sizeof(out)), 6);
	assert_string_equal(out, "hello\n");
	assert_int_equal(f->console.bytes_out, 6);
	/* The largest write allowed, ending exactly at the end of RAM. */
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, RAM_SIZE - PVKIT_CONSOLE_WRITE_MAX,
			      PVKIT_CONSOLE_WRITE_MAX),
			 PVKIT_CONSOLE_WRITE_MAX);
	/* Nothing to write is not an error, whatever the pointer. */
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, UINT64_MAX, 0), 0);
}

static void console_write_hostile(void **state)
{
	struct fixture *f = *state;
	/* Past the end of RAM, straddling it, wrapping around 2^64. */
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, RAM_SIZE, 1), PVKIT_EFAULT);
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, RAM_SIZE - 4, 8), PVKIT_EFAULT);
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, UINT64_MAX - 3, 16), PVKIT_EFAULT);
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, 0xfffffffffffff000ull, 0x2000),
			 PVKIT_EFAULT);
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, LAYOUT_MMIO_HOLE, 16), PVKIT_EFAULT);
	/* Lengths over the limit are refused before the pointer is looked at. */
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, 0, PVKIT_CONSOLE_WRITE_MAX + 1),
			 PVKIT_EINVAL);
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_WRITE, 0, UINT64_MAX), PVKIT_EINVAL);
	assert_int_equal(f->console.bytes_out, 0);
}

static void negotiate_tags(void **state)
{
	struct fixture *f = *state;
	struct pvkit_tag tags[5] = {
	    {.tag = PVKIT_TAG_ABI_VERSION, .flags = 0xff, .value = 0x10000},
	    {.tag = PVKIT_TAG_CONSOLE, .flags = 0xff, .value = 7},
	    {.tag = PVKIT_TAG_TIME_PAGE, .flags = 0xff, .value = 123},
	    {.tag = PVKIT_TAG_HALT, .flags = 0xff, .value = 0},
	    {.tag = 0x12345, .flags = 0xff, .value = 99},
	};
	/* At an odd address: the guest's array need not be aligned. */
	uint64_t gpa = 0x300003;
	memcpy(f->ram + gpa, tags, sizeof(tags));
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, gpa, 5), 4);
	memcpy(tags, f->ram + gpa, sizeof(tags));
	assert_int_equal(tags[0].flags, PVKIT_TAG_ACCEPTED);
	assert_int_equal(tags[0].value, PVKIT_ABI_VERSION);
	assert_int_equal(tags[1].flags, PVKIT_TAG_ACCEPTED);
	assert_int_equal(tags[1].value, 1);
	assert_int_equal(tags[2].flags, PVKIT_TAG_ACCEPTED);
	assert_int_equal(tags[2].value, LAYOUT_TIME_PAGE);
	assert_int_equal(tags[3].flags, PVKIT_TAG_ACCEPTED);
	assert_int_equal(tags[3].value, 0);
	assert_int_equal(tags[4].flags, PVKIT_TAG_UNKNOWN);
	assert_int_equal(tags[4].value, 0);
	assert_int_equal(tags[4].tag, 0x12345); /* the tag itself is left alone */

	/* A host without a time page says so: known tag, not accepted. */
	f->svc.features &= ~PVKIT_FEATURE_TIME_PAGE;
	struct pvkit_tag t = {.tag = PVKIT_TAG_TIME_PAGE, .flags = 0xff};
	memcpy(f->ram + 0x1000, &t, sizeof(t));
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, 0x1000, 1), 0);
	memcpy(&t, f->ram + 0x1000, sizeof(t));
	assert_int_equal(t.flags, 0);
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, 0x1000, 0), 0);
}

static void negotiate_hostile(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, 0x1000, HYPERCALL_MAX_TAGS + 1), PVKIT_EINVAL);
	/* count * 16 would wrap to 0 without the limit. */
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, 0x1000, 1ull << 60), PVKIT_EINVAL);
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, RAM_SIZE - 8, 1), PVKIT_EFAULT);
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, UINT64_MAX - 15, 2), PVKIT_EFAULT);
	assert_int_equal(call(f, PVKIT_HC_NEGOTIATE, RAM_SIZE - 16 * 64, 64), 0);
}

static void power_off(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, PVKIT_HC_POWER_OFF, 256, 0), PVKIT_EINVAL);
	assert_int_equal(call(f, PVKIT_HC_POWER_OFF, UINT64_MAX, 0), PVKIT_EINVAL);
	assert_false(f->stop.stop);
	assert_int_equal(call(f, PVKIT_HC_POWER_OFF, 7, 0), PVKIT_OK);
	assert_true(f->stop.stop);
	assert_int_equal(f->stop.status, 7);
}

static void clocks(void **state)
{
	struct fixture *f = *state;
	int64_t a = call(f, PVKIT_HC_CLOCK, PVKIT_CLOCK_MONOTONIC, 0);
	int64_t b = call(f, PVKIT_HC_CLOCK, PVKIT_CLOCK_MONOTONIC, 0);
	assert_true(a >= 0);
	assert_true(b >= a);
	assert_true(a < 10ll * 1000000000); /* since the "VM" started, not boot */
	int64_t real = call(f, PVKIT_HC_CLOCK, PVKIT_CLOCK_REALTIME, 0);
	assert_true(real > 1600000000ll * 1000000000); /* after 2020 */
	assert_int_equal(call(f, PVKIT_HC_CLOCK, 2, 0), PVKIT_EINVAL);
	assert_int_equal(call(f, PVKIT_HC_CLOCK, UINT64_MAX, 0), PVKIT_EINVAL);
}

static void halt(void **state)
{
	struct fixture *f = *state;
	uint64_t now = (uint64_t)call(f, PVKIT_HC_CLOCK, PVKIT_CLOCK_MONOTONIC, 0);
	/* A deadline in the past returns at once. */
	assert_int_equal(call(f, PVKIT_HC_HALT, 1, 0), HYPERCALL_HALT_DEADLINE);
	/* A near deadline is waited for. */
	assert_int_equal(call(f, PVKIT_HC_HALT, now + 3000000, 0), HYPERCALL_HALT_DEADLINE);
	uint64_t after = (uint64_t)call(f, PVKIT_HC_CLOCK, PVKIT_CLOCK_MONOTONIC, 0);
	assert_true(after >= now + 3000000);
	/* Input that arrived meanwhile wakes it (even with no deadline). */
	uint64_t one = 1;
	assert_int_equal(write(f->console.input_event_fd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(call(f, PVKIT_HC_HALT, 0, 0), HYPERCALL_HALT_EVENT);
	/* The event was consumed: the next HALT waits for its deadline. */
	now = (uint64_t)call(f, PVKIT_HC_CLOCK, PVKIT_CLOCK_MONOTONIC, 0);
	assert_int_equal(call(f, PVKIT_HC_HALT, now + 1000000, 0), HYPERCALL_HALT_DEADLINE);
	/* A pending stop (the --timeout signal) ends a wait with no deadline. */
	volatile int interrupted = 1;
	f->svc.interrupted = &interrupted;
	assert_int_equal(call(f, PVKIT_HC_HALT, 0, 0), HYPERCALL_HALT_DEADLINE);
}

static void unknown_calls(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, PVKIT_HC_COUNT, 0, 0), PVKIT_ENOSYS);
	assert_int_equal(call(f, 0x100000001ull, 0, 0), PVKIT_ENOSYS);
	assert_int_equal(call(f, UINT64_MAX, UINT64_MAX, UINT64_MAX), PVKIT_ENOSYS);
	/* pvxen's calls are not ABI v1's: any other guest gets ENOSYS, and
	 * a shutdown "crash" from it cannot end the run. */
	assert_int_equal(call(f, PVKIT_HC_SHUTDOWN, PVKIT_SHUTDOWN_CRASH, 0), PVKIT_ENOSYS);
	assert_int_equal(call(f, PVKIT_HC_LOG, 0, 0), PVKIT_ENOSYS);
	assert_int_equal(call(f, PVKIT_HC_CONSOLE_READ, 0, 0), PVKIT_ENOSYS);
	assert_false(f->stop.stop);
	assert_int_equal(f->svc.calls, 6);
}

static void hypercall_page_contents(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(hypercall_page_fill(&f->mem), 0);
	const uint8_t *page = f->ram + LAYOUT_HYPERCALL_PAGE;
	const uint8_t expected[] = {0xe7, HYPERCALL_PORT, 0xc3}; /* out %eax,$port; ret */
	assert_memory_equal(page, expected, sizeof(expected));
	assert_int_equal(page[3], 0xcc);
	assert_int_equal(page[4095], 0xcc);
	/* No page there: no fill. */
	struct guest_memory tiny;
	guest_memory_init(&tiny, f->ram, LAYOUT_HYPERCALL_PAGE);
	assert_int_equal(hypercall_page_fill(&tiny), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(console_write_reaches_stdout, setup, teardown),
	    cmocka_unit_test_setup_teardown(console_write_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(negotiate_tags, setup, teardown),
	    cmocka_unit_test_setup_teardown(negotiate_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(power_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(clocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(halt, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_calls, setup, teardown),
	    cmocka_unit_test_setup_teardown(hypercall_page_contents, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
