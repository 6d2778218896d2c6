/* SPDX-License-Identifier: MIT */
/*
 * main.c - pvm-experiments: run the PVM experiments on this host.
 *
 *   pvm-experiments probe   exit 0 on a PVM-like host, 3 if not, 4 if no KVM
 *   pvm-experiments list    the experiment names
 *   pvm-experiments NAME    run one; exit 0 if all its checks passed, else 1
 *
 * Output lines are described in report.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host_cpu.h"
#include "tests/pvm/experiments.h"
#include "tests/pvm/report.h"

static const struct {
	const char *name;
	int (*run)(void);
	const char *question;
} experiments[] = {
    {"loops", exp_loops, "CPL3 loop speed vs CPL0 loop speed"},
    {"syscall", exp_syscall, "syscall entry, iretq return, sysretq"},
    {"exceptions", exp_exceptions, "exceptions from user mode, IDT stub bounce"},
    {"frames", exp_frames, "kernel-mode exception frames, telling kernel from user"},
    {"timer", exp_timer, "LAPIC timer interrupts in user and kernel mode"},
    {"cr3", exp_cr3, "CR3 switching by trap-and-emulate"},
    {"pvm_spec", exp_pvm_spec, "the published PVM spec's mechanisms on this host"},
    {"pvcs_mode", exp_pvcs_mode, "the mode a page address in MSR 0x4b564d10 turns on"},
    {"user_supervisor", exp_user_supervisor, "U/S checks in kernel mode"},
    {"debug", exp_debug, "debug registers, single-step, CR4.FSGSBASE for native code"},
    {"user_gate", exp_user_gate, "IDT gates to the user code segment; isolation's floor"},
};

/* A PVM host, as pvkit itself decides it (host/host_cpu.h). */
static int probe(void)
{
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		printf("no usable /dev/kvm\n");
		return 4;
	}
	if (host_is_pvm()) {
		printf("PVM-like host: /dev/kvm is served by kvm_pvm, no vmx/svm\n");
		return 0;
	}
	printf("not a PVM host: kvm_pvm is not loaded, or vmx/svm is present\n");
	return 3;
}

int main(int argc, char **argv)
{
	size_t count = sizeof(experiments) / sizeof(experiments[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "pvm-experiments: INPUT: usage: pvm-experiments probe|list|NAME\n");
		return 2;
	}
	if (strcmp(argv[1], "probe") == 0)
		return probe();
	if (strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < count; i++)
			printf("%s\t%s\n", experiments[i].name, experiments[i].question);
		return 0;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(argv[1], experiments[i].name) == 0)
			return experiments[i].run() ? 1 : 0;
	}
	fprintf(stderr, "pvm-experiments: INPUT: unknown experiment '%s'\n", argv[1]);
	return 2;
}
