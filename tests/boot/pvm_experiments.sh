#!/usr/bin/env bash
# The PVM experiments (tests/pvm/): facts about this host's PVM-based KVM
# that the pvm backend builds on, re-measured on every run.  Each experiment
# prints "check ok|fail ..." lines (TAP ok/not ok here) and "value"/"note"
# lines (TAP comments, the numbers docs/pvm.md quotes).  Skipped where there
# is no /dev/kvm or where KVM is not PVM (ring 0 native: nothing to learn).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh

bin=build/tests/pvm-experiments
# Seconds each experiment may take before it counts as hung.
# A hang detector, not a timing check: pvcs_mode takes ~3-8 s of mostly
# emulated ring-0 code, and a loaded host (a make check beside a CPU hog and
# other builds) stretched it past 20 s once.
limit=120

why=$(kvm_missing)
if [ -n "$why" ]; then
	skip "pvm experiments" "$why"
	exit 0
fi
if [ ! -x "$bin" ]; then
	make --no-print-directory -s "$bin" >/dev/null 2>&1 || {
		not_ok "pvm experiments: $bin does not build"
		exit 1
	}
fi
probe=$("$bin" probe)
case $? in
0) ;;
3 | 4)
	skip "pvm experiments" "$probe"
	exit 0
	;;
*)
	not_ok "pvm experiments: probe failed: $probe"
	exit 1
	;;
esac
echo "# $probe"

for name in $("$bin" list | cut -f1); do
	out=$(timeout -k 2 "$limit" "$bin" "$name" 2>&1)
	rc=$?
	checks=0
	while IFS= read -r line; do
		case "$line" in
		"check ok "*)
			checks=$((checks + 1))
			ok "$name: ${line#check ok }"
			;;
		"check fail "*)
			checks=$((checks + 1))
			not_ok "$name: ${line#check fail }"
			;;
		"value "* | "note "*) echo "# $name: ${line#* }" ;;
		*) [ -n "$line" ] && echo "# $name: $line" ;;
		esac
	done <<<"$out"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		not_ok "$name: did not finish within ${limit} s"
	elif [ "$checks" -eq 0 ]; then
		not_ok "$name: reported no checks (exit status $rc)"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		not_ok "$name: exited with status $rc"
	fi
done
exit 0
