#!/usr/bin/env bash
# Debian's own kernel (linux-image-cloud-amd64, scripts/fetch-linux.sh) as a
# Xen PV guest under pvxen (`--entry xen`, docs/xen-pv.md), natively: the
# banner through console_io, hvc0, a busybox /init that forks and execs,
# and the poweroff that ends pvkit with status 0.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
WAIT=${LINUX_XEN_WAIT_SECONDS:-120}
names=("banner" "/init runs" "fork and exec from /init" "poweroff: status 0")

why=$(kvm_missing)
[ -z "$why" ] && why=$(pvm_host_missing)
busybox=$(command -v busybox)
[ -z "$why" ] && { [ -n "$busybox" ] && file -L "$busybox" | grep -q 'statically linked'; } ||
	why=${why:-"no static busybox (Debian's busybox-static)"}
[ -z "$why" ] && ! command -v cpio >/dev/null && why="no cpio"
if [ -n "$why" ]; then
	for n in "${names[@]}"; do skip "linux xen: $n" "$why"; done
	exit 0
fi
fetch_linux "linux xen"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/proc"
cp "$busybox" "$work/root/bin/busybox"
for a in sh echo mount seq true poweroff; do ln -s busybox "$work/root/bin/$a"; done
cat >"$work/root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
echo "pvkit-init: up $(cut -d' ' -f1 /proc/uptime)"
for n in $(seq 50); do /bin/true; done
echo "pvkit-init: 50 x /bin/true, up $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$work/initrd.gz"

start=$(date +%s%N)
timeout "$WAIT" "$PVKIT" run --entry xen --kernel "$vmlinuz" --initrd "$work/initrd.gz" \
	--mem 256M --cmdline "console=hvc0" </dev/null >"$work/out" 2>"$work/err"
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
tr -d '\r' <"$work/out" >"$work/clean"

check "linux xen: banner" grep -q 'Linux version [0-9]' "$work/clean"
check "linux xen: /init runs" grep -q '^pvkit-init: up ' "$work/clean"
check "linux xen: fork and exec from /init" grep -q '^pvkit-init: 50 x /bin/true' "$work/clean"
if [ "$rc" -eq 0 ]; then ok "linux xen: poweroff: status 0"; else
	not_ok "linux xen: poweroff: status $rc"
	tail -n 20 "$work/clean" "$work/err" | sed 's/^/# /'
fi
echo "# start to exit ${elapsed} ms ($PVKIT); guest uptime at /init and after the loop:" \
	"$(sed -n 's/^pvkit-init: .*up //p' "$work/clean" | tr '\n' ' ')"
