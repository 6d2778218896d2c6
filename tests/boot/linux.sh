#!/usr/bin/env bash
# Boot Debian's own kernel (linux-image-cloud-amd64) under pvkit, by both
# direct entry paths, and check what it prints.
#
# On this host kernel-mode guest code is emulated (~1.3 us per instruction,
# docs/linux.md), so each boot is stopped as soon as the lines it checks have
# appeared: the PVH path up to the e820 map, the bzImage path up to its
# decompressor's first early-console line.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
WAIT=${LINUX_WAIT_SECONDS:-240}

why=$(kvm_missing)
if [ -n "$why" ]; then
	for t in "PVH banner" "PVH command line" "PVH e820 map" "bzImage decompressor" \
		"--entry auto Xen PV" "--entry auto PVH"; do
		skip "linux: $t" "$why"
	done
	exit 0
fi

fetch_linux "linux"

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

# 1. PVH: the ELF taken out of the bzImage payload, entered in 32-bit mode.
mem_mib=256
cmdline="earlyprintk=serial,ttyS0 console=ttyS0 nokaslr pvkit.test=pvh-$$"
if boot_until pvh 'BIOS-e820: \[mem 0x0*100000-' \
	--kernel "$vmlinuz" --entry pvh --mem ${mem_mib}M --cmdline "$cmdline"; then
	ok "linux: PVH entry boots to the Linux version banner"
else
	not_ok "linux: PVH entry boots to the Linux version banner"
fi
out=$work/pvh.out
# Drop carriage returns and printk's "[    0.000000] " time stamps.
tr -d '\r' <"$out" | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' >"$out.clean"

check "linux: PVH banner names the kernel" grep -q '^Linux version [0-9]' "$out.clean"
check "linux: PVH 'Command line:' equals what was passed" \
	grep -qxF "Command line: $cmdline" "$out.clean"

# The e820 map Linux prints must be the one pvkit built for --mem, as
# docs/boot.md describes: low RAM, the reserved hole below 1 MiB, RAM to the end.
expect_e820() {
	local end
	end=$(printf '0x%016x' $((mem_mib * 1024 * 1024 - 1)))
	grep -q "BIOS-e820: \[mem 0x0000000000000000-0x000000000009dfff\] usable" "$out.clean" &&
		grep -q "BIOS-e820: \[mem 0x000000000009e000-0x00000000000fffff\] reserved" "$out.clean" &&
		grep -q "BIOS-e820: \[mem 0x0000000000100000-$end\] usable" "$out.clean"
}
check "linux: PVH e820 map matches --mem ${mem_mib}M" expect_e820

# 2. bzImage 64-bit entry: Linux's own decompressor runs (emulated here) and
# prints its first early-console line.
if boot_until bzimage "KASLR disabled: 'nokaslr' on cmdline" \
	--kernel "$vmlinuz" --entry 64 --mem ${mem_mib}M \
	--cmdline "earlyprintk=serial,ttyS0 console=ttyS0 nokaslr"; then
	ok "linux: bzImage 64-bit entry runs the decompressor to its first line"
else
	not_ok "linux: bzImage 64-bit entry runs the decompressor to its first line"
fi
check "linux: pvkit said which path it took (64-bit)" grep -qi '64-bit' "$work/bzimage.err"
check "linux: pvkit said which path it took (PVH)" grep -q 'PVH' "$work/pvh.err"
check "linux: --entry pvh keeps this Xen PV kernel on its PVH entry" \
	grep -q 'via PVH entry of the ELF in the bzImage payload' "$work/pvh.err"

# 3. --entry auto: where ring 0 is emulated this kernel, which carries the Xen
# ENTRY note, runs as a Xen PV guest under pvxen (natively), elsewhere PVH; the
# boot line says why.  Only the choice is checked here (tests/boot/linux_xen.sh
# boots it), with the default command line that entry gets; the other host
# kind is played by PVKIT_PVM_HOST_OVERRIDE=0 (host/host_cpu.c).
# auto_run NAME SECONDS [ENV...]: a boot with no --entry and no --cmdline.  As
# a Xen PV guest with no initrd Linux prints its command line once hvc0 is up
# (~2 s of guest time, more on a loaded machine), then panics and pvxen stops
# it: a generous limit costs nothing there.  PVH is only looked at for its
# boot line: 5 s of emulation.
auto_run() {
	local name=$1 seconds=$2
	shift 2
	env "$@" "$PVKIT" run --kernel "$vmlinuz" --mem ${mem_mib}M --timeout "$seconds" </dev/null \
		>"$work/$name.out" 2>"$work/$name.err"
}
auto_is_xen() {
	grep -q 'via Xen PV entry of the ELF in the bzImage payload .*(ring 0 is emulated here and the kernel has the Xen ENTRY note)' "$work/auto.err" &&
		tr -d '\r' <"$work/auto.out" | grep -qx '.*Command line: console=hvc0'
}
auto_is_pvh() {
	grep -q 'via PVH entry of the ELF in the bzImage payload (lz4, [0-9.]* MiB); not Xen PV: ring 0 is not emulated' "$work/auto-native.err"
}
if [ -z "$(pvm_host_missing)" ]; then
	auto_run auto 120
	check "linux: --entry auto takes the Xen PV entry here, console=hvc0" auto_is_xen
else
	skip "linux: --entry auto takes the Xen PV entry here, console=hvc0" "$(pvm_host_missing)"
fi
auto_run auto-native 5 PVKIT_PVM_HOST_OVERRIDE=0
check "linux: --entry auto where ring 0 runs natively: PVH, saying why not Xen PV" auto_is_pvh
