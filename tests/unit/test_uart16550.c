// SPDX-License-Identifier: MIT
/* The 16550 register model, driven as a guest driver would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/devices/uart16550.h"

struct wire {
	uint8_t sent[64];
	int nsent;
	bool irq;
	int irq_changes;
};

static void transmit(void *ctx, uint8_t byte)
{
	struct wire *w = ctx;
	w->sent[w->nsent++] = byte;
}

static void set_irq(void *ctx, bool level)
{
	struct wire *w = ctx;
	w->irq = level;
	w->irq_changes++;
}

struct fixture {
	struct uart16550 uart;
	struct wire wire;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f.wire, 0, sizeof(f.wire));
	struct uart16550_ops ops = {.transmit = transmit, .set_irq = set_irq, .ctx = &f.wire};
	uart16550_init(&f.uart, &ops);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	uart16550_destroy(&f->uart);
	return 0;
}

static void out8(struct uart16550 *u, unsigned reg, uint8_t v)
{
	uart16550_io(u, reg, &v, 1, true);
}

static uint8_t in8(struct uart16550 *u, unsigned reg)
{
	uint8_t v = 0;
	uart16550_io(u, reg, &v, 1, false);
	return v;
}

static void thr_transmits_and_lsr_says_empty(void **state)
{
	struct fixture *f = *state;
	out8(&f->uart, UART_THR, 'h');
	out8(&f->uart, UART_THR, 'i');
	assert_int_equal(f->wire.nsent, 2);
	assert_memory_equal(f->wire.sent, "hi", 2);
	assert_int_equal(in8(&f->uart, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* No interrupt is enabled, so the line never rose. */
	assert_false(f->wire.irq);
	assert_int_equal(f->wire.irq_changes, 0);
}

static void divisor_latch_hides_thr_and_ier(void **state)
{
	struct fixture *f = *state;
	out8(&f->uart, UART_LCR, UART_LCR_DLAB | 0x03);
	out8(&f->uart, UART_DLL, 0x01);
	out8(&f->uart, UART_DLM, 0x02);
	assert_int_equal(in8(&f->uart, UART_DLL), 0x01);
	assert_int_equal(in8(&f->uart, UART_DLM), 0x02);
	assert_int_equal(f->wire.nsent, 0); /* the DLL write sent nothing */
	out8(&f->uart, UART_LCR, 0x03);
	assert_int_equal(in8(&f->uart, UART_IER), 0); /* IER untouched by the DLM write */
	assert_int_equal(in8(&f->uart, UART_LCR), 0x03);
	out8(&f->uart, UART_THR, 'x');
	assert_int_equal(f->wire.nsent, 1);
	/* The divisor survives leaving DLAB. */
	out8(&f->uart, UART_LCR, UART_LCR_DLAB);
	assert_int_equal(in8(&f->uart, UART_DLL), 0x01);
}

static void iir_reports_fifo_state(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_NO_INT);
	out8(&f->uart, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
}

static void thr_empty_interrupt(void **state)
{
	struct fixture *f = *state;
	/* Enabling THRI while THR is empty raises it at once. */
	out8(&f->uart, UART_IER, UART_IER_THRI);
	assert_true(f->wire.irq);
	/* Reading IIR reports and acknowledges it: the line drops. */
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_THRI);
	assert_false(f->wire.irq);
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_NO_INT);
	/* The next byte leaves at once and re-arms it: a new edge. */
	out8(&f->uart, UART_THR, 'a');
	assert_true(f->wire.irq);
	assert_int_equal(f->wire.irq_changes, 3);
	/* Disabling THRI lowers the line. */
	out8(&f->uart, UART_IER, 0);
	assert_false(f->wire.irq);
}

static void receive_with_fifo(void **state)
{
	struct fixture *f = *state;
	out8(&f->uart, UART_FCR, UART_FCR_ENABLE);
	out8(&f->uart, UART_IER, UART_IER_RDI);
	assert_false(f->wire.irq);
	assert_int_equal(uart16550_receive(&f->uart, (const uint8_t *)"ab", 2), 2);
	assert_true(f->wire.irq);
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_FIFOS | UART_IIR_RDI);
	assert_true(in8(&f->uart, UART_LSR) & UART_LSR_DR);
	assert_int_equal(in8(&f->uart, UART_RBR), 'a');
	assert_true(f->wire.irq);
	assert_int_equal(in8(&f->uart, UART_RBR), 'b');
	assert_false(f->wire.irq);
	assert_false(in8(&f->uart, UART_LSR) & UART_LSR_DR);
	/* An empty FIFO reads 0, not stale data. */
	assert_int_equal(in8(&f->uart, UART_RBR), 0);
}

