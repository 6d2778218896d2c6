#!/usr/bin/env bash
# make bench-check: do the bench's own programs measure what they claim?
# TAP output (tests/lib/tap.sh), a few seconds, no pvkit or QEMU needed.
# A benchmark whose tools are wrong produces wrong tables that look right,
# so these are checked on their own, with inputs whose answers are known.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tap.sh

B=build/bench
LAUNCH=$B/launch
RAWKVM=$B/rawkvm

# field KEY LINE: the value of KEY=... in a launch output line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# --- launch, on commands whose output and timing we control -------------------
line=$("$LAUNCH" --from "b" --until "c" -- sh -c 'printf a; sleep 0.2; printf c; printf b; sleep 0.2; printf c; exec sleep 5')
fb=$(field first_byte_ns "$line") from=$(field from_ns "$line") until=$(field until_ns "$line")
both() { "$1" "$2" "$3" "$4" "$5" && "$6" "$7" "$8" "$9" "${10}"; } # [ a op b ] && [ c op d ]
check "launch: first byte seen before --from" both [ "$fb" -ge 0 ] [ "$from" -gt "$fb" ]
check "launch: --until is searched only after --from (the first 'c' does not count)" \
	[ $((until - from)) -ge 150000000 ]
check "launch: the VM is killed once --until is seen" \
	both [ "$(field signal "$line")" = 9 ] [ "$(field end_ns "$line")" -lt 2000000000 ]

# --- payload-elf.py, on a bzImage made here: gzip payload, then lz4 if present --
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_bzimage() { # COMPRESSOR OUT: a minimal bzImage whose payload is the tiny guest
	python3 - "$1" "$2" "$B/tiny.elf" <<'PY'
import gzip, struct, subprocess, sys
kind, out, elf_path = sys.argv[1:]
elf = open(elf_path, "rb").read()
if kind == "gzip":
    payload = gzip.compress(elf)
else:
    payload = subprocess.run(["lz4", "-l", "-c"], input=elf, capture_output=True, check=True).stdout
payload += struct.pack("<I", len(elf))  # Linux appends the size
setup = bytearray(2 * 512)  # boot sector + one setup sector
setup[0x1F1] = 1
setup[0x202:0x206] = b"HdrS"
struct.pack_into("<II", setup, 0x248, 0x40, len(payload))
open(out, "wb").write(bytes(setup) + bytes(0x40) + payload)
PY
}
make_bzimage gzip "$work/gz.bzImage"
python3 bench/payload-elf.py "$work/gz.bzImage" "$work/gz.elf"
check "payload-elf.py: takes a gzip payload out of a bzImage" cmp -s "$work/gz.elf" "$B/tiny.elf"
if command -v lz4 >/dev/null; then
	make_bzimage lz4 "$work/lz4.bzImage"
	python3 bench/payload-elf.py "$work/lz4.bzImage" "$work/lz4.elf"
	check "payload-elf.py: takes an lz4 (legacy) payload out, as Debian's" cmp -s "$work/lz4.elf" "$B/tiny.elf"
else
	skip "payload-elf.py: lz4 payload" "lz4 is not installed"
fi
printf 'not a kernel' >"$work/bad"
python3 bench/payload-elf.py "$work/bad" "$work/bad.elf" 2>/dev/null
check "payload-elf.py: refuses a file that is not a bzImage" [ $? != 0 ]

line=$("$LAUNCH" --until "x" --keep -- sh -c 'printf x; sleep 0.1; exit 7')
check "launch: --keep lets the VM exit by itself with its status" \
	both [ "$(field status "$line")" = 7 ] [ "$(field end_ns "$line")" -ge 100000000 ]

