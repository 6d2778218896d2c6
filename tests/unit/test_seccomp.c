// SPDX-License-Identifier: MIT
/*
 * The run-loop seccomp filter, the looser loading filter before it, and the
 * process limits, each installed in a forked child (a filter cannot be removed, so never in the
 * test process): what the run loop does still works; what it never does (a socket, a file, exec, a
 * thread, executable memory, a non-KVM ioctl) kills the child with SIGSYS after the one-line
 * report; the filter reaches threads started before it (TSYNC); the rlimits leave no room for new
 * descriptors.
 *
 * This binary is built with ASan, so the filter here includes the calls
 * the sanitizer runtime needs (seccomp.c); build/pvkit's production filter
 * is exercised by tests/boot/hostile_limits.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/limits.h"
#include "host/seccomp.h"

/* What happened to a child: its wait status and what it wrote to stderr. */
struct outcome {
	int status;
	char err[16384];
};

/* Run `body` in a child whose stderr is captured; the child _exit()s with
 * what body returns (never running atexit handlers or LeakSanitizer). */
static struct outcome in_child(int (*body)(void))
{
	struct outcome o = {0};
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		close(p[1]);
		_exit(body());
	}
	close(p[1]);
	/* Read to the end (keeping what fits) so the child never gets SIGPIPE. */
	size_t len = 0;
	char chunk[4096];
	ssize_t n;
	while ((n = read(p[0], chunk, sizeof(chunk))) > 0) {
		size_t keep =
		    (size_t)n < sizeof(o.err) - 1 - len ? (size_t)n : sizeof(o.err) - 1 - len;
		memcpy(o.err + len, chunk, keep);
		len += keep;
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &o.status, 0), pid);
	return o;
}

static void assert_killed_by_sigsys_silently(const struct outcome *o)
{
	if (!WIFSIGNALED(o->status) || WTERMSIG(o->status) != SIGSYS)
		fail_msg("child not killed by SIGSYS (status 0x%x, stderr: %s)", o->status, o->err);
}

static void assert_killed_by_sigsys(const struct outcome *o, long nr)
{
	assert_killed_by_sigsys_silently(o);
	char expected[128];
	snprintf(expected, sizeof(expected),
		 "pvkit: system call %ld is not allowed after set-up (seccomp): stopped\n", nr);
	assert_string_equal(o->err, expected);
}

/* --- what the run loop does keeps working -------------------------------- */

static int run_loop_calls(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 11;
	void *mem = malloc(1 << 20); /* big enough to be an mmap */
	if (!mem)
		return 12;
	memset(mem, 1, 1 << 20);
	free(mem);
	/* A KVM request on a descriptor that is not a vCPU: allowed by the
	 * filter, refused by the kernel as usual. */
	errno = 0;
	if (ioctl(-1, KVM_RUN, 0) != -1 || errno != EBADF)
		return 13;
	/* The --timeout timer's calls. */
	timer_t timer;
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) < 0 || timer_delete(timer) < 0)
		return 14;
	if (write(STDERR_FILENO, "alive\n", 6) != 6)
		return 15;
	return 0;
}

static void allowed_calls_work(void **state)
{
	(void)state;
	struct outcome o = in_child(run_loop_calls);
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
		fail_msg("child status 0x%x, stderr: %s", o.status, o.err);
	assert_string_equal(o.err, "alive\n");
}

/* --- what it never does kills it ------------------------------------------- */

static int make_socket(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	socket(AF_INET, SOCK_STREAM, 0);
	return 0; /* not reached */
}

static void socket_kills(void **state)
{
	(void)state;
	struct outcome o = in_child(make_socket);
	assert_killed_by_sigsys(&o, SYS_socket);
}

static int exec_shell(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	char *argv[] = {"/bin/sh", "-c", "true", NULL};
	execv(argv[0], argv);
	return 0;
}

static void exec_kills(void **state)
{
	(void)state;
	struct outcome o = in_child(exec_shell);
	assert_killed_by_sigsys(&o, SYS_execve);
}

static int other_ioctl(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	int n;
	ioctl(STDERR_FILENO, FIONREAD, &n);
	return 0;
}

static void non_kvm_ioctl_kills(void **state)
{
	(void)state;
	struct outcome o = in_child(other_ioctl);
	assert_killed_by_sigsys_silently(&o);
	/* the report names the request, the part that needs deciding */
	char expected[128];
	snprintf(expected, sizeof(expected),
		 "pvkit: system call %d (ioctl request 0x%x) is not allowed after set-up "
		 "(seccomp): stopped\n",
		 SYS_ioctl, FIONREAD);
	assert_string_equal(o.err, expected);
}

