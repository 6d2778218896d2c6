// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "hypercall.h"
#include "log.h"
#include "xen_machine.h"

int hypercall_page_fill(struct guest_memory *mem)
{
	uint8_t *page = guest_memory_ptr(mem, LAYOUT_HYPERCALL_PAGE, 4096);
	if (!page)
		return -1;
	/* int3 everywhere else: a guest that jumps into the middle traps
	 * instead of sliding into whatever follows. */
	memset(page, 0xcc, 4096);
	const uint8_t entry[] = {
	    0xe7, HYPERCALL_PORT, /* out %eax, $HYPERCALL_PORT */
	    0xc3,		  /* ret */
	};
	memcpy(page + PVKIT_HYPERCALL_ENTRY, entry, sizeof(entry));
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t hypercall_monotonic_now(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t hypercall_realtime_now(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* One tag: fill flags and value; true if accepted. */
static bool negotiate_tag(const struct hypercall_service *svc, struct pvkit_tag *t)
{
	t->flags = 0;
	switch (t->tag) {
	case PVKIT_TAG_ABI_VERSION:
		/* The guest says what it was built for; the host answers with
		 * what it speaks.  A host serves every older minor version. */
		t->value = PVKIT_ABI_VERSION;
		break;
	case PVKIT_TAG_CONSOLE:
		if (!(svc->features & PVKIT_FEATURE_CONSOLE)) {
			t->value = 0;
			return false;
		}
		t->value = t->value ? 1 : 0;
		break;
	case PVKIT_TAG_TIME_PAGE:
		if (!(svc->features & PVKIT_FEATURE_TIME_PAGE)) {
			t->value = 0;
			return false; /* known, but not offered: flags stay 0 */
		}
		t->value = LAYOUT_TIME_PAGE;
		break;
	case PVKIT_TAG_HALT:
		t->value = t->value ? 1 : 0;
		break;
	default:
		t->flags = PVKIT_TAG_UNKNOWN;
		t->value = 0;
		return false;
	}
	t->flags = PVKIT_TAG_ACCEPTED;
	return true;
}

static int64_t hc_negotiate(struct hypercall_service *svc, uint64_t gpa, uint64_t count)
{
	if (count > HYPERCALL_MAX_TAGS)
		return PVKIT_EINVAL;
	uint8_t *tags = guest_memory_ptr(svc->mem, gpa, count * sizeof(struct pvkit_tag));
	if (!tags)
		return PVKIT_EFAULT;
	int64_t accepted = 0;
	for (uint64_t i = 0; i < count; i++) {
		/* memcpy: the guest's array need not be aligned. */
		struct pvkit_tag t;
		memcpy(&t, tags + i * sizeof(t), sizeof(t));
		if (negotiate_tag(svc, &t))
			accepted++;
		memcpy(tags + i * sizeof(t), &t, sizeof(t));
	}
	return accepted;
}

static int64_t hc_console_write(struct hypercall_service *svc, uint64_t gpa, uint64_t len)
{
	if (len > PVKIT_CONSOLE_WRITE_MAX)
		return PVKIT_EINVAL;
	if (len == 0)
		return 0;
	const uint8_t *bytes = guest_memory_ptr(svc->mem, gpa, len);
	if (!bytes)
		return PVKIT_EFAULT;
	console_write(svc->console, bytes, len);
	return (int64_t)len;
}

static int64_t hc_power_off(struct hypercall_service *svc, uint64_t status)
{
	if (status > 255)
		return PVKIT_EINVAL;
	log_debug("guest powered off with status %d", (int)status);
	stop_request_set(svc->stop, (int)status, NULL);
	return PVKIT_OK;
}

static int64_t hc_clock(struct hypercall_service *svc, uint64_t which)
{
	switch (which) {
	case PVKIT_CLOCK_MONOTONIC:
		return (int64_t)(hypercall_monotonic_now() - svc->start_monotonic_ns);
	case PVKIT_CLOCK_REALTIME:
		return (int64_t)hypercall_realtime_now();
	default:
		return PVKIT_EINVAL;
	}
}

/* Consume a pending input event; true if there was one. */
static bool take_input_event(struct console *con)
{
	uint64_t count;
	return read(con->input_event_fd, &count, sizeof(count)) == sizeof(count);
}

static int64_t hc_halt(struct hypercall_service *svc, uint64_t deadline_ns)
{
	/* The guest is about to sleep: whatever it printed should be seen. */
	console_flush(svc->console);
	for (;;) {
		if (take_input_event(svc->console))
			return HYPERCALL_HALT_EVENT;
		if (svc->interrupted && *svc->interrupted)
			return HYPERCALL_HALT_DEADLINE;
		uint64_t now = hypercall_monotonic_now() - svc->start_monotonic_ns;
		if (deadline_ns != 0 && deadline_ns <= now)
			return HYPERCALL_HALT_DEADLINE;
		struct timespec wait, *timeout = NULL;
		if (deadline_ns != 0) {
			uint64_t left = deadline_ns - now;
			wait.tv_sec = (time_t)(left / 1000000000u);
			wait.tv_nsec = (long)(left % 1000000000u);
			timeout = &wait;
		}
		struct pollfd p = {.fd = svc->console->input_event_fd, .events = POLLIN};
		/* A signal (the --timeout timer) ends the wait with EINTR; the
		 * loop then sees `interrupted`. */
		if (ppoll(&p, 1, timeout, NULL) < 0 && errno != EINTR)
			return PVKIT_EINVAL;
	}
}

/*L:840 One switch for the whole ABI (abi/pvkit_abi.h).  Each call checks
 * its arguments against guest RAM and answers with a status: the guest is
 * never trusted.  POWER_OFF records the guest's status as the stop request
 * (hc_power_off() above, host/stop_request.c), so the vCPU is not entered
 * again.
 * Next: host/run_loop.c. :*/
int64_t hypercall_dispatch(struct hypercall_service *svc, const struct hypercall_args *args)
{
	svc->calls++;
	switch (args->nr) {
	case PVKIT_HC_NEGOTIATE:
		return hc_negotiate(svc, args->a0, args->a1);
	case PVKIT_HC_CONSOLE_WRITE:
		return hc_console_write(svc, args->a0, args->a1);
	case PVKIT_HC_POWER_OFF:
		return hc_power_off(svc, args->a0);
	case PVKIT_HC_CLOCK:
		return hc_clock(svc, args->a0);
	case PVKIT_HC_HALT:
		return hc_halt(svc, args->a0);
	}
	/* pvxen's calls exist only on a Xen PV machine: for any other guest
	 * they are numbers ABI v1 never defined, refused as such. */
	if (!svc->pvxen)
		return PVKIT_ENOSYS;
	switch (args->nr) {
	case PVKIT_HC_SHUTDOWN:
		return xen_hypercall_shutdown(svc, args->a0, args->a1, args->a2);
	case PVKIT_HC_LOG:
		return xen_hypercall_log(svc, args->a0, args->a1);
	case PVKIT_HC_CONSOLE_READ:
		return xen_hypercall_console_read(svc, args->a0, args->a1);
	default:
		return PVKIT_ENOSYS;
	}
}
