# Helpers for shell test suites: source this, then call ok/not_ok/skip.
# Output is TAP, which tests/run-tests.sh counts.

TAP_N=0

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	echo "not ok $TAP_N - $*"
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

# Why this host is not PVM-like (kvm_pvm loaded, no vmx/svm), or nothing.
pvm_host_missing() {
	if [ ! -e /sys/module/kvm_pvm ] || grep -qwE 'vmx|svm' /proc/cpuinfo; then
		echo "not a PVM host (kvm_pvm not loaded or vmx/svm present)"
	fi
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
