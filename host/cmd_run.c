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
#include "pvm_machine.h"
#include "pvm_mode.h"
#include "read_file.h"
#include "initrd_dir.h"
#include "limits.h"
#include "log.h"
#include "machine.h"
#include "run_loop.h"
#include "api_socket.h"
#include "seccomp.h"
#include "snapshot.h"
#include "machine_state.h"
#include "teardown.h"
#include "terminal.h"

#define MAX_TIMEOUT_S (1e7)

/* The pvkernel image linked into pvkit (host/default_kernel.S). */
extern const uint8_t default_kernel_image[];
extern const uint8_t default_kernel_image_end[];

struct run_options {
	const char *kernel_path; /* NULL: the bundled kernel */
	const char *initrd_path;
	const char *cmdline; /* NULL: the chosen entry's default (boot/loader.h) */
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
	const char *snapshot_path; /* run: --snapshot-after writes it; restore: reads it */
	const char *mem_file_path;
	uint64_t snapshot_after; /* exits; 0: none */
	const char *api_socket;	 /* --api-socket PATH, or NULL */
	int isolation;		 /* ISOLATION_* */
};

enum { ISOLATION_ON, ISOLATION_OFF };

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

static int parse_snapshot_after(const struct cli_option *opt, const char *text, void *opts)
{
	uint64_t *n = &((struct run_options *)opts)->snapshot_after;
	char *end;
	(void)opt;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || *text == '-' || v == 0) {
		log_msg("--snapshot-after %s: not a number of exits above 0", text);
		return -1;
	}
	*n = v;
	return 0;
}

static const struct cli_choice entry_choices[] = {
    {"auto", BOOT_ENTRY_AUTO},
    {"64", BOOT_ENTRY_64},
    {"pvh", BOOT_ENTRY_PVH},
    {"xen", BOOT_ENTRY_XEN},
};

static const struct cli_choice subarch_choices[] = {
    {"pc", X86_SUBARCH_PC},
    {"pvkit", PVKIT_HARDWARE_SUBARCH},
};

static const struct cli_choice isolation_choices[] = {
    {"on", ISOLATION_ON},
    {"off", ISOLATION_OFF},
};

static const struct cli_choice pv_mode_choices[] = {
    {"auto", PV_MODE_AUTO},
    {"pvm", PV_MODE_PVM},
    {"ring0", PV_MODE_RING0},
};

/*L:110 Every option of `pvkit run` is one row: name, argument, help line,
 * default, and the field or parser that takes the value.  The same rows are
 * parsed, printed by `pvkit help`, and held against the README and
 * docs/vmm.md by tests/boot/vmm_cli.sh, so an option is one line here and
 * its documentation cannot fall behind.  cmd_run() (below) starts with
 * parse_options(), which hands this table to the mechanism.
 * Next: host/cli.c. :*/
/* The options of a running VM, which `pvkit restore` shares. */
#define RUN_SESSION_OPTIONS                                                                        \
	{"timeout", "SECONDS", "stop the guest after SECONDS (status 124)",                        \
	 .parse = parse_timeout},                                                                  \
	    {"stats", NULL, "print the exit counts at the end",                                    \
	     CLI_FLAG(struct run_options, stats, true)},                                           \
	    {"debug", NULL, "log rare events: unknown ports, bad guest accesses",                  \
	     CLI_FLAG(struct run_options, debug, true)},                                           \
	    {"console-limit", "BYTES", "stop when the guest printed BYTES (status 5)",             \
	     .parse = parse_console_limit},                                                        \
	    {"no-seccomp", NULL, "no seccomp filters (docs/reliability.md)",                       \
	     CLI_FLAG(struct run_options, seccomp, false)},                                        \
	{                                                                                          \
		"api-socket", "PATH", "serve the control socket (HTTP/JSON) at PATH",              \
		    CLI_STRING(struct run_options, api_socket)                                     \
	}

