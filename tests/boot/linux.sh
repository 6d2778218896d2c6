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
	for t in "PVH banner" "PVH command line" "PVH e820 map" "bzImage decompressor"; do
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
