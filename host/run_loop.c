// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "api_socket.h"
#include "emulation_assist.h"
#include "hypercall.h"
#include "log.h"
#include "run_loop.h"
#include "snapshot.h"

/*
 * Signals that end the run: the --timeout timer's SIGALRM (sent to the
 * vCPU thread) and SIGINT/SIGTERM (the console thread blocks every signal,
 * so they land on the vCPU thread too).  The handler records the signal and
 * sets immediate_exit in kvm_run: if the signal lands while KVM_RUN is
 * running, KVM_RUN returns EINTR; if it lands just before, the next KVM_RUN
 * returns at once.  Either way no stop can be missed, and nothing polls.
 */
static volatile sig_atomic_t caught_signal;
static struct kvm_run *volatile running_vcpu;
/* Set by every signal here: a HALT hypercall returns early (hc_halt()). */
static volatile int run_interrupted;

static void on_stop_signal(int sig)
{
	caught_signal = sig;
	run_interrupted = 1;
	if (running_vcpu)
		running_vcpu->immediate_exit = 1;
}

/* SIGUSR1 from the control socket's thread: a request waits (api_socket.h). */
static void on_kick(int sig)
{
	(void)sig;
	run_interrupted = 1;
	if (running_vcpu)
		running_vcpu->immediate_exit = 1;
}

static int catch_signal(int sig, void (*handler)(int))
{
	struct sigaction sa = {.sa_handler = handler};
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN and ppoll must return EINTR. */
	return sigaction(sig, &sa, NULL);
}

void run_loop_catch_kick(void)
{
	catch_signal(SIGUSR1, on_kick);
}

static int start_timer(double seconds, timer_t *timer)
{
	if (catch_signal(SIGALRM, on_stop_signal) < 0)
		return -1;
	struct sigevent ev = {
	    .sigev_notify = SIGEV_THREAD_ID,
	    .sigev_signo = SIGALRM,
	};
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &ev, timer) < 0)
		return -1;
	struct itimerspec when = {0};
	when.it_value.tv_sec = (time_t)seconds;
	when.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0)
		when.it_value.tv_nsec = 1;
	return timer_settime(*timer, 0, &when, NULL);
}

static uint64_t guest_rip(struct machine *m)
{
	struct kvm_regs regs;
	if (ioctl(m->vcpu.fd, KVM_GET_REGS, &regs) < 0)
		return 0;
	return regs.rip;
}