static const struct cli_option run_table[] = {
    {"kernel", "IMAGE", "bzImage or ELF (default: the bundled pvkernel)",
     CLI_STRING(struct run_options, kernel_path)},
    {"initrd", "PATH", "an initramfs, or a directory to pack as one",
     CLI_STRING(struct run_options, initrd_path)},
    {"cmdline", "STR", "default: " BOOT_CMDLINE_DEFAULT ", Xen PV: " BOOT_CMDLINE_XEN_PV,
     CLI_STRING(struct run_options, cmdline)},
    {"mem", "SIZE", "guest RAM; K, M or G suffix", .fallback = RUN_DEFAULT_MEM, .parse = parse_mem},
    {"entry", NULL, "entry point; auto: the fastest", .fallback = "auto",
     CLI_CHOICE(struct run_options, entry, entry_choices)},
    {"subarch", "N", "hardware_subarch; default: pvkit for pvkit kernels", .parse = parse_subarch,
     CLI_CHOICES(subarch_choices)},
    {"no-pvkit-cpuid", NULL, "hide pvkit's CPUID leaves: the guest sees plain KVM",
     CLI_FLAG(struct run_options, pvkit_cpuid, false)},
    {"pv-mode", NULL, "pvm: deprivileged; auto: if faster", .fallback = "auto",
     CLI_CHOICE(struct run_options, pv_mode, pv_mode_choices)},
    {"isolation", NULL, "off: Xen PV user mode sees the kernel", .fallback = "on",
     CLI_CHOICE(struct run_options, isolation, isolation_choices)},
    {"snapshot-after", "EXITS", "snapshot after EXITS exits, then go on",
     .parse = parse_snapshot_after},
    {"snapshot", "STATE", "the snapshot's state file (docs/snapshot.md)",
     CLI_STRING(struct run_options, snapshot_path)},
    {"mem-file", "MEM", "the snapshot's memory file",
     CLI_STRING(struct run_options, mem_file_path)},
    RUN_SESSION_OPTIONS,
};

static const struct cli_option restore_table[] = {
    {"snapshot", "STATE", "the state file to resume (or PUT /snapshot/load)",
     CLI_STRING(struct run_options, snapshot_path)},
    {"mem-file", "MEM", "its memory file, mapped copy-on-write",
     CLI_STRING(struct run_options, mem_file_path)},
    RUN_SESSION_OPTIONS,
};

