#!/usr/bin/env bash
# Snapshot and restore (host/snapshot.c, host/machine_state.c,
# docs/snapshot.md) with pvkernel's self-tests:
#
#   at exit N (pvm, ring0)   `pvkit run --snapshot-after N` snapshots the
#                            self-tests while they run, at 20 different
#                            exits in each mode; the run goes on and
#                            finishes (0 failed, status 0), and so does
#                            `pvkit restore` of the snapshot in a new
#                            process.  The guest's clock does not go back
#                            across a restore: the durations the kernel
#                            measures from before the snapshot to after
#                            the restore ("shared tests took N ms", the
#                            backend's total) are sane, not wrapped.
#   random pauses            through the control socket (curl) at a random
#                            moment of the self-tests, PAUSES times per mode,
#                            wherever the vCPU is (in pvm mode often in a
#                            CPL0 stub or thunk, docs/snapshot.md): paused,
#                            snapshotted, resumed; the run and the restore
#                            finish with 0 failed
#   clock across a wait      restored WAIT_S seconds after the snapshot, in
#                            ring-0 mode before its timer test: the guest's
#                            clock goes on from the snapshot (the host's TSC
#                            moved on meanwhile, docs/snapshot.md), so the
#                            timer test still counts its ticks and the
#                            durations around the wait stay below WAIT_S
#   sparse memory file       untouched and zero RAM are holes
#   refused snapshots        truncated, corrupt (one flipped byte), foreign
#                            (CPU features this host lacks, another TSC
#                            rate: header edited, CRC made right), a newer
#                            format, an unknown part, a memory file of
#                            another snapshot or truncated, not a snapshot
#                            at all: one line "pvkit: FILE: ...", status 2,
#                            nothing on stdout
#   frozen snapshot          tests/snapshot/v1: a snapshot written by the
#                            pvkit of the day the format was made restores
#                            (the format is an ABI: every later pvkit must)
#   command line             restore without its files, --snapshot-after
#                            without them: one line, status 2
#   plain build              one snapshot point with build/pvkit: its own
#                            seccomp programs, and the teardown helper
#                            holding the VM after pvkit's exit (run and
#                            restore; pvkit-san starts no helper)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
. tests/lib/pvkernel.sh

PVKIT=${PVKIT:-build/pvkit-san}
POINTS=${SNAPSHOT_POINTS:-20}
names=()
for mode in pvm ring0; do
	for ((i = 1; i <= POINTS; i++)); do names+=("$mode at point $i"); done
done
names+=("random pauses (pvm)" "random pauses (ring0)" "clock across a wait" "sparse memory file" "refused snapshots" "frozen snapshot"
	"command line" "plain build")
pvm_guest_suite "snapshot" build/pvkernel "${names[@]}"

# sane_ms NAME PATTERN [optional]: the number of ms after PATTERN in NAME's
# output is below a minute (a clock that went back would make it wrap).
# An optional one may be absent (printed before the snapshot was taken).
sane_ms() {
	local v
	v=$(grep -aoE "$2[0-9]+ ms" "$work/$1.out" | grep -oE '[0-9]+' | tail -n1)
	[ -z "$v" ] && [ -n "${3:-}" ] && return
	[ -n "$v" ] && [ "$v" -lt 60000 ] || problems+=("$1: '$2' says ${v:-nothing} ms")
}

# One snapshot point: run with --snapshot-after N, restore, check both.
snapshot_point() {
	local mode=$1 n=$2 label=$3 backend
	backend=$([ "$mode" = pvm ] && echo pvm || echo pvkit)
	local s=$work/$mode-$n
	pvkernel_boot "$mode-$n-run" pvkit --pv-mode "$mode" --snapshot-after "$n" \
		--snapshot "$s.state" --mem-file "$s.mem"
	pvkernel_expect "$mode-$n-run" "$PVKERNEL_EXIT_OK" "$backend" '[0-9]+ passed, 0 failed'
	local run_problems=("${problems[@]}")
	grep -q "^pvkit: snapshot: $s.state" "$work/$mode-$n-run.err" ||
		run_problems+=("the run wrote no snapshot")
	run_output "$work/$mode-$n.out" "$work/$mode-$n.err"
	"$PVKIT" restore --snapshot "$s.state" --mem-file "$s.mem" --stats \
		--timeout "$RUN_TIMEOUT" </dev/null >"$work/$mode-$n.out" 2>"$work/$mode-$n.err"
	rc=$?
	pvkernel_expect "$mode-$n" "$PVKERNEL_EXIT_OK" "" '[0-9]+ passed, 0 failed'
	problems=("${run_problems[@]}" "${problems[@]}")
	grep -q "^pvkit: restored " "$work/$mode-$n.err" || problems+=("no 'restored' line")
	# Every exit is a console write or another call made after the first
	# line: a restored guest that prints the first line again booted again.
	grep -aqxF "$(head -n1 "$work/$mode-count.out")" "$work/$mode-$n.out" &&
		problems+=("the restored guest booted again")
	sane_ms "$mode-$n" "shared tests took " optional
	sane_ms "$mode-$n" "backend $backend, "
	pvkernel_report "$mode-$n" "snapshot: $label" \
		"exit $n, restored: $(pvkernel_summary "$mode-$n"), status $rc"
	rm -f "$s.mem"
}

