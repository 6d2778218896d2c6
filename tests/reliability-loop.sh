#!/usr/bin/env bash
# The acceptance loop for "make check fails only for bugs": clone the
# committed tree fresh (as CI does), then run `make check` from a clean
# build N times in a row while a CPU hog keeps the other core busy.  Prints one line per run and a
# last line "reliability: N runs, N passed, N failed".  A failing run's log
# is kept (its path is printed).
# usage: tests/reliability-loop.sh [RUNS] (default 10)
set -u
runs=${1:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
# A clone beside this tree, so that ../shared is where CI has it.
work=$(mktemp -d "$src/../reliability.XXXXXX")
logdir=$(mktemp -d /tmp/pvkit-reliability.XXXXXX)
trap 'kill "$hog" 2>/dev/null; rm -rf "$work"' EXIT
git clone -q "$src" "$work"
# Prime the Linux kernel cache once, so later runs test pvkit, not the mirror.
[ -d "$src/build/linux" ] && mkdir -p "$work/build" && cp -a "$src/build/linux" "$work/build/"

sh -c 'while :; do :; done' &
hog=$!
pass=0 fail=0
for i in $(seq 1 "$runs"); do
	start=$(date +%s)
	# Every run from a clean tree (all of build/ but the cached kernel).
	find "$work/build" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} + 2>/dev/null
	(cd "$work" && make check) >"$logdir/run$i.log" 2>&1
	rc=$?
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logdir/run$i.log" | tail -n1)
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "run $i: ok ($summary, $(($(date +%s) - start)) s)"
	else
		fail=$((fail + 1))
		echo "run $i: FAILED (status $rc; $summary; log $logdir/run$i.log)"
	fi
done
echo "reliability: $runs runs, $pass passed, $fail failed"
[ "$fail" -eq 0 ]
