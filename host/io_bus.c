// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <string.h>

#include "io_bus.h"
#include "log.h"

void io_bus_init(struct io_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Written with differences so that no end address can overflow. */
	return a < b ? b - a < alen : a - b < blen;
}

int io_bus_register(struct io_bus *bus, enum io_space space, uint64_t base, uint64_t len,
		    io_handler_fn handler, void *opaque, const char *name)
{
	if (len == 0 || bus->ndevices == IO_BUS_MAX_DEVICES)
		return -1;
	if (space == IO_SPACE_PORT && (base > 0xffff || len > 0x10000 - base))
		return -1;
	for (int i = 0; i < bus->ndevices; i++) {
		const struct io_device *d = &bus->device[i];
		if (d->space == space && ranges_overlap(d->base, d->len, base, len))
			return -1;
	}
	bus->device[bus->ndevices++] = (struct io_device){
	    .space = space,
	    .base = base,
	    .len = len,
	    .handler = handler,
	    .opaque = opaque,
	    .name = name,
	};
	return 0;
}

/* True the first time an unknown address is seen. */
static bool first_time_unclaimed(struct io_bus *bus, enum io_space space, uint64_t addr)
{
	if (space == IO_SPACE_PORT) {
		uint16_t port = (uint16_t)addr;
		uint8_t bit = (uint8_t)(1u << (port % 8));
		if (bus->port_logged[port / 8] & bit)
			return false;
		bus->port_logged[port / 8] |= bit;
		return true;
	}
	for (int i = 0; i < bus->nmmio_logged; i++)
		if (bus->mmio_logged[i] == addr)
			return false;
	/* Past the table, stop logging rather than log every access. */
	if (bus->nmmio_logged == IO_BUS_MAX_LOGGED)
		return false;
	bus->mmio_logged[bus->nmmio_logged++] = addr;
	return true;
}

bool io_bus_access(struct io_bus *bus, enum io_space space, uint64_t addr, uint8_t *data,
		   uint32_t size, bool is_write)
{
	for (int i = 0; i < bus->ndevices; i++) {
		const struct io_device *d = &bus->device[i];
		if (d->space != space || addr < d->base || addr - d->base >= d->len)
			continue;
		if (size > d->len - (addr - d->base))
			break;
		d->handler(d->opaque, addr - d->base, data, size, is_write);
		return true;
	}
	bus->unclaimed++;
	if (!is_write)
		memset(data, 0xff, size);
	if (log_debug_enabled && first_time_unclaimed(bus, space, addr))
		log_debug("unknown %s %s 0x%" PRIx64 " (size %u): %s",
			  space == IO_SPACE_PORT ? "port" : "MMIO", is_write ? "write" : "read",
			  addr, size, is_write ? "ignored" : "reads as all ones");
	return false;
}
