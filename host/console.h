/* SPDX-License-Identifier: MIT */
/*
 * console.h - the host terminal behind the guest's console.
 *
 * Output (UART bytes and console hypercalls) is buffered and written to
 * stdout when a line ends, when the buffer fills, when the guest stops, and
 * at the latest CONSOLE_FLUSH_MS after the first unflushed byte (a prompt
 * with no newline still shows up).
 *
 * Input is read from stdin by a separate thread and fed to the UART's
 * receive FIFO as the guest drains it, so the vCPU thread never blocks on
 * the terminal.  Each delivery also makes the input event readable (an
 * eventfd), which is what wakes a guest blocked in PVKIT_HC_HALT.
 */
#ifndef PVKIT_HOST_CONSOLE_H
#define PVKIT_HOST_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/uart16550.h"
#include "stop_request.h"

#define CONSOLE_BUFFER_SIZE 8192
#define CONSOLE_FLUSH_MS    20

struct console {
	int out_fd, in_fd;
	int input_event_fd; /* eventfd: readable once input was delivered */
	int stop_fd;	    /* eventfd: tells the input thread to finish */
	struct uart16550 *uart;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t out_lock;
	uint8_t out_buf[CONSOLE_BUFFER_SIZE];
	size_t out_len;
	uint64_t bytes_out; /* statistics: every byte the guest printed */

	/* --console-limit (host/limits.h): bytes the guest may print, 0 for no
	 * limit; the byte that would pass it stops the run through limit_stop. */
	uint64_t out_limit;
	struct stop_request *limit_stop;

	/* The guest's console is a tty in canonical mode (a Xen PV guest's
	 * hvc0): the end of a non-terminal stdin reaches it as ^D, so a shell
	 * reading it ends as it would on a terminal. */
	bool eof_as_ctrl_d;

	/* stdin is a raw terminal (host/terminal.h): watch for `^A x`. */
	bool keyboard_escape;
	bool escape_pending; /* the last byte was ^A */
};

/* -1 with errno if an eventfd cannot be made. */
int console_init(struct console *con, int out_fd, int in_fd);

/* Start feeding in_fd to `uart` (and flushing output in the background). */
int console_start_input(struct console *con, struct uart16550 *uart);

void console_write(struct console *con, const uint8_t *bytes, size_t n);
void console_flush(struct console *con);

/* Stop the thread, flush, close the eventfds. */
void console_destroy(struct console *con);

/* uart16550_ops.transmit: one byte from the guest. */
void console_uart_transmit(void *con, uint8_t byte);

#endif
