// SPDX-License-Identifier: MIT
/* The port/MMIO dispatch, and the small devices that sit on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/devices/debug_exit.h"
#include "host/devices/i8042.h"
#include "host/io_bus.h"

struct recorder {
	uint64_t offset;
	uint32_t size;
	bool is_write;
	uint8_t written[8];
	int calls;
};

static void record(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct recorder *r = opaque;
	r->offset = offset;
	r->size = size;
	r->is_write = is_write;
	r->calls++;
	if (is_write)
		memcpy(r->written, data, size);
	else
		memset(data, 0x42, size);
}

static void dispatches_with_offset(void **state)
{
	(void)state;
	static struct io_bus bus;
	struct recorder r = {0};
	io_bus_init(&bus);
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0x3f8, 8, record, &r, "r"), 0);
	uint8_t v = 'k';
	assert_true(io_bus_access(&bus, IO_SPACE_PORT, 0x3fb, &v, 1, true));
	assert_int_equal(r.offset, 3);
	assert_true(r.is_write);
	assert_int_equal(r.written[0], 'k');
	uint8_t w[2];
	assert_true(io_bus_access(&bus, IO_SPACE_PORT, 0x3fe, w, 2, false));
	assert_int_equal(r.offset, 6);
	assert_int_equal(w[0], 0x42);
	/* The same port number in MMIO space is someone else's. */
	uint8_t m[4] = {0};
	assert_false(io_bus_access(&bus, IO_SPACE_MMIO, 0x3f8, m, 4, false));
	assert_int_equal(r.calls, 2);
}

static void unclaimed_reads_all_ones(void **state)
{
	(void)state;
	static struct io_bus bus;
	io_bus_init(&bus);
	uint8_t d[8] = {0};
	assert_false(io_bus_access(&bus, IO_SPACE_PORT, 0x2f8, d, 4, false));
	assert_memory_equal(d, "\xff\xff\xff\xff\0\0\0\0", 8);
	uint8_t q[8] = {0};
	assert_false(io_bus_access(&bus, IO_SPACE_MMIO, 0xfee00000, q, 8, false));
	assert_memory_equal(q, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	uint8_t wv = 1;
	assert_false(io_bus_access(&bus, IO_SPACE_PORT, 0x2f8, &wv, 1, true));
	assert_int_equal(wv, 1); /* writes are not touched */
	assert_int_equal(bus.unclaimed, 3);
}

static void straddling_access_is_unclaimed(void **state)
{
	(void)state;
	static struct io_bus bus;
	struct recorder r = {0};
	io_bus_init(&bus);
	io_bus_register(&bus, IO_SPACE_PORT, 0x60, 1, record, &r, "r");
	uint8_t d[4];
	assert_false(io_bus_access(&bus, IO_SPACE_PORT, 0x60, d, 4, false));
	assert_int_equal(r.calls, 0);
	assert_int_equal(d[0], 0xff);
}

static void registration_rules(void **state)
{
	(void)state;
	static struct io_bus bus;
	struct recorder r = {0};
	io_bus_init(&bus);
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0x3f8, 8, record, &r, "a"), 0);
	/* Overlaps, from either side, are refused. */
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0x3ff, 2, record, &r, "b"), -1);
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0x3f0, 9, record, &r, "c"), -1);
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0x3f0, 8, record, &r, "d"), 0);
	/* Ports end at 0xffff; empty ranges mean nothing. */
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0xfffe, 4, record, &r, "e"), -1);
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0x10000, 1, record, &r, "f"), -1);
	assert_int_equal(io_bus_register(&bus, IO_SPACE_PORT, 0x500, 0, record, &r, "g"), -1);
	/* MMIO ranges near the top of the address space do not wrap. */
	assert_int_equal(
	    io_bus_register(&bus, IO_SPACE_MMIO, UINT64_MAX - 0xfff, 0x1000, record, &r, "h"), 0);
	assert_int_equal(io_bus_register(&bus, IO_SPACE_MMIO, 0, UINT64_MAX, record, &r, "i"), -1);
	uint8_t d[8];
	assert_true(io_bus_access(&bus, IO_SPACE_MMIO, UINT64_MAX - 7, d, 8, false));
	assert_int_equal(r.offset, 0xff8);
	/* The table has a fixed size. */
	int added = 3;
	while (io_bus_register(&bus, IO_SPACE_PORT, 0x1000u + (unsigned)added * 4u, 4, record, &r,
			       "n") == 0)
		added++;
	assert_int_equal(added, IO_BUS_MAX_DEVICES);
}

