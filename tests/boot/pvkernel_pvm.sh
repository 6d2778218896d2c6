#!/usr/bin/env bash
# pvkernel deprivileged: the pvm backend (guest/pv/pvm.c) started by pvkit's
# pvm mode (host/pvm_mode.c, host/pvm_machine.c) on a PVM host.
#
#   default                    a PVM host + the pvm note -> pvm backend, every
#                              self-test passes, isolation tried from user mode,
#                              which runs in this host's PVCS mode
#   isolation by CPL0 stubs    pvkernel.pvm_no_pvcs: the same isolation with
#                              page-table switches by trap-and-emulate
#   bundled kernel             the same with the image linked into pvkit
#   --pv-mode ring0            forced ring 0 -> the pvkit backend
#   ring 0 native              PVKIT_PVM_HOST_OVERRIDE=0 (a host with VT-x/SVM
#                              as far as pvkit knows): auto -> ring 0, and
#                              --pv-mode pvm is refused
#   no note                    --pv-mode pvm with a kernel that has no note
#   bad --pv-mode              one line, status 2
#   ELF note                   PVKIT_ELFNOTE_PVM = pvm_entry, idt_table
#   single address space       pvkernel.pvm_single_space=1: no isolation,
#                              the isolation test says it is skipped
#   exception report           pvkernel.crash=1 under pvm: report, and the
#                              status PVKERNEL_EXIT_PANIC
#   console                    64 KiB through the MMIO hypercall page
# How fast each backend is (the kernel loop against the same loop as a host
# process, exceptions, page faults, timer interrupts, system calls) is
# measured by make bench (bench/run-bench.sh, "pvkernel backends side by
# side" in docs/performance.md), never asserted here.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/pvkernel.sh

PVKIT=${PVKIT:-build/pvkit-san}
names=("default: pvm backend" "bundled kernel" "--pv-mode ring0" "ring 0 native host"
	"no note" "bad --pv-mode" "ELF note" "single address space" "exception report"
	"console" "isolation by CPL0 stubs")

pvm_guest_suite "pvkernel pvm" build/pvkernel "${names[@]}"

# check_refused NAME LABEL PATTERN: pvkit refused to start it (bad input):
# status 2, one stderr line matching, no stdout.
check_refused() {
	local name=$1 label=$2 pattern=$3
	problems=()
	[ "$rc" -eq 2 ] || problems+=("exit status $rc, not 2")
	[ "$(wc -l <"$work/$name.err")" -eq 1 ] || problems+=("not one line on stderr")
	grep -qE "^pvkit: .*$pattern" "$work/$name.err" || problems+=("no 'pvkit: ...$pattern'")
	[ ! -s "$work/$name.out" ] || problems+=("output on stdout")
	pvkernel_report "$name" "pvkernel pvm: $label" "$(head -n1 "$work/$name.err")"
}

pvkernel_boot default pvkit --kernel build/pvkernel
pvkernel_check default "pvkernel pvm: ${names[0]}" "$PVKERNEL_EXIT_OK" "pvm via pvm entry" \
	"^boot: entry=pvm " \
	"^selftest: pvm: user mode cannot reach kernel memory \(isolation\): ok" \
	"^selftest: pvm: kernel code runs natively: ok" \
	"^  user mode: read kernel data .*: #PF \(PVCS mode\)" \
	"^pvm: user mode on its own page tables, switched at every entry and exit in PVCS mode"

pvkernel_boot stubs pvkit --kernel build/pvkernel --cmdline "pvkernel.pvm_no_pvcs"
pvkernel_check stubs "pvkernel pvm: ${names[10]}" "$PVKERNEL_EXIT_OK" "pvm via pvm entry" \
	"^pvm: user mode on its own page tables, switched at every entry and exit by CPL0 stubs" \
	"^selftest: pvm: user mode cannot reach kernel memory \(isolation\): ok" \
	"^  user mode: read kernel data .*: #PF$"

pvkernel_boot bundled pvkit
pvkernel_check bundled "pvkernel pvm: ${names[1]}" "$PVKERNEL_EXIT_OK" "pvm via pvm entry"

