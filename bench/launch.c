/* SPDX-License-Identifier: MIT */
/*
 * launch - start N copies of a VMM command at once and time them from the
 * outside, the same way whatever the VMM is (pvkit, QEMU, bench/rawkvm).
 *
 *	launch [--vms N] [--total N] [--from TEXT] [--until TEXT] [--keep] [--hold] [--trace DIR]
 *	       [--mem SIZE] [--timeout SECONDS] [--stderr FILE] [--stdout FILE]
 *	       [--smaps FILE] -- COMMAND...
 *
 * For each VM: the child takes a CLOCK_MONOTONIC timestamp right before
 * execvp() (kept in a shared page, so fork() is not counted), its stdout
 * is a pipe the launcher polls, and the launcher timestamps the arrival of
 * the first byte, of the --from text and of the --until TEXT (searched for
 * after the --from text, so the two bracket a stretch of output).  The VM ends when it exits by
 *itself; with
 * --until it is killed as soon as TEXT arrives (a Linux guest keeps on
 * booting after the banner we time) unless --keep says to let it finish
 * (to read what it prints when it exits); with --hold it is kept alive after
 * its first byte (or TEXT) until its memory has been read from /proc, then
 * killed: peak RSS from wait4()'s rusage (what /usr/bin/time reports), and
 * the guest RAM actually resident from /proc/PID/smaps (see guest_rss());
 * --smaps FILE keeps a copy of VM 0's smaps from that moment, to see where
 * the rest of its RSS is.
 *
 * --total N: throughput.  N VMs in all, at most --vms of them at once: each
 * one that ends is replaced by the next, so the host is kept busy with
 * --vms VMs until N have run (first exec to last exit: VMs per second).
 *
 * --trace DIR: a tracefs instance where kvm:kvm_pio is enabled for port
 * 0x80 with the "mono" clock and record-tgid (bench/run-bench.sh sets it
 * up).  The bench guests write port 0x80 as their first instruction, so the
 * first such event of a VM's process is its first guest instruction, on
 * the same clock as our timestamps.  A guest that writes it again after
 * every chunk of a loop (the exit-loop guests) gets the median time between
 * two of its markers, marker_gap_median_ns: a chunk that another process
 * preempted moves it no more than a chunk that went fast.
 *
 * Output: one line per VM of key=value pairs, times in nanoseconds since
 * that VM's exec (exec_abs_ns: the exec itself, on CLOCK_MONOTONIC), -1
 * where not observed; memory in KiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_VMS	  256  /* at once */
#define MAX_TOTAL 4096 /* in all, with --total */

struct vm {
	pid_t pid;
	int pidfd;	    /* readable when the VM's process has exited; -1 if none */
	int out_fd;	    /* read end of the child's stdout, -1 at EOF */
	int64_t first_byte; /* absolute CLOCK_MONOTONIC ns, -1 if none */
	int64_t from;	    /* when the --from text was seen */
	int64_t until;	    /* when TEXT was seen */
	int64_t end;	    /* when the child was reaped */
	int64_t first_marker, last_marker;
	unsigned markers;
	int64_t *marker_gaps; /* markers - 1 of them: from each marker to the next */
	uint64_t bytes;
	size_t matched;	     /* bytes of TEXT matched so far (streaming) */
	size_t from_matched; /* same for the --from text */
	bool sampled, killed, reaped;
	int status;
	struct rusage usage;
	long hwm_kib, rss_kib, guest_rss_kib, pss_kib;
};

