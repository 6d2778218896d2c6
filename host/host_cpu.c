// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_cpu.h"

/* Is `name` a whole word of the cpuinfo flags line? */
static bool has_flag(const char *flags, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = flags; (p = strstr(p, name)) != NULL; p += n) {
		bool start = p == flags || p[-1] == ' ' || p[-1] == '\t';
		bool end = p[n] == ' ' || p[n] == '\n' || p[n] == '\0';
		if (start && end)
			return true;
	}
	return false;
}

void host_cpu_read(struct host_cpu *cpu)
{
	memset(cpu, 0, sizeof(*cpu));
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		cpu->vmx = has_flag(line, "vmx");
		cpu->svm = has_flag(line, "svm");
		cpu->hypervisor = has_flag(line, "hypervisor");
		break;
	}
	if (f)
		fclose(f);
	cpu->kvm_pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
}

bool host_is_pvm(void)
{
	const char *override = getenv("PVKIT_PVM_HOST_OVERRIDE");
	if (override)
		return strcmp(override, "1") == 0;
	/* Asked several times per run; the CPU does not change meanwhile, and
	 * reading /proc/cpuinfo costs a share of start-up worth saving. */
	static int pvm = -1;
	if (pvm < 0) {
		struct host_cpu cpu;
		host_cpu_read(&cpu);
		pvm = !cpu.vmx && !cpu.svm && cpu.kvm_pvm;
	}
	return pvm;
}
