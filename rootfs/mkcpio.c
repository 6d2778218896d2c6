// SPDX-License-Identifier: MIT
/*
 * mkcpio DIR OUT: pack DIR into the newc cpio archive OUT, with the code
 * `pvkit run --initrd DIR` uses (host/initrd_dir.c), so the bundled root
 * file system and an on-the-fly one are packed the same way.  OUT is
 * written under a temporary name and renamed: no partial archive is left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/initrd_dir.h"
#include "host/log.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mkcpio DIR OUT\n");
		return 2;
	}
	uint8_t *archive;
	size_t size;
	if (initrd_pack_dir(argv[1], &archive, &size) < 0)
		return 2;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	FILE *f = fopen(tmp, "wb");
	if (!f || fwrite(archive, 1, size, f) != size || fclose(f) != 0) {
		log_msg("%s: cannot write", tmp);
		unlink(tmp);
		return 1;
	}
	free(archive);
	if (rename(tmp, argv[2]) < 0) {
		log_msg("%s: cannot rename to %s", tmp, argv[2]);
		unlink(tmp);
		return 1;
	}
	return 0;
}