static int executable_mapping(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static void executable_memory_kills(void **state)
{
	(void)state;
	struct outcome o = in_child(executable_mapping);
	assert_killed_by_sigsys(&o, SYS_mmap);
}

static void *idle_thread(void *arg)
{
	(void)arg;
	return NULL;
}

static int new_thread(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	pthread_t t;
	pthread_create(&t, NULL, idle_thread, NULL);
	return 0;
}

static void new_thread_kills(void **state)
{
	(void)state;
	struct outcome o = in_child(new_thread);
	/* glibc calls clone3 with every signal blocked, so the kernel kills
	 * the process without running the report handler. */
	assert_killed_by_sigsys_silently(&o);
}

/* A thread started before the filter (like pvkit's stdin thread) is under
 * it too: its forbidden call kills the whole process. */
static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go;

static void *socket_when_told(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&go_lock);
	while (!go)
		pthread_cond_wait(&go_cond, &go_lock);
	pthread_mutex_unlock(&go_lock);
	socket(AF_UNIX, SOCK_DGRAM, 0);
	return NULL;
}

static int other_thread_socket(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, socket_when_told, NULL))
		return 9;
	if (seccomp_install_run_filter() < 0)
		return 10;
	pthread_mutex_lock(&go_lock);
	go = 1;
	pthread_cond_signal(&go_cond);
	pthread_mutex_unlock(&go_lock);
	pthread_join(t, NULL);
	return 0; /* not reached: the process dies in the thread */
}

static void filter_covers_earlier_threads(void **state)
{
	(void)state;
	struct outcome o = in_child(other_thread_socket);
	assert_killed_by_sigsys(&o, SYS_socket);
}

static int open_file(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	open("/dev/null", O_RDONLY);
	return 0;
}

/* Production builds: no file can be opened.  Sanitizer builds (like this
 * test) allow openat, which the runtime needs to report an error. */
static void open_kills_in_production_builds(void **state)
{
	(void)state;
	struct outcome o = in_child(open_file);
	if (seccomp_sanitizer_build()) {
		if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
			fail_msg("child status 0x%x, stderr: %s", o.status, o.err);
		return;
	}
	assert_killed_by_sigsys(&o, SYS_openat);
}

/* --- the loading filter: set-up works, ways out do not ------------------- */

static void *return_arg(void *arg)
{
	return arg;
}

static int setup_under_load_filter(void)
{
	if (seccomp_install_load_filter() < 0)
		return 10;
	/* What set-up does: open a device, map memory, start a thread. */
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 11;
	close(fd);
	void *ram = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return 12;
	munmap(ram, 1 << 20);
	pthread_t t;
	void *back = NULL;
	if (pthread_create(&t, NULL, return_arg, &fd) || pthread_join(t, &back) || back != &fd)
		return 13;
	/* and then the run filter on top, as pvkit does */
	if (seccomp_install_run_filter() < 0)
		return 14;
	if (write(STDERR_FILENO, "alive\n", 6) != 6)
		return 15;
	return 0;
}

static void load_filter_allows_setup(void **state)
{
	(void)state;
	struct outcome o = in_child(setup_under_load_filter);
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
		fail_msg("child status 0x%x, stderr: %s", o.status, o.err);
	assert_string_equal(o.err, "alive\n");
}

static void assert_killed_while_loading(const struct outcome *o, long nr)
{
	assert_killed_by_sigsys_silently(o);
	char expected[128];
	snprintf(expected, sizeof(expected),
		 "pvkit: system call %ld is not allowed while loading (seccomp): stopped\n", nr);
	assert_string_equal(o->err, expected);
}

static int socket_while_loading(void)
{
	if (seccomp_install_load_filter() < 0)
		return 10;
	socket(AF_INET, SOCK_STREAM, 0);
	return 0;
}

static int exec_while_loading(void)
{
	if (seccomp_install_load_filter() < 0)
		return 10;
	char *argv[] = {"/bin/sh", "-c", "true", NULL};
	execv(argv[0], argv);
	return 0;
}

