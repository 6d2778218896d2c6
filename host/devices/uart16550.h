/* SPDX-License-Identifier: MIT */
/*
 * uart16550.h - a 16550A serial port, the console every x86 kernel knows.
 *
 * The register model follows the 16550A datasheet: divisor latch behind
 * LCR.DLAB, IER/IIR/FCR/LCR/MCR/LSR/MSR/SCR, a 16-byte receive FIFO (one
 * byte when FCR disables the FIFOs), loopback, and the four interrupt
 * sources in their priority order (line status, received data, THR empty,
 * modem status).  Bytes written to THR leave at once (there is no baud
 * rate to wait for), so LSR always says THR empty and transmitter empty,
 * and each THR write re-arms the THR-empty interrupt.
 *
 * The interrupt line is the OR of the enabled pending sources; like QEMU we
 * do not gate it with MCR.OUT2, so guests that forget OUT2 still work.
 *
 * Two threads touch a port: the vCPU thread (register accesses) and the
 * console input thread (received bytes), so every entry point takes the
 * port's lock.  Callbacks run with the lock held.
 */
#ifndef PVKIT_HOST_DEVICES_UART16550_H
#define PVKIT_HOST_DEVICES_UART16550_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define UART_COM1_PORT 0x3f8
#define UART_COM1_IRQ  4
#define UART_NR_REGS   8
#define UART_FIFO_SIZE 16

/* Register offsets. */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1 /* DLAB=0 */
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI  0x01 /* received data available */
#define UART_IER_THRI 0x02 /* THR empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_FIFOS	0xc0 /* FIFOs enabled */

#define UART_FCR_ENABLE	  0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR   0x01 /* data ready */
#define UART_LSR_OE   0x02 /* overrun */
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

struct uart16550_ops {
	void (*transmit)(void *ctx, uint8_t byte);
	void (*set_irq)(void *ctx, bool level);
	void *ctx;
};

struct uart16550 {
	pthread_mutex_t lock;
	pthread_cond_t rx_space; /* signalled when the guest drains the FIFO */
	struct uart16550_ops ops;

	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	uint8_t lsr_errors; /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr_delta;  /* MSR delta bits, cleared by reading MSR */
	bool thri_pending;  /* THR-empty interrupt armed */
	bool irq_level;	    /* what was last sent to set_irq */
	bool listening;	    /* the guest has shown it reads input (see below) */

	uint8_t rx_fifo[UART_FIFO_SIZE];
	int rx_head, rx_count;

	uint64_t tx_bytes; /* statistics */
};

void uart16550_init(struct uart16550 *uart, const struct uart16550_ops *ops);
void uart16550_destroy(struct uart16550 *uart);

/* One register access from the guest (an io_bus handler; offset 0..7). */
void uart16550_io(void *uart, uint64_t offset, uint8_t *data, uint32_t size, bool is_write);

/*
 * Bytes arriving on the wire (host input).  Takes as many as the receive
 * FIFO has room for and returns that count; never blocks.
 *
 * Nothing is taken until the guest first reads RBR or LSR or enables the
 * received-data interrupt: a driver resets the FIFOs while it sets the port
 * up, and bytes that arrived before would be thrown away (as on hardware).
 * Holding them on the host side until the guest listens loses nothing.
 */
int uart16550_receive(struct uart16550 *uart, const uint8_t *bytes, int n);

/* Block until the receive FIFO has room or `timeout_ms` passes. */
void uart16550_wait_rx_space(struct uart16550 *uart, int timeout_ms);

/*
 * The port's registers and receive FIFO as a snapshot keeps them
 * (host/machine_state.c, docs/snapshot.md): fixed-width fields, version 1.
 */
struct uart16550_state {
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm, lsr_errors;
	uint8_t msr_delta, thri_pending, irq_level, listening;
	uint8_t rx_head, rx_count, reserved[2];
	uint8_t rx_fifo[UART_FIFO_SIZE];
};

void uart16550_save(struct uart16550 *uart, struct uart16550_state *state);
/* -1 if `state` is not one a port can be in (a FIFO index out of range). */
int uart16550_load(struct uart16550 *uart, const struct uart16550_state *state);

#endif
