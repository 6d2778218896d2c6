#!/usr/bin/env bash
# Every released ABI version's frozen guest (tests/abi/vN/pvkernel, never
# rebuilt; how each was built is in its README) boots on this tree's pvkit
# and passes its own self-tests: "needing to uprev a guest when you uprev a
# host is not acceptable" (docs/abi.md, rule 4).  Each guest runs
#
#   with the pvkit backend     --pv-mode ring0: the kernel in ring 0, pvkit
#                              found through CPUID and hardware_subarch
#   with the pvm backend       pvkit's default on a PVM host: deprivileged,
#                              pvkit found through PVKIT_SETUP_PVM (skipped,
#                              saying so, where the host is not PVM)
#
# and must power off with status 0 after "N passed, 0 failed".  The status
# and the summary are the frozen guest's own: 0 and that line, whatever the
# current pvkernel says.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/pvkernel.sh

PVKIT=${PVKIT:-build/pvkit-san}
FROZEN_EXIT_OK=0

guests=(tests/abi/v*/pvkernel)
why=$(kvm_missing)
[ -z "$why" ] && [ ! -x "$PVKIT" ] && why="$PVKIT not built (make)"
pvm_why=$(pvm_host_missing)
[ -n "$pvm_why" ] && pvm_why="$pvm_why: pvm mode is never used here"

if [ ! -e "${guests[0]}" ]; then
	not_ok "abi compat: no frozen guest under tests/abi/"
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The frozen guest's own summary line, required whatever its status.
passed='^selftest: .*: [0-9]+ passed, 0 failed'

for guest in "${guests[@]}"; do
	v=$(basename "$(dirname "$guest")")
	# Frozen means the very file its README describes.
	want=$(sed -nE 's/^- sha256: `([0-9a-f]{64})`.*/\1/p' "$(dirname "$guest")/README.md")
	have=$(sha256sum "$guest" | cut -d' ' -f1)
	run_output
	check "abi compat: $v guest is the file its README describes (sha256 ${have:0:16}...)" \
		[ -n "$want" -a "$want" = "$have" ]
	if [ -n "$why" ]; then
		skip "abi compat: $v guest, pvkit backend" "$why"
		skip "abi compat: $v guest, pvm backend" "$why"
		continue
	fi
	pvkernel_boot "$v-ring0" pvkit --kernel "$guest" --pv-mode ring0
	pvkernel_check "$v-ring0" "abi compat: $v guest, pvkit backend" "$FROZEN_EXIT_OK" \
		"pvkit via hardware_subarch" "$passed"
	if [ -n "$pvm_why" ]; then
		skip "abi compat: $v guest, pvm backend" "$pvm_why"
		continue
	fi
	pvkernel_boot "$v-pvm" pvkit --kernel "$guest"
	pvkernel_check "$v-pvm" "abi compat: $v guest, pvm backend" "$FROZEN_EXIT_OK" \
		"pvm via pvm entry" "$passed"
done