# --trace: a stand-in for the tracefs instance, whose "trace" file the VM
# itself fills with kvm_pio lines of its pid (markers 100, 200 and 500 us apart)
mkdir "$work/trace" && : >"$work/trace/trace"
line=$("$LAUNCH" --trace "$work/trace" -- sh -c 'for t in 7.000100 7.000300 7.000400 7.000900; do
	echo "sh-$$ ( $$) [001] ..... $t: kvm_pio: pio_write at 0x80 size 1 count 1 val 0x0"
done >>"$0/trace"; printf x' "$work/trace")
check "launch --trace: four markers, 800 us first to last, median gap 200 us" \
	both [ "$(field markers "$line")$(field marker_span_ns "$line")" = 4800000 ] \
	[ "$(field marker_gap_median_ns "$line")" = 200000 ]

line=$("$LAUNCH" --timeout 0.3 -- sleep 5)
check "launch: --timeout stops a VM that never ends" \
	both [ "$(field timed_out "$line")" = 1 ] [ "$(field signal "$line")" = 9 ]

n=$("$LAUNCH" --vms 4 -- sh -c 'printf z' | grep -c '^vm=')
check "launch: --vms 4 gives four lines" [ "$n" = 4 ]

# --total: 6 in all, never more than 2 at once (the start of each lies
# after the end of all but at most one of those before it)
"$LAUNCH" --vms 2 --total 6 -- sh -c 'printf t; sleep 0.05' >"$work/total"
n=$(grep -c '^vm=' "$work/total")
most=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	s[NR] = f["exec_abs_ns"]; e[NR] = f["exec_abs_ns"] + f["end_ns"] }
	END { m = 0; for (i = 1; i <= NR; i++) { c = 0
		for (j = 1; j <= NR; j++) if (s[j] <= s[i] && e[j] > s[i]) c++
		if (c > m) m = c }; print m }' "$work/total")
check "launch --total 6 --vms 2: six lines, at most two at once (got $n, $most)" \
	both [ "$n" = 6 ] [ "$most" -le 2 ]

"$LAUNCH" --bogus -- true >/dev/null 2>&1
check "launch: a bad option is refused with status 2" [ $? = 2 ]

# --- rawkvm --------------------------------------------------------------------
why=$(kvm_missing)
if [ -n "$why" ]; then
	for t in "tiny guest" "exit loop" "hold guest memory" "irqchip variants" "bad input"; do
		skip "rawkvm: $t" "$why"
	done
	exit 0
fi

out=$("$RAWKVM" --kernel "$B/tiny.elf" </dev/null)
rc=$?
check "rawkvm: the tiny guest prints '!' and exits with 42" both [ $rc = 42 ] [ "$out" = "!" ]

# the exit-loop guest of this build (bench/build.mk), or every one built
for g in "$B"/exits-${BENCH_EXIT_COUNT:-*}.elf; do
	n=${g##*/exits-}
	n=${n%.elf}
	exits=$(perf stat -x, -e kvm:kvm_userspace_exit "$RAWKVM" --kernel "$g" 2>&1 >/dev/null |
		awk -F, '/kvm_userspace_exit/ { print $1 }')
	if [ -z "$exits" ]; then
		skip "rawkvm: exit loop takes N + N / chunk + 3 exits" "perf cannot count kvm:kvm_userspace_exit"
	else
		# N writes, a marker first and one per chunk, 1 serial byte, the debug exit
		want=$((n + 1 + n / ${BENCH_EXIT_CHUNK:-$n} + 2))
		check "rawkvm: the $n-write loop takes $want exits (perf: $exits)" [ "$exits" = "$want" ]
	fi
done

line=$("$LAUNCH" --hold --mem 64M -- "$RAWKVM" --mem 64M --kernel "$B/hold.elf")
check "launch --hold: rawkvm's peak RSS is read while it is alive" [ "$(field hwm_kib "$line")" -gt 0 ]
check "launch --hold: guest RAM resident is the one page rawkvm wrote (4 KiB)" \
	[ "$(field guest_rss_kib "$line")" = 4 ]
if [ -x build/pvkit ]; then
	# pvkit's guest RAM is one mapping the kernel splits in three (no
	# huge pages for the first 2 MiB): still counted, the low tables included
	line=$("$LAUNCH" --hold --mem 64M -- build/pvkit run --mem 64M --entry pvh --kernel "$B/hold.elf")
	check "launch --hold: pvkit's guest RAM, split by madvise, counted whole ($(field guest_rss_kib "$line") KiB)" \
		[ "$(field guest_rss_kib "$line")" -ge 8 ]
fi

ok_variants=1
for order in before after; do
	out=$("$RAWKVM" --irqchip "$order" --kernel "$B/tiny.elf" </dev/null)
	rc=$?
	[ $rc = 42 ] && [ "$out" = "!" ] || ok_variants=0
done
check "rawkvm: runs the tiny guest with the irqchip created before and after the slot" [ $ok_variants = 1 ]

err=$("$RAWKVM" --kernel /nonexistent/guest.elf 2>&1 >/dev/null)
rc=$?
err2=$("$RAWKVM" --kernel "$0" 2>&1 >/dev/null)
rc2=$?
lines=$(printf '%s\n%s\n' "$err" "$err2" | grep -c '^rawkvm: ')
check "rawkvm: a missing or non-ELF guest is one line of error and status 2" \
	both [ $rc = 2 ] [ "$rc2$lines" = 22 ]
