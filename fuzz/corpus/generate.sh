#!/usr/bin/env bash
# Regenerate the boot fuzzers' seed corpora (small synthetic images in every
# payload format) from tests/unit/test_boot_images.h.  The output is
# committed; run this only after changing the builders.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/gen_seeds
mkdir -p build
gcc -std=gnu11 -Wall -Wextra -Werror -O1 -I. -D_GNU_SOURCE fuzz/corpus/gen_seeds.c -o "$out" \
	-llz4 -lzstd -llzma -lz -lbz2 -llzo2
for t in fuzz_boot_bzimage fuzz_boot_elf fuzz_boot_payload fuzz_boot_load fuzz_boot_xen_pv; do
	rm -rf "fuzz/corpus/$t"
	mkdir -p "fuzz/corpus/$t"
done
"$out" fuzz/corpus
du -sh fuzz/corpus/fuzz_boot_* 
