// SPDX-License-Identifier: MIT
/*
 * fuzz_xenstore: a hostile guest on the other end of pvkit's xenstore ring
 * (host/xenstore.c).  The input is a script of guest actions, one opcode
 * byte each:
 *   0 LEN BYTES...  put LEN request bytes in the ring (any bytes: headers,
 *                   bodies, garbage)
 *   1               pvkit serves the ring (as on an event-channel kick)
 *   2 N             the guest consumes up to N reply bytes
 *   3 A B C D       the guest writes req_prod (any value)
 *   4 A B C D       the guest writes rsp_cons (any value)
 * The store must never crash, never write outside the ring, and never
 * claim more reply bytes than the ring holds while it still serves.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/xenstore.h"

static struct xenstore xs;
static struct xenstore_domain_interface ring;

static uint32_t word(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&ring, 0, sizeof(ring));
	if (xenstore_init(&xs, 1) < 0 || xenstore_write(&xs, "name", "fuzz") < 0)
		abort();
	size_t i = 0;
	while (i < size) {
		uint8_t op = data[i++] % 5;
		if (op == 0 && i < size) {
			size_t len = data[i++];
			for (size_t k = 0; k < len && i < size; k++)
				ring.req[MASK_XENSTORE_IDX(ring.req_prod++)] = (char)data[i++];
		} else if (op == 1) {
			xenstore_serve(&xs, &ring);
			if (!xs.broken && ring.rsp_prod - ring.rsp_cons > XENSTORE_RING_SIZE)
				abort();
		} else if (op == 2 && i < size) {
			uint32_t avail = ring.rsp_prod - ring.rsp_cons;
			uint32_t n = data[i++];
			ring.rsp_cons += n < avail ? n : avail;
		} else if ((op == 3 || op == 4) && i + 4 <= size) {
			if (op == 3)
				ring.req_prod = word(data + i);
			else
				ring.rsp_cons = word(data + i);
			i += 4;
		}
	}
	xenstore_serve(&xs, &ring);
	xenstore_destroy(&xs);
	return 0;
}
