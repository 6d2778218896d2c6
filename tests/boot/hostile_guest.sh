#!/usr/bin/env bash
# A hostile guest (tests/guests/hostile.S) against build/pvkit-san (ASan +
# UBSan, seccomp on): random port I/O, random MMIO, hypercalls with wild
# pointers and lengths, huge console writes, UART floods, triple faults, an
# emulation failure, a guest that never ends, garbage exit statuses.
# pvkit must keep running where the guest is merely weird, stop with one
# line where it is broken, and never crash or touch memory outside guest
# RAM (any sanitizer report fails the case).
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=build/pvkit-san
GUEST=build/guests/hostile.elf
why=$(kvm_missing)
if [ -n "$why" ] || [ ! -x $PVKIT ] || [ ! -f $GUEST ]; then
	skip "hostile guest" "${why:-build/pvkit-san or build/guests/hostile.elf is not built}"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run_output "$tmp/out" "$tmp/err"

# hostile MODE [ARGS...]: stdout in $tmp/out, stderr in $tmp/err, status in $rc.
hostile() {
	local mode=$1
	shift
	timeout 120 $PVKIT run --kernel $GUEST --mem 256M --cmdline "$mode" --timeout 60 "$@" \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# No sanitizer report, no second pvkit line unless expected: ok if clean.
sanitizer_clean() {
	! grep -qE "AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error|Bad system call|seccomp" "$tmp/err"
}

# stderr is exactly the boot line plus $1 (empty: nothing more).
stderr_is() {
	local expected=$1
	[ "$(head -n1 "$tmp/err")" = "pvkit: booting hostile.elf via 64-bit entry of the ELF (the ELF has no PVH note)" ] || return 1
	if [ -z "$expected" ]; then
		[ "$(wc -l <"$tmp/err")" -eq 1 ]
	else
		[ "$(wc -l <"$tmp/err")" -eq 2 ] && [ "$(sed -n 2p "$tmp/err")" = "$expected" ]
	fi
}

# stderr_matches REGEX: like stderr_is, the second line matching REGEX.
stderr_matches() {
	[ "$(head -n1 "$tmp/err")" = "pvkit: booting hostile.elf via 64-bit entry of the ELF (the ELF has no PVH note)" ] &&
		[ "$(wc -l <"$tmp/err")" -eq 2 ] && sed -n 2p "$tmp/err" | grep -qE "$1"
}

symbol() { # address of a guest symbol, as pvkit prints it
	nm $GUEST | awk -v s="$1" '$3 == s { print $1 }' | sed 's/^0*//'
}

seed() { sed -n 's/^hostile: seed \(0x[0-9a-f]*\)$/\1/p' "$tmp/out"; }

# --- merely weird: pvkit keeps running ---------------------------------------
hostile ports
n=$(sed -n 's/.*survived \(0x[0-9a-f]*\) port accesses$/\1/p' "$tmp/out")
check "random port I/O: guest runs to its end, exit 0 (status $rc, seed $(seed))" \
	[ $rc -eq 0 ]
check "random port I/O: $((${n:-0})) accesses survived" eval '[ -n "$n" ] && [ $((n)) -gt 1000 ]'
check "random port I/O: no sanitizer report, nothing on stderr" \
	eval 'sanitizer_clean && stderr_is ""'

hostile mmio
check "random MMIO in the hole: every read all ones, exit 0 (status $rc, seed $(seed))" \
	[ $rc -eq 0 ]
check "random MMIO: 1000 accesses survived" grep -qx "hostile: survived 0x0*3e8 MMIO accesses" "$tmp/out"
check "random MMIO: no sanitizer report, nothing on stderr" eval 'sanitizer_clean && stderr_is ""'

hostile hypercalls
# The guest's valid console writes print raw RAM: pick the summary out of it.
line=$(LC_ALL=C grep -ao "hostile: hypercalls ok=0x[0-9a-f]* efault=0x[0-9a-f]* einval=0x[0-9a-f]* enosys=0x[0-9a-f]*" "$tmp/out")
check "wild hypercalls: documented results only, registers intact, exit 0 (status $rc, seed $(seed))" \
	[ $rc -eq 0 ]
ok_n=$(echo "$line" | sed -n 's/.*ok=\(0x[0-9a-f]*\).*/\1/p')
efault=$(echo "$line" | sed -n 's/.*efault=\(0x[0-9a-f]*\).*/\1/p')
einval=$(echo "$line" | sed -n 's/.*einval=\(0x[0-9a-f]*\).*/\1/p')
enosys=$(echo "$line" | sed -n 's/.*enosys=\(0x[0-9a-f]*\).*/\1/p')
total=$((${ok_n:-0} + ${efault:-0} + ${einval:-0} + ${enosys:-0}))
check "wild hypercalls: 2000 calls, $((efault)) EFAULT, $((einval)) EINVAL, $((enosys)) ENOSYS, $((ok_n)) ok" \
	eval '[ "$total" -eq 2000 ] && [ $((efault)) -gt 0 ] && [ $((einval)) -gt 0 ] && [ $((enosys)) -gt 0 ]'
check "wild hypercalls: no sanitizer report, nothing on stderr" eval 'sanitizer_clean && stderr_is ""'

hostile big
bytes=$(wc -c <"$tmp/out")
check "4 MiB of console writes: exit 0 (status $rc)" [ $rc -eq 0 ]
check "4 MiB of console writes: every byte on stdout ($bytes)" \
	[ "$bytes" -eq $((64 * 65536 + 33 + 23)) ]
check "4 MiB of console writes: clean" eval 'sanitizer_clean && stderr_is ""'

hostile uart
bytes=$(wc -c <"$tmp/out")
check "UART flood (rep outsb, 256 KiB): exit 0 (status $rc)" [ $rc -eq 0 ]
check "UART flood: every byte on stdout ($bytes)" [ "$bytes" -eq $((64 * 4096 + 33 + 34)) ]
check "UART flood: clean" eval 'sanitizer_clean && stderr_is ""'

hostile e1
check "SSE store to MMIO that KVM emulates: exit 0 (status $rc)" [ $rc -eq 0 ]
check "SSE store to MMIO: guest goes on" eval 'grep -qx "hostile: emulated" "$tmp/out" && sanitizer_clean'

hostile status
value=$(sed -n 's/^hostile: exit value \(0x[0-9a-f]*\)$/\1/p' "$tmp/out")
check "garbage exit value ${value:-?}: status is its low byte ($rc), refused POWER_OFF(0x1234) and stray debug-port bytes ignored" \
	eval '[ -n "$value" ] && [ $rc -eq $((value & 0xff)) ]'
check "garbage exit value: the status is the only message" eval 'sanitizer_clean && stderr_is ""'

# --- broken: pvkit stops with one line ------------------------------------------
hostile triple
check "push to an unmapped stack: triple fault, status 3 (got $rc)" [ $rc -eq 3 ]
check "triple fault: one line with the faulting RIP" \
	eval 'sanitizer_clean && stderr_is "pvkit: guest triple-faulted (RIP=0x$(symbol pf_here))"'

hostile x
check "jump to a non-canonical address: status 3 (got $rc)" [ $rc -eq 3 ]
check "non-canonical jump: one line with the RIP" \
	eval 'sanitizer_clean && stderr_is "pvkit: guest triple-faulted (RIP=0x$(symbol gp_here))"'

hostile emulation
check "fxsave to MMIO: KVM cannot emulate it, status 4 (got $rc)" [ $rc -eq 4 ]
check "fxsave to MMIO: one line with the RIP and the instruction's bytes" \
	eval 'sanitizer_clean && stderr_matches "^pvkit: KVM.s emulator cannot run the instruction at RIP=0x$(symbol emul_here) \(bytes( [0-9a-f]{2})+\)\$"'

hostile big --console-limit 100000
bytes=$(wc -c <"$tmp/out")
check "--console-limit 100000: status 5 (got $rc)" [ $rc -eq 5 ]
check "--console-limit: exactly 100000 bytes reach stdout ($bytes)" [ "$bytes" -eq 100000 ]
check "--console-limit: one line" \
	eval 'sanitizer_clean && stderr_is "pvkit: guest console output reached --console-limit of 100000 bytes, stopped"'
hostile uart --console-limit 5000
check "--console-limit through the UART: status 5, 5000 bytes (got $rc, $(wc -c <"$tmp/out"))" \
	eval '[ $rc -eq 5 ] && [ "$(wc -c <"$tmp/out")" -eq 5000 ]'

# How late --timeout stops it is measured by make bench; here: that it
# does, with one line, and not before its time.
start=$(date +%s%N)
hostile idle --timeout 1
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "cli; hlt forever: --timeout 1 stops it with status 124 (got $rc)" [ $rc -eq 124 ]
check "--timeout: one line, not before 1 s (took $elapsed_ms ms)" \
	eval 'sanitizer_clean && stderr_is "pvkit: guest still running after 1 s, stopped" && [ $elapsed_ms -ge 1000 ]'
