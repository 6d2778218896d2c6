#!/usr/bin/env bash
# `pvkit run --entry xen`: a Xen PV domain under pvxen (docs/xen-pv.md).
#
#   costs guest      tests/guests/xen_pv_costs.S: 2000 hypercalls, 2000
#                    int3 bounces through the kernel's trap table and
#                    HYPERVISOR_iret, 2000 forced-emulation cpuids (#UD) and
#                    2000 cli (#GP), then poweroff: status 0; the costs
#                    go out as TAP comments (docs/xen-pv.md quotes them);
#                    before that it checks that PIT channel 2 counts and
#                    drives OUT (xen/pit.c) and that the reservation gives
#                    a frame back and takes it again, and after it that
#                    its timer comes while it takes only #GPs (native
#                    stubs), or it crashes (status 7)
#   debug registers  tests/guests/xen_debugregs.S: watchpoints and an
#                    instruction breakpoint set with set_debugreg trap as
#                    the hardware's would (pvxen emulates them: this host
#                    arms no debug register for native code), and
#                    icebp, 8 cases
#   auto             the same guest without --entry: the Xen PV entry here
#                    (ring 0 is emulated), the boot line says why
#   not a Xen kernel --entry xen with pvkernel: one line, status 2
#   lying notes      ENTRY outside the segments, HV_START_LOW below the
#                    kernel: one line each, status 2, nothing printed
#   isolation off    `--isolation off` for a kernel that is not Xen PV: one
#                    line, status 2
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
PVKIT_FAST=${PVKIT_FAST:-build/pvkit}
GUEST=build/guests/xen_pv_costs.elf
DEBUG_GUEST=build/guests/xen_debugregs.elf
names=("costs guest" "costs guest: output" "debug registers" "auto picks Xen PV" "not a Xen kernel" "lying ENTRY"
	"lying HV_START_LOW" "--isolation off without Xen PV")

pvm_guest_suite "xen pv" "$GUEST" "${names[@]}"

timeout 60 "$PVKIT" run --entry xen --kernel "$GUEST" --mem 64M </dev/null >"$work/costs.out" 2>"$work/costs.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok "xen pv: costs guest powers off, status 0"; else
	not_ok "xen pv: costs guest: status $rc"
	sed 's/^/# /' "$work/costs.err"
fi
line=$(grep -E '^xen-pv costs: hypercall 0x[0-9a-f]{16} exception 0x[0-9a-f]{16}' "$work/costs.out")
if [ -n "$line" ]; then ok "xen pv: costs guest: output"; else
	not_ok "xen pv: costs guest: output"
	sed 's/^/# /' "$work/costs.out"
fi
timeout 60 "$PVKIT" run --entry xen --kernel "$DEBUG_GUEST" --mem 64M </dev/null \
	>"$work/debug.out" 2>"$work/debug.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^xen-pv debug: 8 cases passed' "$work/debug.out"; then
	ok "xen pv: debug registers: 8 cases (breakpoints emulated by single-stepping, icebp) behave as the hardware's"
else
	not_ok "xen pv: debug registers: status $rc"
	sed 's/^/# /' "$work/debug.out" "$work/debug.err"
fi
"$PVKIT" run --kernel "$GUEST" --mem 64M </dev/null >"$work/auto.out" 2>"$work/auto.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "via Xen PV entry of the ELF, .*(ring 0 is emulated here and the kernel has the Xen ENTRY note)" "$work/auto.err" &&
	grep -q '^xen-pv costs: ' "$work/auto.out"; then
	ok "xen pv: --entry auto picks Xen PV for a Xen kernel where ring 0 is emulated"
else
	not_ok "xen pv: --entry auto picks Xen PV: status $rc"
	sed 's/^/# /' "$work/auto.err"
