// SPDX-License-Identifier: MIT
#include "usage.h"

void usage(FILE *out)
{
	fputs("usage: pvkit run [--kernel IMAGE] [--initrd FILE] [--cmdline STR] [--mem SIZE]\n"
	      "                 [--entry auto|64|pvh] [--subarch N|pc|pvkit] [--timeout SECONDS]\n"
	      "                 [--stats] [--no-pvkit-cpuid] [--debug]\n"
	      "                 [--console-limit BYTES] [--no-seccomp] [--pv-mode auto|pvm|ring0]\n"
	      "       pvkit inspect IMAGE [--json]\n"
	      "       pvkit probe [--json]\n"
	      "       pvkit help | --version\n"
	      "\n"
	      "run:     boot IMAGE (a bzImage or ELF vmlinux; default: the bundled pvkernel)\n"
	      "         with SIZE of RAM (default 256M; K/M/G suffixes), console on the\n"
	      "         16550 UART (COM1) and the pvkit hypercall console.  Exit status:\n"
	      "         the guest's (debug exit port 0xf4 or power-off), 124 on --timeout,\n"
	      "         3 on a triple fault, 4 if KVM cannot run it, 2 for bad input.\n"
	      "         --pv-mode: where ring 0 is emulated (kvm_pvm, `pvkit probe`), a kernel\n"
	      "         with the pvkit PVM note starts deprivileged (auto); pvm or ring0 force.\n"
	      "inspect: describe a kernel image without booting it.\n"
	      "probe:   what this host's KVM offers, and what guest code costs here.\n",
	      out);
}
