/* SPDX-License-Identifier: MIT */
/*
 * log.h - how pvkit talks to the user on stderr.
 *
 * Every message is one line starting with "pvkit: ".  Debug messages appear
 * only with --debug; they are for the rare event (an unknown port, a failed
 * guest access), never for the hot path.
 */
#ifndef PVKIT_HOST_LOG_H
#define PVKIT_HOST_LOG_H

#include <stdbool.h>

extern bool log_debug_enabled;

/* "pvkit: " + message + newline on stderr. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Same, only when --debug was given. */
/*
 * The last line log_msg() printed on this thread, without "pvkit: ": what
 * the control socket sends back when an operation it asked for failed.
 */
const char *log_last_msg(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
