#!/usr/bin/env bash
# pvkernel under QEMU TCG, by QEMU's own loaders: the same build/pvkernel
# file through SeaBIOS and the bzImage real-mode entry, and its ELF
# (build/pvkernel.elf, which is also the bzImage payload) through PVH.
# Each boot must pick the native backend, run its self-tests with no
# failure and power off with status 0; QEMU's isa-debug-exit turns a
# status v into the exit code (v << 1) | 1 (tests/lib/pvkernel.sh turns it
# back).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/pvkernel.sh

names=("bzImage via SeaBIOS real-mode entry" "ELF via PVH" "unhandled exception report")

why=$(qemu_missing)
[ -z "$why" ] && [ ! -s build/pvkernel ] && why="build/pvkernel not built (make)"
if [ -n "$why" ]; then
	for n in "${names[@]}"; do skip "pvkernel qemu: $n" "$why"; done
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pvkernel_boot realmode qemu build/pvkernel "console=ttyS0 from=seabios"
pvkernel_check realmode "pvkernel qemu: ${names[0]}" "$PVKERNEL_EXIT_OK" \
	"native via hardware_subarch=0 \(PC\)" "^boot: entry=real-mode setup"

pvkernel_boot pvh qemu build/pvkernel.elf "console=ttyS0 from=pvh"
pvkernel_check pvh "pvkernel qemu: ${names[1]}" "$PVKERNEL_EXIT_OK" \
	"native via probe \(ring 0, paging off at entry\)" "^boot: entry=PVH"

# An exception nobody expects: the report names the vector, RIP and CR2.
pvkernel_boot crash qemu build/pvkernel "pvkernel.crash=1"
pvkernel_check crash "pvkernel qemu: ${names[2]}" "$PVKERNEL_EXIT_PANIC" "native" \
	"^exception: vector 6 \(#UD" "rip=[0-9a-f]{16} .*cr2=" "rax=[0-9a-f]{16}"
