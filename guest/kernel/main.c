/* SPDX-License-Identifier: MIT */
/*
 * main.c - the kernel proper, the same whichever way it was started.
 *
 * It receives the normalized boot information (kernel/boot_info.c built it
 * from boot_params or hvm_start_info).  Order matters: the backend is
 * chosen first (so everything after prints through the
 * right console), then the CPU tables, memory and timer are set up through
 * pv_ops, then the self-tests run and decide the exit status.
 *
 * Command-line options:
 *   pvkernel.console_bench=N  print N bytes (K/M/G) through the console op
 *                             instead of the self-tests, then power off
 *   pvkernel.bench=1          measure kernel code, exceptions and the timer
 *                             (kernel/bench.c) before the self-tests
 *   pvkernel.crash=1          run ud2 with no handler armed: shows the
 *                             exception report and the failure status
 */
#include "boot_info.h"
#include "mm.h"
#include "pv.h"
#include "trap.h"

#define TIMER_HZ 250

extern char _end[];

void kernel_main(const struct boot_info *bi)
{
	/*G:620 kernel_main(), the same whichever door was taken.  The backend
	 * that fills pv_ops comes first, so that everything after it, printing
	 * included, goes the way that works where the kernel runs.
	 * Next: guest/pv/select.c. :*/
	pv_select(bi);
	printk("boot: entry=%s, loader 0x%x, protocol %u.%02u, cmdline \"%s\"\n", bi->entry_name,
	       bi->loader_type, bi->protocol_version >> 8, bi->protocol_version & 0xff,
	       bi->cmdline);
	printk("boot: %u memory map entries, %u setup_data entries%s\n", bi->mem_count,
	       bi->setup_data_count, bi->has_rng_seed ? " (RNG seed)" : "");

	/*G:700 From here on the kernel does not ask where it runs: the CPU
	 * tables (with the backend's IDT stubs), memory (the page allocator,
	 * then the kernel's own page tables, guest/mm/) and the periodic timer
	 * go through pv_ops wherever privilege or the platform matters, so one
	 * kernel serves the three backends. :*/
	gdt_init();
	trap_init();
	page_alloc_init(bi, ALIGN_UP((uint64_t)_end, PAGE_SIZE));
	printk("mm: %lu KiB of RAM for the page allocator\n", page_alloc_ram_bytes() >> 10);
	if (paging_init(bi))
		panic("mm: cannot build the kernel page tables");
	if (pv_ops.timer_start(TIMER_HZ, VEC_TIMER))
		printk("timer: could not start the periodic timer\n");
	else
		printk("timer: %u Hz on vector 0x%x\n", TIMER_HZ, VEC_TIMER);

	if (cmdline_has("pvkernel.crash"))
		asm volatile("ud2");

	uint64_t bench = cmdline_get_u64("pvkernel.console_bench", 0);
	if (bench) {
		pv_ops.timer_stop();
		console_bench(bench);
		pv_ops.power_off(PVKERNEL_EXIT_OK);
	}

	if (cmdline_has("pvkernel.bench"))
		run_bench();
	/*G:710 The self-tests (guest/kernel/selftest.c, and the backend's own)
	 * decide the status: 0 if every one passed, 32 if one failed.  Then
	 * power_off, under pvkit and in pvm mode the POWER_OFF hypercall.
	 * Next: guest/pv/pvkit.c. :*/
	int status = run_selftests() ? PVKERNEL_EXIT_TEST_FAILED : PVKERNEL_EXIT_OK;
	pv_ops.timer_stop();
	printk("pvkernel: powering off with status %d\n", status);
	pv_ops.power_off(status);
}
