// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <ucontext.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "seccomp.h"
#include "terminal.h"

/*
 * What a call outside the list gets.  To find a call a new code path needs,
 * build with -DSECCOMP_DEFAULT_ACTION=SCMP_ACT_LOG, run, and read the
 * kernel log ("audit: type=1326 ... syscall=N"); never ship that.
 */
#ifndef SECCOMP_DEFAULT_ACTION
#define SECCOMP_DEFAULT_ACTION SCMP_ACT_TRAP
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_RUNTIME 1
#endif
#endif
#ifndef SANITIZER_RUNTIME
#define SANITIZER_RUNTIME 0
#endif

/* Calls allowed whatever their arguments, and why the run loop needs them. */
static const struct {
	int nr;
	const char *why;
} allowed_calls[] = {
    {SCMP_SYS(read), "stdin thread; eventfd reads (HALT's input event)"},
    {SCMP_SYS(write), "console output, eventfd signals, log lines"},
    {SCMP_SYS(poll), "stdin thread waits for input or stop"},
    {SCMP_SYS(ppoll), "HALT hypercall sleeps until deadline or input"},
    {SCMP_SYS(futex), "UART and console locks, condition variables, thread join"},
    {SCMP_SYS(clock_gettime), "hypercall clocks when the vDSO falls back"},
    {SCMP_SYS(gettimeofday), "same, older vDSO fallback"},
    {SCMP_SYS(timer_create), "--timeout timer, armed by run_loop()"},
    {SCMP_SYS(timer_settime), "--timeout timer"},
    {SCMP_SYS(timer_delete), "--timeout timer"},
    {SCMP_SYS(rt_sigaction), "--timeout's SIGALRM handler"},
    {SCMP_SYS(rt_sigprocmask), "thread exit, libc internals"},
    {SCMP_SYS(rt_sigreturn), "return from the SIGALRM handler"},
    {SCMP_SYS(restart_syscall), "a wait interrupted by a signal resumes"},
    {SCMP_SYS(gettid), "--timeout timer's target thread; SIGSYS report"},
    {SCMP_SYS(getpid), "SIGSYS report"},
    {SCMP_SYS(brk), "malloc"},
    {SCMP_SYS(munmap), "free, teardown of RAM and kvm_run"},
    {SCMP_SYS(mremap), "realloc"},
    {SCMP_SYS(madvise), "free, thread stack release at thread exit"},
    {SCMP_SYS(close), "teardown"},
    {SCMP_SYS(exit), "the stdin thread ends"},
    /* The stdin thread may still be starting when the filter goes on (TSYNC
     * covers it): its first calls in glibc's thread start. */
    {SCMP_SYS(set_robust_list), "a new thread's first call (glibc)"},
    {SCMP_SYS(rseq), "a new thread's first call (glibc)"},
    {SCMP_SYS(exit_group), "pvkit ends"},
};

/* The KVM requests the run loop makes (ioctl's second argument). */
static const struct {
	unsigned long request;
	const char *why;
} allowed_ioctls[] = {
    {KVM_RUN, "run the vCPU"},
    {KVM_GET_REGS, "hypercall registers without sync regs; RIP for messages"},
    {KVM_SET_REGS, "hypercall result without sync regs"},
    {KVM_GET_MSRS, "guest TSC for the time page"},
    {KVM_IRQ_LINE, "UART interrupt line"},
    {KVM_GET_SREGS, "emulation assist: CS base of the faulting instruction"},
    {KVM_TRANSLATE, "emulation assist: the instruction's guest-physical address"},
    {KVM_GET_VCPU_EVENTS, "emulation assist: raise #BP for int3"},
    {KVM_SET_VCPU_EVENTS, "emulation assist: raise #BP for int3"},
    {KVM_GET_FPU, "emulation assist: x87 status for fwait"},
    {TCGETS, "tcsetattr() reads the terminal's settings back (host/terminal.h)"},
    {TCSETS, "the user's terminal settings back at exit (host/terminal.h)"},
};

/*
 * What writing a snapshot adds (host/snapshot.c), only in runs that may
 * take one (--snapshot-after, --api-socket): two new files under a
 * temporary name, renamed into place, and the KVM state they hold.
 */
