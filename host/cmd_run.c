// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "abi/pvkit_abi.h"
#include "boot/bootparam.h"
#include "boot/layout.h"
#include "boot/loader.h"
#include "cli.h"
#include "cmd_run.h"
#include "parse_size.h"
#include "pvm_mode.h"
#include "limits.h"
#include "log.h"
#include "machine.h"
#include "run_loop.h"
#include "seccomp.h"
#include "terminal.h"

#define DEFAULT_MEM	"256M"
#define DEFAULT_CMDLINE "console=ttyS0"
/* Files are read whole; nothing bootable is this large. */
#define MAX_INPUT_FILE (2ull << 30)
#define MAX_TIMEOUT_S  (1e7)

/* The pvkernel image linked into pvkit (host/default_kernel.S). */
extern const uint8_t default_kernel_image[];
extern const uint8_t default_kernel_image_end[];

struct run_options {
	const char *kernel_path; /* NULL: the bundled kernel */
	const char *initrd_path;
	const char *cmdline;
	uint64_t mem;
	enum boot_entry_choice entry;
	uint32_t subarch;
	bool subarch_given;
	double timeout;
	bool stats;
	bool pvkit_cpuid;
	uint64_t console_limit; /* 0: none */
	bool seccomp;		/* false: --no-seccomp */
	bool debug;
	enum pv_mode_choice pv_mode;
};

static int parse_mem(const struct cli_option *opt, const char *text, void *opts)
{
	uint64_t *mem = &((struct run_options *)opts)->mem;
	(void)opt;
	if (parse_size(text, mem) < 0) {
		log_msg("--mem %s: not a size (a number of bytes, or with a K, M or G suffix)",
			text);
		return -1;
	}
	if (*mem < LAYOUT_MIN_RAM) {
		log_msg("--mem %s: less than the %llu MiB pvkit needs", text, LAYOUT_MIN_RAM >> 20);
		return -1;
	}
	if (*mem % 4096) {
		log_msg("--mem %s: not a multiple of 4 KiB", text);
		return -1;
	}
	/* More than the host has is a typo, not a plan (RAM is MAP_NORESERVE,
	 * so it would fail only when the guest touches it). */
	struct sysinfo si;
	if (sysinfo(&si) == 0) {
		uint64_t host = (uint64_t)si.totalram * si.mem_unit;
		if (*mem > host) {
			log_msg("--mem %s: more than this host's %" PRIu64 " MiB of RAM", text,
				host >> 20);
			return -1;
		}
	}
	return 0;
}

/* A word of the table (pc, pvkit) or any 32-bit number. */
static int parse_subarch(const struct cli_option *opt, const char *text, void *opts)
{
	struct run_options *o = opts;
	const struct cli_choice *named = cli_find_choice(opt, text);
	if (named) {
		o->subarch = (uint32_t)named->value;
	} else {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(text, &end, 0);
		if (errno || end == text || *end || *text == '-' || n > UINT32_MAX) {
			char words[100];
			cli_describe_choices(opt, "a 32-bit number", words, sizeof(words));
			log_msg("--subarch %s: not %s", text, words);
			return -1;
		}
		o->subarch = (uint32_t)n;
	}
	o->subarch_given = true;
	return 0;
}

static int parse_timeout(const struct cli_option *opt, const char *text, void *opts)
{
	char *end;
	(void)opt;
	errno = 0;
	double s = strtod(text, &end);
	if (errno || end == text || *end || !(s > 0) || s > MAX_TIMEOUT_S) {
		log_msg("--timeout %s: not a number of seconds between 0 and %g", text,
			MAX_TIMEOUT_S);
		return -1;
	}
	((struct run_options *)opts)->timeout = s;
	return 0;
}

static int parse_console_limit(const struct cli_option *opt, const char *text, void *opts)
{
	uint64_t *limit = &((struct run_options *)opts)->console_limit;
	(void)opt;
	if (parse_size(text, limit) < 0 || *limit == 0) {
		log_msg("--console-limit %s: not a number of bytes above 0 "
			"(K, M or G suffixes allowed)",
			text);
		return -1;
	}
	return 0;
}

static const struct cli_choice entry_choices[] = {
    {"auto", BOOT_ENTRY_AUTO},
    {"64", BOOT_ENTRY_64},
    {"pvh", BOOT_ENTRY_PVH},
};

static const struct cli_choice subarch_choices[] = {
    {"pc", X86_SUBARCH_PC},
    {"pvkit", PVKIT_HARDWARE_SUBARCH},
};