static void debug_exit_status(void **state)
{
	(void)state;
	struct stop_request stop = {0};
	uint8_t v[4] = {0x34, 0x12};
	debug_exit_io(&stop, 0, v, 2, true);
	assert_true(stop.stop);
	assert_int_equal(stop.status, 0x34);
	/* The first request wins. */
	uint8_t one = 7;
	debug_exit_io(&stop, 0, &one, 1, true);
	assert_int_equal(stop.status, 0x34);

	struct stop_request s2 = {0};
	uint8_t ff[4] = {0xff, 0x01, 0, 0};
	debug_exit_io(&s2, 1, ff, 1, true); /* not at the port itself */
	assert_false(s2.stop);
	debug_exit_io(&s2, 0, ff, 4, true);
	assert_int_equal(s2.status, 0xff);
	assert_string_equal(s2.reason, ""); /* the status is the message */
	uint8_t rd[2] = {0};
	debug_exit_io(&s2, 0, rd, 2, false);
	assert_int_equal(rd[0], 0xff);
	assert_int_equal(rd[1], 0xff);
}

static uint8_t kbc_in(struct i8042 *k, bool data_port)
{
	uint8_t v = 0;
	if (data_port)
		i8042_data_io(k, 0, &v, 1, false);
	else
		i8042_command_io(k, 0, &v, 1, false);
	return v;
}

static void kbc_out(struct i8042 *k, bool data_port, uint8_t v)
{
	if (data_port)
		i8042_data_io(k, 0, &v, 1, true);
	else
		i8042_command_io(k, 0, &v, 1, true);
}

static void i8042_controller_and_reset(void **state)
{
	(void)state;
	struct stop_request stop = {0};
	struct i8042 k;
	i8042_init(&k, &stop);
	assert_int_equal(kbc_in(&k, false) & I8042_STATUS_OBF, 0);
	kbc_out(&k, false, I8042_CMD_SELF_TEST);
	assert_true(kbc_in(&k, false) & I8042_STATUS_OBF);
	assert_int_equal(kbc_in(&k, true), 0x55);
	assert_int_equal(kbc_in(&k, false) & I8042_STATUS_OBF, 0);
	kbc_out(&k, false, I8042_CMD_WRITE_CTR);
	kbc_out(&k, true, 0x47);
	kbc_out(&k, false, I8042_CMD_READ_CTR);
	assert_int_equal(kbc_in(&k, true), 0x47);
	/* Output port with the reset bit set: no reset. */
	kbc_out(&k, false, I8042_CMD_WRITE_OUTPUT);
	kbc_out(&k, true, 0x01);
	assert_false(stop.stop);
	kbc_out(&k, false, I8042_CMD_RESET);
	assert_true(stop.stop);
	assert_int_equal(stop.status, 0);
	assert_string_equal(stop.reason, "guest requested reset");

	struct stop_request s2 = {0};
	i8042_init(&k, &s2);
	kbc_out(&k, false, I8042_CMD_WRITE_OUTPUT);
	kbc_out(&k, true, 0xfe); /* bit 0 clear pulls reset */
	assert_true(s2.stop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dispatches_with_offset),
	    cmocka_unit_test(unclaimed_reads_all_ones),
	    cmocka_unit_test(straddling_access_is_unclaimed),
	    cmocka_unit_test(registration_rules),
	    cmocka_unit_test(debug_exit_status),
	    cmocka_unit_test(i8042_controller_and_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
