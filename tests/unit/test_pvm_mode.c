// SPDX-License-Identifier: MIT
/*
 * test_pvm_mode.c - pvm mode's host side: --pv-mode parsing, whether pvkit
 * offers pvm mode (never where ring 0 is not emulated; refused when forced
 * there), the one test for a PVM host, and what pvkit offers a pvm kernel
 * (pvm_machine_info()).  Whether a kernel takes the offer is the loader's
 * decision, tested in test_boot_load.c; the PVM note's checks are in
 * test_boot_elf.c.  PVKIT_PVM_HOST_OVERRIDE stands in for the host kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/pvkit_abi.h"
#include "boot/layout.h"
#include "host/cpu_setup.h"
#include "host/host_cpu.h"
#include "host/hypercall.h"
#include "host/pvm_machine.h"
#include "host/pvm_mode.h"

static void host_override(void **state)
{
	(void)state;
	setenv("PVKIT_PVM_HOST_OVERRIDE", "1", 1);
	assert_true(host_is_pvm());
	setenv("PVKIT_PVM_HOST_OVERRIDE", "0", 1);
	assert_false(host_is_pvm());
	unsetenv("PVKIT_PVM_HOST_OVERRIDE");
}

static void offer(void **state)
{
	(void)state;
	const char *why = "";

	setenv("PVKIT_PVM_HOST_OVERRIDE", "1", 1);
	/* The decision pvm mode and a Xen PV kernel's --entry auto share. */
	assert_true(pv_deprivilege(PV_MODE_AUTO, &why));
	assert_null(why);
	assert_false(pv_deprivilege(PV_MODE_RING0, &why));
	assert_string_equal(why, "--pv-mode ring0");
	assert_int_equal(pvm_offer(PV_MODE_AUTO, true, &why), 1);
	assert_null(why);
	assert_int_equal(pvm_offer(PV_MODE_PVM, true, &why), 1);
	assert_int_equal(pvm_offer(PV_MODE_RING0, true, &why), 0);
	assert_string_equal(why, "--pv-mode ring0");
	/* A kernel told to ignore pvkit is not offered pvm mode, unless forced. */
	assert_int_equal(pvm_offer(PV_MODE_AUTO, false, &why), 0);
	assert_string_equal(why, "--no-pvkit-cpuid");
	assert_int_equal(pvm_offer(PV_MODE_PVM, false, &why), 1);

	/* Ring 0 runs natively: never pvm, and forcing it is refused. */
	setenv("PVKIT_PVM_HOST_OVERRIDE", "0", 1);
	assert_false(pv_deprivilege(PV_MODE_AUTO, &why));
	assert_non_null(strstr(why, "not emulated"));
	assert_int_equal(pvm_offer(PV_MODE_AUTO, true, &why), 0);
	assert_non_null(strstr(why, "not emulated"));
	assert_int_equal(pvm_offer(PV_MODE_PVM, true, &why), -1);
	assert_non_null(strstr(why, "not emulated"));
	unsetenv("PVKIT_PVM_HOST_OVERRIDE");
}

/* What the kernel is told is what machine_create() builds. */
static void machine_info(void **state)
{
	(void)state;
	struct pvkit_pvm_info info;
	memset(&info, 0x55, sizeof(info));
	pvm_machine_info(&info);
	assert_int_equal(info.version, PVKIT_PVM_INFO_VERSION);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.trampoline, LAYOUT_HYPERCALL_PAGE + PVM_TRAMPOLINE_OFFSET);
	assert_int_equal(info.hypercall_mmio, PVM_HYPERCALL_MMIO);
	assert_int_equal(info.gdt, LAYOUT_GDT);
	assert_int_equal(info.tss, TSS_ADDR);
	assert_int_equal(info.kernel_cs, 0x10);
	assert_int_equal(info.kernel_ds, 0x18);
	assert_int_equal(info.user_cs, 0x33);
	assert_int_equal(info.user_ds, 0x2b);
	assert_int_equal(info.abi_version, PVKIT_ABI_VERSION);
	assert_int_equal(info.features, HYPERCALL_FEATURES);
	assert_int_equal(info.hypercall_page, LAYOUT_HYPERCALL_PAGE);
	assert_int_equal(info.time_page, LAYOUT_TIME_PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(host_override),
	    cmocka_unit_test(offer),
	    cmocka_unit_test(machine_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
