// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "cmd_run.h"
#include "parse_size.h"
#include "pvm_mode.h"
#include "limits.h"
#include "log.h"
#include "machine.h"
#include "run_loop.h"
#include "seccomp.h"
#include "usage.h"

#define DEFAULT_MEM	(256ull << 20)
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
	enum pv_mode_choice pv_mode;
};

static int parse_mem(const char *text, uint64_t *mem)
{
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

static int parse_subarch(const char *text, uint32_t *subarch)
{
	if (strcmp(text, "pc") == 0) {
		*subarch = X86_SUBARCH_PC;
		return 0;
	}
	if (strcmp(text, "pvkit") == 0) {
		*subarch = PVKIT_HARDWARE_SUBARCH;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 0);
	if (errno || end == text || *end || *text == '-' || n > UINT32_MAX) {
		log_msg("--subarch %s: not pc, pvkit or a 32-bit number", text);
		return -1;
	}
	*subarch = (uint32_t)n;
	return 0;
}

static int parse_timeout(const char *text, double *seconds)
{
	char *end;
	errno = 0;
	double s = strtod(text, &end);
	if (errno || end == text || *end || !(s > 0) || s > MAX_TIMEOUT_S) {
		log_msg("--timeout %s: not a number of seconds between 0 and %g", text,
			MAX_TIMEOUT_S);
		return -1;
	}
	*seconds = s;
	return 0;
}

static int parse_options(int argc, char **argv, struct run_options *o)
{
	enum {
		OPT_KERNEL = 256,
		OPT_INITRD,
		OPT_CMDLINE,
		OPT_MEM,
		OPT_ENTRY,
		OPT_SUBARCH,
		OPT_TIMEOUT,
		OPT_STATS,
		OPT_NO_PVKIT_CPUID,
		OPT_DEBUG,
		OPT_CONSOLE_LIMIT,
		OPT_NO_SECCOMP,
		OPT_PV_MODE
	};
	static const struct option longopts[] = {
	    {"kernel", required_argument, NULL, OPT_KERNEL},
	    {"initrd", required_argument, NULL, OPT_INITRD},
	    {"cmdline", required_argument, NULL, OPT_CMDLINE},
	    {"mem", required_argument, NULL, OPT_MEM},
	    {"entry", required_argument, NULL, OPT_ENTRY},
	    {"subarch", required_argument, NULL, OPT_SUBARCH},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"stats", no_argument, NULL, OPT_STATS},
	    {"no-pvkit-cpuid", no_argument, NULL, OPT_NO_PVKIT_CPUID},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"console-limit", required_argument, NULL, OPT_CONSOLE_LIMIT},
	    {"no-seccomp", no_argument, NULL, OPT_NO_SECCOMP},
	    {"pv-mode", required_argument, NULL, OPT_PV_MODE},
	    {NULL, 0, NULL, 0},
	};
	*o = (struct run_options){
	    .cmdline = DEFAULT_CMDLINE,
	    .mem = DEFAULT_MEM,
	    .entry = BOOT_ENTRY_AUTO,
	    .pvkit_cpuid = true,
	    .seccomp = true,
	};
	optind = 0; /* glibc: restart option parsing from argv[1] */
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL:
			o->kernel_path = optarg;
			break;
		case OPT_INITRD:
			o->initrd_path = optarg;
			break;
		case OPT_CMDLINE:
			o->cmdline = optarg;
			break;
		case OPT_MEM:
			if (parse_mem(optarg, &o->mem) < 0)
				return -1;
			break;
		case OPT_ENTRY:
			if (strcmp(optarg, "auto") == 0) {
				o->entry = BOOT_ENTRY_AUTO;
			} else if (strcmp(optarg, "64") == 0) {
				o->entry = BOOT_ENTRY_64;
			} else if (strcmp(optarg, "pvh") == 0) {
				o->entry = BOOT_ENTRY_PVH;
			} else if (strcmp(optarg, "xen") == 0) {
				o->entry = BOOT_ENTRY_XEN;
			} else {
				log_msg("--entry %s: not auto, 64, pvh or xen", optarg);
				return -1;
			}
			break;
		case OPT_SUBARCH:
			if (parse_subarch(optarg, &o->subarch) < 0)
				return -1;
			o->subarch_given = true;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &o->timeout) < 0)
				return -1;
			break;
		case OPT_STATS:
			o->stats = true;
			break;
		case OPT_NO_PVKIT_CPUID:
			o->pvkit_cpuid = false;
			break;
		case OPT_PV_MODE:
			if (pvm_parse_choice(optarg, &o->pv_mode) < 0)
				return -1;
			break;
		case OPT_DEBUG:
			log_debug_enabled = true;
			break;
		case OPT_CONSOLE_LIMIT:
			if (parse_size(optarg, &o->console_limit) < 0 || o->console_limit == 0) {
				log_msg("--console-limit %s: not a number of bytes above 0 "
					"(K, M or G suffixes allowed)",
					optarg);
				return -1;
			}
			break;
		case OPT_NO_SECCOMP:
			o->seccomp = false;
			break;
		case ':':
			log_msg("run: %s needs an argument", argv[optind - 1]);
			usage(stderr);
			return -1;
		default:
			log_msg("run: unknown option %s", argv[optind - 1]);
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		log_msg("run: unexpected argument %s", argv[optind]);
		usage(stderr);
		return -1;
	}
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
	log_msg("booting %s via %s%s", base_name(kernel_name), entry.path,
		use_pvm ? ", deprivileged (pvm mode)" : "");
	log_debug("pv mode: %s", use_pvm ? "pvm (deprivileged kernel)" : why_not_pvm);
	if (machine_create(&m, &cfg, &entry) < 0)
		goto out;
	m.console.out_limit = o.console_limit;
	m.console.limit_stop = &m.stop;
	/* Set-up is over: from here on no new file, thread or mapping of code
	 * (host/limits.h, host/seccomp.h). */
	if (limits_bound_process() < 0 || (o.seccomp && seccomp_install_run_filter() < 0))
		goto out;
	status = run_loop(&m, o.timeout);
	if (o.stats)
		run_loop_print_stats(&m);
out:
	machine_destroy(&m);
	free(kernel_file);
	free(initrd);
	return status;
}
