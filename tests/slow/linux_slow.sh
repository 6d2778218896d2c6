#!/usr/bin/env bash
# make check-slow: the Linux boots that take minutes on a host whose KVM
# emulates guest kernel mode (docs/linux.md has the measured times).
#  1. bzImage 64-bit entry: Linux's decompressor, then the kernel, to the
#     "Linux version" banner.
#  2. PVH entry with a busybox-static initramfs, to the line its /init prints.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit}
WAIT=${SLOW_WAIT_SECONDS:-3600}

why=$(kvm_missing)
[ -z "$why" ] && ! [ -x /bin/busybox ] && why="busybox-static not installed"
if [ -n "$why" ]; then
	skip "linux slow: bzImage banner" "$why"
	skip "linux slow: initramfs /init" "$why"
	exit 0
fi
vmlinuz=$(bash scripts/fetch-linux.sh) || { not_ok "linux slow: fetch kernel"; exit 1; }

# Where guest ring 0 runs in KVM's emulator, Linux must not pick XSAVE,
# POPCNT, SMAP or SIMD instructions, which that emulator lacks and this
# host's KVM advertises anyway (docs/linux.md).
quirks=
ring0_emulated=false
if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	ring0_emulated=true
	quirks="noxsave nowatchdog clearcpuid=popcnt,smap,ssse3,sse4_1,sse4_2,avx,avx2,aes,pclmulqdq,fma,f16c,sha_ni,vaes,vpclmulqdq,gfni"
fi

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

check "linux slow: bzImage 64-bit entry to the Linux version banner" \
	boot_until bzimage 'Linux version [0-9]' --kernel "$vmlinuz" --entry 64 \
	--cmdline "earlyprintk=serial,ttyS0 console=ttyS0 nokaslr $quirks"

# A busybox-static initramfs whose /init says one line and reboots (the
# reboot reaches pvkit's i8042 reset and ends the run).
mkdir -p "$work/initramfs/bin"
cp /bin/busybox "$work/initramfs/bin/busybox"
cat >"$work/initramfs/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox echo "pvkit-initramfs: /init is running"
/bin/busybox reboot -f
INIT
chmod +x "$work/initramfs/init"
(cd "$work/initramfs" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"

# Where ring 0 is emulated, Linux was seen still in its initcalls after 50
# minutes (docs/linux.md has the log and the reasons): the test is for hosts
# that run ring 0 natively, or SLOW_LINUX_INIT=1 with a SLOW_WAIT_SECONDS
# of hours.
if $ring0_emulated && [ "${SLOW_LINUX_INIT:-0}" != 1 ]; then
	skip "linux slow: PVH with busybox initramfs reaches /init" \
		"ring 0 is emulated here: Linux is still in its initcalls after 50 min (docs/linux.md); SLOW_LINUX_INIT=1 to try"
	exit 0
fi
check "linux slow: PVH with busybox initramfs reaches /init" \
	boot_until initramfs '^pvkit-initramfs: /init is running' --kernel "$vmlinuz" --entry pvh \
	--initrd "$work/initramfs.cpio.gz" --cmdline "earlyprintk=serial,ttyS0 console=ttyS0 $quirks"
