// SPDX-License-Identifier: MIT
/*
 * libFuzzer: payload decompression.  The first byte picks the decoder (so
 * every decoder sees data without its magic too); the rest is the payload.
 * The bound is small, so bombs are found fast and must be refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "boot/loader.h"
#include "boot/payload.h"

#define FUZZ_PAYLOAD_MAX (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum payload_compression c = (enum payload_compression)(data[0] % (PAYLOAD_ZSTD + 1));
	uint8_t *out = NULL;
	size_t out_size = 0;
	struct boot_error err;
	if (payload_decompress(c, data + 1, size - 1, FUZZ_PAYLOAD_MAX, &out, &out_size, &err) <
	    0) {
		if (out || err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (out_size > FUZZ_PAYLOAD_MAX)
		__builtin_trap();
	volatile uint8_t sink = out_size ? out[out_size - 1] : 0;
	(void)sink;
	free(out);
	return 0;
}
