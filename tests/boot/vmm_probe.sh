#!/usr/bin/env bash
# `pvkit probe`: API version, capabilities, CPU flags, and four measured
# costs, as lines and as JSON.  The numbers are printed as TAP comments.
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=build/pvkit-san
why=$(kvm_missing)
if [ -n "$why" ] || [ ! -x $PVKIT ]; then
	skip "vmm probe" "${why:-build/pvkit-san is not built}"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run_output "$tmp/out" "$tmp/err"

# How long probe takes is measured by make bench (docs/performance.md).
timeout 60 $PVKIT probe >"$tmp/out" 2>"$tmp/err"
rc=$?
check "probe: exit 0" [ $rc -eq 0 ]
check "probe: API version 12" grep -qx "kvm: API version 12" "$tmp/out"
check "probe: capabilities pvkit needs" \
	grep -qE "^kvm: capabilities: user_memory=yes set_tss_addr=yes set_identity_map_addr=yes irqchip=yes pit2=yes" "$tmp/out"
check "probe: CPU line" grep -qE "^cpu: vmx=(yes|no) svm=(yes|no) hypervisor=(yes|no) kvm_pvm=(loaded|not loaded) \(backend: [a-z]+\)$" "$tmp/out"
if [ -d /sys/module/kvm_pvm ]; then
	check "probe: kvm_pvm seen" grep -q "kvm_pvm=loaded" "$tmp/out"
fi
num='[0-9]+\.[0-9]+'
check "probe: CPL0 loop" grep -qE "^measured: cpl0 loop: $num ns per instruction" "$tmp/out"
check "probe: CPL3 loop" grep -qE "^measured: cpl3 loop: $num ns per instruction" "$tmp/out"
check "probe: port I/O exit" grep -qE "^measured: port I/O exit round trip: $num us \(out at CPL0, 2200 exits\)" "$tmp/out"
check "probe: MMIO exit" grep -qE "^measured: MMIO exit round trip: $num us \(write to an unbacked GPA at CPL3, 2200 exits\)" "$tmp/out"
sed 's/^/# /' "$tmp/out"

timeout 60 $PVKIT probe --json >"$tmp/json" 2>"$tmp/err"
rc=$?
run_output "$tmp/json" "$tmp/err"
check "probe --json: exit 0" [ $rc -eq 0 ]
check "probe --json: valid JSON with every field" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kvm_api_version"] == 12
assert d["capabilities"]["irqchip"] >= 1
assert set(d["cpu"]) == {"vmx", "svm", "hypervisor", "kvm_pvm"}
m = d["measured"]
for k in ("cpl0_ns_per_instruction", "cpl3_ns_per_instruction", "pio_exit_us", "mmio_exit_us"):
    assert m[k] > 0, k
' "$tmp/json"
