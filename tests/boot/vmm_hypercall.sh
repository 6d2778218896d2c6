#!/usr/bin/env bash
# ABI v1 from a guest's side: CPUID discovery, the hypercall page, every
# call with good and hostile arguments, negotiation, the time page, HALT,
# POWER_OFF; --no-pvkit-cpuid; and the cost of a console byte both ways.
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tiny_guest_suite "vmm hypercalls" hypercall

run() {
	local guest=$1
	shift
	timeout 60 $PVKIT run --kernel $G/$guest.elf --timeout 20 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# The guest exits with 20..55 naming the first check that failed.
run hypercall --stats
check "hypercall guest: every check passed (status $rc)" [ $rc -eq 0 ]
check "console write: output" grep -qx "hello via hypercall" "$tmp/out"
check "power off: after the last write" grep -qx "hypercalls ok" "$tmp/out"
check "stats: hypercall exits counted, no UART exits" \
	grep -qE "^pvkit: exits: total=([0-9]+) io=0 mmio=0 hlt=0 hypercall=\1 console_bytes=34$" "$tmp/err"

# The same without KVM_CAP_SYNC_REGS (KVM_GET_REGS/KVM_SET_REGS instead).
PVKIT_NO_SYNC_REGS=1 run hypercall
check "hypercall guest without sync regs (status $rc)" [ $rc -eq 0 ]

run cpuid_sig
check "CPUID 0x40000000 is pvkit's, KVM's found at 0x40000100 (status $rc)" [ $rc -eq 16 ]
run cpuid_sig --no-pvkit-cpuid
check "--no-pvkit-cpuid: KVM's leaves stay at 0x40000000 (status $rc)" [ $rc -eq 32 ]
run hypercall --no-pvkit-cpuid
check "--no-pvkit-cpuid: a pvkit guest does not find pvkit (status $rc)" [ $rc -eq 20 ]

# What a console byte costs through the UART and through a hypercall,
# measured inside the guest with the CLOCK call (loop overhead included).
run console_cost --stats
check "console cost guest ran" [ $rc -eq 0 ]
line=$(grep -E '^loop_ns=[0-9]+ uart_byte_ns=[0-9]+ hypercall_ns=[0-9]+$' "$tmp/out")
check "console cost: numbers printed" [ -n "$line" ]
echo "# $line"
