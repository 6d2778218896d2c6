#!/usr/bin/env bash
# pvkit's command line: help, version, and every bad input answered with one
# line "pvkit: INPUT: what is wrong", exit status 2, nothing on stdout.
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=build/pvkit-san
G=build/guests
if [ ! -x $PVKIT ]; then
	skip "vmm cli" "build/pvkit-san is not built"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# bad NAME PATTERN ARGS...: exit 2, one stderr line matching PATTERN first,
# empty stdout.
bad() {
	local name=$1 pattern=$2
	shift 2
	timeout 60 $PVKIT "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && head -n1 "$tmp/err" | grep -qE "^pvkit: $pattern"; then
		ok "$name"
	else
		not_ok "$name (status $rc, stderr: $(head -n2 "$tmp/err" | tr '\n' '|'))"
	fi
}

$PVKIT help >"$tmp/out" 2>&1
check "help: exit 0 with usage" grep -q "usage: pvkit run" "$tmp/out"
check "--version" bash -c "$PVKIT --version | grep -qE '^pvkit [0-9.]+ \\(ABI 1\\.0\\)$'"

bad "no command" "no command given" 
bad "unknown command" "frobnicate: unknown command" frobnicate
bad "unknown option" "run: unknown option --frob" run --frob
bad "option without its argument" "run: --kernel needs an argument" run --kernel
bad "stray argument" "run: unexpected argument extra" run --kernel x extra
bad "missing kernel file" "$tmp/nope: No such file or directory" run --kernel "$tmp/nope"
bad "kernel is a directory" "$tmp: not a regular file" run --kernel "$tmp"
head -c 4096 /dev/urandom >"$tmp/garbage"
bad "garbage kernel" "$tmp/garbage: " run --kernel "$tmp/garbage"
check "garbage kernel: exactly one line" [ "$(wc -l <"$tmp/err")" -eq 1 ]
: >"$tmp/empty"
bad "empty kernel" "$tmp/empty: " run --kernel "$tmp/empty"
bad "missing initrd" "$tmp/nope: No such file" run --kernel "$tmp/garbage" --initrd "$tmp/nope"
bad "--mem not a size" "--mem lots: not a size" run --mem lots
bad "--mem below the minimum" "--mem 1M: less than the 16 MiB pvkit needs" run --mem 1M
bad "--mem absurd" "--mem 20000G: more than this host's" run --mem 20000G
bad "--mem overflow" "--mem 99999999999999G: not a size" run --mem 99999999999999G
bad "--mem unaligned" "--mem 16777217: not a multiple of 4 KiB" run --mem 16777217
bad "--entry bogus" "--entry 32: not auto, 64, pvh or xen" run --entry 32
bad "--subarch bogus" "--subarch xen: not pc, pvkit or a 32-bit number" run --subarch xen
bad "--subarch too big" "--subarch 0x100000000: " run --subarch 0x100000000
bad "--timeout negative" "--timeout -1: not a number of seconds" run --timeout -1
bad "--timeout zero" "--timeout 0: not a number of seconds" run --timeout 0
bad "--timeout garbage" "--timeout 5s: not a number of seconds" run --timeout 5s
bad "probe: unknown argument" "probe: unknown argument --frob" probe --frob
if [ -f $G/uart_hello.elf ]; then
	bad "--entry pvh on an ELF without the PVH note" "$G/uart_hello.elf: .*PVH" \
		run --kernel $G/uart_hello.elf --entry pvh
	head -c 20M /dev/zero >"$tmp/big"
	bad "initrd larger than RAM" "$G/uart_hello.elf: .*initrd" \
		run --kernel $G/uart_hello.elf --mem 16M --initrd "$tmp/big"
else
	skip "--entry pvh without the note" "test guests not built"
	skip "initrd larger than RAM" "test guests not built"
fi
