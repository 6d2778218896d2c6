// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "log.h"
#include "seccomp.h"
#include "sanitizer.h"
#include "seccomp_program.h"
#include "terminal.h"

bool seccomp_sanitizer_build(void)
{
	return SANITIZER_RUNTIME;
}

/* Which filter was installed last, for the SIGSYS report. */
static const char *volatile filter_stage = "after set-up";

/* Async-signal-safe decimal. */
static size_t put_number(char *p, unsigned long n)
{
	char digits[24];
	size_t len = 0;
	do {
		digits[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	for (size_t i = 0; i < len; i++)
		p[i] = digits[len - 1 - i];
	return len;
}

/* Async-signal-safe hexadecimal with 0x. */
static size_t put_hex(char *p, unsigned long n)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t len = 0;
	do {
		tmp[len++] = digits[n & 0xf];
		n >>= 4;
	} while (n);
	p[0] = '0';
	p[1] = 'x';
	for (size_t i = 0; i < len; i++)
		p[2 + i] = tmp[len - 1 - i];
	return len + 2;
}

static void append(char *line, size_t *len, const char *s)
{
	size_t n = strlen(s);
	memcpy(line + *len, s, n);
	*len += n;
}

/*
 * SIGSYS from the filter: say which call, then die by SIGSYS.  Only
 * async-signal-safe steps, and only calls the filter allows (write, getpid,
 * gettid, tgkill with SIGSYS).  SA_RESETHAND made SIGSYS's action the
 * default again before we got here, SA_NODEFER left it unblocked.
 */
static void on_forbidden_call(int sig, siginfo_t *info, void *ucontext)
{
	char line[200];
	size_t len = 0;
	append(line, &len, "pvkit: system call ");
	len += put_number(line + len, (unsigned long)info->si_syscall);
	/* For ioctl the request is what matters: a new KVM request in the run
	 * loop belongs in allowed_ioctls.  It is still in RSI, the second
	 * argument register, in the context the kernel saved. */
	if (info->si_syscall == SYS_ioctl && ucontext) {
		const ucontext_t *uc = ucontext;
		append(line, &len, " (ioctl request ");
		len += put_hex(line + len, (unsigned long)uc->uc_mcontext.gregs[REG_RSI]);
		append(line, &len, ")");
	}
	append(line, &len, " is not allowed ");
	append(line, &len, filter_stage);
	append(line, &len, " (seccomp): stopped\n");
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
	terminal_restore();
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
	_exit(128 + sig); /* not reached */
}

static int install_report_handler(void)
{
	struct sigaction sa = {.sa_sigaction = on_forbidden_call};
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL);
}

/*
 * Install `program` (host/seccomp_program.h) on this thread, or with TSYNC
 * on all of them; the run filter's pid placeholder becomes our pid.  What
 * libseccomp's seccomp_load() did: no_new_privs, then seccomp().
 */
static int install(const struct seccomp_program *program, unsigned int flags, const char *stage,
		   const char *what)
{
	struct sock_filter *code = malloc(program->len * sizeof(*code));
	if (!code) {
		log_msg("seccomp: cannot install the %s: out of memory", what);
		return -1;
	}
	memcpy(code, program->code, program->len * sizeof(*code));
	for (unsigned i = 0; i < program->len; i++)
		if (code[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
		    code[i].k == SECCOMP_PID_PLACEHOLDER)
			code[i].k = (uint32_t)getpid();
	struct sock_fprog fprog = {.len = program->len, .filter = code};
	long rc = install_report_handler();
	if (rc == 0)
		rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (rc == 0) {
		filter_stage = stage;
		/* With TSYNC, a positive result names a thread that could not
		 * take the filter. */
		rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
		if (rc > 0)
			errno = ESRCH;
	}
	free(code);
	if (rc != 0) {
		log_msg("seccomp: cannot install the %s: %s", what, strerror(errno));
		return -1;
	}
	return 0;
}

int seccomp_install_load_filter(void)
{
	return seccomp_install_load_filter_with(0);
}

int seccomp_install_load_filter_with(unsigned extras)
{
	return install(&seccomp_load_programs[extras & SECCOMP_RUN_EXTRAS], 0, "while loading",
		       "loading filter");
}

int seccomp_install_run_filter(void)
{
	return seccomp_install_run_filter_with(0);
}

int seccomp_install_run_filter_with(unsigned extras)
{
	/* Every thread, the stdin thread included, gets the same filter. */
	return install(&seccomp_run_programs[extras & SECCOMP_RUN_EXTRAS],
		       SECCOMP_FILTER_FLAG_TSYNC, "after set-up", "run-loop filter");
}
