#!/usr/bin/env bash
# pvkit's command line as one contract: help, version, every bad input
# answered with one line "pvkit: INPUT: what is wrong", exit status 2,
# nothing on stdout; /dev/kvm missing or not accessible; and the README and
# docs/vmm.md agreeing with `pvkit help` and with host/.
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

# expect STATUS NAME PATTERN COMMAND...: COMMAND exits with STATUS, prints
# nothing on stdout and exactly one line on stderr, which matches the
# extended regex "^pvkit: PATTERN".
expect() {
	local status=$1 name=$2 pattern=$3
	shift 3
	timeout 60 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq "$status" ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -qE "^pvkit: $pattern" "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name (status $rc, stdout $(wc -c <"$tmp/out") bytes," \
			"stderr $(wc -l <"$tmp/err") lines: $(head -n3 "$tmp/err" | tr '\n' '|'))"
	fi
}

# bad NAME PATTERN ARGS...: `pvkit ARGS` is bad input: status 2, one line.
bad() {
	local name=$1 pattern=$2
	shift 2
	expect 2 "$name" "$pattern" $PVKIT "$@"
}

$PVKIT help >"$tmp/out" 2>"$tmp/err"
check "help: exit 0, the usage on stdout, nothing on stderr" \
	bash -c "head -n1 '$tmp/out' | grep -qx 'usage:' && grep -q '^    pvkit run ' '$tmp/out' && [ ! -s '$tmp/err' ]"
check "--help and -h are help" bash -c "$PVKIT --help | cmp -s - '$tmp/out' && $PVKIT -h | cmp -s - '$tmp/out'"
check "--version" bash -c "$PVKIT --version | grep -qE '^pvkit [0-9.]+ \\(ABI 1\\.0\\)$'"

# Mistakes in the command line itself: the line says where to read more.
bad "no command" "no command given \\(see pvkit help\\)$"
bad "unknown command" "frobnicate: unknown command \\(see pvkit help\\)$" frobnicate
bad "unknown option" "run: unknown option --frob \\(see pvkit help\\)$" run --frob
bad "unknown option with a value" "run: unknown option --frob \\(see pvkit help\\)$" run --frob=1
bad "unknown short option" "run: unknown option -k \\(see pvkit help\\)$" run -k x
bad "option without its argument" "run: --kernel needs an argument \\(see pvkit help\\)$" run --kernel
bad "flag with a value" "run: --stats takes no argument \\(see pvkit help\\)$" run --stats=yes
bad "stray argument" "run: unexpected argument extra \\(see pvkit help\\)$" run --kernel x extra
bad "inspect without IMAGE" "inspect: no IMAGE given \\(see pvkit help\\)$" inspect --json
bad "inspect with two images" "inspect: unexpected argument b \\(see pvkit help\\)$" inspect a b
bad "help with an argument" "help: unexpected argument run \\(see pvkit help\\)$" help run
bad "--version with an argument" "--version: unexpected argument x \\(see pvkit help\\)$" --version x
bad "--kernel=FILE form" "$tmp/nope: No such file or directory" run --kernel="$tmp/nope"
bad "missing kernel file" "$tmp/nope: No such file or directory" run --kernel "$tmp/nope"
bad "kernel is a directory" "$tmp: not a regular file" run --kernel "$tmp"
head -c 4096 /dev/urandom >"$tmp/garbage"
bad "garbage kernel" "$tmp/garbage: " run --kernel "$tmp/garbage"
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
bad "--entry=bogus" "--entry hvm: not auto, 64, pvh or xen$" run --entry=hvm
bad "--pv-mode bogus" "--pv-mode ring3: not auto, pvm or ring0$" run --pv-mode ring3
bad "--console-limit zero" "--console-limit 0: not a number of bytes above 0" run --console-limit 0
bad "probe: unknown option" "probe: unknown option --frob \\(see pvkit help\\)$" probe --frob
if [ -f $G/uart_hello.elf ]; then
	bad "--entry pvh on an ELF without the PVH note" "$G/uart_hello.elf: .*PVH" \
		run --kernel $G/uart_hello.elf --entry pvh
	head -c 20M /dev/zero >"$tmp/big"
	bad "initrd larger than RAM" "$tmp/big: initrd" \
		run --kernel $G/uart_hello.elf --mem 16M --initrd "$tmp/big"
else
	skip "--entry pvh without the note" "test guests not built"
	skip "initrd larger than RAM" "test guests not built"
