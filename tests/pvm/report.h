/* SPDX-License-Identifier: MIT */
/*
 * report.h - how an experiment reports: measured values and checks, one per
 * line, which tests/boot/pvm_experiments.sh turns into TAP.
 *
 *   value NAME NUMBER UNIT [comment]
 *   check ok|fail DESCRIPTION
 *   note TEXT
 */
#ifndef PVM_REPORT_H
#define PVM_REPORT_H

#include <stdbool.h>

void report_value(const char *name, double value, const char *unit, const char *comment);
/* Returns cond, so callers can stop early on a failed precondition. */
bool report_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int report_failures(void);

#endif
