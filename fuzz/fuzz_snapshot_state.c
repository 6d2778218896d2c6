// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the snapshot state-file parser (host/snapshot_format.c) and
 * what restore reads from it before KVM is touched: the machine part.
 * The checksum would stop almost every mutation at the door, so half the
 * inputs get a right CRC (the first byte of the input chooses), and the
 * fuzzer reaches the part table behind it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/machine_state.h"
#include "host/snapshot_format.h"

static struct snapshot_view view; /* large: keep it off the stack */

static void fix_crc(uint8_t *buf, size_t len)
{
	const size_t at = offsetof(struct snapshot_header, crc32);
	if (len < sizeof(struct snapshot_header))
		return;
	uint32_t crc = snapshot_file_crc(buf, len);
	memcpy(buf + at, &crc, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool right_crc = data[0] & 1;
	size--;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size);
	if (right_crc)
		fix_crc(buf, size);
	char why[300] = "";
	if (snapshot_parse(buf, size, &view, why, sizeof(why)) < 0) {
		if (!why[0])
			__builtin_trap();
	} else {
		volatile uint8_t sink = 0;
		for (int i = 0; i < view.nparts; i++) {
			const struct snapshot_part_view *p = &view.part[i];
			if (p->data < buf || p->data + p->length > buf + size)
				__builtin_trap();
			if (p->length)
				sink ^= p->data[0] ^ p->data[p->length - 1];
			if (snapshot_find_part(&view, p->name) != p)
				__builtin_trap();
		}
		struct machine_part mp;
		why[0] = 0;
		if (machine_state_config(&view, &mp, why, sizeof(why)) < 0 && !why[0])
			__builtin_trap();
		(void)sink;
	}
	free(buf);
	return 0;
}
