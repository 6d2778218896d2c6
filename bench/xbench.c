// SPDX-License-Identifier: MIT
/*
 * xbench - the Linux-guest workloads of the Xen PV rows of `make bench`
 * (bench/run-bench.sh, BENCH_ONLY=xen), one static program run the same
 * way in the guest's initramfs and on the host, so that the two numbers
 * differ only by where they ran:
 *
 *	xbench getpid N		N getpid() system calls: ns per call
 *	xbench forkexec N	N x fork + exec of this program ("xbench exit",
 *				through /proc/self/exe)
 *				+ wait: us per process
 *	xbench pagefault MIB	first touch of MIB MiB of fresh anonymous
 *				memory, 4 KiB pages (no huge pages): ns per fault
 *	xbench cpu N		N rounds of a dependent integer loop: ms
 *	xbench clock N		N clock_gettime(CLOCK_MONOTONIC): ns per call
 *				(the vDSO's, a system call where it has no clock)
 *	xbench all		the five, with the sizes run-bench.sh uses
 *	xbench now		CLOCK_MONOTONIC in ns (for timing a script)
 *	xbench exit		exit 0 at once (what forkexec runs)
 *
 * Output: one line "xenbench: NAME VALUE" per measurement, the best of
 * three batches (a loaded machine only ever adds time).
 * Built with gcc -static (bench/build.mk): the initramfs has no libc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCHES 3

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* This program again, for forkexec: the exec reads it from the file
 * system as a fresh static binary would be (/proc is mounted in the guest). */
static const char self[] = "/proc/self/exe";

static double getpid_batch(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid); /* glibc's getpid() is not cached, but be sure */
	return (now_ns() - t0) / (double)n;
}

static double forkexec_batch(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("xbench: fork");
			exit(1);
		}
		if (pid == 0) {
			execl(self, self, "exit", (char *)NULL);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "xbench: %s exit did not exit 0\n", self);
			exit(1);
		}
	}
	return (now_ns() - t0) / (double)n / 1e3;
}

static double pagefault_batch(long mib)
{
	size_t size = (size_t)mib << 20;
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("xbench: mmap");
		exit(1);
	}
	madvise(p, size, MADV_NOHUGEPAGE); /* one fault per 4 KiB page, host and guest alike */
	double t0 = now_ns();
	for (size_t off = 0; off < size; off += 4096)
		p[off] = 1;
	double ns = (now_ns() - t0) / (double)(size / 4096);
	munmap(p, size);
	return ns;
}

static double cpu_batch(long n)
{
	uint64_t x = 88172645463325252ull;
	double t0 = now_ns();
	for (long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	double ms = (now_ns() - t0) / 1e6;
	if (x == 0) /* keeps the loop; never true for this seed */
		puts("xbench: impossible");
	return ms;
}

static double clock_batch(long n)
{
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		now_ns();
	return (now_ns() - t0) / (double)n;
}

static void best_of(const char *name, double (*batch)(long), long n)
{
	double best = 1e300;
	for (int i = 0; i < BATCHES; i++) {
		double v = batch(n);
		best = v < best ? v : best;
	}
	printf("xenbench: %s %.3f\n", name, best);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	if (!strcmp(what, "exit"))
		return 0;
	if (!strcmp(what, "now")) {
		printf("%.0f\n", now_ns());
		return 0;
	}
	int all = !strcmp(what, "all");
	if (all || !strcmp(what, "getpid"))
		best_of("getpid_ns", getpid_batch, all ? 20000 : n);
	if (all || !strcmp(what, "forkexec"))
		best_of("forkexec_us", forkexec_batch, all ? 100 : n);
	if (all || !strcmp(what, "pagefault"))
		best_of("pagefault_ns", pagefault_batch, all ? 16 : n);
	if (all || !strcmp(what, "cpu"))
		best_of("cpu_ms", cpu_batch, all ? 50000000 : n);
	if (all || !strcmp(what, "clock"))
		best_of("clock_ns", clock_batch, all ? 20000 : n);
	if (!all && strcmp(what, "getpid") && strcmp(what, "forkexec") &&
	    strcmp(what, "pagefault") && strcmp(what, "cpu") && strcmp(what, "clock")) {
		fprintf(stderr,
			"usage: xbench getpid|forkexec|pagefault|cpu|clock N | all | now | exit\n");
		return 2;
	}
	return 0;
}