static const struct {
	int nr;
	const char *why;
} snapshot_calls[] = {
    {SCMP_SYS(openat), "the snapshot's temporary files"},
    {SCMP_SYS(ftruncate), "the memory file's size (holes where RAM is zero)"},
    {SCMP_SYS(pwrite64), "the memory file's pages, the state file"},
    {SCMP_SYS(rename), "temporary names into place"},
    {SCMP_SYS(renameat), "same, another libc"},
    {SCMP_SYS(renameat2), "same, another libc"},
    {SCMP_SYS(unlink), "a temporary file after a failure"},
    {SCMP_SYS(unlinkat), "same, another libc"},
    {SCMP_SYS(mincore), "which RAM pages the guest ever touched"},
    {SCMP_SYS(lseek), "a restored VM's memory file: where it holds data"},
    {SCMP_SYS(getrandom), "the snapshot id"},
};
static const struct {
	unsigned long request;
	const char *why;
} snapshot_ioctls[] = {
    {KVM_GET_XSAVE, "vCPU state"},
    {KVM_GET_XCRS, "vCPU state"},
    {KVM_GET_DEBUGREGS, "vCPU state"},
    {KVM_GET_LAPIC, "vCPU state"},
    {KVM_GET_MP_STATE, "vCPU state"},
    {KVM_GET_CPUID2, "the CPUID the guest sees"},
    {KVM_GET_MSR_INDEX_LIST, "the MSRs"},
    {KVM_GET_IRQCHIP, "PIC and IOAPIC"},
    {KVM_GET_PIT2, "the PIT"},
    {KVM_GET_CLOCK, "KVM's clock"},
};
/* The control socket's (host/api_socket.c): a connection at a time on the
 * listening socket made at set-up, read and written like any descriptor. */
static const struct {
	int nr;
	const char *why;
} api_socket_calls[] = {
    {SCMP_SYS(accept4), "the next client of the control socket"},
    {SCMP_SYS(shutdown), "the end of a response"},
};

/*
 * The sanitizer runtime's needs: LeakSanitizer's check at exit clones a
 * tracer task (CLONE_UNTRACED, not a thread) that ptrace-stops every thread
 * and lists /proc/self/task; an error report asks whether stderr is a
 * terminal (TCGETS), reads /proc/self/maps and the binary to symbolize, and
 * checks descriptors with fcntl.  Found with SECCOMP_DEFAULT_ACTION=
 * SCMP_ACT_LOG and by making test programs leak and overflow under the
 * filter (tests/unit/test_seccomp.c keeps the leak case).
 */
static const int sanitizer_calls[] = {
    SCMP_SYS(clone),	   SCMP_SYS(ptrace),	SCMP_SYS(wait4),
    SCMP_SYS(prctl),	   SCMP_SYS(openat),	SCMP_SYS(open),
    SCMP_SYS(getdents64),  SCMP_SYS(getdents),	SCMP_SYS(sched_yield),
    SCMP_SYS(sigaltstack), SCMP_SYS(readlink),	SCMP_SYS(readlinkat),
    SCMP_SYS(pread64),	   SCMP_SYS(lseek),	SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),  SCMP_SYS(getppid),	SCMP_SYS(sched_getaffinity),
    SCMP_SYS(mprotect),	   SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
    SCMP_SYS(kill),	   SCMP_SYS(fcntl),
};

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
	if (info->si_syscall == SCMP_SYS(ioctl) && ucontext) {
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

#define ALLOW_ALL(ctx, list)                                                                       \
	for (size_t i_ = 0; i_ < sizeof(list) / sizeof(list[0]); i_++) {                           \
		int rc_ = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i_].nr, 0);                   \
		if (rc_ < 0)                                                                       \
			return rc_;                                                                \
	}
#define ALLOW_IOCTLS(ctx, list)                                                                    \
	for (size_t i_ = 0; i_ < sizeof(list) / sizeof(list[0]); i_++) {                           \
		int rc_ = seccomp_rule_add(                                                        \
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,                                       \
		    SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, list[i_].request));                \
		if (rc_ < 0)                                                                       \
			return rc_;                                                                \
	}

