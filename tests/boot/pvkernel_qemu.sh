#!/usr/bin/env bash
# pvkernel under QEMU TCG, by QEMU's own loaders: the same build/pvkernel
# file through SeaBIOS and the bzImage real-mode entry, and its ELF
# (build/pvkernel.elf, which is also the bzImage payload) through PVH.
# Each boot must pick the native backend, run its self-tests with no
# failure and power off with status 0; QEMU's isa-debug-exit turns a
# status v into the exit code (v << 1) | 1.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/pvkernel_exit.sh

QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
names=("bzImage via SeaBIOS real-mode entry" "ELF via PVH" "unhandled exception report")

why=$(qemu_missing)
[ -z "$why" ] && [ ! -s build/pvkernel ] && why="build/pvkernel not built (make)"
if [ -n "$why" ]; then
	for n in "${names[@]}"; do skip "pvkernel qemu: $n" "$why"; done
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# qemu_boot NAME KERNEL APPEND: boot, leave output in $work/NAME.out,
# set $rc (QEMU's exit code) and $ms (wall time).
qemu_boot() {
	local name=$1 kernel=$2 append=$3
	local t0 t1
	t0=$(date +%s%N)
	timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -machine pc -accel tcg -m 128 \
		-kernel "$kernel" -append "$append" \
		-nographic -display none -monitor none -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot \
		</dev/null >"$work/$name.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

# check_boot NAME LABEL ENTRY_PATTERN BACKEND_PATTERN
check_boot() {
	local name=$1 label=$2 entry=$3 backend=$4 out=$work/$1.out problems=()
	grep -qaE "^pv: backend=$backend" "$out" || problems+=("no 'pv: backend=$backend' line")
	grep -qaE "^boot: entry=$entry" "$out" || problems+=("entry is not '$entry'")
	grep -qaE "^selftest: .*: [0-9]+ passed, 0 failed" "$out" ||
		problems+=("no 'N passed, 0 failed' line")
	[ "$rc" -eq 1 ] || problems+=("QEMU exit code $rc, not 1 (status 0)")
	if [ ${#problems[@]} -eq 0 ]; then
		ok "pvkernel qemu: $label: $(grep -aE '^pv: backend=' "$out"), $(grep -aoE '[0-9]+ passed, 0 failed' "$out"), ${ms} ms"
	else
		not_ok "pvkernel qemu: $label: ${problems[*]}"
		sed 's/^/# /' "$out" | tail -n 40
	fi
}

qemu_boot realmode build/pvkernel "console=ttyS0 from=seabios"
check_boot realmode "${names[0]}" "real-mode setup" "native via hardware_subarch=0 \(PC\)"

qemu_boot pvh build/pvkernel.elf "console=ttyS0 from=pvh"
check_boot pvh "${names[1]}" "PVH" "native via probe \(ring 0, paging off at entry\)"

# An exception nobody expects: the report names the vector, RIP and CR2,
# and the status is PVKERNEL_EXIT_PANIC, i.e. QEMU exit code (status << 1) | 1.
qemu_boot crash build/pvkernel "pvkernel.crash=1"
panic=$(pvkernel_exit PANIC)
if grep -qaE "^exception: vector 6 \(#UD" "$work/crash.out" &&
	grep -qaE "rip=[0-9a-f]{16} .*cr2=" "$work/crash.out" &&
	grep -qaE "rax=[0-9a-f]{16}" "$work/crash.out" && [ "$rc" -eq $(((panic << 1) | 1)) ]; then
	ok "pvkernel qemu: ${names[2]}: status $panic, ${ms} ms"
else
	not_ok "pvkernel qemu: ${names[2]} (QEMU exit $rc)"
	sed 's/^/# /' "$work/crash.out" | tail -n 20
fi