struct options {
	unsigned vms, total;
	const char *until, *from;
	bool hold, keep;
	const char *trace;
	uint64_t guest_mem;
	double timeout;
	const char *stderr_path, *stdout_path, *smaps_path;
	char **command;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(const char *what)
{
	fprintf(stderr,
		"launch: %s\n"
		"usage: launch [--vms N] [--total N] [--from TEXT] [--until TEXT] [--keep] "
		"[--hold] [--trace DIR]\n"
		"              [--mem SIZE] [--timeout SECONDS] [--stderr FILE] [--stdout FILE]\n"
		"              [--smaps FILE] -- COMMAND...\n",
		what);
	exit(2);
}

static uint64_t parse_size(const char *text)
{
	char *end;
	uint64_t value = strtoull(text, &end, 0);
	switch (*end) {
	case 'K':
		value <<= 10;
		end++;
		break;
	case 'M':
		value <<= 20;
		end++;
		break;
	case 'G':
		value <<= 30;
		end++;
		break;
	}
	if (*end || value == 0)
		usage("bad --mem size");
	return value;
}

static struct options parse_options(int argc, char **argv)
{
	struct options o = {.vms = 1, .timeout = 120};
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (i + 1 >= argc && strcmp(a, "--hold") && strcmp(a, "--keep"))
			usage("option without a value");
		if (!strcmp(a, "--vms")) {
			o.vms = (unsigned)atoi(argv[++i]);
			if (o.vms < 1 || o.vms > MAX_VMS)
				usage("--vms must be 1..256");
		} else if (!strcmp(a, "--total")) {
			o.total = (unsigned)atoi(argv[++i]);
			if (o.total < 1 || o.total > MAX_TOTAL)
				usage("--total must be 1..4096");
		} else if (!strcmp(a, "--until")) {
			o.until = argv[++i];
			if (!*o.until)
				usage("empty --until text");
		} else if (!strcmp(a, "--from")) {
			o.from = argv[++i];
			if (!*o.from)
				usage("empty --from text");
		} else if (!strcmp(a, "--keep")) {
			o.keep = true;
		} else if (!strcmp(a, "--hold")) {
			o.hold = true;
		} else if (!strcmp(a, "--trace")) {
			o.trace = argv[++i];
		} else if (!strcmp(a, "--mem")) {
			o.guest_mem = parse_size(argv[++i]);
		} else if (!strcmp(a, "--timeout")) {
			o.timeout = atof(argv[++i]);
		} else if (!strcmp(a, "--stderr")) {
			o.stderr_path = argv[++i];
		} else if (!strcmp(a, "--smaps")) {
			o.smaps_path = argv[++i];
		} else if (!strcmp(a, "--stdout")) {
			o.stdout_path = argv[++i];
		} else {
			usage("unknown option");
		}
	}
	if (i >= argc)
		usage("no command");
	if (!o.total)
		o.total = o.vms;
	if (o.total < o.vms || (o.total != o.vms && (o.hold || o.until)))
		usage("--total: at least --vms, and not with --hold or --until");
	o.command = &argv[i];
	return o;
}

/* Empty the trace instance's buffer so only this launch's events remain. */
static void clear_trace(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/trace", dir);
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/*
 * Read the kvm_pio events of the instance.  A line looks like
 *   qemu-system-x86-7636 (   7634) [001] .....   586.478898: kvm_pio: ...
 * TGID in parentheses (QEMU runs the vCPU in a thread), timestamp in
 * seconds with microseconds before ": kvm_pio".
 */
static void read_markers(const char *dir, struct vm *vms, unsigned n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/trace", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(1);
	}
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char *event = strstr(line, ": kvm_pio:");
		char *paren = strchr(line, '(');
		if (!event || !paren || paren > event)
			continue;
		long tgid = strtol(paren + 1, NULL, 10);
		char *ts = event;
		while (ts > line && ts[-1] != ' ')
			ts--;
		char *dot;
		long long sec = strtoll(ts, &dot, 10);
		if (*dot != '.')
			continue;
		long long usec = strtoll(dot + 1, NULL, 10);
		int64_t t = sec * 1000000000ll + usec * 1000ll;
		for (unsigned i = 0; i < n; i++) {
			if (vms[i].pid != tgid)
				continue;
			struct vm *vm = &vms[i];
			if (vm->markers == 0) {
				vm->first_marker = t;
			} else {
				int64_t *gaps =
				    realloc(vm->marker_gaps, vm->markers * sizeof(*gaps));
				if (!gaps) {
					perror("realloc");
					exit(1);
				}
				gaps[vm->markers - 1] = t - vm->last_marker;
				vm->marker_gaps = gaps;
			}
			vm->last_marker = t;
			vm->markers++;
		}
	}
	fclose(f);
}

