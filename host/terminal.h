/* SPDX-License-Identifier: MIT */
/*
 * terminal.h - the user's terminal while a guest owns the console.
 *
 * When stdin is a terminal, pvkit switches it to raw input for the run:
 * every key, ^C and ^D included, goes to the guest (whose own tty layer
 * edits lines and raises signals), and output processing stays as it was.
 * `^A x` stops pvkit from the keyboard (`^A ^A` sends one ^A), as QEMU's
 * console does.  The saved settings come back on every way out: a normal
 * return, exit(), and a crash or a forbidden system call (the fatal-signal
 * paths restore before the process dies).
 */
#ifndef PVKIT_HOST_TERMINAL_H
#define PVKIT_HOST_TERMINAL_H

#include <stdbool.h>

/* The escape key: ^A, then 'x' to stop pvkit. */
#define TERMINAL_ESCAPE 0x01

/* If fd is a terminal, make its input raw until terminal_restore(); true if it did. */
bool terminal_make_raw(int fd);

/* Put the saved settings back (idempotent, async-signal-safe). */
void terminal_restore(void);

#endif
