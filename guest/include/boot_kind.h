/* SPDX-License-Identifier: MIT */
/* boot_kind.h - which entry the kernel came in through (head.S -> C). */
#ifndef PVKERNEL_BOOT_KIND_H
#define PVKERNEL_BOOT_KIND_H

#define BOOT_KIND_64BIT	   1 /* startup_64, boot_params */
#define BOOT_KIND_32BIT	   2 /* startup_32 from a 32-bit loader, boot_params */
#define BOOT_KIND_REALMODE 3 /* startup_32 from our real-mode setup, boot_params */
#define BOOT_KIND_PVH	   4 /* pvh_start32, hvm_start_info */
#define BOOT_KIND_PVM	   5 /* pvm_entry: `syscall` from pvkit's user-mode trampoline */

/* %ebx from setup16.S into startup_32. */
#define PVK_SETUP_MAGIC 0x53564b50

#endif
