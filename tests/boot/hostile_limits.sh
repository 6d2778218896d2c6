#!/usr/bin/env bash
# pvkit's least privilege and limits, seen from outside a running pvkit:
# after set-up both seccomp filters (loading, then run loop) are on
# (/proc/PID/status "Seccomp: 2", "Seccomp_filters: 2") for every thread,
# both in build/pvkit and build/pvkit-san, and guests still run normally
# under them; --no-seccomp leaves it off; RLIMIT_NOFILE is the
# descriptors already open, no thread is added during the run; a core dump
# holds no guest RAM; bad --console-limit values are bad input.
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

G=build/guests
why=$(kvm_missing)
if [ -n "$why" ] || [ ! -x build/pvkit ] || [ ! -x build/pvkit-san ] || [ ! -f $G/hostile.elf ]; then
	skip "hostile limits" "${why:-build/pvkit, build/pvkit-san or the test guests are not built}"
	exit 0
fi
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# Start an idle guest in the background, wait until it runs (its first line
# is on stdout, so set-up is over), and leave its pid in $pid.
start_idle() {
	local pvkit=$1
	shift
	# Not the last run's lines: the new pvkit may not have opened them yet.
	rm -f "$tmp/out" "$tmp/err"
	$pvkit run --kernel $G/hostile.elf --cmdline idle --timeout 20 "$@" \
		</dev/null >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	run_output "$tmp/out" "$tmp/err"
	wait_for_line "$tmp/out" "^hostile: idle forever" 15 $pid
}

status_field() { # status_field NAME: a field of /proc/$pid/status
	awk -v f="$1:" '$1 == f { print $2 }' /proc/$pid/status
}

stop_idle() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}

