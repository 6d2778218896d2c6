// SPDX-License-Identifier: MIT
/* `--initrd DIR`: the newc writer (boot/cpio.c) and the directory packer (host/initrd_dir.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot/cpio.h"
#include "boot/loader.h"
#include "host/initrd_dir.h"

/* One entry read back from an archive, the way the kernel's unpacker sees it. */
struct parsed {
	char name[256];
	uint32_t mode, nlink, size, namesize;
	const uint8_t *data;
};

static uint32_t hex8(const uint8_t *p)
{
	char buf[9];
	memcpy(buf, p, 8);
	buf[8] = 0;
	return (uint32_t)strtoul(buf, NULL, 16);
}

/* Parse the next entry at *off; returns 0, or 1 at the trailer. */
static int next_entry(const uint8_t *a, size_t size, size_t *off, struct parsed *e)
{
	assert_true(*off + 110 <= size);
	assert_memory_equal(a + *off, "070701", 6);
	const uint8_t *h = a + *off + 6;
	e->mode = hex8(h + 8);
	e->nlink = hex8(h + 32);
	e->size = hex8(h + 48);
	e->namesize = hex8(h + 88);
	assert_true(e->namesize > 0 && e->namesize <= sizeof(e->name));
	memcpy(e->name, a + *off + 110, e->namesize);
	assert_int_equal(e->name[e->namesize - 1], '\0');
	size_t data_off = (*off + 110 + e->namesize + 3) & ~(size_t)3;
	e->data = a + data_off;
	*off = (data_off + e->size + 3) & ~(size_t)3;
	assert_true(*off <= size);
	return strcmp(e->name, "TRAILER!!!") == 0;
}

static void writer_layout(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct cpio_writer w = {.buf = buf, .cap = sizeof(buf), .next_ino = 1};
	struct boot_error err;
	struct cpio_entry file = {.name = "a", .mode = 0100644, .data = "hello", .size = 5};
	assert_int_equal(cpio_add(&w, &file, &err), 0);
	/* 110 + "a\0" = 112 (aligned), then 5 bytes padded to 8. */
	assert_int_equal(w.len, 120);
	assert_int_equal(w.len, cpio_entry_size(1, 5));
	assert_int_equal(cpio_finish(&w, &err), 0);
	assert_int_equal(w.len, 120 + cpio_trailer_size());

	size_t off = 0;
	struct parsed e;
	assert_int_equal(next_entry(buf, w.len, &off, &e), 0);
	assert_string_equal(e.name, "a");
	assert_int_equal(e.mode, 0100644);
	assert_int_equal(e.size, 5);
	assert_memory_equal(e.data, "hello", 5);
	assert_int_equal(next_entry(buf, w.len, &off, &e), 1);
	assert_int_equal(off, w.len);
}

static void writer_refuses_overflow(void **state)
{
	(void)state;
	uint8_t buf[128];
	struct cpio_writer w = {.buf = buf, .cap = sizeof(buf)};
	struct boot_error err;
	struct cpio_entry big = {.name = "big", .mode = 0100644, .data = buf, .size = 64};
	assert_int_equal(cpio_add(&w, &big, &err), -1);
	assert_non_null(strstr(err.msg, "too small"));
	assert_int_equal(w.len, 0);
}

static char tree[] = "/tmp/pvkit-initrd-XXXXXX";

static void make_tree(void)
{
	assert_non_null(mkdtemp(tree));
	char path[512];
	snprintf(path, sizeof(path), "%s/init", tree);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho hi\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bin", tree);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bin/sh", tree);
	assert_int_equal(symlink("busybox", path), 0);
	snprintf(path, sizeof(path), "%s/bin/empty", tree);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/fifo", tree);
	assert_int_equal(mkfifo(path, 0600), 0);
}

static void remove_tree(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	assert_int_equal(system(cmd), 0);
}

static void packs_a_tree_sorted(void **state)
{
	(void)state;
	make_tree();
	uint8_t *a;
	size_t size;
	assert_int_equal(initrd_pack_dir(tree, &a, &size), 0);
	const char *want[] = {"bin", "bin/empty", "bin/sh", "fifo", "init"};
	size_t off = 0;
	struct parsed e;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(next_entry(a, size, &off, &e), 0);
		assert_string_equal(e.name, want[i]);
		if (strcmp(e.name, "bin") == 0) {
			assert_true(S_ISDIR(e.mode));
			assert_int_equal(e.nlink, 2);
		} else if (strcmp(e.name, "bin/sh") == 0) {
			assert_true(S_ISLNK(e.mode));
			assert_int_equal(e.size, 7);
			assert_memory_equal(e.data, "busybox", 7);
		} else if (strcmp(e.name, "init") == 0) {
			assert_int_equal(e.mode, 0100755);
			assert_int_equal(e.size, 18);
			assert_memory_equal(e.data, "#!/bin/sh\necho hi\n", 18);
		} else if (strcmp(e.name, "fifo") == 0) {
			assert_true(S_ISFIFO(e.mode));
		} else {
			assert_int_equal(e.size, 0);
		}
	}
	assert_int_equal(next_entry(a, size, &off, &e), 1);
	assert_int_equal(off, size);

	/* The same tree packs to the same bytes. */
	uint8_t *again;
	size_t again_size;
	assert_int_equal(initrd_pack_dir(tree, &again, &again_size), 0);
	assert_int_equal(again_size, size);
	assert_memory_equal(again, a, size);
	free(again);
	free(a);
	remove_tree();
}

static void refuses_what_is_not_a_directory(void **state)
{
	(void)state;
	uint8_t *a = NULL;
	size_t size = 0;
	assert_int_equal(initrd_pack_dir("/nonexistent/pvkit", &a, &size), -1);
	assert_int_equal(initrd_pack_dir("/etc/hostname", &a, &size), -1);
	assert_null(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(writer_layout),
	    cmocka_unit_test(writer_refuses_overflow),
	    cmocka_unit_test(packs_a_tree_sorted),
	    cmocka_unit_test(refuses_what_is_not_a_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
