#!/usr/bin/env bash
# Run every test suite and print one summary line: "N passed, N failed, N skipped".
#
# A suite is a program that prints TAP lines ("ok ...", "not ok ...",
# "ok ... # SKIP reason").  Suites are: each unit test binary in build/tests/
# (cmocka, TAP output), each executable tests/boot/*.sh, and the short fuzz
# runs (fuzz/run-fuzz.sh).  With --slow: each executable tests/slow/*.sh.  A suite that exits non-zero without reporting a
# failure counts as one failure, so a crash can never pass silently.
set -u
cd "$(dirname "$0")/.."

passed=0 failed=0 skipped=0
failures=()

run_suite() {
	local name=$1
	shift
	local out rc
	out=$(mktemp)
	CMOCKA_MESSAGE_OUTPUT=TAP "$@" >"$out" 2>&1
	rc=$?
	local p=0 f=0 s=0
	while IFS= read -r line; do
		case "$line" in
		"not ok"*)
			f=$((f + 1))
			failures+=("$name: $line")
			echo "  FAIL $name: ${line#not ok }"
			;;
		"ok "*"# SKIP"* | "ok "*"# skip"*)
			s=$((s + 1))
			echo "  SKIP $name: ${line#ok }"
			;;
		"ok "*)
			p=$((p + 1))
			;;
		esac
	done <"$out"
	local quiet=
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 quiet=1
		failures+=("$name: exited with status $rc")
		echo "  FAIL $name: exited with status $rc without reporting a failure"
	elif [ $((p + f + s)) -eq 0 ]; then
		# A suite that reports nothing has tested nothing.
		f=1 quiet=1
		failures+=("$name: reported no results")
		echo "  FAIL $name: exited with status $rc without reporting any result"
	fi
	if [ -n "$quiet" ]; then
		echo "--- output of $name (last 60 lines) ---"
		tail -n 60 "$out"
		echo "---"
	elif [ "$f" -ne 0 ]; then
		# Each failure with the comment lines under it: what the run that
		# failed printed (tests/lib/tap.sh shows it there).
		echo "--- failures of $name, with the output of the runs that failed ---"
		awk '/^not ok/ { show = 1; n = 0; print; next }
			show && /^#/ && n < 100 { print; n++; next }
			{ show = 0 }' "$out"
		echo "---"
	fi
	echo "$name: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	rm -f "$out"
}

if [ "${1:-}" = "--slow" ]; then
	# make check-slow: the long boots, never part of make check.
	for t in tests/slow/*.sh; do
		[ -x "$t" ] || continue
		run_suite "$(basename "$t" .sh)" "$t"
	done
else
	for t in build/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "$(basename "$t")" "$t"
	done

	for t in tests/boot/*.sh; do
		[ -x "$t" ] || continue
		run_suite "$(basename "$t" .sh)" "$t"
	done

	if [ -x fuzz/run-fuzz.sh ]; then
		run_suite fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" fuzz/run-fuzz.sh
	fi
fi

if [ ${#failures[@]} -ne 0 ]; then
	echo
	echo "Failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