static int compare_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The median time from one marker of `vm` to the next, or -1 with fewer than two. */
static int64_t median_marker_gap(struct vm *vm)
{
	unsigned n = vm->markers ? vm->markers - 1 : 0;
	if (n == 0)
		return -1;
	qsort(vm->marker_gaps, n, sizeof(vm->marker_gaps[0]), compare_int64);
	return n % 2 ? vm->marker_gaps[n / 2]
		     : (vm->marker_gaps[n / 2 - 1] + vm->marker_gaps[n / 2]) / 2;
}

static long status_field_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long value = -1;
	size_t len = strlen(field);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':')
			value = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return value;
}

/*
 * Guest RAM resident in the VMM: the Rss of the writable anonymous mappings
 * at least as large as the guest's memory.  pvkit, QEMU and rawkvm each map
 * guest RAM as one anonymous region of (at least) that size, even when KVM
 * sees it as two slots around the 32-bit hole; nothing else they map
 * writable and anonymous is that large for the sizes we use (>= 64 MiB:
 * glibc's 64 MiB malloc arenas are mostly PROT_NONE, so their writable part
 * is smaller).
 */
/* One mapping of /proc/PID/smaps, as guest_rss() sees it. */
struct mapping {
	unsigned long long start, end;
	bool anon_rw;	/* anonymous and writable */
	bool noreserve; /* VmFlags nr: MAP_NORESERVE, as VMMs map guest RAM */
	long rss_kib;
};

#define MAX_MAPPINGS 4096

static long guest_rss(pid_t pid, uint64_t guest_mem)
{
	if (!guest_mem)
		return -1;
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	static struct mapping maps[MAX_MAPPINGS];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8];
		int name_at = 0;
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s%n", &start, &end, perms, &name_at) ==
		    3) {
			const char *name = line + name_at;
			while (*name == ' ')
				name++;
			if (n == MAX_MAPPINGS)
				break;
			maps[n++] = (struct mapping){
			    .start = start,
			    .end = end,
			    .anon_rw = (*name == '\n' || *name == '\0') && perms[1] == 'w',
			};
			continue;
		}
		if (n && !strncmp(line, "Rss:", 4))
			maps[n - 1].rss_kib = strtol(line + 4, NULL, 10);
		if (n && !strncmp(line, "VmFlags:", 8))
			maps[n - 1].noreserve = strstr(line, " nr") != NULL;
	}
	fclose(f);
	/*
	 * Guest RAM: anonymous writable mappings at least as large as the guest
	 * memory, where a run of adjacent MAP_NORESERVE ones counts as one: a
	 * VMM that advises part of its RAM differently (pvkit: no huge pages
	 * for the first 2 MiB) has the kernel split its one mapping.  A thread
	 * stack that happens to lie next to it is not NORESERVE.
	 */
	long total = 0;
	for (int i = 0; i < n;) {
		int j = i + 1;
		while (maps[i].anon_rw && maps[i].noreserve && j < n && maps[j].anon_rw &&
		       maps[j].noreserve && maps[j].start == maps[j - 1].end)
			j++;
		long rss = 0;
		for (int k = i; k < j; k++)
			rss += maps[k].rss_kib;
		if (maps[i].anon_rw && maps[j - 1].end - maps[i].start >= guest_mem)
			total += rss;
		i = j;
	}
	return total;
}

/*
 * Proportional set size: each shared page (libc, the VMM's own text) counted
 * as 1/N for the N processes that map it, so with many VMs of one VMM the
 * sum of PSS is what the host really spends.
 */
static long pss_total(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long value = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Pss:", 4))
			value = strtol(line + 4, NULL, 10);
	fclose(f);
	return value;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	char buf[8192];
	size_t got;
	while (in && out && (got = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, got, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}

static void sample_memory(struct vm *vm, const struct options *o, bool first)
{
	vm->hwm_kib = status_field_kib(vm->pid, "VmHWM");
	vm->pss_kib = pss_total(vm->pid);
	vm->rss_kib = status_field_kib(vm->pid, "VmRSS");
	vm->guest_rss_kib = guest_rss(vm->pid, o->guest_mem);
	vm->sampled = true;
	if (first && o->smaps_path) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)vm->pid);
		copy_file(path, o->smaps_path);
	}
}

