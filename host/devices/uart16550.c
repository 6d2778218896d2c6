// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <time.h>

#include "uart16550.h"

void uart16550_init(struct uart16550 *uart, const struct uart16550_ops *ops)
{
	memset(uart, 0, sizeof(*uart));
	pthread_mutex_init(&uart->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&uart->rx_space, &attr);
	pthread_condattr_destroy(&attr);
	uart->ops = *ops;
	/* Reset state: every register zero (LSR/MSR are computed), and the
	 * divisor a BIOS leaves for 9600 baud; the guest reprograms it anyway. */
	uart->dll = 12;
}

void uart16550_destroy(struct uart16550 *uart)
{
	pthread_cond_destroy(&uart->rx_space);
	pthread_mutex_destroy(&uart->lock);
}

static bool fifo_enabled(const struct uart16550 *uart)
{
	return uart->fcr & UART_FCR_ENABLE;
}

static int rx_capacity(const struct uart16550 *uart)
{
	/* With the FIFOs off the 16550 behaves as a 16450: one holding register. */
	return fifo_enabled(uart) ? UART_FIFO_SIZE : 1;
}

static uint8_t compute_iir(const struct uart16550 *uart)
{
	uint8_t fifos = fifo_enabled(uart) ? UART_IIR_FIFOS : 0;
	if ((uart->ier & UART_IER_RLSI) && uart->lsr_errors)
		return fifos | UART_IIR_RLSI;
	if ((uart->ier & UART_IER_RDI) && uart->rx_count > 0)
		return fifos | UART_IIR_RDI;
	if ((uart->ier & UART_IER_THRI) && uart->thri_pending)
		return fifos | UART_IIR_THRI;
	if ((uart->ier & UART_IER_MSI) && uart->msr_delta)
		return fifos | UART_IIR_MSI;
	return fifos | UART_IIR_NO_INT;
}

static void update_irq(struct uart16550 *uart)
{
	bool level = !(compute_iir(uart) & UART_IIR_NO_INT);
	/* Only changes reach KVM: an edge-triggered IOAPIC pin needs the line
	 * to drop and rise again for the next interrupt, as on hardware. */
	if (level != uart->irq_level) {
		uart->irq_level = level;
		if (uart->ops.set_irq)
			uart->ops.set_irq(uart->ops.ctx, level);
	}
}

static void rx_push(struct uart16550 *uart, uint8_t byte)
{
	if (uart->rx_count == rx_capacity(uart)) {
		uart->lsr_errors |= UART_LSR_OE;
		return;
	}
	uart->rx_fifo[(uart->rx_head + uart->rx_count) % UART_FIFO_SIZE] = byte;
	uart->rx_count++;
}