static int map_code_while_loading(void)
{
	if (seccomp_install_load_filter() < 0)
		return 10;
	mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static void load_filter_blocks_ways_out(void **state)
{
	(void)state;
	struct outcome o = in_child(socket_while_loading);
	assert_killed_while_loading(&o, SYS_socket);
	o = in_child(exec_while_loading);
	assert_killed_while_loading(&o, SYS_execve);
	o = in_child(map_code_while_loading);
	assert_killed_while_loading(&o, SYS_mmap);
}

/* The sanitizer runtime still reports under the filter (its extra calls
 * are allowed in sanitizer builds): a leak made after the filter is on is
 * reported at exit, and nothing is refused. */
static int leak_then_exit(void)
{
	if (seccomp_install_run_filter() < 0)
		return 10;
	char *lost = malloc(77);
	memset(lost, 'x', 77);
	lost = NULL;
	exit(0); /* atexit: LeakSanitizer's check */
}

static void sanitizer_reports_under_the_filter(void **state)
{
	(void)state;
	if (!seccomp_sanitizer_build())
		return; /* nothing to report without a sanitizer runtime */
	struct outcome o = in_child(leak_then_exit);
	if (WIFSIGNALED(o.status) || !strstr(o.err, "LeakSanitizer: detected memory leaks") ||
	    !strstr(o.err, "77 byte(s) leaked") || strstr(o.err, "not allowed after set-up"))
		fail_msg("child status 0x%x, stderr: %s", o.status, o.err);
}

/* What the filter costs: the run loop's hottest call is ioctl(KVM_RUN),
 * once per exit.  Time it (on a bad descriptor, so only the syscall path
 * and the filter count) before and after the filter, in one child, and
 * report both; the assertion only bounds it against an exit's ~10 us. */
#define COST_CALLS 200000

static double ns_per_ioctl(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < COST_CALLS; i++)
		ioctl(-1, KVM_RUN, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / COST_CALLS;
}

static int measure_filter_cost(void)
{
	double best_without = 1e9, best_with = 1e9;
	for (int round = 0; round < 3; round++) {
		double t = ns_per_ioctl();
		best_without = t < best_without ? t : best_without;
	}
	if (seccomp_install_run_filter() < 0)
		return 10;
	for (int round = 0; round < 3; round++) {
		double t = ns_per_ioctl();
		best_with = t < best_with ? t : best_with;
	}
	char line[160];
	int n =
	    snprintf(line, sizeof(line),
		     "ioctl(KVM_RUN) syscall path: %.0f ns without the filter, %.0f ns with it\n",
		     best_without, best_with);
	if (write(STDERR_FILENO, line, (size_t)n) != n)
		return 11;
	return best_with - best_without < 2000 ? 0 : 12;
}

static void filter_cost_per_call(void **state)
{
	(void)state;
	struct outcome o = in_child(measure_filter_cost);
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
		fail_msg("child status 0x%x, stderr: %s", o.status, o.err);
	print_message("# %s", o.err);
}

/* --- rlimits ----------------------------------------------------------------- */

static int count_open_fds(void)
{
	int n = 0;
	DIR *dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own descriptor */
}

static int bounded_fds(void)
{
	int highest = limits_highest_open_fd();
	if (limits_bound_process() < 0)
		return 10;
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return 11;
	rlim_t expected = (rlim_t)highest + 1;
	if (seccomp_sanitizer_build())
		expected += LIMITS_SANITIZER_SPARE_FDS;
	if (lim.rlim_cur != expected || lim.rlim_max != expected)
		return 12;
	/* New descriptors fit only in the holes below the old highest one
	 * (and the sanitizer's spares); then EMFILE. */
	int open_now = count_open_fds();
	int made = 0;
	while (dup(STDIN_FILENO) >= 0)
		made++;
	if (errno != EMFILE || made != (int)expected - open_now) {
		fprintf(stderr, "made %d, errno %d, highest %d, open %d", made, errno, highest,
			open_now);
		return 13;
	}
	/* Only ever lowered: raising it back is refused to an unprivileged
	 * process, and a second call cannot raise it either. */
	if (limits_bound_process() < 0)
		return 14;
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_max > expected)
		return 15;
	return 0;
}

static void rlimit_nofile_is_bounded(void **state)
{
	(void)state;
	struct outcome o = in_child(bounded_fds);
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
		fail_msg("child status 0x%x, stderr: %s", o.status, o.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(allowed_calls_work),
	    cmocka_unit_test(socket_kills),
	    cmocka_unit_test(exec_kills),
	    cmocka_unit_test(non_kvm_ioctl_kills),
	    cmocka_unit_test(executable_memory_kills),
	    cmocka_unit_test(new_thread_kills),
	    cmocka_unit_test(filter_covers_earlier_threads),
	    cmocka_unit_test(open_kills_in_production_builds),
	    cmocka_unit_test(load_filter_allows_setup),
	    cmocka_unit_test(load_filter_blocks_ways_out),
	    cmocka_unit_test(sanitizer_reports_under_the_filter),
	    cmocka_unit_test(filter_cost_per_call),
	    cmocka_unit_test(rlimit_nofile_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