static void start_vm(struct vm *vm, const struct options *o, unsigned index,
		     volatile int64_t *exec_time)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("pipe");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		const char *err = index == 0 && o->stderr_path ? o->stderr_path : "/dev/null";
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		*exec_time = now_ns();
		execvp(o->command[0], o->command);
		_exit(127);
	}
	close(pipefd[1]);
	*vm = (struct vm){
	    .pid = pid,
	    .pidfd = (int)syscall(SYS_pidfd_open, pid, 0), /* -1 on old kernels: polling */
	    .out_fd = pipefd[0],
	    .first_byte = -1,
	    .from = -1,
	    .until = -1,
	    .end = -1,
	    .first_marker = -1,
	    .last_marker = -1,
	    .hwm_kib = -1,
	    .rss_kib = -1,
	    .guest_rss_kib = -1,
	    .pss_kib = -1,
	};
}

/*
 * Feed output bytes to a streaming match of TEXT (whose prefixes do not
 * recur inside it, true of the lines we wait for; on a mismatch the match
 * restarts).  Returns how many bytes of buf were consumed up to the end of
 * the match, or 0 when TEXT has not been completed.
 */
static size_t match_text(size_t *matched, const char *text, const char *buf, size_t len)
{
	size_t tlen = strlen(text);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == text[*matched]) {
			if (++*matched == tlen)
				return i + 1;
		} else {
			*matched = buf[i] == text[0] ? 1 : 0;
		}
	}
	return 0;
}

static void kill_vm(struct vm *vm)
{
	if (!vm->reaped && !vm->killed) {
		kill(vm->pid, SIGKILL);
		vm->killed = true;
	}
}

