// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "seccomp.h"
#include "teardown.h"

/*
 * The helper shares pvkit's memory, and with it the thread pointer of the
 * thread that cloned it (no CLONE_SETTLS): it must not touch libc state
 * (errno, locks, the sanitizers' per-thread data).  It makes its system
 * calls itself, and runs uninstrumented.
 */
#define HELPER_CODE __attribute__((no_sanitize("address", "undefined"), noinline))

static struct {
	pid_t parent;
	int parent_pidfd; /* readable once all of pvkit's threads have exited */
	bool started;
} helper;

/* The helper's stack: it only ever makes a few system calls. */
static _Alignas(64) unsigned char helper_stack[16384];

HELPER_CODE static long helper_syscall(long nr, long a0, long a1, long a2, long a3)
{
	long ret;
	register long r10 __asm__("r10") = a3;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

HELPER_CODE static int helper_main(void *unused)
{
	(void)unused;
	/* No signal but SIGKILL may end it early or run code in it. */
	uint64_t all = ~0ull;
	helper_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, sizeof(all));
	/*
	 * Go when all of pvkit's threads are gone, KVM's worker thread of the
	 * VM (kvm-nx-lpage-recovery, a thread of pvkit's) included: whichever
	 * task lets go of the memory last pays for unmapping it, an SRCU grace
	 * period of the MMU notifiers, and that must be the helper.
	 */
	if (helper.parent_pidfd >= 0) {
		struct pollfd exited = {.fd = helper.parent_pidfd, .events = POLLIN};
		while (helper_syscall(SYS_poll, (long)&exited, 1, -1, 0) != 1)
			;
		helper_syscall(SYS_exit, 0, 0, 0, 0);
	}
	/* No pidfds (Linux before 5.3): killed when the thread that cloned it
	 * (the vCPU thread, the last of pvkit's own) exits, or now if it has. */
	helper_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
	if (helper_syscall(SYS_getppid, 0, 0, 0, 0) != helper.parent)
		helper_syscall(SYS_exit, 0, 0, 0, 0);
	for (;;)
		helper_syscall(SYS_pause, 0, 0, 0, 0);
	return 0;
}

int teardown_helper_start(void)
{
	/* LeakSanitizer's check at exit stops every thread of the process with
	 * ptrace, KVM's worker thread of a live VM included, and hangs there:
	 * a sanitizer build tears its VM down itself, before that check. */
	if (seccomp_sanitizer_build())
		return -1;
	helper.parent = getpid();
	helper.parent_pidfd = (int)syscall(SYS_pidfd_open, helper.parent, 0);
	pid_t pid = clone(helper_main, helper_stack + sizeof(helper_stack),
			  TEARDOWN_HELPER_CLONE_FLAGS, NULL);
	if (pid < 0) {
		log_debug("teardown helper: clone: %s (the VM is torn down before pvkit exits)",
			  strerror(errno));
		return -1;
	}
	helper.started = true;
	return 0;
}

void teardown_helper_release_stdio(void)
{
	if (!helper.started)
		return;
	fflush(NULL);
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	close(STDERR_FILENO);
}

bool teardown_helper_running(void)
{
	return helper.started;
}