for mode in pvm ring0; do
	# The exits of a whole run (the fewest of three: the timer test's halts
	# vary), spread over POINTS snapshot points from the third (the first
	# line is printed by then) to the sixth from the end (the summary line
	# and the power-off are the last exits).
	total=
	for c in 1 2 3; do
		pvkernel_boot "$mode-count" pvkit --pv-mode "$mode"
		t=$(grep -oE 'exits: total=[0-9]+' "$work/$mode-count.err" | grep -oE '[0-9]+$')
		[ -n "$t" ] && { [ -z "$total" ] || [ "$t" -lt "$total" ]; } && total=$t
	done
	total=$((${total:-9} - 6))
	for ((i = 1; i <= POINTS; i++)); do
		n=$(((total - 3) * i / POINTS + 3))
		snapshot_point "$mode" "$n" "$mode at point $i"
	done
done

# Random pauses through the control socket: not at an exit, anywhere.
PAUSES=${SNAPSHOT_PAUSES:-6}
for mode in pvm ring0; do
	backend=$([ "$mode" = pvm ] && echo pvm || echo pvkit)
	bad=() taken=0
	if ! command -v curl >/dev/null; then
		skip "snapshot: random pauses ($mode)" "curl not installed"
		continue
	fi
	for ((i = 1; i <= PAUSES; i++)); do
		s=$work/pause-$mode-$i
		"$PVKIT" run --pv-mode "$mode" --api-socket "$s.sock" --timeout "$RUN_TIMEOUT" \
			</dev/null >"$s.run.out" 2>"$s.run.err" &
		pid=$!
		for _ in $(seq 400); do [ -S "$s.sock" ] && break; sleep 0.01; done
		sleep "0.$(printf %03d $((RANDOM % 120)))"
		for req in 'PATCH /vm {"state":"Paused"}' \
			"PUT /snapshot/create {\"snapshot_path\":\"$s.state\",\"mem_file_path\":\"$s.mem\"}" \
			'PATCH /vm {"state":"Resumed"}'; do
			curl -s --max-time 20 --unix-socket "$s.sock" -X "${req%% *}" \
				-d "${req#* * }" "http://localhost$(cut -d' ' -f2 <<<"$req")" >/dev/null
		done
		wait $pid
		rc=$?
		grep -aqE '[0-9]+ passed, 0 failed' "$s.run.out" && [ "$rc" -eq 0 ] ||
			bad+=("run $i: status $rc")
		if [ ! -f "$s.state" ]; then
			# The guest may have finished before the pause: nothing to restore.
			grep -q "^pvkit: snapshot: " "$s.run.err" && bad+=("run $i: no state file")
			continue
		fi
		"$PVKIT" restore --snapshot "$s.state" --mem-file "$s.mem" --timeout "$RUN_TIMEOUT" \
			</dev/null >"$s.out" 2>"$s.err"
		rc=$?
		# Status 0 is the guest's own verdict (a failed self-test makes it
		# 32); the summary is there unless the pause came after it.
		if [ "$rc" -ne 0 ] || grep -aq "FAILED" "$s.out" ||
			grep -aqE "backend $backend, .*[1-9][0-9]* failed" "$s.out"; then
			bad+=("restore $i: status $rc, $(grep -aE 'FAILED|check failed' "$s.out" | head -n2 | tr '\n' ' ')")
			run_output "$s.out" "$s.err"
		fi
		taken=$((taken + 1))
		rm -f "$s.mem"
	done
	if [ ${#bad[@]} -eq 0 ]; then
		ok "snapshot: random pauses ($mode): $taken of $PAUSES runs paused while the tests ran, snapshotted, resumed and restored: 0 failed"
	else
		not_ok "snapshot: random pauses ($mode): ${bad[*]}"
	fi
done

# The clock across a wait: a snapshot early in the self-tests, restored
# WAIT_S seconds later.  The wait must not reach the guest's clock.
WAIT_S=${SNAPSHOT_WAIT_S:-4}
s=$work/wait
pvkernel_boot wait-run pvkit --pv-mode ring0 --snapshot-after 3 --snapshot "$s.state" \
	--mem-file "$s.mem"
sleep "$WAIT_S"
run_output "$work/wait.out" "$work/wait.err"
"$PVKIT" restore --snapshot "$s.state" --mem-file "$s.mem" --timeout "$RUN_TIMEOUT" \
	</dev/null >"$work/wait.out" 2>"$work/wait.err"
rc=$?
pvkernel_expect wait "$PVKERNEL_EXIT_OK" "" '[0-9]+ passed, 0 failed' '^selftest: timer ticks and halt: ok'
for what in "shared tests took " "backend pvkit, "; do
	v=$(grep -aoE "$what[0-9]+ ms" "$work/wait.out" | grep -oE '[0-9]+' | tail -n1)
	[ -n "$v" ] && [ "$v" -lt $((WAIT_S * 1000)) ] ||
		problems+=("'$what' says ${v:-nothing} ms after a ${WAIT_S} s wait")
done
pvkernel_report wait "snapshot: clock across a wait" \
	"restored ${WAIT_S} s later: $(grep -aoE 'shared tests took [0-9]+ ms' "$work/wait.out")"
rm -f "$s.mem"

# A 1 GiB guest whose RAM is mostly never touched: the memory file is
# almost all holes.
problems=()
run_output "$work/sparse.out" "$work/sparse.err"
"$PVKIT" run --mem 1G --snapshot-after 5 --snapshot "$work/sparse.state" \
	--mem-file "$work/sparse.mem" </dev/null >"$work/sparse.out" 2>"$work/sparse.err"
rc=$?
[ "$rc" -eq 0 ] || problems+=("status $rc")
size=$(stat -c %s "$work/sparse.mem" 2>/dev/null || echo 0)
used=$(($(stat -c %b "$work/sparse.mem" 2>/dev/null || echo 0) * 512))
[ "$size" -eq $(((1 << 30) + 4096)) ] || problems+=("memory file of $size bytes")
[ "$used" -lt $((16 << 20)) ] || problems+=("memory file uses $used bytes on disk")
if [ ${#problems[@]} -eq 0 ]; then
	ok "snapshot: sparse memory file: 1 GiB guest, $((used >> 10)) KiB on disk"
else
	not_ok "snapshot: sparse memory file: ${problems[*]}"
fi

# refused LABEL STATE MEM PATTERN: restore says one line matching PATTERN, status 2.
refusals=()
refused() {
	local label=$1 state=$2 mem=$3 pattern=$4
	"$PVKIT" restore --snapshot "$state" --mem-file "$mem" </dev/null \
		>"$work/refused.out" 2>"$work/refused.err"
	local rc=$? why=()
	[ "$rc" -eq 2 ] || why+=("status $rc")
	[ "$(wc -l <"$work/refused.err")" -eq 1 ] || why+=("$(wc -l <"$work/refused.err") lines")
	grep -qE "^pvkit: [^ ]+: .*$pattern" "$work/refused.err" || why+=("no '$pattern'")
	[ ! -s "$work/refused.out" ] || why+=("output on stdout")
	[ ${#why[@]} -eq 0 ] || refusals+=("$label: ${why[*]}: $(head -c 200 "$work/refused.err")")
}
# A snapshot to spoil, and a second one whose memory file does not match it.
s=$work/good
"$PVKIT" run --mem 32M --snapshot-after 3 --snapshot "$s.state" --mem-file "$s.mem" \
	</dev/null >/dev/null 2>&1
"$PVKIT" run --mem 32M --snapshot-after 4 --snapshot "$s-2.state" --mem-file "$s-2.mem" \
	</dev/null >/dev/null 2>&1
size=$(stat -c %s "$s.state")
head -c $((size / 2)) "$s.state" >"$work/truncated.state"
head -c 100 "$s.state" >"$work/short.state"
cp "$s.state" "$work/corrupt.state"
printf '\x5a' | dd of="$work/corrupt.state" bs=1 seek=$((size / 3)) conv=notrunc status=none
# edit_header FILE OFFSET HEXBYTES: patch the header and make the CRC right
# again, as another host's pvkit would have written it.
edit_header() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
path, off, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
b = bytearray(open(path, "rb").read())
b[off:off + len(data)] = data
b[24:28] = b"\0\0\0\0"
b[24:28] = struct.pack("<I", zlib.crc32(bytes(b)) & 0xffffffff)
open(path, "wb").write(bytes(b))
PY
}
# Header offsets (host/snapshot_format.h): version 8, crc 24, host needs 40
# (cpuid_1_ecx 40 ... cpuid_80000001_edx 64, tsc_khz 68); the header is 128
# bytes, the machine part 32 + 56, so the second part's name is at 216.
cp "$s.state" "$work/features.state" && edit_header "$work/features.state" 52 ffffffff
cp "$s.state" "$work/tsc.state" && edit_header "$work/tsc.state" 68 01000000
cp "$s.state" "$work/version.state" && edit_header "$work/version.state" 8 02000000
cp "$s.state" "$work/part.state" && edit_header "$work/part.state" 216 "$(printf 'zzzz' | xxd -p)"
head -c 1000000 "$s.mem" >"$work/truncated.mem"
refused truncated "$work/truncated.state" "$s.mem" "truncated"
refused short "$work/short.state" "$s.mem" "truncated"
refused corrupt "$work/corrupt.state" "$s.mem" "checksum mismatch"
refused "foreign CPU" "$work/features.state" "$s.mem" "features this host lacks"
refused "foreign TSC" "$work/tsc.state" "$s.mem" "TSC of 1 kHz"
refused "newer format" "$work/version.state" "$s.mem" "format version 2"
refused "unknown part" "$work/part.state" "$s.mem" "unknown to this pvkit"
refused "other memory file" "$s.state" "$s-2.mem" "another snapshot"
refused "truncated memory file" "$s.state" "$work/truncated.mem" "truncated"
refused "kernel as state" build/pvkernel "$s.mem" "not a pvkit snapshot"
refused "missing file" "$work/none.state" "$s.mem" "No such file"
if [ ${#refusals[@]} -eq 0 ]; then
	ok "snapshot: refused snapshots: 11 kinds, one line and status 2 each"
else
	not_ok "snapshot: refused snapshots: $(printf '%s; ' "${refusals[@]}")"
fi

# The frozen snapshot: written once (tests/snapshot/README.md), restored by every pvkit.
problems=()
frozen=tests/snapshot/v1
run_output "$work/frozen.out" "$work/frozen.err"
if [ -f "$frozen/pvkernel.state" ]; then
	gzip -dc "$frozen/pvkernel.mem.gz" >"$work/frozen.mem"
	rc=0
	"$PVKIT" restore --snapshot "$frozen/pvkernel.state" --mem-file "$work/frozen.mem" \
		--timeout "$RUN_TIMEOUT" </dev/null >"$work/frozen.out" 2>"$work/frozen.err" || rc=$?
	if grep -q "features this host lacks\|TSC of" "$work/frozen.err"; then
		skip "snapshot: frozen snapshot" "taken on another CPU: $(head -n1 "$work/frozen.err")"
	else
		pvkernel_expect frozen "$PVKERNEL_EXIT_OK" "" '[0-9]+ passed, 0 failed'
		pvkernel_report frozen "snapshot: frozen snapshot" "$frozen: $(pvkernel_summary frozen)"
	fi
else
	not_ok "snapshot: frozen snapshot: $frozen/pvkernel.state missing"
fi

# Command-line mistakes.
problems=()
for args in "restore" "restore --snapshot x" "run --snapshot-after 3" "run --snapshot x --mem-file y" \
	"run --snapshot-after 0 --snapshot x --mem-file y"; do
	# shellcheck disable=SC2086
	"$PVKIT" $args </dev/null >"$work/cli.out" 2>"$work/cli.err"
	rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l <"$work/cli.err")" -eq 1 ] && [ ! -s "$work/cli.out" ] ||
		problems+=("'$args': status $rc, $(head -n1 "$work/cli.err")")
done
if [ ${#problems[@]} -eq 0 ]; then
	ok "snapshot: command line: 5 mistakes, one line and status 2 each"
else
	not_ok "snapshot: command line: ${problems[*]}"
fi

# The plain build: its own compiled seccomp programs (the sanitizer build's
# allow more) and the teardown helper, which holds the VM after pvkit's exit
# in a run and in a restore alike (pvkit-san starts none, host/teardown.h).
if [ "$PVKIT" = build/pvkit ]; then
	skip "snapshot: plain build" "PVKIT is build/pvkit already: every case above was one"
elif [ -x build/pvkit ]; then
	san=$PVKIT
	PVKIT=build/pvkit
	snapshot_point pvm 5 "plain build: build/pvkit with its filters and teardown helper"
	PVKIT=$san
else
	skip "snapshot: plain build" "build/pvkit not built"
fi
