/* SPDX-License-Identifier: MIT */
/*
 * xen_console.h - the Xen PV console ring (hvc0 in Linux), pvkit's end.
 *
 * The guest prints by putting bytes in `out` and advancing out_prod, then
 * kicking the console event channel; pvkit takes them to its console.
 * Keyboard input goes the other way through `in`.  The ring page belongs
 * to the guest and may lie: an index that claims more bytes than the ring
 * holds is a broken ring, reported once, after which pvkit ignores it.
 */
#ifndef PVKIT_HOST_XEN_CONSOLE_H
#define PVKIT_HOST_XEN_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/console.h>

#include "console.h"

struct xen_console {
	struct xencons_interface *ring; /* in guest RAM */
	bool broken;
};

/* Move everything the guest printed to con; returns the number of bytes. */
size_t xen_console_drain(struct xen_console *xc, struct console *con);

/* Put up to n input bytes in the ring; returns how many fit. */
size_t xen_console_feed(struct xen_console *xc, const uint8_t *bytes, size_t n);

#endif