for pvkit in build/pvkit build/pvkit-san; do
	name=$(basename $pvkit)
	if start_idle $pvkit; then
		check "$name: seccomp filter installed once set-up is done (Seccomp: $(status_field Seccomp))" \
			[ "$(status_field Seccomp)" = 2 ]
		threads=$(status_field Threads)
		check "$name: the loading and the run filter on every thread (Seccomp_filters: $(status_field Seccomp_filters), $threads threads)" \
			eval '[ "$(status_field Seccomp_filters)" -eq 2 ] && for t in /proc/$pid/task/*; do grep -q "^Seccomp:[[:space:]]*2$" $t/status || exit 1; done'
		# KVM itself may add a worker to the process (kvm-nx-lpage-recovery,
		# a kernel thread that lives in the VMM's thread group).
		ours=$(for t in /proc/$pid/task/*; do cat $t/comm; done | grep -vc '^kvm-')
		check "$name: pvkit's threads are the vCPU and the stdin thread, no more ($ours of $threads)" \
			[ "$ours" -eq 2 ]
		nofile=$(awk '/^Max open files/ { print $4 }' /proc/$pid/limits)
		open=$(ls /proc/$pid/fd | wc -l)
		highest=$(ls /proc/$pid/fd | sort -n | tail -n1)
		spare=0
		[ $name = pvkit-san ] && spare=16
		check "$name: RLIMIT_NOFILE $nofile = highest open fd $highest + 1 (+ $spare for the sanitizer)" \
			[ "$nofile" -eq $((highest + 1 + spare)) ]
		stop_idle
	else
		not_ok "$name: idle guest did not start ($(head -c 300 "$tmp/err"))"
	fi
done

if start_idle build/pvkit --no-seccomp; then
	check "--no-seccomp: no filter (Seccomp: $(status_field Seccomp))" [ "$(status_field Seccomp)" = 0 ]
	stop_idle
else
	not_ok "--no-seccomp: idle guest did not start"
fi

# A core dump of pvkit carries none of the guest's memory (MADV_DONTDUMP):
# abort a pvkit running a 1 GiB guest and look at the core's size.
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
if [ "${pattern#|}" != "$pattern" ] || [ "${pattern#/}" != "$pattern" ]; then
	skip "core dump without guest RAM" "core_pattern sends cores elsewhere ($pattern)"
else
	mkdir -p "$tmp/core"
	(
		cd "$tmp/core" || exit 1
		ulimit -c unlimited
		"$OLDPWD/build/pvkit" run --kernel "$OLDPWD/$G/hostile.elf" --cmdline idle --mem 1G \
			--timeout 20 </dev/null >out 2>err &
		p=$!
		wait_for_line out "^hostile: idle forever" 15 $p
		kill -ABRT $p
		wait $p
	) 2>/dev/null
	core=$(ls "$tmp/core" | grep '^core' | head -n1)
	if [ -z "$core" ]; then
		skip "core dump without guest RAM" "no core file appeared (core_pattern $pattern)"
	else
		size=$(stat -c %s "$tmp/core/$core")
		check "core dump of a 1 GiB guest's pvkit: $((size >> 20)) MiB, no guest RAM in it" \
			[ "$size" -lt $((64 << 20)) ]
	fi
fi

# The production filter does not get in the way of real guests.  Each run
# keeps its own output, and each is checked for a refused system call.
seccomp_run() { # seccomp_run NAME ARGS...: build/pvkit run ARGS, status in $rc
	local name=$1
	shift
	build/pvkit run "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	run_output "$tmp/$name.out" "$tmp/$name.err"
	seccomp_runs+=("$name")
}
seccomp_runs=()
seccomp_run hypercall --kernel $G/hypercall.elf --timeout 30 </dev/null
check "pvkit with seccomp: the ABI test guest passes every hypercall check (status $rc)" \
	eval '[ $rc -eq 0 ] && grep -qx "hypercalls ok" "$tmp/hypercall.out"'
seccomp_run pvkernel --timeout 60 </dev/null
check "pvkit with seccomp: bundled pvkernel boots and passes its self-tests (status $rc)" \
	eval '[ $rc -eq 0 ] && grep -qE "^selftest: .*: [0-9]+ passed, 0 failed" "$tmp/pvkernel.out"'
echo "a line of input" >"$tmp/in"
seccomp_run echo --kernel $G/uart_echo.elf --timeout 30 <"$tmp/in"
check "pvkit with seccomp: console input through the stdin thread (status $rc)" \
	eval '[ $rc -eq 0 ] && grep -qx "type a line: echo: a line of input" "$tmp/echo.out"'
seccomp_run timeout --kernel $G/spin.elf --timeout 0.5 </dev/null
check "pvkit with seccomp: --timeout's timer and signal work (status $rc)" \
	eval '[ $rc -eq 124 ] && grep -qx "pvkit: guest still running after 0.5 s, stopped" "$tmp/timeout.err"'
for run in "${seccomp_runs[@]}"; do
	run_output "$tmp/$run.out" "$tmp/$run.err"
	check "pvkit with seccomp: nothing was refused in the $run run" \
		eval '! grep -qiE "seccomp|Bad system call" "$tmp/$run.err"'
done
run_output

# bad NAME PATTERN ARGS...: exit 2, one line, nothing on stdout.
bad() {
	local name=$1 pattern=$2
	shift 2
	run_output "$tmp/out" "$tmp/err"
	build/pvkit-san "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -qE "^pvkit: $pattern" "$tmp/err"; then
		ok "$name"
	else
		not_ok "$name (status $rc, stderr: $(head -n2 "$tmp/err" | tr '\n' '|'))"
	fi
}
bad "--console-limit 0 refused" "--console-limit 0: not a number of bytes above 0" \
	run --kernel $G/hostile.elf --console-limit 0
bad "--console-limit garbage refused" "--console-limit lots: not a number of bytes" \
	run --kernel $G/hostile.elf --console-limit lots
bad "--mem above the host's RAM refused" "--mem 100000G: more than this host's" \
	run --kernel $G/hostile.elf --mem 100000G
