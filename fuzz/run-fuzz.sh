#!/usr/bin/env bash
# Short fuzz runs, one TAP line each (tests/run-tests.sh counts them).
#
# For every fuzz target built in build/fuzz/:
#   1. replay the crash inputs saved under fuzz/regressions/<target>/ (a
#      fixed bug stays fixed);
#   2. fuzz for $FUZZ_SECONDS seconds (default 5) on a COPY of the seed
#      corpus fuzz/corpus/<target>/, in $FUZZ_WORK/<target>/ (default
#      build/fuzz-work), so the
#      committed seeds never change under a run;
#   3. report executions per second from libFuzzer's final stats.
# A crash, leak, timeout or OOM input found in step 2 is copied to
# fuzz/regressions/<target>/ (commit it with the fix) and fails the run.
set -u
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-5}
# FUZZ_WORK: another work directory, so that a long `make fuzz` and a
# `make check` running at the same time do not clear each other's.
WORK=${FUZZ_WORK:-build/fuzz-work}
LIBFUZZER_OPTS=(-rss_limit_mb=2048 -timeout=20 -print_final_stats=1)
n=0
failed=0

tap() { # tap ok|not_ok MESSAGE
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}

stat_of() { # stat_of LOG NAME: a value from libFuzzer's -print_final_stats output
	sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$1" | tail -n 1
}

targets=()
for t in build/fuzz/fuzz_*; do
	[ -f "$t" ] && [ -x "$t" ] && targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "ok 1 - fuzz targets # SKIP none built (make fuzz-targets)"
	echo "1..1"
	exit 0
fi

for t in "${targets[@]}"; do
	name=$(basename "$t")
	work=$WORK/$name
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	log=$work/fuzz.log

	regressions=(fuzz/regressions/"$name"/*)
	if [ -e "${regressions[0]}" ]; then
		if "$t" "${LIBFUZZER_OPTS[@]}" "${regressions[@]}" >"$work/replay.log" 2>&1; then
			tap ok "$name: replays ${#regressions[@]} saved crash input(s)"
		else
			tap not_ok "$name: a saved crash input fails again (see $work/replay.log)"
			tail -n 20 "$work/replay.log" | sed 's/^/# /'
		fi
	fi

	if [ -d "fuzz/corpus/$name" ]; then
		cp -r "fuzz/corpus/$name/." "$work/corpus/"
	fi
	seeds=$(find "$work/corpus" -type f | wc -l)
	"$t" "${LIBFUZZER_OPTS[@]}" -max_total_time="$FUZZ_SECONDS" \
		-artifact_prefix="$work/artifacts/" "$work/corpus" >"$log" 2>&1
	rc=$?
	runs=$(stat_of "$log" number_of_executed_units)
	speed=$(stat_of "$log" average_exec_per_sec)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	found=("$work"/artifacts/*)
	if [ "$rc" -eq 0 ] && [ ! -e "${found[0]}" ]; then
		tap ok "$name: ${FUZZ_SECONDS} s, ${runs:-?} runs, ${speed:-?} exec/s, coverage ${cov:-?}, $seeds seeds"
	else
		mkdir -p "fuzz/regressions/$name"
		saved=()
		for a in "${found[@]}"; do
			[ -e "$a" ] || continue
			cp "$a" "fuzz/regressions/$name/"
			saved+=("fuzz/regressions/$name/$(basename "$a")")
		done
		tap not_ok "$name: failed (exit $rc); input saved as ${saved[*]:-nothing}"
		grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$log" | head -n 10 | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $failed
