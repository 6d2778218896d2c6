# Helpers for shell test suites: source this, then call ok/not_ok/skip.
# Output is TAP, which tests/run-tests.sh counts.

TAP_N=0
TAP_RUN_OUTPUT=()

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

# not_ok prints the output of the run the failed check looked at (see
# run_output), as TAP comments right under the "not ok" line.
not_ok() {
	TAP_N=$((TAP_N + 1))
	echo "not ok $TAP_N - $*"
	show_run_output
}

# run_output FILE...: the files holding what the run under test printed
# (its stdout, its stderr); a check that fails from now on shows them.
# Call again for each run that writes elsewhere; with no FILE, nothing.
run_output() {
	TAP_RUN_OUTPUT=("$@")
}

# show_run_output [LINES]: the tail of each run_output file, as comments.
show_run_output() {
	local f lines=${1:-40}
	for f in "${TAP_RUN_OUTPUT[@]}"; do
		if [ ! -s "$f" ]; then
			echo "# --- ${f##*/}: empty ---"
			continue
		fi
		echo "# --- ${f##*/} (last $lines lines) ---"
		tail -n "$lines" "$f" | sed 's/^/# /'
	done
}

skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# check NAME COMMAND...: ok if the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# Why this machine cannot run KVM guests, or nothing if it can.
kvm_missing() {
	if [ ! -e /dev/kvm ]; then
		echo "no /dev/kvm"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "/dev/kvm not accessible"
	fi
}

# tiny_guest_suite NAME GUEST: the start of a suite that boots the tiny
# guests of tests/guests/ under pvkit-san.  Sets PVKIT, G (where the guests
# are) and tmp (a directory removed at exit), or reports NAME skipped, with
# the reason, and ends the suite.
tiny_guest_suite() {
	PVKIT=build/pvkit-san
	G=build/guests
	local why
	why=$(kvm_missing)
	if [ -n "$why" ] || [ ! -x $PVKIT ] || [ ! -f "$G/$2.elf" ]; then
		skip "$1" "${why:-build/pvkit-san or the test guests are not built}"
		exit 0
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
}

# Why this host is not PVM-like, or nothing.  pvkit decides it (one test,
# host_is_pvm() in host/host_cpu.c, reported by `pvkit probe` as pv_mode).
pvm_host_missing() {
	if ! build/pvkit probe --json 2>/dev/null | grep -q '"pv_mode":"pvm"'; then
		echo "not a PVM host (pvkit probe: kvm_pvm not loaded, or vmx/svm present)"
	fi
}

# pvm_guest_suite SUITE FILE NAME...: the start of a suite that boots FILE
# deprivileged under $PVKIT on a PVM host.  If that cannot happen here,
# every NAME is reported skipped ("SUITE: NAME") with the reason and the
# suite ends; otherwise sets work, a directory removed at exit.
pvm_guest_suite() {
	local suite=$1 file=$2 why
	shift 2
	why=$(kvm_missing)
	[ -z "$why" ] && [ ! -x "$PVKIT" ] && why="$PVKIT not built (make)"
	[ -z "$why" ] && [ ! -s "$file" ] && why="$file not built (make check builds it)"
	[ -z "$why" ] && why=$(pvm_host_missing)
	if [ -n "$why" ]; then
		for n in "$@"; do skip "$suite: $n" "$why"; done
		exit 0
	fi
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
}

# fetch_linux NAME: Debian's kernel (scripts/fetch-linux.sh) in $vmlinuz, or
# a failed TAP line for suite NAME and exit 1.
fetch_linux() {
	local log
	log=$(mktemp)
	if ! vmlinuz=$(bash scripts/fetch-linux.sh 2>"$log"); then
		not_ok "$1: fetch Debian kernel ($(tail -n1 "$log"))"
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
}

qemu_missing() {
	command -v qemu-system-x86_64 >/dev/null || echo "qemu-system-x86_64 not installed"
}

# wait_for_line FILE PATTERN SECONDS PID: wait until FILE has a line matching
# the extended regex PATTERN, or the process exits, or time runs out.
wait_for_line() {
	local file=$1 pattern=$2 seconds=$3 pid=$4
	local deadline=$((SECONDS + seconds))
	while [ $SECONDS -lt "$deadline" ]; do
		grep -qE "$pattern" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || { grep -qE "$pattern" "$file" 2>/dev/null; return; }
		sleep 0.1
	done
	return 1
}

# boot_until NAME PATTERN ARGS...: run "$PVKIT run ARGS..." in the
# background, wait up to $WAIT seconds for a stdout line matching PATTERN,
# stop it, and leave its output in $work/NAME.out and $work/NAME.err.  Says
# how long it took as a TAP comment, and the output's tail if it failed.
boot_until() {
	local name=$1 pattern=$2
	shift 2
	local start=$SECONDS
	"$PVKIT" run "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
	local pid=$!
	local rc=0
	wait_for_line "$work/$name.out" "$pattern" "$WAIT" "$pid" || rc=1
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "# $name: $((SECONDS - start)) s to /$pattern/ (rc $rc)"
	if [ $rc -ne 0 ]; then
		echo "# --- $name stdout (tail) ---"
		tail -n 20 "$work/$name.out" | sed 's/^/# /'
		echo "# --- $name stderr ---"
		tail -n 5 "$work/$name.err" | sed 's/^/# /'
	fi
	return $rc
}