static const struct cli_choice pv_mode_choices[] = {
    {"auto", PV_MODE_AUTO},
    {"pvm", PV_MODE_PVM},
    {"ring0", PV_MODE_RING0},
};

static const struct cli_option run_table[] = {
    {"kernel", "IMAGE", "bzImage or ELF (default: the bundled pvkernel)",
     CLI_STRING(struct run_options, kernel_path)},
    {"initrd", "FILE", "an initramfs for the kernel", CLI_STRING(struct run_options, initrd_path)},
    {"cmdline", "STR", "the kernel command line", .fallback = DEFAULT_CMDLINE,
     CLI_STRING(struct run_options, cmdline)},
    {"mem", "SIZE", "guest RAM; K, M or G suffix", .fallback = DEFAULT_MEM, .parse = parse_mem},
    {"entry", NULL, "entry point; auto: the fastest", .fallback = "auto",
     CLI_CHOICE(struct run_options, entry, entry_choices)},
    {"subarch", "N", "hardware_subarch; default: pvkit for pvkit kernels", .parse = parse_subarch,
     CLI_CHOICES(subarch_choices)},
    {"timeout", "SECONDS", "stop the guest after SECONDS (status 124)", .parse = parse_timeout},
    {"stats", NULL, "print the exit counts at the end", CLI_FLAG(struct run_options, stats, true)},
    {"no-pvkit-cpuid", NULL, "hide pvkit's CPUID leaves: the guest sees plain KVM",
     CLI_FLAG(struct run_options, pvkit_cpuid, false)},
    {"debug", NULL, "log rare events: unknown ports, bad guest accesses",
     CLI_FLAG(struct run_options, debug, true)},
    {"console-limit", "BYTES", "stop when the guest printed BYTES (status 5)",
     .parse = parse_console_limit},
    {"no-seccomp", NULL, "no seccomp filters (docs/reliability.md)",
     CLI_FLAG(struct run_options, seccomp, false)},
    {"pv-mode", NULL, "pvm: deprivileged; auto: if faster", .fallback = "auto",
     CLI_CHOICE(struct run_options, pv_mode, pv_mode_choices)},
};

static const struct cli_exit_status run_statuses[] = {
    {0, NULL, "the guest powered off with 0, or asked for a reset"},
    {0, "v", "the guest's own status v (debug exit port 0xf4, POWER_OFF hypercall)"},
    {EXIT_STATUS_HOST_ERROR, NULL, "pvkit or KVM failed (an ioctl, a resource)"},
    {EXIT_STATUS_BAD_INPUT, NULL, "bad input (command line, kernel, initrd): nothing started"},
    {EXIT_STATUS_TRIPLE_FAULT, NULL, "the guest triple-faulted"},
    {EXIT_STATUS_KVM_FAILURE, NULL,
     "KVM cannot run the guest: no usable /dev/kvm, entry or emulator failure"},
    {EXIT_STATUS_CONSOLE_LIMIT, NULL, "the guest printed more than --console-limit BYTES"},
    {EXIT_STATUS_TIMEOUT, NULL, "--timeout expired"},
    {0, "128+N", "stopped by signal N: SIGINT 130, SIGTERM 143, SIGSYS 159 (seccomp)"},
};

const struct cli_command cmd_run_command = {
    .name = "run",
    .summary = "boot a kernel in a KVM VM; the guest's console is stdin and stdout",
    CLI_OPTIONS(run_table),
    CLI_STATUSES(run_statuses),
    .main = cmd_run,
};

static int parse_options(int argc, char **argv, struct run_options *o)
{
	*o = (struct run_options){0};
	if (cli_parse(&cmd_run_command, argc, argv, o) < 0)
		return -1;
	log_debug_enabled = o->debug;
	return 0;
}

