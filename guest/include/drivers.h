/* SPDX-License-Identifier: MIT */
/* drivers.h - the PC devices the native backend (and partly pvkit) drive. */
#ifndef PVKERNEL_DRIVERS_H
#define PVKERNEL_DRIVERS_H

#include "kernel.h"

/* 8250/16550 UART on COM1, polled. */
void uart_init(void);
int uart_write(const char *buf, size_t len);

/* 8259 PICs: moved off the exception vectors and masked (we use the LAPIC). */
void pic_disable(void);

/* 8254 PIT channel 2: measure the TSC frequency.  Returns kHz or 0. */
uint64_t pit_measure_tsc_khz(void);

/* CMOS RTC: wall clock in ns since 1970 at the moment of the call, 0 if none. */
uint64_t rtc_read_unix_ns(void);

/* Local APIC (xAPIC, MMIO) timer, calibrated against a nanosecond clock. */
int lapic_timer_start(uint32_t hz, uint8_t vector, uint64_t (*clock_ns)(void));
void lapic_timer_stop(void);
void lapic_eoi(void);
uint64_t lapic_base(void);
/* The EOI register's address, for code that cannot call lapic_eoi (pvm's
 * CPL0 timer stub); 0 if there is no LAPIC. */
uint64_t lapic_eoi_register(void);

/* isa-debug-exit / pvkit's debug exit port. */
#define DEBUG_EXIT_PORT 0xf4

#endif
