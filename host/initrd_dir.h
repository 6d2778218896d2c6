/* SPDX-License-Identifier: MIT */
/*
 * initrd_dir.h - `--initrd DIR`: pack a directory tree into an initramfs
 * (newc cpio, boot/cpio.h) in memory, so a root file system can be edited
 * as files and booted without a separate packing step.
 */
#ifndef PVKIT_HOST_INITRD_DIR_H
#define PVKIT_HOST_INITRD_DIR_H

#include <stddef.h>
#include <stdint.h>

/* The largest archive pvkit packs: as large as a file it reads whole. */
#define INITRD_DIR_MAX (2ull << 30)

/*
 * Pack everything below `dir` (not following symbolic links; owners become
 * root, as the guest cannot know the host's users) into a malloc'd archive.
 * On failure prints "pvkit: PATH: what is wrong" and returns -1.
 */
int initrd_pack_dir(const char *dir, uint8_t **archive, size_t *size);

#endif
