/* SPDX-License-Identifier: MIT */
/*
 * io_bus.h - dispatch of the guest's port I/O and MMIO exits to devices.
 *
 * A device claims a range of ports or guest-physical addresses and gets
 * called with the offset inside its range.  An access nobody claims is
 * answered the way an empty ISA/PCI bus answers: reads return all ones,
 * writes vanish.  It is logged once per address (with --debug) so a guest
 * poking at missing hardware is visible without flooding the log, and it
 * never stops the VM.
 */
#ifndef PVKIT_HOST_IO_BUS_H
#define PVKIT_HOST_IO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define IO_BUS_MAX_DEVICES 16
#define IO_BUS_MAX_LOGGED  64 /* distinct unknown MMIO addresses remembered */

enum io_space { IO_SPACE_PORT, IO_SPACE_MMIO };

/*
 * Called for one access of `size` bytes (1, 2, 4 or 8) at `offset` from the
 * start of the device's range.  For a read the handler fills data[0..size);
 * for a write it consumes it.  Little endian, as on x86.
 */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t size,
			      bool is_write);

struct io_device {
	enum io_space space;
	uint64_t base;
	uint64_t len;
	io_handler_fn handler;
	void *opaque;
	const char *name;
};

struct io_bus {
	int ndevices;
	struct io_device device[IO_BUS_MAX_DEVICES];
	uint8_t port_logged[65536 / 8]; /* unknown ports already logged */
	int nmmio_logged;
	uint64_t mmio_logged[IO_BUS_MAX_LOGGED];
	uint64_t unclaimed; /* accesses nobody claimed */
};

void io_bus_init(struct io_bus *bus);

/* Claim [base, base+len) in `space`.  -1 if full or overlapping. */
int io_bus_register(struct io_bus *bus, enum io_space space, uint64_t base, uint64_t len,
		    io_handler_fn handler, void *opaque, const char *name);

/*
 * Route one access.  An access that straddles the end of a device's range
 * is treated as unclaimed (no device here expects one).  Returns true if a
 * device handled it.
 */
bool io_bus_access(struct io_bus *bus, enum io_space space, uint64_t addr, uint8_t *data,
		   uint32_t size, bool is_write);

#endif
