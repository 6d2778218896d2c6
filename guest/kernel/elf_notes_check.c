/* SPDX-License-Identifier: MIT */
/*
 * head.S writes the ELF notes with literal numbers (assembler files cannot
 * include the C headers that define them); this pins them to the headers.
 */
#include "abi/pvkit_abi.h"
#include "boot/pvh.h"

_Static_assert(PVKIT_ABI_VERSION == 0x00010000, "update the pvkit note in head.S");
_Static_assert(PVKIT_ELFNOTE_ABI == 1, "update the pvkit note in head.S");
_Static_assert(XEN_ELFNOTE_PHYS32_ENTRY == 18, "update the PVH note in head.S");
_Static_assert(PVKIT_ELFNOTE_PVM == 2, "update the pvm note in head.S");