static void receive_takes_only_what_fits(void **state)
{
	struct fixture *f = *state;
	uint8_t bytes[40];
	memset(bytes, 'z', sizeof(bytes));
	in8(&f->uart, UART_LSR); /* a polling driver: now it listens */
	/* FIFOs off: one holding register. */
	assert_int_equal(uart16550_receive(&f->uart, bytes, 5), 1);
	assert_int_equal(uart16550_receive(&f->uart, bytes, 5), 0);
	in8(&f->uart, UART_RBR);
	out8(&f->uart, UART_FCR, UART_FCR_ENABLE);
	assert_int_equal(uart16550_receive(&f->uart, bytes, 40), UART_FIFO_SIZE);
	/* Flow control, not overrun: nothing was lost, so no error bit. */
	assert_int_equal(in8(&f->uart, UART_LSR) & UART_LSR_OE, 0);
	out8(&f->uart, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_false(in8(&f->uart, UART_LSR) & UART_LSR_DR);
}

static void input_waits_until_the_guest_listens(void **state)
{
	struct fixture *f = *state;
	/* Before the driver set the port up, input stays on the host... */
	assert_int_equal(uart16550_receive(&f->uart, (const uint8_t *)"ab", 2), 0);
	out8(&f->uart, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	out8(&f->uart, UART_LCR, UART_LCR_DLAB);
	in8(&f->uart, UART_RBR); /* DLL, not the receiver: still not listening */
	out8(&f->uart, UART_LCR, 0x03);
	assert_int_equal(uart16550_receive(&f->uart, (const uint8_t *)"ab", 2), 0);
	/* ...and nothing was lost to the FIFO reset once it reads. */
	in8(&f->uart, UART_LSR);
	assert_int_equal(uart16550_receive(&f->uart, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(in8(&f->uart, UART_RBR), 'a');
	assert_int_equal(in8(&f->uart, UART_RBR), 'b');
}

static void rdi_enable_also_listens(void **state)
{
	struct fixture *f = *state;
	out8(&f->uart, UART_IER, UART_IER_RDI);
	assert_int_equal(uart16550_receive(&f->uart, (const uint8_t *)"c", 1), 1);
	assert_true(f->wire.irq);
}

static void received_data_outranks_thr_empty(void **state)
{
	struct fixture *f = *state;
	out8(&f->uart, UART_IER, UART_IER_RDI | UART_IER_THRI);
	uart16550_receive(&f->uart, (const uint8_t *)"q", 1);
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_RDI);
	/* Reading IIR while it shows RDI must not eat the THR-empty event. */
	assert_int_equal(in8(&f->uart, UART_RBR), 'q');
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_THRI);
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_NO_INT);
}

static void loopback_and_overrun(void **state)
{
	struct fixture *f = *state;
	out8(&f->uart, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	assert_int_equal(in8(&f->uart, UART_MSR) & 0xf0, UART_MSR_CTS);
	out8(&f->uart, UART_IER, UART_IER_RLSI);
	out8(&f->uart, UART_THR, '1');
	out8(&f->uart, UART_THR, '2'); /* FIFOs off: overruns the holding register */
	assert_int_equal(f->wire.nsent, 0);
	/* The outside world is disconnected in loopback. */
	assert_int_equal(uart16550_receive(&f->uart, (const uint8_t *)"x", 1), 0);
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_RLSI);
	assert_true(f->wire.irq);
	uint8_t lsr = in8(&f->uart, UART_LSR);
	assert_true(lsr & UART_LSR_OE);
	assert_true(lsr & UART_LSR_DR);
	assert_false(in8(&f->uart, UART_LSR) & UART_LSR_OE); /* cleared by reading */
	assert_false(f->wire.irq);
	assert_int_equal(in8(&f->uart, UART_RBR), '1');
}

static void modem_status_deltas(void **state)
{
	struct fixture *f = *state;
	/* Outside loopback the lines say "connected". */
	assert_int_equal(in8(&f->uart, UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	out8(&f->uart, UART_MCR, UART_MCR_LOOP);
	in8(&f->uart, UART_MSR);
	out8(&f->uart, UART_IER, UART_IER_MSI);
	out8(&f->uart, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	assert_int_equal(in8(&f->uart, UART_IIR), UART_IIR_MSI);
	assert_true(f->wire.irq);
	uint8_t msr = in8(&f->uart, UART_MSR);
	assert_int_equal(msr, UART_MSR_DSR | UART_MSR_RI | UART_MSR_DDSR);
	assert_false(f->wire.irq);
	out8(&f->uart, UART_MCR, UART_MCR_LOOP | UART_MCR_DTR); /* RI falls: TERI */
	assert_int_equal(in8(&f->uart, UART_MSR), UART_MSR_DSR | UART_MSR_TERI);
}

static void scratch_and_wide_access(void **state)
{
	struct fixture *f = *state;
	out8(&f->uart, UART_SCR, 0xa5);
	assert_int_equal(in8(&f->uart, UART_SCR), 0xa5);
	/* A 2-byte read at LCR covers LCR and MCR; past register 7 reads 0xff. */
	out8(&f->uart, UART_LCR, 0x03);
	out8(&f->uart, UART_MCR, 0x0b);
	uint8_t two[2];
	uart16550_io(&f->uart, UART_LCR, two, 2, false);
	assert_int_equal(two[0], 0x03);
	assert_int_equal(two[1], 0x0b);
	uint8_t four[4];
	uart16550_io(&f->uart, 6, four, 4, false);
	assert_int_equal(four[1], 0xa5);
	assert_int_equal(four[2], 0xff);
	assert_int_equal(four[3], 0xff);
	/* LSR and MSR ignore writes. */
	out8(&f->uart, UART_LSR, 0);
	assert_true(in8(&f->uart, UART_LSR) & UART_LSR_THRE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(thr_transmits_and_lsr_says_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(divisor_latch_hides_thr_and_ier, setup, teardown),
	    cmocka_unit_test_setup_teardown(iir_reports_fifo_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(thr_empty_interrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(receive_with_fifo, setup, teardown),
	    cmocka_unit_test_setup_teardown(receive_takes_only_what_fits, setup, teardown),
	    cmocka_unit_test_setup_teardown(input_waits_until_the_guest_listens, setup, teardown),
	    cmocka_unit_test_setup_teardown(rdi_enable_also_listens, setup, teardown),
	    cmocka_unit_test_setup_teardown(received_data_outranks_thr_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(loopback_and_overrun, setup, teardown),
	    cmocka_unit_test_setup_teardown(modem_status_deltas, setup, teardown),
	    cmocka_unit_test_setup_teardown(scratch_and_wide_access, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
