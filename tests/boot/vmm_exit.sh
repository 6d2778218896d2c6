#!/usr/bin/env bash
# How `pvkit run` ends and what it carries: its output is complete and its
# status known when it exits, while the kernel's teardown of the VM happens
# after, in a helper process that keeps none of pvkit's stdio open once
# pvkit has ended (host/teardown.h); the decompression libraries are not linked
# (boot/payload_libs.h); a time-page guest gets no PIT (host/machine.c).
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tiny_guest_suite "vmm exit" last_words
run_output "$tmp/err"

# ends PVKIT: run last_words with stdout a pipe; print the status pvkit
# exited with, the bytes it wrote, and whether its stdout pipe was at its
# end the moment pvkit itself had ended (nobody else holding it open).
ends() {
	python3 - "$1" "$G/last_words.elf" 2>"$tmp/err" <<'PY'
import fcntl, os, subprocess, sys
p = subprocess.Popen([sys.argv[1], "run", "--kernel", sys.argv[2], "--timeout", "30"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
_, status = os.waitpid(p.pid, 0)
fd = p.stdout.fileno()
fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
out, at_end = b"", False
while True:
    try:
        chunk = os.read(fd, 65536)
    except BlockingIOError:
        break  # drained, but a writer is still there
    if not chunk:
        at_end = True
        break
    out += chunk
print(os.waitstatus_to_exitcode(status), repr(out.decode()), "eof" if at_end else "still-open")
PY
}

for pvkit in build/pvkit-san build/pvkit; do
	[ -x $pvkit ] || { skip "$pvkit: output and status at exit" "$pvkit not built"; continue; }
	got=$(ends $pvkit)
	check "$pvkit: status, unterminated last line and end of stdout all there at exit ($got)" \
		[ "$got" = "7 'last words, no newline' eof" ]
done

# The helper: a child of pvkit that shares its descriptors, the VM's among
# them (pvkit closes stdin, stdout and stderr as it ends: the checks above).
# (Looked for while the spinning guest runs; no time is asserted, the loops
# only bound how long a broken build is waited for.)
# build/pvkit: pvkit-san starts no helper (host/teardown.h).
VMM=build/pvkit
$VMM run --kernel $G/spin.elf --timeout 60 </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
helper=
for _ in $(seq 200); do
	helper=$(pgrep -P $pid | head -n1)
	[ -n "$helper" ] && grep -q kvm-vm <(ls -l /proc/$helper/fd 2>/dev/null) && break
	sleep 0.1
done
check "teardown helper: a child of pvkit holds the VM" \
	grep -q 'anon_inode:kvm-vm' <(ls -l /proc/$helper/fd 2>/dev/null)
check "teardown helper: blocks every signal (but SIGKILL and SIGSTOP, which cannot be)" \
	grep -qx 'SigBlk:	fffffffffffbfeff' /proc/$helper/status
check "decompression libraries: none mapped for an ELF guest" \
	[ -z "$(grep -E 'lib(z|bz2|lzma|zstd|lz4|lzo2)\.so' /proc/$pid/maps)" ]
check "PIT: created for a PC guest" [ -n "$(pgrep -x "kvm-pit/$pid")" ]
kill -TERM $pid
wait $pid
rc=$?
check "teardown helper: pvkit stopped by SIGTERM still says 143 (got $rc)" [ $rc -eq 143 ]
for _ in $(seq 600); do
	[ -d /proc/$helper ] || break
	sleep 0.1
done
check "teardown helper: gone once pvkit is (it tears the VM down)" [ ! -d /proc/$helper ]

# A time-page guest (pvkit subarch) runs without an in-kernel PIT.
$VMM run --kernel $G/spin.elf --subarch pvkit --timeout 60 </dev/null >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 200); do
	[ -n "$(pgrep -P $pid)" ] && break
	sleep 0.1
done
check "PIT: none for a pvkit-subarch guest" [ -z "$(pgrep -x "kvm-pit/$pid")" ]
kill -TERM $pid
wait $pid

check "decompression libraries: not linked into pvkit" \
	[ -z "$(readelf -d $PVKIT | grep -E 'NEEDED.*lib(z|bz2|lzma|zstd|lz4|lzo2)\.so')" ]