/* Read a whole file; on failure print "pvkit: PATH: why" and return -1. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_msg("%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_msg("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > MAX_INPUT_FILE) {
		log_msg("%s: larger than %llu MiB", path, MAX_INPUT_FILE >> 20);
		close(fd);
		return -1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		log_msg("%s: out of memory reading %zu bytes", path, n);
		close(fd);
		return -1;
	}
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_msg("%s: %s", path,
				r < 0 ? strerror(errno) : "file shrank while reading");
			free(buf);
			close(fd);
			return -1;
		}
		done += (size_t)r;
	}
	close(fd);
	*data = buf;
	*size = n;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	if (parse_options(argc, argv, &o) < 0)
		return EXIT_STATUS_BAD_INPUT;
	/* A closed stdout (`pvkit run | head`) loses output; it must not kill
	 * the VMM in the middle of a run. */
	signal(SIGPIPE, SIG_IGN);

	const uint8_t *kernel;
	size_t kernel_size;
	uint8_t *kernel_file = NULL, *initrd = NULL;
	size_t initrd_size = 0;
	const char *kernel_name;
	if (o.kernel_path) {
		if (read_file(o.kernel_path, &kernel_file, &kernel_size) < 0)
			return EXIT_STATUS_BAD_INPUT;
		kernel = kernel_file;
		kernel_name = o.kernel_path;
	} else {
		kernel = default_kernel_image;
		kernel_size = (size_t)(default_kernel_image_end - default_kernel_image);
		kernel_name = "bundled pvkernel";
		if (kernel_size == 0) {
			log_msg("no bundled kernel in this build of pvkit: give --kernel IMAGE");
			return EXIT_STATUS_BAD_INPUT;
		}
	}
	if (o.initrd_path && read_file(o.initrd_path, &initrd, &initrd_size) < 0) {
		free(kernel_file);
		return EXIT_STATUS_BAD_INPUT;
	}

	static struct machine m; /* large (the I/O bus tables); zeroed */
	int status = EXIT_STATUS_HOST_ERROR;
	/* The files are in memory: parsing them (the code most exposed to a
	 * hostile image) and setting up run under the loading filter. */
	if (o.seccomp && seccomp_install_load_filter() < 0)
		goto out;
	if (vm_alloc_ram(&m.vm, o.mem) < 0)
		goto out;

	uint8_t seed[32];
	bool have_seed = getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed);
	struct boot_request req = {
	    .kernel = kernel,
	    .kernel_size = kernel_size,
	    .initrd = initrd,
	    .initrd_size = initrd_size,
	    .cmdline = o.cmdline,
	    .entry = o.entry,
	    .hardware_subarch = o.subarch,
	    .subarch_given = o.subarch_given,
	    .rng_seed = have_seed ? seed : NULL,
	    .rng_seed_size = have_seed ? sizeof(seed) : 0,
	};
	struct boot_entry entry;
	struct boot_error err = {{0}};
	if (boot_load(&req, &m.vm.mem, &entry, &err) < 0) {
		log_msg("%s: %s", kernel_name, err.msg);
		status = EXIT_STATUS_BAD_INPUT;
		goto out;
	}
	struct machine_config cfg = {.pvkit_cpuid = o.pvkit_cpuid};
	/* pvm mode only for a kernel told it runs under pvkit (the default). */
	struct pvm_image pvm;
	const char *why_not_pvm;
	if (!o.pvkit_cpuid || entry.hardware_subarch != PVKIT_HARDWARE_SUBARCH)
		o.pv_mode = o.pv_mode == PV_MODE_PVM ? PV_MODE_PVM : PV_MODE_RING0;
	int use_pvm = pvm_decide(o.pv_mode, kernel, kernel_size, &entry, &pvm, &why_not_pvm);
	if (use_pvm < 0) {
		status = EXIT_STATUS_BAD_INPUT;
		goto out;
	}
	if (use_pvm)
		cfg.pvm = &pvm;
	if (vm_check_kvm() < 0) {
		status = EXIT_STATUS_KVM_FAILURE;
		goto out;
	}
	log_msg("booting %s via %s%s", base_name(kernel_name), entry.path,
		use_pvm ? ", deprivileged (pvm mode)" : "");
	log_debug("pv mode: %s", use_pvm ? "pvm (deprivileged kernel)" : why_not_pvm);
	if (machine_create(&m, &cfg, &entry) < 0)
		goto out;
	m.console.out_limit = o.console_limit;
	m.console.limit_stop = &m.stop;
	m.console.keyboard_escape = terminal_make_raw(STDIN_FILENO);
	/* Set-up is over: from here on no new file, thread or mapping of code
	 * (host/limits.h, host/seccomp.h). */
	if (limits_bound_process() < 0 || (o.seccomp && seccomp_install_run_filter() < 0))
		goto out;
	status = run_loop(&m, o.timeout);
	terminal_restore();
	if (o.stats)
		run_loop_print_stats(&m);
out:
	machine_destroy(&m);
	free(kernel_file);
	free(initrd);
	return status;
}
