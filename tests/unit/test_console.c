// SPDX-License-Identifier: MIT
/* The console: stdout buffering and the stdin thread feeding the UART. */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/console.h"
#include "host/devices/uart16550.h"

struct fixture {
	struct console con;
	int out_rd, out_wr; /* what the console writes to "stdout" */
	int in_rd, in_wr;   /* what "stdin" delivers */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int out[2], in[2];
	if (pipe2(out, O_NONBLOCK) < 0 || pipe(in) < 0)
		return -1;
	f->out_rd = out[0];
	f->out_wr = out[1];
	f->in_rd = in[0];
	f->in_wr = in[1];
	if (console_init(&f->con, f->out_wr, f->in_rd) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	console_destroy(&f->con);
	close(f->out_rd);
	close(f->out_wr);
	close(f->in_rd);
	close(f->in_wr);
	free(f);
	return 0;
}

/* What reached "stdout" so far (NUL-terminated in buf). */
static ssize_t drain(struct fixture *f, char *buf, size_t size)
{
	ssize_t n = read(f->out_rd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void line_buffered(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	console_write(&f->con, (const uint8_t *)"abc", 3);
	assert_int_equal(drain(f, buf, sizeof(buf)), -1); /* nothing yet */
	console_write(&f->con, (const uint8_t *)"d\nef", 4);
	assert_int_equal(drain(f, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "abcd\nef");
	console_write(&f->con, (const uint8_t *)"g", 1);
	console_flush(&f->con);
	assert_int_equal(drain(f, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "g");
	assert_int_equal(f->con.bytes_out, 8);
}

static void large_write_keeps_order(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[CONSOLE_BUFFER_SIZE * 2];
	memset(big, 'y', sizeof(big));
	console_write(&f->con, (const uint8_t *)"x", 1);
	console_write(&f->con, big, sizeof(big));
	static char got[sizeof(big) + 16];
	ssize_t n = drain(f, got, sizeof(got));
	assert_int_equal(n, 1 + sizeof(big));
	assert_int_equal(got[0], 'x');
	assert_int_equal(got[1], 'y');
	assert_int_equal(got[sizeof(big)], 'y');
}

static void closed_stdout_does_not_stop_output(void **state)
{
	struct fixture *f = *state;
	close(f->out_rd);
	f->out_rd = open("/dev/null", O_RDONLY);
	/* Writes to a pipe without a reader fail (EPIPE; SIGPIPE is the
	 * caller's business): the bytes are lost, the console goes on. */
	signal(SIGPIPE, SIG_IGN);
	console_write(&f->con, (const uint8_t *)"lost\n", 5);
	assert_int_equal(f->con.bytes_out, 5);
	assert_int_equal(f->con.out_len, 0);
}

static uint8_t in8(struct uart16550 *u, unsigned reg)
{
	uint8_t v = 0;
	uart16550_io(u, reg, &v, 1, false);
	return v;
}

static void stdin_thread_feeds_uart(void **state)
{
	struct fixture *f = *state;
	static struct uart16550 uart;
	struct uart16550_ops ops = {0};
	uart16550_init(&uart, &ops);
	in8(&uart, UART_LSR); /* the guest listens */
	assert_int_equal(console_start_input(&f->con, &uart), 0);
	assert_int_equal(write(f->in_wr, "hi", 2), 2);
	/* The thread signals the input event once bytes are in the FIFO. */
	struct pollfd p = {.fd = f->con.input_event_fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 5000), 1);
	/* FIFOs off: one byte at a time, the next one after the guest reads. */
	char got[3] = {0};
	for (int i = 0; i < 2; i++) {
		for (int tries = 0; !(in8(&uart, UART_LSR) & UART_LSR_DR) && tries < 500; tries++)
			usleep(10000);
		got[i] = (char)in8(&uart, UART_RBR);
	}
	assert_string_equal(got, "hi");
	/* Output without a newline still appears, flushed by the thread. */
	console_write(&f->con, (const uint8_t *)"prompt> ", 8);
	char buf[32];
	ssize_t n = -1;
	for (int tries = 0; n < 0 && tries < 100; tries++) {
		usleep(10000);
		n = drain(f, buf, sizeof(buf));
	}
	assert_int_equal(n, 8);
	assert_string_equal(buf, "prompt> ");
	console_destroy(&f->con); /* joins the thread before the UART goes */
	uart16550_destroy(&uart);
	console_init(&f->con, f->out_wr, f->in_rd); /* for teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(line_buffered, setup, teardown),
	    cmocka_unit_test_setup_teardown(large_write_keeps_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(closed_stdout_does_not_stop_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(stdin_thread_feeds_uart, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
