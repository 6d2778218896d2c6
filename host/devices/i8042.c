// SPDX-License-Identifier: MIT
#include <string.h>

#include "i8042.h"

void i8042_init(struct i8042 *kbc, struct stop_request *stop)
{
	memset(kbc, 0, sizeof(*kbc));
	kbc->stop = stop;
	kbc->status = I8042_STATUS_SYS;
	kbc->ctr = 0x30; /* both ports' clocks disabled, translation off */
}

static void put_output(struct i8042 *kbc, uint8_t byte)
{
	kbc->output = byte;
	kbc->status |= I8042_STATUS_OBF;
}

static void request_reset(struct i8042 *kbc)
{
	stop_request_set(kbc->stop, 0, "guest requested reset");
}

static void run_command(struct i8042 *kbc, uint8_t cmd)
{
	switch (cmd) {
	case I8042_CMD_READ_CTR:
		put_output(kbc, kbc->ctr);
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTPUT:
		kbc->pending_cmd = cmd;
		break;
	case I8042_CMD_SELF_TEST:
		put_output(kbc, 0x55);
		break;
	case I8042_CMD_KBD_TEST:
	case I8042_CMD_AUX_TEST:
		put_output(kbc, 0x00); /* interface test passed */
		break;
	case I8042_CMD_KBD_DISABLE:
		kbc->ctr |= 0x10;
		break;
	case I8042_CMD_KBD_ENABLE:
		kbc->ctr &= (uint8_t)~0x10;
		break;
	case I8042_CMD_AUX_DISABLE:
		kbc->ctr |= 0x20;
		break;
	case I8042_CMD_AUX_ENABLE:
		kbc->ctr &= (uint8_t)~0x20;
		break;
	case I8042_CMD_RESET:
		request_reset(kbc);
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 of the mask is reset. */
		if (cmd >= 0xf0 && !(cmd & 1))
			request_reset(kbc);
		break;
	}
}

void i8042_command_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct i8042 *kbc = opaque;
	(void)offset;
	if (is_write) {
		kbc->status |= I8042_STATUS_CMD;
		run_command(kbc, data[0]);
		return;
	}
	memset(data, 0, size);
	data[0] = kbc->status;
}

void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct i8042 *kbc = opaque;
	(void)offset;
	if (!is_write) {
		memset(data, 0, size);
		data[0] = kbc->output;
		kbc->status &= (uint8_t)~I8042_STATUS_OBF;
		return;
	}
	kbc->status &= (uint8_t)~I8042_STATUS_CMD;
	uint8_t cmd = kbc->pending_cmd;
	kbc->pending_cmd = 0;
	if (cmd == I8042_CMD_WRITE_CTR)
		kbc->ctr = data[0];
	else if (cmd == I8042_CMD_WRITE_OUTPUT && !(data[0] & 1))
		request_reset(kbc);
	/* A byte for the keyboard itself: there is none, so it goes nowhere
	 * and the guest times out waiting for an ACK, as with no keyboard. */
}

void i8042_save(const struct i8042 *kbc, struct i8042_state *state)
{
	*state = (struct i8042_state){
	    .status = kbc->status,
	    .ctr = kbc->ctr,
	    .output = kbc->output,
	    .pending_cmd = kbc->pending_cmd,
	};
}

void i8042_load(struct i8042 *kbc, const struct i8042_state *state)
{
	kbc->status = state->status;
	kbc->ctr = state->ctr;
	kbc->output = state->output;
	kbc->pending_cmd = state->pending_cmd;
}
