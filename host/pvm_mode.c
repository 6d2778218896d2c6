// SPDX-License-Identifier: MIT
/*
 * pvm_mode.c - should this kernel run deprivileged (pvm mode)?
 *
 * Only where ring 0 is emulated: a host that has no vmx/svm CPU flag and
 * whose KVM is kvm_pvm.  Where ring 0 runs natively (hardware-assisted
 * KVM), deprivileging would only cost, so pvm is never chosen there, not
 * even with --pv-mode pvm.  And only for an image that carries the
 * PVKIT_ELFNOTE_PVM note and is started through its 64-bit entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/pvkit_abi.h"
#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/error.h"
#include "boot/payload.h"
#include "boot/pvh.h"
#include "log.h"
#include "pvm_mode.h"

static bool cpu_flag(const char *flags, const char *name)
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

bool pvm_host_is_pvm_like(void)
{
	if (getenv("PVKIT_PVM_HOST_OVERRIDE")) /* tests: pretend either way */
		return strcmp(getenv("PVKIT_PVM_HOST_OVERRIDE"), "1") == 0;
	bool hw_virt = false;
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		hw_virt = cpu_flag(line, "vmx") || cpu_flag(line, "svm");
		break;
	}
	if (f)
		fclose(f);
	return !hw_virt && access("/sys/module/kvm_pvm", F_OK) == 0;
}

static bool elf_find(const uint8_t *data, size_t size, struct pvm_image *img)
{
	static struct elf_image elf; /* large; only ever used by the VMM's one thread */
	struct boot_error err;
	if (!elf_detect(data, size) || elf_parse(data, size, &elf, &err) < 0)
		return false;
	for (int i = 0; i < elf.nnotes; i++) {
		const struct elf_note *n = &elf.note[i];
		if (!elf_note_is(n, PVKIT_ELFNOTE_NAME, PVKIT_ELFNOTE_PVM) || n->descsz < 16)
			continue;
		memcpy(&img->syscall_entry, n->desc, 8);
		memcpy(&img->idt, n->desc + 8, 8);
		return img->syscall_entry != 0;
	}
	return false;
}

bool pvm_image_find(const uint8_t *kernel, size_t size, struct pvm_image *img)
{
	if (elf_find(kernel, size, img))
		return true;
	if (!bzimage_detect(kernel, size))
		return false;
	static struct bzimage_info bz;
	struct boot_error err;
	if (bzimage_parse(kernel, size, &bz, &err) < 0 || !bz.payload)
		return false;
	/* Only an uncompressed payload (pvkernel's) is looked into: the
	 * note is a property of kernels built for this, never of Linux. */
	if (payload_detect(bz.payload, bz.payload_size) != PAYLOAD_NONE)
		return false;
	return elf_find(bz.payload, bz.payload_size, img);
}

int pvm_decide(enum pv_mode_choice choice, const uint8_t *kernel, size_t size,
	       const struct boot_entry *entry, struct pvm_image *img, const char **why)
{
	if (choice == PV_MODE_RING0) {
		*why = "--pv-mode ring0";
		return 0;
	}
	bool host = pvm_host_is_pvm_like();
	bool image = pvm_image_find(kernel, size, img);
	bool entry64 = entry->mode == BOOT_CPU_LONG64;
	if (host && image && entry64)
		return 1;
	*why = !host	? "ring 0 is not emulated on this host (no kvm_pvm, or vmx/svm present)"
	       : !image ? "the kernel has no pvkit PVM note"
			: "the kernel is not started through its 64-bit entry";
	if (choice == PV_MODE_PVM) {
		log_msg("--pv-mode pvm: %s", *why);
		return -1;
	}
	return 0;
}
