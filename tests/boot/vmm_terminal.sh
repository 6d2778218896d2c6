#!/usr/bin/env bash
# pvkit on a terminal (host/terminal.h): raw input while the guest runs, the
# user's settings back on every way out, `^A x` stops the guest.  Each case
# runs inside a pseudo-terminal made by script(1).
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

tiny_guest_suite "terminal" spin
if ! command -v script >/dev/null; then
	skip "terminal" "script(1) (util-linux) is not installed"
	exit 0
fi

# in_pty SCRIPT: run a bash script with a pseudo-terminal as its stdin.
# Its output is in $tmp/pty.out; the script writes its own files in $tmp.
in_pty() {
	printf '%s\n' "$1" >"$tmp/case.sh"
	TMPDIR=$tmp PVKIT=$PVKIT G=$G timeout 60 script -qec "bash $tmp/case.sh" /dev/null \
		<"${2:-/dev/null}" >"$tmp/pty.out" 2>&1
}

# A run that ends by itself, one stopped by --timeout, one by SIGTERM.
for how in exit timeout sigterm; do
	case $how in
	exit) cmd='$PVKIT run --kernel $G/exit_status.elf --timeout 20' ;;
	timeout) cmd='$PVKIT run --kernel $G/spin.elf --timeout 1' ;;
	sigterm) cmd='$PVKIT run --kernel $G/spin.elf --timeout 30 </dev/tty & pid=$!; sleep 1;
		stty -a >$TMPDIR/during; kill -TERM $pid; wait $pid' ;;
	esac
	in_pty "stty -g >\$TMPDIR/before
		$cmd >/dev/null 2>\$TMPDIR/err
		echo \$? >\$TMPDIR/rc
		stty -g >\$TMPDIR/after"
	if [ -s "$tmp/before" ] && cmp -s "$tmp/before" "$tmp/after"; then
		ok "terminal settings restored after $how (status $(cat "$tmp/rc"))"
	else
		not_ok "terminal settings restored after $how"
		cat "$tmp/pty.out" "$tmp/err" 2>/dev/null | sed 's/^/# /'
	fi
done
check "raw input while the guest runs (no icanon, echo or isig)" \
	grep -q -- "-isig -icanon.*-echo " "$tmp/during"
check "SIGTERM still stops the guest with 143" [ "$(cat "$tmp/rc")" = 143 ]

# ^A x from the keyboard, typed into the run.  (A background job of a
# non-interactive shell gets /dev/null as stdin, hence the </dev/tty above.)
# Also with build/pvkit: its run filter allows kill() only for SIGINT to
# pvkit's own pid, patched into the prebuilt filter (host/seccomp_program.h);
# pvkit-san's allows kill() outright (the sanitizer runtime needs it).
mkfifo "$tmp/keypipe"
for vmm in $PVKIT build/pvkit; do
	(sleep 1.5; printf '\001x'; sleep 3) >"$tmp/keypipe" &
	typist=$!
	PVKIT=$vmm in_pty 'stty -g >$TMPDIR/before
		$PVKIT run --kernel $G/spin.elf --timeout 30 >/dev/null 2>$TMPDIR/err
		echo $? >$TMPDIR/rc
		stty -g >$TMPDIR/after' "$tmp/keypipe"
	kill $typist 2>/dev/null
	check "$vmm: ^A x stops the guest (status 130)" [ "$(cat "$tmp/rc")" = 130 ]
	check "$vmm: ^A x says so" grep -q "^pvkit: ^A x: stopping the guest" "$tmp/err"
	check "$vmm: terminal settings restored after ^A x" cmp -s "$tmp/before" "$tmp/after"
done
echo "1..$TAP_N"