static int add_extra_rules(scmp_filter_ctx ctx, unsigned extras)
{
	if (extras & SECCOMP_RUN_SNAPSHOTS) {
		ALLOW_ALL(ctx, snapshot_calls);
		ALLOW_IOCTLS(ctx, snapshot_ioctls);
	}
	if (extras & SECCOMP_RUN_API_SOCKET) {
		ALLOW_ALL(ctx, api_socket_calls);
		/* The control thread wakes the vCPU thread to pause it. */
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
					  SCMP_A2_64(SCMP_CMP_EQ, SIGUSR1, 0));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx)
{
	int rc;
	for (size_t i = 0; i < sizeof(allowed_calls) / sizeof(allowed_calls[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_calls[i].nr, 0);
		if (rc < 0)
			return rc;
	}
	/* The kernel takes ioctl's request as 32 bits: compare only those. */
	for (size_t i = 0; i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]); i++) {
		rc = seccomp_rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, allowed_ioctls[i].request));
		if (rc < 0)
			return rc;
	}
	/* Memory yes, code no: mmap and mprotect only without PROT_EXEC. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			      SCMP_A2_64(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc < 0)
		return rc;
	/* The SIGSYS report kills its own thread, nothing else. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			      SCMP_A2_64(SCMP_CMP_EQ, SIGSYS, 0));
	if (rc < 0)
		return rc;
	/* `^A x` on a raw terminal: the input thread interrupts the vCPU thread. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 2,
			      SCMP_A0_64(SCMP_CMP_EQ, (uint64_t)getpid(), 0),
			      SCMP_A1_64(SCMP_CMP_EQ, SIGINT, 0));
	if (rc < 0)
		return rc;
	if (SANITIZER_RUNTIME) {
		for (size_t i = 0; i < sizeof(sanitizer_calls) / sizeof(sanitizer_calls[0]); i++) {
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_calls[i], 0);
			if (rc < 0)
				return rc;
		}
		/* isatty(stderr) before a report: colours or not. */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, TCGETS));
		if (rc < 0)
			return rc;
	} else {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2_64(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * The load filter's deny list: ways out of the process a parser bug could
 * use, none of which loading a kernel or setting up KVM needs.
 */
static const int load_denied_calls[] = {
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(socket),
    SCMP_SYS(socketpair),
    SCMP_SYS(connect),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(io_uring_setup),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(personality),
    SCMP_SYS(memfd_create),
};

static int add_load_rules(scmp_filter_ctx ctx, unsigned extras)
{
	int rc;
	for (size_t i = 0; i < sizeof(load_denied_calls) / sizeof(load_denied_calls[0]); i++) {
		/* The control thread may accept a client while set-up goes on. */
		if ((extras & SECCOMP_RUN_API_SOCKET) &&
		    (load_denied_calls[i] == SCMP_SYS(accept4) ||
		     load_denied_calls[i] == SCMP_SYS(accept)))
			continue;
		rc = seccomp_rule_add(ctx, SECCOMP_DEFAULT_ACTION, load_denied_calls[i], 0);
		if (rc < 0)
			return rc;
	}
	rc = seccomp_rule_add(ctx, SECCOMP_DEFAULT_ACTION, SCMP_SYS(mmap), 1,
			      SCMP_A2_64(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SECCOMP_DEFAULT_ACTION, SCMP_SYS(mprotect), 1,
				      SCMP_A2_64(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
	/* clone3 hides its flags in memory, where a filter cannot look: make
	 * it "not implemented" and glibc falls back to clone, which we see. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc < 0 || SANITIZER_RUNTIME)
		return rc;
	/* Threads yes (the stdin thread), processes no.  (LeakSanitizer's
	 * tracer is a process: sanitizer builds leave clone and ptrace.) */
	rc = seccomp_rule_add(ctx, SECCOMP_DEFAULT_ACTION, SCMP_SYS(clone), 1,
			      SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SECCOMP_DEFAULT_ACTION, SCMP_SYS(ptrace), 0);
	return rc;
}

int seccomp_install_load_filter(void)
{
	return seccomp_install_load_filter_with(0);
}

int seccomp_install_load_filter_with(unsigned extras)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		log_msg("seccomp: cannot create a filter");
		return -1;
	}
	int rc = add_load_rules(ctx, extras);
	if (rc == 0 && install_report_handler() < 0)
		rc = -errno;
	if (rc == 0) {
		filter_stage = "while loading";
		rc = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	if (rc < 0) {
		log_msg("seccomp: cannot install the loading filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

int seccomp_install_run_filter(void)
{
	return seccomp_install_run_filter_with(0);
}

int seccomp_install_run_filter_with(unsigned extras)
{
	scmp_filter_ctx ctx = seccomp_init(SECCOMP_DEFAULT_ACTION);
	if (!ctx) {
		log_msg("seccomp: cannot create a filter");
		return -1;
	}
	/* Every thread, the stdin thread included, gets the same filter. */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = add_rules(ctx);
	if (rc == 0)
		rc = add_extra_rules(ctx, extras);
	if (rc == 0 && install_report_handler() < 0)
		rc = -errno;
	if (rc == 0) {
		filter_stage = "after set-up";
		rc = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	if (rc < 0) {
		log_msg("seccomp: cannot install the run-loop filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
