#!/usr/bin/env bash
# Instructions KVM's emulator gives up on (host/emulation_assist.c): int3 and
# fwait are completed by pvkit as the CPU would; anything else stops the run
# with one line naming the instruction's address and bytes.
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tiny_guest_suite "vmm emulation assist" int3

timeout 60 $PVKIT run --kernel $G/int3.elf --timeout 20 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "int3 in ring 0 reaches the guest's #BP handler, RIP past the int3 (status 0x33, got $rc)" \
	[ $rc -eq $((0x33)) ]

timeout 60 $PVKIT run --kernel $G/fwait.elf --timeout 20 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "fwait: nothing with CR0.TS clear, #NM with it set (status 0x37, got $rc)" [ $rc -eq $((0x37)) ]

timeout 60 $PVKIT run --kernel $G/unemulated.elf --timeout 20 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if grep -qwE 'vmx|svm' /proc/cpuinfo; then
	check "cmpxchg16b runs natively where ring 0 is not emulated" [ $rc -eq $((0x21)) ]
	skip "unemulated instruction message" "ring 0 is not emulated on this host"
else
	check "an instruction KVM cannot emulate stops the run (status 4, got $rc)" [ $rc -eq 4 ]
	check "the stop message names the instruction's bytes" \
		grep -qE "^pvkit: KVM's emulator cannot run the instruction at RIP=0x[0-9a-f]+ \(bytes f0 48 0f c7 0f" "$tmp/err"
fi

# CPUID: where ring 0 is emulated, pvkit hides CX16 (host/cpuid.c); this
# host's KVM ignores the table for POPCNT and SMAP (docs/linux.md).
timeout 60 $PVKIT run --kernel $G/cpuid_hidden.elf --timeout 20 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if grep -qwE 'vmx|svm' /proc/cpuinfo; then
	skip "CX16 hidden where ring 0 is emulated" "ring 0 is not emulated on this host"
else
	check "CX16 hidden where ring 0 is emulated (visible set 0x$(printf %x $rc))" \
		[ $((rc & 1)) -eq 0 -a $rc -lt 32 ]
	echo "# still visible despite the table: $( ((rc & 2)) && echo POPCNT) $( ((rc & 4)) && echo SMAP)"
fi
