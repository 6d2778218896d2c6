// SPDX-License-Identifier: MIT
/*
 * The rules of pvkit's two seccomp filters, compiled by libseccomp when
 * pvkit is built (host/seccomp-gen/main.c), not each time it starts.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/sanitizer.h"
#include "host/seccomp.h"
#include "host/teardown.h"
#include "rules.h"

/*
 * What a call outside the list gets.  To find a call a new code path needs,
 * build with -DSECCOMP_DEFAULT_ACTION=SCMP_ACT_LOG, run, and read the
 * kernel log ("audit: type=1326 ... syscall=N"); never ship that.
 */
#ifndef SECCOMP_DEFAULT_ACTION
#define SECCOMP_DEFAULT_ACTION SCMP_ACT_TRAP
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
 * take one (SECCOMP_RUN_SNAPSHOTS: --snapshot-after, --api-socket): two new
 * files under a temporary name, renamed into place, and the KVM state they
 * hold.
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
/* The control socket's (host/api_socket.c, SECCOMP_RUN_API_SOCKET): a
 * connection at a time on the listening socket made at set-up, read and
 * written like any descriptor. */
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

/* Allow every call of `list` (an array of {nr, why}) whatever its arguments. */
#define ALLOW_CALLS(ctx, list)                                                                     \
	for (size_t i_ = 0; i_ < sizeof(list) / sizeof(list[0]); i_++) {                           \
		int rc_ = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i_].nr, 0);                   \
		if (rc_ < 0)                                                                       \
			return rc_;                                                                \
	}
/* Allow ioctl with each request of `list` (an array of {request, why}).  The
 * kernel takes ioctl's request as 32 bits: compare only those. */
#define ALLOW_IOCTLS(ctx, list)                                                                    \
	for (size_t i_ = 0; i_ < sizeof(list) / sizeof(list[0]); i_++) {                           \
		int rc_ = seccomp_rule_add(                                                        \
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,                                       \
		    SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, list[i_].request));                \
		if (rc_ < 0)                                                                       \
			return rc_;                                                                \
	}

/* What `extras` (SECCOMP_RUN_*) adds to the run filter, and nothing more. */
static int add_extra_run_rules(scmp_filter_ctx ctx, unsigned extras)
{
	if (extras & SECCOMP_RUN_SNAPSHOTS) {
		ALLOW_CALLS(ctx, snapshot_calls);
		ALLOW_IOCTLS(ctx, snapshot_ioctls);
	}
	if (extras & SECCOMP_RUN_API_SOCKET) {
		ALLOW_CALLS(ctx, api_socket_calls);
		/* The control thread wakes the vCPU thread to pause it. */
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
					  SCMP_A2_64(SCMP_CMP_EQ, SIGUSR1, 0));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_run_rules(scmp_filter_ctx ctx, unsigned extras)
{
	int rc;
	ALLOW_CALLS(ctx, allowed_calls);
	ALLOW_IOCTLS(ctx, allowed_ioctls);
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
			      SCMP_A0_64(SCMP_CMP_EQ, SECCOMP_PID_PLACEHOLDER, 0),
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
	return add_extra_run_rules(ctx, extras);
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

/*
 * Deny clone() unless CLONE_THREAD is set or the flags are exactly
 * TEARDOWN_HELPER_CLONE_FLAGS.  A rule compares an argument once, so "not
 * a thread and not those flags" is written as one rule per flag bit: not a
 * thread, and that bit differs from the helper's.  The kernel reads only
 * the low 32 bits of clone()'s flags; so does each rule.
 */
static int deny_processes_but_teardown_helper(scmp_filter_ctx ctx)
{
	for (int bit = 0; bit < 32; bit++) {
		uint32_t b = 1u << bit;
		if (b == CLONE_THREAD)
			continue;
		uint32_t differs = (TEARDOWN_HELPER_CLONE_FLAGS & b) ^ b;
		int rc =
		    seccomp_rule_add(ctx, SECCOMP_DEFAULT_ACTION, SCMP_SYS(clone), 1,
				     SCMP_A0_32(SCMP_CMP_MASKED_EQ, CLONE_THREAD | b, differs));
		if (rc < 0)
			return rc;
	}
	return 0;
}

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
	/* Threads yes (the stdin thread), processes no, but for the teardown
	 * helper's one exact set of flags (host/teardown.h: it shares pvkit's
	 * memory and only sleeps).  (LeakSanitizer's tracer is a process:
	 * sanitizer builds leave clone and ptrace.) */
	rc = deny_processes_but_teardown_helper(ctx);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SECCOMP_DEFAULT_ACTION, SCMP_SYS(ptrace), 0);
	return rc;
}

/* A filter with `default_action` and the rules `add` adds for `extras`, or NULL. */
static scmp_filter_ctx build(uint32_t default_action, int (*add)(scmp_filter_ctx, unsigned),
			     unsigned extras)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (ctx && add(ctx, extras) < 0) {
		seccomp_release(ctx);
		ctx = NULL;
	}
	return ctx;
}

scmp_filter_ctx seccomp_rules_load(unsigned extras)
{
	return build(SCMP_ACT_ALLOW, add_load_rules, extras);
}

scmp_filter_ctx seccomp_rules_run(unsigned extras)
{
	return build(SECCOMP_DEFAULT_ACTION, add_run_rules, extras);
}
