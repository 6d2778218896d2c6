// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "console.h"
#include "limits.h"
#include "log.h"
#include "terminal.h"

int console_init(struct console *con, int out_fd, int in_fd)
{
	memset(con, 0, sizeof(*con));
	con->out_fd = out_fd;
	con->in_fd = in_fd;
	pthread_mutex_init(&con->out_lock, NULL);
	con->input_event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	con->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (con->input_event_fd < 0 || con->stop_fd < 0)
		return -1;
	return 0;
}

/* Write all of it; a closed or broken stdout loses output but never
 * stops the guest. */
static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void flush_locked(struct console *con)
{
	write_all(con->out_fd, con->out_buf, con->out_len);
	con->out_len = 0;
}

void console_flush(struct console *con)
{
	pthread_mutex_lock(&con->out_lock);
	flush_locked(con);
	pthread_mutex_unlock(&con->out_lock);
}

/* The guest wants to print past --console-limit: stop the run (the vCPU
 * thread is the only writer, so the stop request is ours to set) and say
 * how many of the bytes may still go out. */
static size_t console_limit_reached(struct console *con)
{
	char reason[120];
	snprintf(reason, sizeof(reason),
		 "guest console output reached --console-limit of %llu bytes, stopped",
		 (unsigned long long)con->out_limit);
	if (con->limit_stop)
		stop_request_set(con->limit_stop, EXIT_STATUS_CONSOLE_LIMIT, reason);
	return (size_t)(con->out_limit - con->bytes_out);
}

void console_write(struct console *con, const uint8_t *bytes, size_t n)
{
	pthread_mutex_lock(&con->out_lock);
	if (con->out_limit && n > con->out_limit - con->bytes_out)
		n = console_limit_reached(con);
	con->bytes_out += n;
	if (n > sizeof(con->out_buf) - con->out_len) {
		/* Too big to buffer: keep the order, then write it directly. */
		flush_locked(con);
		if (n >= sizeof(con->out_buf)) {
			write_all(con->out_fd, bytes, n);
			pthread_mutex_unlock(&con->out_lock);
			return;
		}
	}
	memcpy(con->out_buf + con->out_len, bytes, n);
	con->out_len += n;
	if (memchr(bytes, '\n', n) || con->out_len == sizeof(con->out_buf))
		flush_locked(con);
	pthread_mutex_unlock(&con->out_lock);
}

void console_uart_transmit(void *opaque, uint8_t byte)
{
	console_write(opaque, &byte, 1);
}

static void signal_input(struct console *con)
{
	uint64_t one = 1;
	if (write(con->input_event_fd, &one, sizeof(one)) < 0) {
		/* The counter can only overflow after 2^64 deliveries. */
	}
}

static bool stop_requested(struct console *con)
{
	struct pollfd p = {.fd = con->stop_fd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

/* Hand `n` bytes to the UART as its FIFO drains; false if told to stop. */
static bool deliver(struct console *con, const uint8_t *bytes, int n)
{
	while (n > 0) {
		int taken = uart16550_receive(con->uart, bytes, n);
		if (taken > 0)
			signal_input(con);
		bytes += taken;
		n -= taken;
		if (n > 0) {
			console_flush(con);
			if (stop_requested(con))
				return false;
			uart16550_wait_rx_space(con->uart, CONSOLE_FLUSH_MS);
		}
	}
	return true;
}

/*
 * The keyboard escape of a raw terminal (host/terminal.h): `^A x` stops
 * pvkit the way ^C would without raw mode (SIGINT to the vCPU thread, which
 * ends the run cleanly), `^A ^A` is one ^A for the guest.  Filters buf in
 * place; returns how many bytes are left for the guest.
 */
static int filter_escape(struct console *con, uint8_t *buf, int n)
{
	int kept = 0;
	for (int i = 0; i < n; i++) {
		uint8_t c = buf[i];
		if (con->escape_pending) {
			con->escape_pending = false;
			if (c == 'x' || c == 'X') {
				log_msg("^A x: stopping the guest");
				kill(getpid(), SIGINT);
				continue;
			}
			if (c != TERMINAL_ESCAPE)
				continue; /* an unknown escape is dropped, as QEMU does */
		} else if (c == TERMINAL_ESCAPE) {
			con->escape_pending = true;
			continue;
		}
		buf[kept++] = c;
	}
	return kept;
}

static void *input_thread(void *opaque)
{
	struct console *con = opaque;
	bool input_open = true;
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = con->stop_fd, .events = POLLIN},
		    {.fd = input_open ? con->in_fd : -1, .events = POLLIN},
		};
		int r = poll(p, 2, CONSOLE_FLUSH_MS);
		console_flush(con);
		if (r < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (r <= 0 || !p[1].revents)
			continue;
		uint8_t buf[256];
		ssize_t n = read(con->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* EOF: the guest gets no more input (but a ^D where its
			 * console is a tty that wants one, eof_as_ctrl_d). */
			input_open = false;
			static const uint8_t ctrl_d = 0x04;
			if (con->eof_as_ctrl_d && !deliver(con, &ctrl_d, 1))
				break;
			continue;
		}
		if (con->keyboard_escape)
			n = filter_escape(con, buf, (int)n);
		if (n > 0 && !deliver(con, buf, (int)n))
			break;
	}
	return NULL;
}

int console_start_input(struct console *con, struct uart16550 *uart)
{
	con->uart = uart;
	/* The vCPU thread alone takes the timeout signal: block everything in
	 * the input thread so no signal ever lands here instead. */
	sigset_t all, old;
	sigfillset(&all);
	/* Except SIGSYS: it is synchronous, raised by this thread's own
	 * forbidden call, and its handler says which (host/seccomp.c). */
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int err = pthread_create(&con->thread, NULL, input_thread, con);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		return -1;
	}
	con->thread_started = true;
	return 0;
}

void console_destroy(struct console *con)
{
	if (con->thread_started) {
		uint64_t one = 1;
		if (write(con->stop_fd, &one, sizeof(one)) < 0) {
			/* cannot fail for a fresh eventfd */
		}
		pthread_join(con->thread, NULL);
		con->thread_started = false;
	}
	console_flush(con);
	if (con->input_event_fd >= 0)
		close(con->input_event_fd);
	if (con->stop_fd >= 0)
		close(con->stop_fd);
	con->input_event_fd = con->stop_fd = -1;
	pthread_mutex_destroy(&con->out_lock);
}