pvkernel_boot ring0 pvkit --kernel build/pvkernel --pv-mode ring0
pvkernel_check ring0 "pvkernel pvm: ${names[2]}" "$PVKERNEL_EXIT_OK" "pvkit via hardware_subarch"

PVKIT_PVM_HOST_OVERRIDE=0 pvkernel_boot native_auto pvkit --kernel build/pvkernel
pvkernel_expect native_auto "$PVKERNEL_EXIT_OK" "pvkit"
if [ ${#problems[@]} -eq 0 ]; then
	PVKIT_PVM_HOST_OVERRIDE=0 pvkernel_boot native_forced pvkit --kernel build/pvkernel --pv-mode pvm
	check_refused native_forced "${names[3]}: auto is ring 0, --pv-mode pvm refused" \
		"ring 0 is not emulated on this host"
else
	pvkernel_report native_auto "pvkernel pvm: ${names[3]}: auto did not stay in ring 0"
fi

pvkernel_boot nonote pvkit --kernel build/guests/exit_status.elf --pv-mode pvm
check_refused nonote "${names[4]}" "no pvkit PVM note"

pvkernel_boot badmode pvkit --kernel build/pvkernel --pv-mode ring3
check_refused badmode "${names[5]}" "--pv-mode ring3: not auto, pvm or ring0"

# The note's descriptor: two little-endian u64 = pvm_entry, idt_table.
readelf -nW build/pvkernel.elf >"$work/notes.txt"
run_output "$work/notes.txt"
desc=$(readelf -nW build/pvkernel.elf | awk '$1 == "pvkit" && $2 == "0x00000010" {
	n = split($0, f, "description data: "); split(f[2], b, " ");
	printf "%s%s%s%s%s%s%s%s %s%s%s%s%s%s%s%s\n", b[8], b[7], b[6], b[5], b[4], b[3], b[2], b[1],
		b[16], b[15], b[14], b[13], b[12], b[11], b[10], b[9] }')
sym() { readelf -sW build/pvkernel.elf | awk -v s="$1" '$8 == s { print $2 }'; }
if [ -n "$desc" ] && [ "$desc" = "$(sym pvm_entry) $(sym idt_table)" ]; then
	ok "pvkernel pvm: ${names[6]}: pvkit type 2 = pvm_entry, idt_table ($desc)"
else
	not_ok "pvkernel pvm: ${names[6]}: descriptor '$desc', want '$(sym pvm_entry) $(sym idt_table)'"
fi

pvkernel_boot single pvkit --kernel build/pvkernel --cmdline "pvkernel.pvm_single_space=1"
pvkernel_check single "pvkernel pvm: ${names[7]}" "$PVKERNEL_EXIT_OK" "pvm via pvm entry" \
	"NO isolation" \
	"^selftest: pvm: user mode cannot reach kernel memory \(isolation\): skipped"

pvkernel_boot crash pvkit --kernel build/pvkernel --cmdline "pvkernel.crash=1"
pvkernel_check crash "pvkernel pvm: ${names[8]}" "$PVKERNEL_EXIT_PANIC" "pvm via pvm entry" \
	"^exception: vector 6 \(#UD" "^  rip=[0-9a-f]{16} "

pvkernel_boot console pvkit --kernel build/pvkernel --cmdline "pvkernel.console_bench=64K"
pvkernel_expect console "$PVKERNEL_EXIT_OK" "pvm via pvm entry"
bytes=$(wc -c <"$work/console.out")
calls=$(grep -oE "hypercall=[0-9]+" "$work/console.err" | grep -oE '[0-9]+$')
[ "$bytes" -ge 65536 ] || problems+=("only $bytes bytes on stdout")
[ -n "$calls" ] || problems+=("no --stats line")
[ -n "$calls" ] && [ "$calls" -ge 100 ] && problems+=("$calls hypercalls for 64 KiB, not under 100")
pvkernel_report console "pvkernel pvm: ${names[9]}" "$bytes bytes in $calls hypercalls (MMIO exits)"