static uint8_t rx_pop(struct uart16550 *uart)
{
	if (uart->rx_count == 0)
		return 0;
	uint8_t byte = uart->rx_fifo[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % UART_FIFO_SIZE;
	uart->rx_count--;
	pthread_cond_signal(&uart->rx_space);
	return byte;
}

static void rx_clear(struct uart16550 *uart)
{
	uart->rx_head = 0;
	uart->rx_count = 0;
	pthread_cond_signal(&uart->rx_space);
}

/* Modem status lines: in loopback they are the MCR outputs fed back. */
static uint8_t modem_lines(const struct uart16550 *uart)
{
	if (!(uart->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	uint8_t lines = 0;
	if (uart->mcr & UART_MCR_RTS)
		lines |= UART_MSR_CTS;
	if (uart->mcr & UART_MCR_DTR)
		lines |= UART_MSR_DSR;
	if (uart->mcr & UART_MCR_OUT1)
		lines |= UART_MSR_RI;
	if (uart->mcr & UART_MCR_OUT2)
		lines |= UART_MSR_DCD;
	return lines;
}

static void write_mcr(struct uart16550 *uart, uint8_t value)
{
	uint8_t before = modem_lines(uart);
	uart->mcr = value & 0x1f;
	uint8_t after = modem_lines(uart);
	uint8_t changed = before ^ after;
	if (changed & UART_MSR_CTS)
		uart->msr_delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		uart->msr_delta |= UART_MSR_DDSR;
	if (changed & UART_MSR_DCD)
		uart->msr_delta |= UART_MSR_DDCD;
	/* TERI: trailing edge of RI only (RI went from 1 to 0). */
	if ((before & UART_MSR_RI) && !(after & UART_MSR_RI))
		uart->msr_delta |= UART_MSR_TERI;
}

static void write_thr(struct uart16550 *uart, uint8_t byte)
{
	if (uart->mcr & UART_MCR_LOOP)
		rx_push(uart, byte);
	else if (uart->ops.transmit)
		uart->ops.transmit(uart->ops.ctx, byte);
	uart->tx_bytes++;
	/* The byte left at once: THR is empty again and says so. */
	uart->thri_pending = true;
}

static void write_fcr(struct uart16550 *uart, uint8_t value)
{
	/* Toggling FIFO enable clears both FIFOs, as on the real part. */
	if ((value ^ uart->fcr) & UART_FCR_ENABLE)
		rx_clear(uart);
	if (value & UART_FCR_CLEAR_RX)
		rx_clear(uart);
	/* Clear bits self-reset; keep enable, DMA mode and trigger level. */
	uart->fcr = value & ~(UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
}

static void start_listening(struct uart16550 *uart)
{
	if (!uart->listening) {
		uart->listening = true;
		pthread_cond_signal(&uart->rx_space);
	}
}

static void reg_write(struct uart16550 *uart, unsigned reg, uint8_t value)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	switch (reg) {
	case UART_THR:
		if (dlab)
			uart->dll = value;
		else
			write_thr(uart, value);
		break;
	case UART_IER:
		if (dlab) {
			uart->dlm = value;
		} else {
			bool thri_was_on = uart->ier & UART_IER_THRI;
			uart->ier = value & 0x0f;
			/* Enabling the THR-empty interrupt while THR is empty
			 * raises it at once (Linux's startup test relies on it). */
			if ((uart->ier & UART_IER_THRI) && !thri_was_on)
				uart->thri_pending = true;
			if (uart->ier & UART_IER_RDI)
				start_listening(uart);
		}
		break;
	case UART_FCR:
		write_fcr(uart, value);
		break;
	case UART_LCR:
		uart->lcr = value;
		break;
	case UART_MCR:
		write_mcr(uart, value);
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (factory test writes are ignored) */
	case UART_SCR:
		uart->scr = value;
		break;
	}
}

static uint8_t reg_read(struct uart16550 *uart, unsigned reg)
{
	if (reg == UART_LSR || (reg == UART_RBR && !(uart->lcr & UART_LCR_DLAB)))
		start_listening(uart);
	bool dlab = uart->lcr & UART_LCR_DLAB;
	uint8_t value = 0;
	switch (reg) {
	case UART_RBR:
		value = dlab ? uart->dll : rx_pop(uart);
		break;
	case UART_IER:
		value = dlab ? uart->dlm : uart->ier;
		break;
	case UART_IIR:
		value = compute_iir(uart);
		/* Reading IIR acknowledges a THR-empty interrupt it reports. */
		if ((value & 0x0f) == UART_IIR_THRI)
			uart->thri_pending = false;
		break;
	case UART_LCR:
		value = uart->lcr;
		break;
	case UART_MCR:
		value = uart->mcr;
		break;
	case UART_LSR:
		value = UART_LSR_THRE | UART_LSR_TEMT | uart->lsr_errors;
		if (uart->rx_count > 0)
			value |= UART_LSR_DR;
		uart->lsr_errors = 0;
		break;
	case UART_MSR:
		value = modem_lines(uart) | uart->msr_delta;
		uart->msr_delta = 0;
		break;
	case UART_SCR:
		value = uart->scr;
		break;
	}
	return value;
}

void uart16550_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t size, bool is_write)
{
	struct uart16550 *uart = opaque;
	pthread_mutex_lock(&uart->lock);
	/* Wider accesses hit consecutive registers, as on an 8-bit bus. */
	for (uint32_t i = 0; i < size; i++) {
		uint64_t reg = offset + i;
		if (reg >= UART_NR_REGS) {
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		if (is_write)
			reg_write(uart, (unsigned)reg, data[i]);
		else
			data[i] = reg_read(uart, (unsigned)reg);
	}
	update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

int uart16550_receive(struct uart16550 *uart, const uint8_t *bytes, int n)
{
	pthread_mutex_lock(&uart->lock);
	int taken = 0;
	/* In loopback the line is disconnected from the outside world. */
	if (uart->listening && !(uart->mcr & UART_MCR_LOOP)) {
		while (taken < n && uart->rx_count < rx_capacity(uart))
			rx_push(uart, bytes[taken++]);
		update_irq(uart);
	}
	pthread_mutex_unlock(&uart->lock);
	return taken;
}

void uart16550_wait_rx_space(struct uart16550 *uart, int timeout_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&uart->lock);
	while (!uart->listening || uart->rx_count >= rx_capacity(uart) ||
	       (uart->mcr & UART_MCR_LOOP)) {
		if (pthread_cond_timedwait(&uart->rx_space, &uart->lock, &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&uart->lock);
}

void uart16550_save(struct uart16550 *uart, struct uart16550_state *state)
{
	pthread_mutex_lock(&uart->lock);
	*state = (struct uart16550_state){
	    .ier = uart->ier,
	    .lcr = uart->lcr,
	    .mcr = uart->mcr,
	    .fcr = uart->fcr,
	    .scr = uart->scr,
	    .dll = uart->dll,
	    .dlm = uart->dlm,
	    .lsr_errors = uart->lsr_errors,
	    .msr_delta = uart->msr_delta,
	    .thri_pending = uart->thri_pending,
	    .irq_level = uart->irq_level,
	    .listening = uart->listening,
	    .rx_head = (uint8_t)uart->rx_head,
	    .rx_count = (uint8_t)uart->rx_count,
	};
	memcpy(state->rx_fifo, uart->rx_fifo, sizeof(state->rx_fifo));
	pthread_mutex_unlock(&uart->lock);
}

int uart16550_load(struct uart16550 *uart, const struct uart16550_state *state)
{
	if (state->rx_head >= UART_FIFO_SIZE || state->rx_count > UART_FIFO_SIZE)
		return -1;
	pthread_mutex_lock(&uart->lock);
	uart->ier = state->ier;
	uart->lcr = state->lcr;
	uart->mcr = state->mcr;
	uart->fcr = state->fcr;
	uart->scr = state->scr;
	uart->dll = state->dll;
	uart->dlm = state->dlm;
	uart->lsr_errors = state->lsr_errors;
	uart->msr_delta = state->msr_delta;
	uart->thri_pending = state->thri_pending != 0;
	/* The line's level is part of the irqchip's own state, restored with
	 * it: remember it, do not raise it again. */
	uart->irq_level = state->irq_level != 0;
	uart->listening = state->listening != 0;
	uart->rx_head = state->rx_head;
	uart->rx_count = state->rx_count;
	memcpy(uart->rx_fifo, state->rx_fifo, sizeof(uart->rx_fifo));
	pthread_mutex_unlock(&uart->lock);
	return 0;
}
