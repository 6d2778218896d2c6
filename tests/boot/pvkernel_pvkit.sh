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
#   pvkernel.crash=1          the pvkit backend's exception report (ring 0)
#   pvkernel.console_bench=1M 1 MiB through the console op, exits counted
#                             by --stats: pvkit must need >= 100x fewer
# On a PVM host pvkit starts pvkernel deprivileged (pvm backend) by default;
# the runs that test the ring-0 pvkit backend ask for it with --pv-mode ring0
# (tests/boot/pvkernel_pvm.sh tests the pvm default).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/pvkernel.sh

PVKIT=${PVKIT:-build/pvkit-san}
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

pvkernel_boot default pvkit --kernel build/pvkernel --pv-mode ring0
pvkernel_check default "pvkernel pvkit: ${names[0]}" "$PVKERNEL_EXIT_OK" \
	"pvkit via hardware_subarch=0x50564b \(pvkit\)"

pvkernel_boot pc pvkit --kernel build/pvkernel --subarch pc
pvkernel_check pc "pvkernel pvkit: ${names[1]}" "$PVKERNEL_EXIT_OK" \
	"native via hardware_subarch=0 \(PC\)"

pvkernel_boot nocpuid pvkit --kernel build/pvkernel --no-pvkit-cpuid
pvkernel_check nocpuid "pvkernel pvkit: ${names[2]}" "$PVKERNEL_EXIT_OK" \
	"native via probe \(ring 0, paging on at entry\)" \
	"^pv: hardware_subarch=0x50564b \(pvkit\) but no pvkit signature.*falling back"

pvkernel_boot pvh pvkit --kernel build/pvkernel --entry pvh
pvkernel_check pvh "pvkernel pvkit: ${names[3]}" "$PVKERNEL_EXIT_OK" \
	"pvkit via CPUID signature \"pvkitpvkitpv\"" "^boot: entry=PVH"

pvkernel_boot bundled pvkit --pv-mode ring0
pvkernel_check bundled "pvkernel pvkit: ${names[4]}" "$PVKERNEL_EXIT_OK" "pvkit via hardware_subarch"

# The exception report of the pvkit backend itself (ring 0): on a PVM host
# pvkit's default would run the pvm backend (tests/boot/pvkernel_pvm.sh).
pvkernel_boot crash pvkit --kernel build/pvkernel --pv-mode ring0 --cmdline "pvkernel.crash=1"
pvkernel_check crash "pvkernel pvkit: ${names[5]}" "$PVKERNEL_EXIT_PANIC" "pvkit via" \
	"^exception: vector 6 \(#UD" "rip=[0-9a-f]{16} .*cr2="

# 1 MiB through the console op: the pvkit call vs the UART (--subarch pc).
# Counted, not timed: the pvkit call must need >= 100x fewer exits.
MIB=1048576
exits() { grep -oE "pvkit: exits: total=[0-9]+" "$work/$1.err" | grep -oE '[0-9]+$'; }
pvkernel_boot bench_uart pvkit --kernel build/pvkernel --subarch pc --cmdline "pvkernel.console_bench=1M"
pvkernel_expect bench_uart "$PVKERNEL_EXIT_OK" "native"
e_uart=$(exits bench_uart) b_uart=$(wc -c <"$work/bench_uart.out")
[ "$b_uart" -ge $MIB ] || problems+=("only $b_uart bytes on stdout")
[ -n "$e_uart" ] || problems+=("no --stats line")
uart_problems=("${problems[@]}")
pvkernel_boot bench_pvkit pvkit --kernel build/pvkernel --pv-mode ring0 --cmdline "pvkernel.console_bench=1M"
pvkernel_expect bench_pvkit "$PVKERNEL_EXIT_OK" "pvkit"
e_pvkit=$(exits bench_pvkit) b_pvkit=$(wc -c <"$work/bench_pvkit.out")
[ "$b_pvkit" -ge $MIB ] || problems+=("only $b_pvkit bytes on stdout")
[ -n "$e_pvkit" ] || problems+=("no --stats line")
[ -n "$e_pvkit" ] && [ -n "$e_uart" ] && [ $((e_pvkit * 100)) -gt "$e_uart" ] &&
	problems+=("$e_pvkit exits with the pvkit call, not 100x fewer than the UART's $e_uart")
problems+=("${uart_problems[@]/#/UART run: }")
pvkernel_report bench_pvkit "pvkernel pvkit: ${names[6]}" \
	"1 MiB costs $e_pvkit exits with the pvkit call, $e_uart with the UART ($((e_uart / ${e_pvkit:-1}))x fewer)"
