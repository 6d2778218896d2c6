/* SPDX-License-Identifier: MIT */
/*
 * uart8250.c - polled output on the PC's first serial port (COM1, 0x3f8).
 *
 * With the FIFO on, LSR.THRE set means the 16-byte transmit FIFO is empty,
 * so one status read allows 16 writes: one exit in 17 is a status poll,
 * the rest are the data bytes themselves -- the floor for a UART, and what
 * the pvkit console call is measured against.
 */
#include "drivers.h"
#include "x86.h"

#define COM1	   0x3f8
#define UART_THR   0
#define UART_IER   1
#define UART_FCR   2
#define UART_LCR   3
#define UART_MCR   4
#define UART_LSR   5
#define UART_DLL   0
#define UART_DLM   1
#define LSR_THRE   0x20
#define FIFO_DEPTH 16
#define POLL_LIMIT 100000

static bool uart_ready;

void uart_init(void)
{
	outb(COM1 + UART_IER, 0x00); /* polled: no interrupts */
	outb(COM1 + UART_LCR, 0x80); /* divisor latch */
	outb(COM1 + UART_DLL, 0x01); /* 115200 baud */
	outb(COM1 + UART_DLM, 0x00);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0x07); /* FIFO on, both cleared */
	outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
	uart_ready = true;
}

int uart_write(const char *buf, size_t len)
{
	if (!uart_ready)
		uart_init();
	unsigned room = 0;
	for (size_t i = 0; i < len; i++) {
		if (room == 0) {
			unsigned n = 0;
			while (!(inb(COM1 + UART_LSR) & LSR_THRE))
				if (++n == POLL_LIMIT)
					return -1; /* no UART there: drop output */
			room = FIFO_DEPTH;
		}
		outb(COM1 + UART_THR, (uint8_t)buf[i]);
		room--;
	}
	return 0;
}
