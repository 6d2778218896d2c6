// SPDX-License-Identifier: MIT
/* libFuzzer: the bzImage setup header parser on arbitrary files. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boot/bzimage.h"
#include "boot/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage_info info;
	struct boot_error err;
	if (bzimage_parse(data, size, &info, &err) < 0) {
		/* Every failure must say what is wrong. */
		if (err.msg[0] == '\0' || strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
			__builtin_trap();
		return 0;
	}
	/* Touch what the parser vouched for, so ASan sees any range it got wrong. */
	volatile uint8_t sink = 0;
	if (info.kernel_size)
		sink ^= info.kernel[0] ^ info.kernel[info.kernel_size - 1];
	if (info.payload_size)
		sink ^= info.payload[0] ^ info.payload[info.payload_size - 1];
	if (info.kernel + info.kernel_size != data + size || info.header_len > sizeof(info.hdr))
		__builtin_trap();
	(void)sink;
	return 0;
}
