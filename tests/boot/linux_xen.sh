#!/usr/bin/env bash
# Debian's own kernel (linux-image-cloud-amd64, scripts/fetch-linux.sh) as a
# Xen PV guest under pvxen (`--entry xen`, docs/xen-pv.md), natively: the
# banner through console_io, hvc0, a busybox /init that forks and execs, a
# busybox script (tests/xen/busybox-script.sh: sort, sed, awk, sha256sum,
# gzip/gunzip, tar, find, seq, expr, 200 x /bin/true) whose output must equal
# the same script's on the host, the poweroff that ends pvkit with status 0,
# and an interactive shell on the project's initramfs that ends at EOF.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
WAIT=${LINUX_XEN_WAIT_SECONDS:-120}
names=("banner" "/init runs" "fork and exec from /init" "busybox script as on the host"
	"poweroff: status 0" "interactive shell on hvc0, EOF on stdin powers off (status 0)"
	"a process's FS/GS bases, selectors, SSE and AVX registers kept across process switches")

why=$(kvm_missing)
[ -z "$why" ] && why=$(pvm_host_missing)
busybox=$(command -v busybox)
[ -z "$why" ] && { [ -n "$busybox" ] && file -L "$busybox" | grep -q 'statically linked'; } ||
	why=${why:-"no static busybox (Debian's busybox-static)"}
[ -z "$why" ] && [ ! -f build/rootfs.cpio.gz ] && why="build/rootfs.cpio.gz not built (make)"
[ -z "$why" ] && [ ! -x build/tests/fsgs-check ] && why="build/tests/fsgs-check not built (make tests)"
if [ -n "$why" ]; then
	for n in "${names[@]}"; do skip "linux xen: $n" "$why"; done
	exit 0
fi
fetch_linux "linux xen"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The project's initramfs (build/rootfs: busybox and rootfs/init) plus the
# workload, packed on the fly by `--initrd DIR`.  rootfs/init runs what the
# command line names after "--", then powers off.
cp -a build/rootfs "$work/root"
cp tests/xen/busybox-script.sh "$work/root/script.sh"
cp build/tests/fsgs-check "$work/root/bin/fsgs-check"
cat >"$work/root/test.sh" <<'TEST'
echo "pvkit-init: up $(cut -d' ' -f1 /proc/uptime)"
for n in $(seq 50); do /bin/true; done
echo "pvkit-init: 50 x /bin/true, up $(cut -d' ' -f1 /proc/uptime)"
echo "pvkit-script: begin"
sh /script.sh
echo "pvkit-script: end, up $(cut -d' ' -f1 /proc/uptime)"
/bin/fsgs-check 3 3
TEST

start=$(date +%s%N)
timeout "$WAIT" "$PVKIT" run --entry xen --kernel "$vmlinuz" --initrd "$work/root" \
	--mem 256M --cmdline "console=hvc0 -- /bin/sh /test.sh" </dev/null >"$work/out" 2>"$work/err"
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
tr -d '\r' <"$work/out" >"$work/clean"

check "linux xen: banner" grep -q 'Linux version [0-9]' "$work/clean"
check "linux xen: /init runs" grep -q '^pvkit-init: up ' "$work/clean"
check "linux xen: fork and exec from /init" grep -q '^pvkit-init: 50 x /bin/true' "$work/clean"
sed -n '/^pvkit-script: begin/,/^pvkit-script: end/p' "$work/clean" | sed '1d;$d' >"$work/guest.txt"
# The same script on the host, with the same busybox for every applet.
mkdir -p "$work/host/bin" "$work/host/tmp"
for a in $("$busybox" --list); do ln -s "$busybox" "$work/host/bin/$a"; done
(cd "$work/host" && PATH="$work/host/bin" TMPDIR="$work/host/tmp" "$busybox" sh \
	"$work/root/script.sh" 2>&1) >"$work/host.txt"
if [ -s "$work/guest.txt" ] && cmp -s "$work/guest.txt" "$work/host.txt"; then
	ok "linux xen: busybox script as on the host ($(wc -l <"$work/guest.txt") lines)"
else
	not_ok "linux xen: busybox script as on the host"
	diff "$work/host.txt" "$work/guest.txt" | head -n 20 | sed 's/^/# /'
	echo "# --- the guest's console from the script on (at most 80 lines), then pvkit's stderr ---"
	sed -n '/^pvkit-script: begin/,$p' "$work/clean" | head -n 80 | sed 's/^/# /'
	tail -n 20 "$work/err" | sed 's/^/# /'
fi
if [ "$rc" -eq 0 ]; then ok "linux xen: poweroff: status 0"; else
	not_ok "linux xen: poweroff: status $rc"
	tail -n 20 "$work/clean" "$work/err" | sed 's/^/# /'
fi
echo "# start to exit ${elapsed} ms ($PVKIT); guest uptime at /init, after the loop, after the script:" \
	"$(sed -n 's/^pvkit-[a-z]*: .*up //p' "$work/clean" | tr '\n' ' ')"

# The project's initramfs as built (build/rootfs.cpio.gz) with no command:
# an interactive shell on hvc0.  Commands on pvkit's stdin reach it through
# the console ring, their output comes back, and the end of stdin reaches the
# shell as ^D: it exits and /init powers off, pvkit with status 0.
printf 'echo typed $((6 * 7))\nuname -s\n' |
	timeout "$WAIT" "$PVKIT" run --entry xen --kernel "$vmlinuz" --initrd build/rootfs.cpio.gz \
		--mem 256M --cmdline "console=hvc0 quiet" >"$work/shell" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && tr -d '\r' <"$work/shell" | grep -q 'typed 42$' &&
	tr -d '\r' <"$work/shell" | grep -qx 'Linux'; then
	ok "linux xen: interactive shell on hvc0, EOF on stdin powers off (status 0)"
else
	not_ok "linux xen: interactive shell on hvc0, EOF on stdin powers off: status $rc"
	tail -n 15 "$work/shell" | sed 's/^/# /'
fi

# Three processes check their FS/GS bases, selectors, SSE and AVX registers
# for 3 s while the kernel switches between them (tests/xen/fsgs-check.c):
# with FXSAVE-only switching, %ymm's upper halves passed between processes.
if [ "$(grep -c '^fsgs-check: process [0-9] (.*): ok' "$work/clean")" -eq 3 ]; then
	ok "linux xen: a process's FS/GS bases, selectors, SSE and AVX registers kept across process switches ($(grep -c '(SSE, AVX)' "$work/clean") of 3 with AVX)"
else
	not_ok "linux xen: a process's FS/GS bases, selectors, SSE and AVX registers kept across process switches"
	grep '^fsgs-check\|x86/fpu' "$work/clean" | sed 's/^/# /'
fi