int main(int argc, char **argv)
{
	struct options o = parse_options(argc, argv);
	static struct vm vms[MAX_TOTAL];
	int64_t *exec_times = mmap(NULL, MAX_TOTAL * sizeof(int64_t), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (exec_times == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	FILE *save = NULL;
	if (o.stdout_path && !(save = fopen(o.stdout_path, "w"))) {
		perror(o.stdout_path);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (o.trace)
		clear_trace(o.trace);

	unsigned started = 0;
	for (; started < o.vms; started++)
		start_vm(&vms[started], &o, started, &exec_times[started]);
	int64_t deadline = now_ns() + (int64_t)(o.timeout * 1e9);
	bool timed_out = false;

	unsigned running = o.vms;
	while (running) {
		static struct pollfd pfd[2 * MAX_TOTAL];
		static unsigned idx[MAX_TOTAL];
		unsigned npfd = 0, nexit = 0;
		for (unsigned i = 0; i < started; i++) {
			if (vms[i].out_fd >= 0) {
				pfd[npfd] = (struct pollfd){.fd = vms[i].out_fd, .events = POLLIN};
				idx[npfd++] = i;
			}
		}
		/* and each running VM's pidfd, readable once it has exited, so an
		 * exit is seen when it happens (not at the next 5 ms tick) */
		for (unsigned i = 0; i < started; i++)
			if (!vms[i].reaped && vms[i].pidfd >= 0)
				pfd[npfd + nexit++] =
				    (struct pollfd){.fd = vms[i].pidfd, .events = POLLIN};
		if (npfd + nexit && poll(pfd, npfd + nexit, 5) < 0 && errno != EINTR) {
			perror("poll");
			return 1;
		}
		if (!npfd && !nexit) /* no pidfds: only the exits are left to see */
			usleep(200);
		for (unsigned k = 0; k < npfd; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct vm *vm = &vms[idx[k]];
			char buf[65536];
			ssize_t got = read(vm->out_fd, buf, sizeof(buf));
			int64_t t = now_ns();
			if (got <= 0) {
				close(vm->out_fd);
				vm->out_fd = -1;
				continue;
			}
			if (vm->first_byte < 0)
				vm->first_byte = t;
			vm->bytes += (uint64_t)got;
			if (save && idx[k] == 0)
				fwrite(buf, 1, (size_t)got, save);
			const char *rest = buf;
			size_t rest_len = (size_t)got;
			if (o.from && vm->from < 0) {
				size_t used =
				    match_text(&vm->from_matched, o.from, buf, (size_t)got);
				if (used) {
					vm->from = t;
					rest += used;
					rest_len -= used;
				} else {
					rest_len = 0;
				}
			}
			bool reached = o.until
					   ? vm->until < 0 && rest_len &&
						 match_text(&vm->matched, o.until, rest, rest_len)
					   : vm->bytes == (uint64_t)got;
			if (reached) {
				if (o.until)
					vm->until = t;
				if (o.hold)
					sample_memory(vm, &o, idx[k] == 0);
				else if (o.until && !o.keep)
					kill_vm(vm);
			}
		}
		/* Held VMs are released together, once every one has been sampled,
		 * so N VMs really are alive at the same time. */
		if (o.hold) {
			bool all = true;
			for (unsigned i = 0; i < started; i++)
				all = all && (vms[i].sampled || vms[i].reaped);
			if (all)
				for (unsigned i = 0; i < started; i++)
					kill_vm(&vms[i]);
		}
		if (!timed_out && now_ns() > deadline) {
			timed_out = true;
			for (unsigned i = 0; i < started; i++)
				kill_vm(&vms[i]);
		}
		for (unsigned i = 0; i < started; i++) {
			struct vm *vm = &vms[i];
			if (vm->reaped)
				continue;
			pid_t r = wait4(vm->pid, &vm->status, WNOHANG, &vm->usage);
			if (r == vm->pid) {
				vm->reaped = true;
				if (vm->pidfd >= 0)
					close(vm->pidfd);
				vm->end = now_ns();
				running--;
				/* --total: the next VM takes the place of this one */
				if (started < o.total && !timed_out) {
					start_vm(&vms[started], &o, started, &exec_times[started]);
					started++;
					running++;
				}
			}
		}
	}
	/* Drain what is left in the pipes (grandchildren may hold them). */
	for (unsigned i = 0; i < started; i++)
		if (vms[i].out_fd >= 0)
			close(vms[i].out_fd);
	if (save)
		fclose(save);
	if (o.trace)
		read_markers(o.trace, vms, o.vms);

	for (unsigned i = 0; i < started; i++) {
		struct vm *vm = &vms[i];
		int64_t t0 = exec_times[i];
#define SINCE(t) ((t) < 0 ? (int64_t)-1 : (t)-t0)
		int status = -1, sig = 0;
		if (WIFEXITED(vm->status))
			status = WEXITSTATUS(vm->status);
		else if (WIFSIGNALED(vm->status))
			sig = WTERMSIG(vm->status);
		printf("vm=%u pid=%d exec_abs_ns=%" PRId64 " first_insn_ns=%" PRId64
		       " first_byte_ns=%" PRId64 " from_ns=%" PRId64 " until_ns=%" PRId64
		       " end_ns=%" PRId64 " marker_span_ns=%" PRId64 " markers=%u"
		       " marker_gap_median_ns=%" PRId64 " bytes=%" PRIu64
		       " status=%d signal=%d killed=%d timed_out=%d"
		       " maxrss_kib=%ld hwm_kib=%ld rss_kib=%ld guest_rss_kib=%ld pss_kib=%ld"
		       " user_us=%ld sys_us=%ld\n",
		       i, (int)vm->pid, t0, SINCE(vm->first_marker), SINCE(vm->first_byte),
		       SINCE(vm->from), SINCE(vm->until), SINCE(vm->end),
		       vm->markers ? vm->last_marker - vm->first_marker : -1, vm->markers,
		       median_marker_gap(vm), vm->bytes, status, sig, vm->killed, timed_out,
		       vm->usage.ru_maxrss, vm->hwm_kib, vm->rss_kib, vm->guest_rss_kib,
		       vm->pss_kib,
		       vm->usage.ru_utime.tv_sec * 1000000 + vm->usage.ru_utime.tv_usec,
		       vm->usage.ru_stime.tv_sec * 1000000 + vm->usage.ru_stime.tv_usec);
#undef SINCE
	}
	return 0;
}