fi
# The costs, from the build without sanitizers (best of 3; TSC ticks -> us).
khz=$(grep -m1 -o 'TSC [0-9]* kHz' <("$PVKIT_FAST" run --debug --entry xen --kernel "$GUEST" --mem 64M </dev/null 2>&1 >/dev/null) | awk '{print $2}')
declare -A best=()
for _ in 1 2 3; do
	l=$("$PVKIT_FAST" run --entry xen --kernel "$GUEST" --mem 64M </dev/null 2>/dev/null)
	for k in hypercall exception cpuid cli; do
		v=$((16#$(sed -n "s/.* $k 0x\([0-9a-f]*\).*/\1/p" <<<" $l")))
		[ -z "${best[$k]:-}" ] || [ "$v" -lt "${best[$k]}" ] && best[$k]=$v
	done
done
if [ -n "$khz" ] && [ "$khz" -gt 0 ]; then
	awk -v h="${best[hypercall]}" -v e="${best[exception]}" -v u="${best[cpuid]}" \
		-v g="${best[cli]}" -v k="$khz" 'BEGIN {
		printf "# hypercall round trip %.2f us, exception bounce + HYPERVISOR_iret %.1f us, kernel #UD (forced cpuid) %.1f us, kernel #GP (cli) %.1f us (best of 3, TSC %d kHz)\n",
			h / k * 1000, e / k * 1000, u / k * 1000, g / k * 1000, k }'
fi

# bad_input NAME IMAGE PATTERN: status 2, one line on stderr matching PATTERN, no stdout.
bad_input() {
	local name=$1 image=$2 pattern=$3
	"$PVKIT" run --entry xen --kernel "$image" --mem 64M </dev/null >"$work/bad.out" 2>"$work/bad.err"
	local rc=$? lines
	lines=$(wc -l <"$work/bad.err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qE "$pattern" "$work/bad.err" &&
		[ ! -s "$work/bad.out" ]; then
		ok "xen pv: $name: $(cat "$work/bad.err")"
	else
		not_ok "xen pv: $name: status $rc, $lines lines"
		sed 's/^/# /' "$work/bad.err" "$work/bad.out"
	fi
}

bad_input "not a Xen kernel" build/pvkernel "not a Xen PV kernel"

# Rewrite one Xen note's 8-byte descriptor in a copy of the costs guest.
patch_note() { # patch_note TYPE VALUE OUT
	python3 - "$GUEST" "$1" "$2" "$3" <<'EOF'
import struct, sys
src, ntype, value, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 0), sys.argv[4]
data = bytearray(open(src, 'rb').read())
hdr = struct.pack('<III', 4, 8, ntype) + b'Xen\0'
at = data.find(hdr)
if at < 0:
    # add the note's value where an ENTRY note would be: only ENTRY is present
    hdr = struct.pack('<III', 4, 8, 1) + b'Xen\0'
    at = data.find(hdr)
    data[at + 8:at + 12] = struct.pack('<I', ntype)
data[at + 16:at + 24] = struct.pack('<Q', value)
open(out, 'wb').write(data)
EOF
}
patch_note 1 0xdead0000 "$work/entry.elf"
bad_input "lying ENTRY" "$work/entry.elf" "Xen entry 0xdead0000 is outside the segments"
patch_note 12 0x1000 "$work/hv.elf"
bad_input "lying HV_START_LOW" "$work/hv.elf" "HV_START_LOW 0x1000 is below the kernel"

"$PVKIT" run --isolation off --kernel build/pvkernel --mem 64M </dev/null >"$work/iso.out" 2>"$work/iso.err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$work/iso.err")" -eq 1 ] && [ ! -s "$work/iso.out" ] &&
	grep -q -- '--isolation off: only for a Xen PV guest' "$work/iso.err"; then
	ok "xen pv: --isolation off without Xen PV: $(cat "$work/iso.err")"
else
	not_ok "xen pv: --isolation off without Xen PV: status $rc"
	sed 's/^/# /' "$work/iso.err" "$work/iso.out"
fi
