#!/usr/bin/env bash
# pvkernel under pvkit (build/pvkit-san): the same build/pvkernel through
# the bzImage 64-bit entry with each backend choice, and the cost of the
# console in VM exits with the pvkit console call and with the UART.
#
#   default                   hardware_subarch = pvkit's -> backend pvkit
#   --subarch pc              hardware_subarch = 0 (PC)  -> backend native
#   --no-pvkit-cpuid          pvkit subarch, no pvkit CPUID: says so, falls
#                             back to native by the environment probe
#   --entry pvh               no boot_params: CPUID signature -> pvkit
#   no --kernel               the image bundled in pvkit
#   pvkernel.console_bench=1M 1 MiB through the console op, exits counted
#                             by --stats: pvkit must need >= 100x fewer
# On a PVM host pvkit starts pvkernel deprivileged (pvm backend) by default;
# the runs that test the ring-0 pvkit backend ask for it with --pv-mode ring0
# (tests/boot/pvkernel_pvm.sh tests the pvm default).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/pvkernel_exit.sh

PVKIT=${PVKIT:-build/pvkit-san}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
names=("default: pvkit backend" "--subarch pc: native backend" "--no-pvkit-cpuid: fallback"
	"--entry pvh: pvkit backend" "bundled kernel" "unhandled exception" "console exits")

why=$(kvm_missing)
[ -z "$why" ] && [ ! -x "$PVKIT" ] && why="$PVKIT not built (make)"
[ -z "$why" ] && [ ! -s build/pvkernel ] && why="build/pvkernel not built (make)"
if [ -n "$why" ]; then
	for n in "${names[@]}"; do skip "pvkernel pvkit: $n" "$why"; done
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pvkit_boot NAME ARGS...: stdout in $work/NAME.out, stderr in NAME.err,
# exit status in $rc, wall time in $ms.
pvkit_boot() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$PVKIT" run --stats --timeout "$RUN_TIMEOUT" "$@" </dev/null >"$work/$name.out" \
		2>"$work/$name.err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

# check_boot NAME LABEL BACKEND_PATTERN [EXTRA_PATTERN]
check_boot() {
	local name=$1 label=$2 backend=$3 extra=${4:-} out=$work/$1.out problems=()
	grep -qE "^pv: backend=$backend" "$out" || problems+=("no 'pv: backend=$backend' line")
	[ -z "$extra" ] || grep -qE "$extra" "$out" || problems+=("no line matching '$extra'")
	grep -qE "^selftest: .*: [0-9]+ passed, 0 failed" "$out" ||
		problems+=("no 'N passed, 0 failed' line")
	[ "$rc" -eq 0 ] || problems+=("exit status $rc")
	if [ ${#problems[@]} -eq 0 ]; then
		ok "pvkernel pvkit: $label: $(grep -E '^pv: backend=' "$out"), $(grep -oE '[0-9]+ passed, 0 failed' "$out"), ${ms} ms"
	else
		not_ok "pvkernel pvkit: $label: ${problems[*]}"
		cat "$work/$name.out" "$work/$name.err" | sed 's/^/# /' | tail -n 40
	fi
}

pvkit_boot default --kernel build/pvkernel --pv-mode ring0
check_boot default "${names[0]}" "pvkit via hardware_subarch=0x50564b \(pvkit\)"

pvkit_boot pc --kernel build/pvkernel --subarch pc
check_boot pc "${names[1]}" "native via hardware_subarch=0 \(PC\)"

pvkit_boot nocpuid --kernel build/pvkernel --no-pvkit-cpuid
check_boot nocpuid "${names[2]}" "native via probe \(ring 0, paging on at entry\)" \
	"^pv: hardware_subarch=0x50564b \(pvkit\) but no pvkit signature.*falling back"

pvkit_boot pvh --kernel build/pvkernel --entry pvh
check_boot pvh "${names[3]}" "pvkit via CPUID signature \"pvkitpvkitpv\"" "^boot: entry=PVH"

pvkit_boot bundled --pv-mode ring0
check_boot bundled "${names[4]}" "pvkit via hardware_subarch"

pvkit_boot crash --kernel build/pvkernel --cmdline "pvkernel.crash=1"
panic=$(pvkernel_exit PANIC)
if grep -qE "^exception: vector 6 \(#UD" "$work/crash.out" && [ "$rc" -eq "$panic" ]; then
	ok "pvkernel pvkit: ${names[5]}: report and status $panic, ${ms} ms"
else
	not_ok "pvkernel pvkit: ${names[5]}: exit status $rc"
	cat "$work/crash.out" "$work/crash.err" | sed 's/^/# /' | tail -n 20
fi

# 1 MiB through the console op: the pvkit call vs the UART (--subarch pc).
MIB=1048576
exits() { grep -oE "pvkit: exits: total=[0-9]+" "$work/$1.err" | grep -oE '[0-9]+$'; }
pvkit_boot bench_pvkit --kernel build/pvkernel --pv-mode ring0 --cmdline "pvkernel.console_bench=1M"
rc_pvkit=$rc ms_pvkit=$ms
pvkit_boot bench_uart --kernel build/pvkernel --subarch pc --cmdline "pvkernel.console_bench=1M"
rc_uart=$rc ms_uart=$ms
e_pvkit=$(exits bench_pvkit) e_uart=$(exits bench_uart)
b_pvkit=$(wc -c <"$work/bench_pvkit.out") b_uart=$(wc -c <"$work/bench_uart.out")
echo "# console_bench 1 MiB, pvkit call: exits=$e_pvkit bytes=$b_pvkit ${ms_pvkit} ms: $(grep -h 'exits:' "$work/bench_pvkit.err")"
echo "# console_bench 1 MiB, UART:       exits=$e_uart bytes=$b_uart ${ms_uart} ms: $(grep -h 'exits:' "$work/bench_uart.err")"
if [ "$rc_pvkit" -eq 0 ] && [ "$rc_uart" -eq 0 ] && [ -n "$e_pvkit" ] && [ -n "$e_uart" ] &&
	[ "$b_pvkit" -ge $MIB ] && [ "$b_uart" -ge $MIB ] &&
	grep -q "backend=pvkit" "$work/bench_pvkit.out" &&
	grep -q "backend=native" "$work/bench_uart.out" &&
	[ $((e_pvkit * 100)) -le "$e_uart" ]; then
	ok "pvkernel pvkit: ${names[6]}: 1 MiB costs $e_pvkit exits with the pvkit call, $e_uart with the UART ($((e_uart / e_pvkit))x fewer)"
else
	not_ok "pvkernel pvkit: ${names[6]}: pvkit $e_pvkit exits (status $rc_pvkit, $b_pvkit bytes), UART $e_uart exits (status $rc_uart, $b_uart bytes)"
fi
