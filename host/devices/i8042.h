/* SPDX-License-Identifier: MIT */
/*
 * i8042.h - the PC keyboard controller, just enough of it to reboot.
 *
 * Linux (and most x86 kernels) reset the machine by writing 0xfe ("pulse
 * the reset line") to the command port 0x64; pvkit ends the run when it
 * sees that, with exit status 0 and "guest requested reset".  Writing the
 * output port (command 0xd1) with bit 0 clear is the other way to pull the
 * reset line and is treated the same.
 *
 * The few controller commands a kernel probing the i8042 issues are
 * answered (read/write the configuration byte, self-tests, enable/disable
 * the ports) so it finds a controller with no keyboard or mouse behind it
 * instead of waiting on timeouts.  No IRQ 1/12 is ever raised.
 */
#ifndef PVKIT_HOST_DEVICES_I8042_H
#define PVKIT_HOST_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "host/stop_request.h"

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64

#define I8042_STATUS_OBF 0x01 /* output buffer full: a byte waits at 0x60 */
#define I8042_STATUS_SYS 0x04 /* system flag: self-test passed */
#define I8042_STATUS_CMD 0x08 /* last write was to the command port */

#define I8042_CMD_READ_CTR     0x20
#define I8042_CMD_WRITE_CTR    0x60
#define I8042_CMD_AUX_DISABLE  0xa7
#define I8042_CMD_AUX_ENABLE   0xa8
#define I8042_CMD_AUX_TEST     0xa9
#define I8042_CMD_SELF_TEST    0xaa
#define I8042_CMD_KBD_TEST     0xab
#define I8042_CMD_KBD_DISABLE  0xad
#define I8042_CMD_KBD_ENABLE   0xae
#define I8042_CMD_WRITE_OUTPUT 0xd1
#define I8042_CMD_RESET	       0xfe

struct i8042 {
	struct stop_request *stop;
	uint8_t status;
	uint8_t ctr;	     /* controller configuration byte */
	uint8_t output;	     /* byte waiting at port 0x60 when OBF */
	uint8_t pending_cmd; /* command waiting for its data byte, or 0 */
};

void i8042_init(struct i8042 *kbc, struct stop_request *stop);

/* The controller's registers as a snapshot keeps them (version 1). */
struct i8042_state {
	uint8_t status, ctr, output, pending_cmd;
};

void i8042_save(const struct i8042 *kbc, struct i8042_state *state);
void i8042_load(struct i8042 *kbc, const struct i8042_state *state);

/* io_bus handlers for port 0x60 and port 0x64. */
void i8042_data_io(void *kbc, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);
void i8042_command_io(void *kbc, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);

#endif