fi

# /dev/kvm missing or not accessible: one line that says what to do, status
# 4 (KVM cannot run the guest), before pvkit announces a boot.  A private
# mount namespace puts an empty tmpfs over /dev, so the real device (there or
# not, whatever its mode) is out of the picture; for "not accessible" a
# /dev/kvm owned by nobody, mode 0600, and pvkit run without capabilities
# (as uid 0 still, so it can reach its binary wherever the tree is).
if unshare --mount true 2>/dev/null && command -v setpriv >/dev/null; then
	# Command prefixes: run the rest in a mount namespace whose /dev is an
	# empty tmpfs; for no_access, with that /dev/kvm and no capabilities.
	private_dev='mount -t tmpfs none /dev'
	no_kvm=(unshare --mount sh -c "$private_dev && exec \"\$@\"" sh)
	no_access=(unshare --mount sh -c "$private_dev && touch /dev/kvm &&
		chown 65534:65534 /dev/kvm && chmod 600 /dev/kvm &&
		exec setpriv --bounding-set -all --inh-caps -all \"\$@\"" sh)
	expect 4 "/dev/kvm missing: status 4, what to do, no boot line" \
		"/dev/kvm: No such file or directory \\(load the kvm module; pvkit needs KVM\\)$" \
		"${no_kvm[@]}" $PVKIT run
	group=$(awk -F: '$3 == 65534 { print $1; exit }' /etc/group)
	if [ -n "$group" ]; then
		advice="add yourself to the $group group, or run as root"
	else
		advice="run as root, or give your user read and write access to /dev/kvm"
	fi
	expect 4 "/dev/kvm not accessible: status 4, what to do, no boot line" \
		"/dev/kvm: Permission denied \\($advice\\)$" "${no_access[@]}" $PVKIT run
	# Bad input still comes first, as status 2, without KVM.
	expect 2 "bad input before the /dev/kvm check" "--mem lots: not a size" \
		"${no_kvm[@]}" $PVKIT run --mem lots
else
	skip "/dev/kvm missing" "needs unshare --mount (root) and setpriv"
	skip "/dev/kvm not accessible" "needs unshare --mount (root) and setpriv"
	skip "bad input before the /dev/kvm check" "needs unshare --mount (root) and setpriv"
fi

# The copies of the contract in the README and docs/vmm.md, so that they
# cannot drift: the usage, the options and the exit statuses they show are
# what `pvkit help` prints (generated from the tables of host/cli.h), and the
# structure table of docs/vmm.md names every source file in host/ and no
# other.  A difference fails with the diff that would fix the document.

# code_block FILE FIRST: the indented (4-space) Markdown code blocks of FILE
# whose first line is FIRST, without their indentation: nothing if none, and
# two copies if a stale second copy exists.
code_block() {
	awk -v first="    $2" '
		function blank(line) { return line ~ /^[ \t]*$/ }
		state == 0 && prev_blank && $0 == first { state = 1; print substr($0, 5); next }
		state == 1 {
			if (blank($0)) { pending++; next }
			if (substr($0, 1, 4) != "    ") { state = 0; pending = 0 }
			else {
				for (; pending > 0; pending--) print ""
				print substr($0, 5)
				next
			}
		}
		{ prev_blank = blank($0) }
		BEGIN { prev_blank = 1 }
	' "$1"
}

# same NAME EXPECTED ACTUAL WHAT [SOURCE]: ok if the two files are equal,
# else the diff (as TAP comments) that turns ACTUAL, from the document, into
# EXPECTED, from SOURCE (pvkit help).
same() {
	local name=$1 expected=$2 actual=$3 what=$4 source=${5:-pvkit help}
	if cmp -s "$expected" "$actual"; then
		ok "$name"
	else
		not_ok "$name"
		echo "# $what differs from the code; to fix it (- document, + $source):"
		diff -u "$actual" "$expected" | sed 's/^/# /'
	fi
}

$PVKIT help >"$tmp/help"
check "pvkit help: every line fits 80 columns" \
	awk 'length > 80 { print "# too long: " $0; bad = 1 } END { exit bad }' "$tmp/help"

# The synopsis: the lines after "usage:" up to the first blank line.
sed -n '2,/^$/p' "$tmp/help" | sed '/^$/d; s/^    //' >"$tmp/usage"
code_block README.md "$(head -n1 "$tmp/usage")" >"$tmp/readme-usage"
same "README: Usage is pvkit help's usage" "$tmp/usage" "$tmp/readme-usage" \
	"README.md's Usage block"

