#!/usr/bin/env bash
# pvkit's devices and exits, driven by the tiny guests of tests/guests/:
# UART output and input, debug-exit status, i8042 reset, unknown ports,
# triple fault, --timeout, the PVH (32-bit) entry.
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tiny_guest_suite "vmm devices" uart_hello
run_output "$tmp/out" "$tmp/err"

# run GUEST [ARGS...]: stdout in $tmp/out, stderr in $tmp/err, status in $rc.
run() {
	local guest=$1
	shift
	timeout 60 $PVKIT run --kernel $G/$guest.elf --timeout 20 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

run uart_hello --stats
check "uart: entry state ok, guest exits 0" [ $rc -eq 0 ]
check "uart: bytes reach stdout" grep -qx "hello from the 16550" "$tmp/out"
check "uart: boot path printed" grep -q "^pvkit: booting uart_hello.elf via 64-bit entry" "$tmp/err"
check "uart: --stats counts the UART's exits" \
	grep -qE "^pvkit: exits: total=[0-9]+ io=[1-9][0-9]* mmio=0 hlt=0 hypercall=0 console_bytes=21$" "$tmp/err"

echo "the quick brown fox" >"$tmp/in"
timeout 60 $PVKIT run --kernel $G/uart_echo.elf --timeout 20 <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "uart input: stdin reaches the guest through the receive FIFO" \
	grep -qx "type a line: echo: the quick brown fox" "$tmp/out"
check "uart input: exit 0" [ $rc -eq 0 ]

run uart_hello --mem 5G
check "5 GiB guest: RAM above 4 GiB in a second memslot, guest runs (status $rc)" [ $rc -eq 0 ]

run uart_irq --timeout 10
check "uart irq: THR-empty interrupt reaches the guest via IRQ 4 and the PIC (status $rc)" [ $rc -eq 0 ]
check "uart irq: handler ran" grep -qx "irq 4 delivered" "$tmp/out"

run exit_status
check "debug exit: 2-byte write of 0x1234 gives status 0x34" [ $rc -eq 52 ]
check "debug exit: no message of pvkit's own" [ "$(grep -vc '^pvkit: booting' "$tmp/err")" -eq 0 ]

run reset
check "i8042 reset: exit status 0" [ $rc -eq 0 ]
check "i8042 reset: says so" grep -qx "pvkit: guest requested reset" "$tmp/err"

run unknown_io --debug
check "unknown I/O: reads all ones, guest goes on" [ $rc -eq 0 ]
check "unknown I/O: guest finished" grep -qx "unknown I/O ignored" "$tmp/out"
check "unknown I/O: logged once per address" \
	[ "$(grep -c 'unknown MMIO .* 0xd0000000' "$tmp/err")" -eq 1 ]
check "unknown I/O: port logged" grep -q "unknown port write 0x2f8 (size 1): ignored" "$tmp/err"
run unknown_io
check "unknown I/O: silent without --debug" [ "$(grep -cE 'unknown (port|MMIO)' "$tmp/err")" -eq 0 ]

run triple_fault
fault_rip=$(nm $G/triple_fault.elf | awk '$3 == "fault_here" { print $1 }' | sed 's/^0*//')
check "triple fault: exit status 3" [ $rc -eq 3 ]
check "triple fault: reported with the faulting RIP" \
	grep -qx "pvkit: guest triple-faulted (RIP=0x$fault_rip)" "$tmp/err"

# --timeout: how late it stops is measured by make bench, not asserted
# here; never before its time is a property.
start=$(date +%s%N)
timeout 60 $PVKIT run --kernel $G/spin.elf --timeout 1 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "timeout: spinning guest stopped with status 124" [ $rc -eq 124 ]
check "timeout: message" grep -qx "pvkit: guest still running after 1 s, stopped" "$tmp/err"
check "timeout: not before 1 s (took $elapsed_ms ms)" [ $elapsed_ms -ge 1000 ]
timeout 60 $PVKIT run --kernel $G/spin.elf --timeout 0.3 </dev/null >"$tmp/out" 2>"$tmp/err"
check "timeout: fractional seconds" grep -qx "pvkit: guest still running after 0.3 s, stopped" "$tmp/err"

# SIGTERM while the guest runs (it prints its prompt, then waits for a line
# that never comes): 143 is also what an unhandled SIGTERM gives, so what
# shows pvkit's own handling is its message, the --stats it still prints
# and the guest's output, all written before it exits.  The signal is sent
# once the prompt is on stdout, i.e. once the run loop runs.
rm -f "$tmp/out" "$tmp/err" # not the last run's: the new pvkit may not have opened them yet
mkfifo "$tmp/stdin"
exec 3<>"$tmp/stdin" # held open: the guest's input never ends
$PVKIT run --kernel $G/uart_echo.elf --stats --timeout 60 <"$tmp/stdin" >"$tmp/out" 2>"$tmp/err" &
pid=$!
if wait_for_line "$tmp/out" "^type a line: " 30 $pid; then
	kill -TERM $pid
	wait $pid
	rc=$?
	check "SIGTERM: status 143, pvkit's message, --stats, the guest's output (status $rc)" \
		eval '[ $rc -eq 143 ] && [ "$(tail -n2 "$tmp/err" | head -n1)" = "pvkit: stopped by SIGTERM" ] &&
			grep -qE "^pvkit: exits: total=[0-9]+ io=[1-9]" "$tmp/err" &&
			[ "$(cat "$tmp/out")" = "type a line: " ]'
else
	kill -KILL $pid 2>/dev/null
	wait $pid
	not_ok "SIGTERM: the guest never printed its prompt"
fi
exec 3>&-

run pvh
check "PVH: 32-bit entry with start_info, exit 0" [ $rc -eq 0 ]
check "PVH: output" grep -qx "hello from PVH" "$tmp/out"
check "PVH: path named" grep -q "via PVH entry" "$tmp/err"
