// SPDX-License-Identifier: MIT
#include <string.h>

#include "debug_exit.h"
#include "host/log.h"

void debug_exit_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct stop_request *stop = opaque;
	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	/* Only a write that starts at the port counts (as with isa-debug-exit);
	 * a byte poked at 0xf5..0xf7 is an unrelated access. */
	if (offset != 0)
		return;
	uint32_t value = 0;
	for (uint32_t i = 0; i < size && i < 4; i++)
		value |= (uint32_t)data[i] << (8 * i);
	/* The guest chose its exit status: that is the whole message. */
	log_debug("guest wrote 0x%x to the debug exit port", value);
	stop_request_set(stop, (int)(value & 0xff), NULL);
}