# The exit statuses: from "exit status of pvkit run:" to the next blank line.
sed -n '/^exit status of pvkit run:$/,/^$/p' "$tmp/help" | sed '/^$/d' >"$tmp/statuses"
code_block README.md "exit status of pvkit run:" >"$tmp/readme-statuses"
same "README: exit statuses are pvkit help's" "$tmp/statuses" "$tmp/readme-statuses" \
	"README.md's exit status block"

code_block docs/vmm.md usage: >"$tmp/vmm-help"
same "docs/vmm.md: the whole of pvkit help" "$tmp/help" "$tmp/vmm-help" \
	"docs/vmm.md's copy of pvkit help"

# docs/vmm.md's exit status table: one row per status pvkit help lists.
sed '1d; s/^  \([^ ]*\).*/\1/' "$tmp/statuses" >"$tmp/status-names"
awk -F'|' '/^## /{ section = $0 } section == "## Exit statuses" && /^\| / {
	gsub(/[ `]/, "", $2); if ($2 != "status" && $2 !~ /^-+$/) print $2 }' docs/vmm.md \
	>"$tmp/vmm-statuses"
same "docs/vmm.md: a row for each exit status, in order" "$tmp/status-names" \
	"$tmp/vmm-statuses" "docs/vmm.md's exit status table (first column)"

# docs/vmm.md's structure table: every source file of host/, no other.
(cd host && ls -1 -- *.c *.S devices/*.c) | sort >"$tmp/host-files"
awk '/^## /{ section = $0 } section == "## Structure (host/)" && /^\| / {
	while (match($0, /`[^`]*`/)) {
		name = substr($0, RSTART + 1, RLENGTH - 2); $0 = substr($0, RSTART + RLENGTH)
		if (name ~ /^[a-z0-9_\/]+\.[cS]$/) print name
	} }' docs/vmm.md | sort -u >"$tmp/vmm-files"
same "docs/vmm.md: the structure table lists host/ exactly" "$tmp/host-files" \
	"$tmp/vmm-files" "docs/vmm.md's structure table" "ls host/"

# Every loader error names the input it is about: the initrd or the command
# line, not the kernel, when they are what does not fit.
if [ -f $G/uart_hello.elf ]; then
	head -c 15M /dev/zero >"$tmp/initrd15"
	bad "initrd that does not fit beside the kernel: the initrd is named" \
		"$tmp/initrd15: initrd \(15 MiB\) does not fit in guest RAM between the kernel's end" \
		run --kernel $G/uart_hello.elf --mem 16M --initrd "$tmp/initrd15"
	check "initrd that does not fit: exactly one line" [ "$(wc -l <"$tmp/err")" -eq 1 ]
	bad "command line longer than the kernel takes: --cmdline is named" \
		"--cmdline: command line is 65536 bytes, longer than the kernel's limit of 65535" \
		run --kernel $G/uart_hello.elf --cmdline "$(head -c 65536 /dev/zero | tr '\0' x)"
else
	skip "initrd that does not fit: the initrd is named" "test guests not built"
	skip "command line too long: --cmdline is named" "test guests not built"
fi

# --initrd DIR: the directory is packed (newc cpio) and loaded like a file.
if [ -f $G/uart_hello.elf ]; then
	mkdir -p "$tmp/rootdir/bin" && echo hello >"$tmp/rootdir/bin/greeting"
	timeout 60 $PVKIT run --kernel $G/uart_hello.elf --initrd "$tmp/rootdir" --timeout 20 \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	check "--initrd DIR: packed and booted (status 0)" [ $? -eq 0 ]
	bad "--initrd DIR that cannot be read: the path is named" \
		"$tmp/nodir: No such file or directory$" \
		run --kernel $G/uart_hello.elf --initrd "$tmp/nodir"
	mkdir -p "$tmp/locked/inner" && chmod 000 "$tmp/locked/inner"
	if [ "$(id -u)" -ne 0 ]; then
		bad "--initrd DIR with an unreadable subdirectory: that path is named" \
			"$tmp/locked/inner: Permission denied$" \
			run --kernel $G/uart_hello.elf --initrd "$tmp/locked"
	fi
	chmod 755 "$tmp/locked/inner"
else
	skip "--initrd DIR" "test guests not built"
fi