static const struct cli_exit_status run_statuses[] = {
    {0, NULL, "the guest powered off with 0, or asked for a reset"},
    {0, "v", "the guest's own status v (debug exit port 0xf4, POWER_OFF hypercall)"},
    {EXIT_STATUS_HOST_ERROR, NULL, "pvkit or KVM failed (an ioctl, a resource)"},
    {EXIT_STATUS_BAD_INPUT, NULL,
     "bad input (command line, kernel, initrd, snapshot): nothing started"},
    {EXIT_STATUS_TRIPLE_FAULT, NULL, "the guest triple-faulted"},
    {EXIT_STATUS_KVM_FAILURE, NULL,
     "KVM cannot run the guest: no usable /dev/kvm, entry or emulator failure"},
    {EXIT_STATUS_CONSOLE_LIMIT, NULL, "the guest printed more than --console-limit BYTES"},
    {EXIT_STATUS_GUEST_REBOOT, NULL, "a Xen PV guest asked for a reboot"},
    {EXIT_STATUS_GUEST_CRASH, NULL, "a Xen PV guest crashed, or pvxen stopped it (why on stderr)"},
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

const struct cli_command cmd_restore_command = {
    .name = "restore",
    .summary = "resume a VM from a snapshot; exit statuses as for run",
    CLI_OPTIONS(restore_table),
    .main = cmd_restore,
};

static int parse_options(const struct cli_command *cmd, int argc, char **argv,
			 struct run_options *o)
{
	*o = (struct run_options){0};
	if (cli_parse(cmd, argc, argv, o) < 0)
		return -1;
	log_debug_enabled = o->debug;
	/* The two files of a snapshot go together. */
	bool restore = cmd == &cmd_restore_command;
	bool later = restore && o->api_socket && !o->snapshot_path && !o->mem_file_path;
	if ((restore || o->snapshot_after) && !later && (!o->snapshot_path || !o->mem_file_path)) {
		cli_usage_error(cmd, "%s needs --snapshot STATE and --mem-file MEM%s",
				restore ? "restore" : "--snapshot-after",
				restore ? " (or --api-socket alone, for PUT /snapshot/load)" : "");
		return -1;
	}
	if (!restore && !o->snapshot_after && (o->snapshot_path || o->mem_file_path)) {
		cli_usage_error(cmd,
				"--snapshot and --mem-file name where --snapshot-after writes");
		return -1;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/*
 * The end of a run or restore: without a teardown helper, the machine is
 * taken down here; with one, only the console's last bytes are written, the
 * rest is the helper's after our exit (host/teardown.h), and stdio is let go
 * so that whoever reads it sees its end now.
 */
static void finish_machine(struct machine *m)
{
	if (teardown_helper_running())
		console_flush(&m->console);
	else
		machine_destroy(m);
	teardown_helper_release_stdio();
}

/*
 * The VM is built: bound the process, run it, report.  Shared by run and
 * restore.  A run that may snapshot keeps a descriptor and the calls for
 * the files (host/seccomp.h, host/limits.h).
 */
static int run_machine(struct machine *m, const struct run_options *o, struct api_socket *api)
{
	m->console.out_limit = o->console_limit;
	m->console.limit_stop = &m->stop;
	m->console.keyboard_escape = terminal_make_raw(STDIN_FILENO);
	m->snapshot_after_exits = o->snapshot_after;
	m->snapshot_path = o->snapshot_path;
	m->snapshot_mem_path = o->mem_file_path;
	/* From here on the VM's teardown is the helper's, after pvkit's exit
	 * (host/teardown.h): a snapshot is written before that, by pvkit. */
	teardown_helper_start();
	unsigned extras = o->snapshot_after ? SECCOMP_RUN_SNAPSHOTS : 0;
	int spare_fds = o->snapshot_after ? 1 : 0;
	if (o->api_socket) {
		/* A client's connection and a snapshot's file at a time. */
		extras |= SECCOMP_RUN_SNAPSHOTS | SECCOMP_RUN_API_SOCKET;
		spare_fds = 2;
		run_loop_catch_kick();
		if (api_socket_start(api) < 0)
			return EXIT_STATUS_HOST_ERROR;
		m->api = api;
	}
	/*L:370 Set-up is over: from here on no new file, thread or mapping of
	 * code (host/limits.h, host/seccomp.h).  A guest that found a bug in a
	 * device model would hold a process that can only run the vCPU, answer
	 * exits and move console bytes.  Then the run, until something stops it.
	 * Next: host/run_loop.c. :*/
	if (limits_bound_process_with(spare_fds) < 0 ||
	    (o->seccomp && seccomp_install_run_filter_with(extras) < 0))
		return EXIT_STATUS_HOST_ERROR;
	int status = run_loop(m, o->timeout);
	terminal_restore();
	if (o->stats)
		run_loop_print_stats(m);
	return status;
}

/*
 * The start of set-up, for run and restore: the control socket (before
 * the loading filter, which forbids new sockets), then that filter.  0, or
 * the exit status after one line.
 */
static int start_set_up(const struct run_options *o, struct api_socket *api)
{
	if (o->api_socket && api_socket_open(api, o->api_socket) < 0)
		return EXIT_STATUS_BAD_INPUT;
	if (o->seccomp &&
	    seccomp_install_load_filter_with(o->api_socket ? SECCOMP_RUN_API_SOCKET : 0) < 0)
		return EXIT_STATUS_HOST_ERROR;
	return 0;
}

/*
 * Restore `m` from a state file and its memory file: 0, or pvkit's exit
 * status after one line (2: the snapshot does not fit, 1 or 4: the host).
 * On failure `m` is left for machine_destroy().
 */
static int load_snapshot(struct machine *m, const char *state_path, const char *mem_path)
{
	struct snapshot_input in;
	int status = EXIT_STATUS_BAD_INPUT;
	if (snapshot_open(state_path, mem_path, &in) < 0)
		goto out;
	struct machine_part mp;
	char why[300];
	machine_state_config(&in.view, &mp, why, sizeof(why)); /* checked by snapshot_open() */
	status = EXIT_STATUS_HOST_ERROR;
	if (vm_map_ram_file(&m->vm, in.mem_fd, mp.mem_size) < 0)
		goto out;
	in.mem_fd = -1; /* the VM's now */
	if (vm_check_kvm(&m->vm) < 0) {
		status = EXIT_STATUS_KVM_FAILURE;
		goto out;
	}
	if (machine_restore(m, &mp, &in.view, why, sizeof(why)) < 0) {
		if (why[0]) {
			log_msg("%s: %s", state_path, why);
			status = EXIT_STATUS_BAD_INPUT;
		}
		goto out;
	}
	log_msg("restored %s (%" PRIu64 " MiB, %s)", base_name(state_path), mp.mem_size >> 20,
		mp.entry_mode == BOOT_CPU_PVM ? "deprivileged (pvm mode)" : "ring 0");
	status = 0;
out:
	snapshot_input_free(&in);
	return status;
}

/*
 * `pvkit restore --api-socket PATH` without a snapshot: serve the socket
 * until PUT /snapshot/load names one that loads (as Firecracker does).  A
 * load that fails is answered with its one line and the next one waited
 * for.  0 with `m` restored (paused unless resume_vm), or an exit status.
 */
static int wait_for_load(struct machine *m, struct api_socket *api)
{
	run_loop_catch_kick();
	if (api_socket_start(api) < 0)
		return EXIT_STATUS_HOST_ERROR;
	struct api_request req;
	for (;;) {
		if (!api_socket_take(api, &req, 1000))
			continue;
		if (req.op == API_INFO) {
			api_socket_reply_info(api, API_VM_NOT_STARTED);
			continue;
		}
		if (req.op != API_LOAD) {
			api_socket_fault(api, 400, "no VM yet: PUT /snapshot/load first");
			continue;
		}
		int status = load_snapshot(m, req.snapshot_path, req.mem_file_path);
		if (status == 0) {
			m->paused = !req.resume_vm;
			api_socket_reply(api, 204, NULL);
			return 0;
		}
		api_socket_fault(api, 400, "%s", log_last_msg());
		/* Start the next try from nothing (the RAM mapping is what
		 * says vm_alloc_ram() set the descriptors to -1). */
		if (m->vm.map_start)
			machine_destroy(m);
		memset(m, 0, sizeof(*m));
		if (status != EXIT_STATUS_BAD_INPUT)
			return status;
	}
}

int cmd_restore(int argc, char **argv)
{
	struct run_options o;
	if (parse_options(&cmd_restore_command, argc, argv, &o) < 0)
		return EXIT_STATUS_BAD_INPUT;
	signal(SIGPIPE, SIG_IGN);
	static struct machine m;
	static struct api_socket api = {.listen_fd = -1, .stop_fd = -1};
	int status = start_set_up(&o, &api);
	if (status == 0)
		status = o.snapshot_path ? load_snapshot(&m, o.snapshot_path, o.mem_file_path)
					 : wait_for_load(&m, &api);
	if (status == 0)
		status = run_machine(&m, &o, &api);
	api_socket_close(&api);
	finish_machine(&m);
	return status;
}

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	if (parse_options(&cmd_run_command, argc, argv, &o) < 0)
		return EXIT_STATUS_BAD_INPUT;
	/* A closed stdout (`pvkit run | head`) loses output; it must not kill
	 * the VMM in the middle of a run. */
	signal(SIGPIPE, SIG_IGN);

	/*L:130 The inputs, read whole into memory: the kernel --kernel names or,
	 * without it, the pvkernel linked into pvkit (host/default_kernel.S), and
	 * the initrd, packed into a newc archive on the fly when it is a
	 * directory (host/initrd_dir.c).  Nothing is parsed yet: a file that
	 * cannot be read is reported by name, with status 2. :*/
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
	if (o.initrd_path && initrd_read(o.initrd_path, &initrd, &initrd_size) < 0) {
		free(kernel_file);
		return EXIT_STATUS_BAD_INPUT;
	}

	static struct machine m; /* large (the I/O bus tables); zeroed */
	struct boot_image *img = NULL;
	int status = EXIT_STATUS_HOST_ERROR;
	static struct api_socket api = {.listen_fd = -1, .stop_fd = -1};
	/*L:140 The files are in memory: parsing them (the code most exposed to
	 * a hostile image) and setting up run under the loading seccomp filter
	 * (host/seccomp.h).  Guest RAM is mapped first because the loader writes
	 * the kernel straight into it; it is plain memory until KVM is given it
	 * in the L:300s, so a bad image is reported before /dev/kvm is opened.
	 * Next: host/vm.c. :*/
	boot_image_prepare(kernel, kernel_size);
	if ((status = start_set_up(&o, &api)) != 0)
		goto out;
	status = EXIT_STATUS_HOST_ERROR;
	if (vm_alloc_ram(&m.vm, o.mem) < 0)
		goto out;

	struct boot_error err = {0};
	img = boot_image_parse(kernel, kernel_size, o.mem, &err);
	if (!img) {
		log_msg("%s: %s", kernel_name, err.msg);
		status = EXIT_STATUS_BAD_INPUT;
		goto out;
	}
	/* pvm mode: offered here, taken by a kernel that can (the loader decides). */
	const char *why_not_pvm;
	int offer_pvm = pvm_offer(o.pv_mode, o.pvkit_cpuid, &why_not_pvm);
	if (offer_pvm < 0) {
		status = EXIT_STATUS_BAD_INPUT;
		goto out;
	}
	struct pvkit_pvm_info pvm;
	pvm_machine_info(&pvm);
	/* The same decision for a Xen PV kernel: --entry auto starts it under pvxen. */
	const char *why_ring0;
	bool deprivilege = pv_deprivilege(o.pv_mode, &why_ring0);

	uint8_t seed[32];
	bool have_seed = getrandom(seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed);
	struct boot_request req = {
	    .image = img,
	    .initrd = initrd,
	    .initrd_size = initrd_size,
	    .cmdline = o.cmdline,
	    .entry = o.entry,
	    .deprivilege = deprivilege,
	    .why_ring0 = why_ring0,
	    .hardware_subarch = o.subarch,
	    .subarch_given = o.subarch_given,
	    .rng_seed = have_seed ? seed : NULL,
	    .rng_seed_size = have_seed ? sizeof(seed) : 0,
	    .pvm = offer_pvm ? &pvm : NULL,
	    .pvm_required = o.pv_mode == PV_MODE_PVM,
	};
	struct boot_entry entry;
	if (boot_load(&req, &m.vm.mem, &entry, &err) < 0) {
		const char *input[] = {
		    [BOOT_INPUT_KERNEL] = kernel_name,
		    [BOOT_INPUT_INITRD] = o.initrd_path,
		    [BOOT_INPUT_CMDLINE] = "--cmdline",
		};
		log_msg("%s: %s", input[err.input], err.msg);
		status = EXIT_STATUS_BAD_INPUT;
		goto out;
	}
	/*L:300 Building the machine.  The kernel is in guest RAM and its entry
	 * decided; only now is /dev/kvm opened.  vm_check_kvm() (host/vm.c)
	 * finds it there, accessible, of KVM API version 12 and with the
	 * capabilities pvkit needs, or says what to do about it (status 4),
	 * before the "booting ... via" line.  machine_create() does the rest.
	 * Next: host/machine.c. :*/
	struct machine_config cfg = {.pvkit_cpuid = o.pvkit_cpuid,
				     .xen_no_isolation = o.isolation == ISOLATION_OFF};
	if (cfg.xen_no_isolation && entry.mode != BOOT_CPU_XEN_PV) {
		log_msg("--isolation off: only for a Xen PV guest (this one boots via %s)",
			entry.path);
		status = EXIT_STATUS_BAD_INPUT;
		goto out;
	}
	if (vm_check_kvm(&m.vm) < 0) {
		status = EXIT_STATUS_KVM_FAILURE;
		goto out;
	}
	log_msg("booting %s via %s", base_name(kernel_name), entry.path);
	if (cfg.xen_no_isolation)
		log_msg(
		    "--isolation off: the guest's user processes can read and write its kernel's "
		    "memory");
	if (entry.mode != BOOT_CPU_PVM)
		log_debug("pv mode: ring 0: %s",
			  why_not_pvm ? why_not_pvm : "the kernel does not take pvm mode");
	if (machine_create(&m, &cfg, &entry) < 0)
		goto out;
	status = run_machine(&m, &o, &api);
out:
	/*L:860 The end.  The machine is taken down and the status returns
	 * through main() as pvkit's own: the guest's (pvkernel's 0, or 32 for a
	 * failed self-test), or one of pvkit's when it stopped the guest or
	 * never started it (docs/vmm.md lists them all).  The guest's side of
	 * the story is told at more length in docs/pvkernel.md. :*/
	api_socket_close(&api);
	finish_machine(&m);
	boot_image_free(img);
	free(kernel_file);
	free(initrd);
	return status;
}