static void stop_with(struct machine *m, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stop_with(struct machine *m, int status, const char *fmt, ...)
{
	char reason[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	stop_request_set(&m->stop, status, reason);
}

/*
 * The guest's registers for a hypercall.  With KVM_CAP_SYNC_REGS KVM copies
 * them into kvm_run on every exit and takes them back when marked dirty,
 * which saves the KVM_GET_REGS/KVM_SET_REGS pair (measured: about half of
 * a hypercall's cost on this host).  That copy costs every exit, though,
 * hypercall or not (~40 ns of the port-write exit of docs/performance.md
 * section 4): it is asked for from the first hypercall on, so a guest that
 * never makes one never pays for it.  True if `regs` is kvm_run's copy.
 */
static bool synced_regs(struct machine *m, const struct kvm_regs *regs)
{
	return regs == &m->vcpu.run->s.regs.regs;
}

static struct kvm_regs *hypercall_regs(struct machine *m, struct kvm_regs *buf)
{
	struct kvm_run *run = m->vcpu.run;
	if (run->kvm_valid_regs & KVM_SYNC_X86_REGS)
		return &run->s.regs.regs;
	if (ioctl(m->vcpu.fd, KVM_GET_REGS, buf) < 0) {
		stop_with(m, EXIT_STATUS_HOST_ERROR, "KVM_GET_REGS: %s", strerror(errno));
		return NULL;
	}
	if (m->sync_regs)
		run->kvm_valid_regs |= KVM_SYNC_X86_REGS;
	return buf;
}

/*L:830 Both kinds of hypercall end here: the call number and arguments from
 * the guest's registers (RAX; RDI, RSI, RDX, R10), the result into RAX.  On
 * the way, once per TIME_SYNC_INTERVAL_NS, the time page is paired again.
 * Next: host/hypercall.c. :*/
void run_loop_hypercall(struct machine *m)
{
	struct kvm_regs buf;
	struct kvm_regs *regs = hypercall_regs(m, &buf);
	if (!regs)
		return;
	m->stats.hypercall++;
	if (hypercall_monotonic_now() - m->last_time_sync_ns >= TIME_SYNC_INTERVAL_NS)
		machine_sync_time(m);
	struct hypercall_args args = {
	    .nr = regs->rax,
	    .a0 = regs->rdi,
	    .a1 = regs->rsi,
	    .a2 = regs->rdx,
	    .a3 = regs->r10,
	};
	regs->rax = (uint64_t)hypercall_dispatch(&m->hypercalls, &args);
	/* RIP is left as KVM reported it: KVM finishes the OUT or the MMIO
	 * write (moves RIP past it) on the next KVM_RUN, unless userspace moved
	 * RIP meanwhile. */
	if (synced_regs(m, regs))
		m->vcpu.run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	else if (ioctl(m->vcpu.fd, KVM_SET_REGS, regs) < 0)
		stop_with(m, EXIT_STATUS_HOST_ERROR, "KVM_SET_REGS: %s", strerror(errno));
}

/*L:800 Back on the host: KVM_RUN has returned, and run_loop_handle_exit()
 * below dispatches on the exit reason.  A ring-0 guest's hypercall is a
 * 4-byte `out` to port 0xf8; any other port access goes to the device that
 * claimed the port on the io bus (host/io_bus.c). :*/
static void handle_io(struct machine *m)
{
	struct kvm_run *run = m->vcpu.run;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	if (is_write && run->io.port == HYPERCALL_PORT && run->io.size == 4 && run->io.count == 1) {
		run_loop_hypercall(m);
		return;
	}
	m->stats.io++;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	/* String I/O (rep outsb/insb) arrives as `count` accesses in a row. */
	for (uint32_t i = 0; i < run->io.count; i++)
		io_bus_access(&m->bus, IO_SPACE_PORT, run->io.port, data + i * run->io.size,
			      run->io.size, is_write);
}

/*L:810 A pvm kernel's hypercall comes here instead: a write to the doorbell
 * address, which the io bus hands to pvm_hypercall_io().  An MMIO access
 * nobody claimed reads as all ones and changes nothing.
 * Next: host/pvm_machine.c. :*/
static void handle_mmio(struct machine *m)
{
	struct kvm_run *run = m->vcpu.run;
	m->stats.mmio++;
	uint32_t len = run->mmio.len;
	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	io_bus_access(&m->bus, IO_SPACE_MMIO, run->mmio.phys_addr, run->mmio.data, len,
		      run->mmio.is_write);
}

/* HLT reaches userspace only without the in-kernel irqchip: nothing can
 * wake the guest but console input, so wait for that (or the timeout). */
static void handle_hlt(struct machine *m)
{
	m->stats.hlt++;
	console_flush(&m->console);
	struct pollfd p = {.fd = m->console.input_event_fd, .events = POLLIN};
	poll(&p, 1, 10);
}

static void handle_system_event(struct machine *m)
{
	switch (m->vcpu.run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		stop_with(m, 0, "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		stop_with(m, 0, "guest requested reset");
		break;
	default:
		stop_with(m, EXIT_STATUS_KVM_FAILURE, "guest crashed (KVM system event %u)",
			  m->vcpu.run->system_event.type);
		break;
	}
}

void run_loop_handle_exit(struct machine *m)
{
	struct kvm_run *run = m->vcpu.run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(m);
		break;
	case KVM_EXIT_MMIO:
		handle_mmio(m);
		break;
	case KVM_EXIT_HLT:
		handle_hlt(m);
		break;
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_SHUTDOWN:
		stop_with(m, EXIT_STATUS_TRIPLE_FAULT, "guest triple-faulted (RIP=0x%" PRIx64 ")",
			  guest_rip(m));
		break;
	case KVM_EXIT_FAIL_ENTRY:
		stop_with(m, EXIT_STATUS_KVM_FAILURE,
			  "KVM could not enter the guest (hardware entry failure reason 0x%llx, "
			  "RIP=0x%" PRIx64 ")",
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			  guest_rip(m));
		break;
	case KVM_EXIT_INTERNAL_ERROR: {
		char why[128];
		if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION) {
			stop_with(m, EXIT_STATUS_KVM_FAILURE,
				  "KVM internal error (suberror %u) at RIP=0x%" PRIx64,
				  run->internal.suberror, guest_rip(m));
		} else if (!emulation_assist(m, why, sizeof(why))) {
			stop_with(m, EXIT_STATUS_KVM_FAILURE, "KVM's emulator cannot run %s", why);
		}
		break;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(m);
		break;
	default:
		stop_with(m, EXIT_STATUS_KVM_FAILURE,
			  "unexpected KVM exit reason %u at RIP=0x%" PRIx64, run->exit_reason,
			  guest_rip(m));
		break;
	}
}

int run_loop_pause(struct machine *m)
{
	/* KVM finishes an exit's instruction (the OUT, the MMIO access, the
	 * registers a hypercall changed) at the start of the next KVM_RUN.
	 * With immediate_exit set that KVM_RUN does just that and returns
	 * EINTR without entering the guest: the vCPU's state is then whole. */
	m->vcpu.run->immediate_exit = 1;
	int r = ioctl(m->vcpu.fd, KVM_RUN, 0);
	int err = errno;
	m->vcpu.run->immediate_exit = 0;
	if (r == 0 || err != EINTR) {
		log_msg("KVM_RUN to complete the last exit: %s", r == 0 ? "it ran" : strerror(err));
		return -1;
	}
	return 0;
}

int run_loop_snapshot(struct machine *m, const char *state_path, const char *mem_path)
{
	if (run_loop_pause(m) < 0)
		return -1;
	struct snapshot_stats st;
	if (snapshot_write(m, state_path, mem_path, &st) < 0)
		return -1;
	log_msg("snapshot: %s (%" PRIu64 " bytes) and %s (%" PRIu64 " KiB of data) in %.1f ms",
		state_path, st.state_bytes, mem_path, st.mem_bytes_written >> 10, st.ns / 1e6);
	return 0;
}

/* One request of the control socket, on this (the vCPU) thread. */
static void answer_api(struct machine *m, const struct api_request *req)
{
	struct api_socket *api = m->api;
	switch (req->op) {
	case API_INFO:
		api_socket_reply_info(api, m->paused ? API_VM_PAUSED : API_VM_RUNNING);
		break;
	case API_LOAD:
		api_socket_fault(api, 400, "a VM is loaded already: one per pvkit process");
		break;
	case API_STATS: {
		const struct api_stats st = {
		    .total = m->stats.total,
		    .io = m->stats.io,
		    .mmio = m->stats.mmio,
		    .hlt = m->stats.hlt,
		    .hypercall = m->stats.hypercall,
		    .console_bytes = m->console.bytes_out,
		};
		api_socket_reply_stats(api, &st);
		break;
	}
	case API_PAUSE:
		if (!m->paused && run_loop_pause(m) < 0) {
			api_socket_fault(api, 500, "%s", log_last_msg());
			break;
		}
		if (!m->paused)
			console_flush(&m->console);
		m->paused = true;
		api_socket_reply(api, 204, NULL);
		break;
	case API_RESUME:
		m->paused = false;
		api_socket_reply(api, 204, NULL);
		break;
	case API_SNAPSHOT:
		if (!m->paused)
			api_socket_fault(api, 400,
					 "the VM is running: pause it first (PATCH /vm "
					 "{\"state\": \"Paused\"})");
		else if (run_loop_snapshot(m, req->snapshot_path, req->mem_file_path) < 0)
			api_socket_fault(api, 400, "%s", log_last_msg());
		else
			api_socket_reply(api, 204, NULL);
		break;
	case API_SHUTDOWN:
		stop_with(m, 0, "stopped through the control socket (SendCtrlAltDel)");
		m->paused = false;
		api_socket_reply(api, 204, NULL);
		break;
	}
}

/*
 * Serve the control socket: the request that woke us and, while the VM is
 * paused, every later one, until one resumes it or something stops it.
 * A paused VM still stops for SIGINT, SIGTERM and --timeout.
 */
static void serve_api(struct machine *m)
{
	struct api_request req;
	while (!m->stop.stop && !caught_signal) {
		if (api_socket_take(m->api, &req, m->paused ? 100 : 0))
			answer_api(m, &req);
		else if (!m->paused)
			break;
	}
}

int run_loop(struct machine *m, double timeout_seconds)
{
	/*L:400 Running it.  This thread runs the vCPU; the console's thread only
	 * reads stdin.  Whatever ends the run (a device, a hypercall, the
	 * console limit) sets m->stop; the signals (--timeout's SIGALRM, SIGINT,
	 * SIGTERM) also cut KVM_RUN short, as the comment at the top of this
	 * file explains. :*/
	timer_t timer;
	bool have_timer = false;
	caught_signal = 0;
	running_vcpu = m->vcpu.run;
	run_interrupted = 0;
	m->hypercalls.interrupted = &run_interrupted;
	catch_signal(SIGINT, on_stop_signal);
	catch_signal(SIGTERM, on_stop_signal);
	run_loop_catch_kick();
	/* Registers in kvm_run from the first hypercall on (hypercall_regs()). */
	m->vcpu.run->kvm_valid_regs = 0;
	if (timeout_seconds > 0) {
		if (start_timer(timeout_seconds, &timer) < 0) {
			log_msg("cannot start the --timeout timer: %s", strerror(errno));
			running_vcpu = NULL;
			return EXIT_STATUS_HOST_ERROR;
		}
		have_timer = true;
	}
	while (!m->stop.stop) {
		if (caught_signal == SIGALRM) {
			stop_with(m, EXIT_STATUS_TIMEOUT, "guest still running after %g s, stopped",
				  timeout_seconds);
			break;
		}
		if (caught_signal) {
			/* As a shell reports a process killed by the signal. */
			const char *name = sigabbrev_np(caught_signal);
			stop_with(m, 128 + caught_signal, "stopped by SIG%s", name ? name : "?");
			break;
		}
		run_interrupted = 0;
		if (m->api && (m->paused || api_socket_pending(m->api))) {
			serve_api(m);
			continue;
		}
		/*L:410 The guest runs inside this ioctl, from the registers of
		 * L:360, until it needs pvkit: a port or MMIO access, a hypercall,
		 * a shutdown.  KVM_RUN then returns with the reason in kvm_run, and
		 * run_loop_handle_exit() answers it.  The first time, the vCPU
		 * starts at one of pvkernel's doors.
		 * Next: guest/arch/x86/head.S. :*/
		int r = ioctl(m->vcpu.fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				m->vcpu.run->immediate_exit = 0;
				continue;
			}
			stop_with(m, EXIT_STATUS_HOST_ERROR, "KVM_RUN: %s", strerror(errno));
			break;
		}
		m->stats.total++;
		run_loop_handle_exit(m);
		if (m->stats.total == m->snapshot_after_exits && !m->stop.stop &&
		    run_loop_snapshot(m, m->snapshot_path, m->snapshot_mem_path) < 0)
			stop_with(m, EXIT_STATUS_HOST_ERROR, "snapshot failed, stopped");
	}
	/*L:850 The loop ends at the first stop request: the guest's status, a
	 * device's, a signal's or the timeout's.  Console output is flushed, and
	 * the reason, where there is one, is the last line on stderr.
	 * Next: host/cmd_run.c. :*/
	if (have_timer)
		timer_delete(timer);
	running_vcpu = NULL;
	m->hypercalls.interrupted = NULL;
	console_flush(&m->console);
	if (m->stop.reason[0])
		log_msg("%s", m->stop.reason);
	return m->stop.status;
}

void run_loop_print_stats(const struct machine *m)
{
	const struct exit_stats *s = &m->stats;
	fprintf(stderr,
		"pvkit: exits: total=%" PRIu64 " io=%" PRIu64 " mmio=%" PRIu64 " hlt=%" PRIu64
		" hypercall=%" PRIu64 " console_bytes=%" PRIu64 "\n",
		s->total, s->io, s->mmio, s->hlt, s->hypercall, m->console.bytes_out);
}
