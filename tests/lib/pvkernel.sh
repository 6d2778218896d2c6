# Booting pvkernel and checking what it says: the one helper of the pvkernel
# suites (tests/boot/pvkernel_*.sh, tests/boot/abi_compat.sh).  Source it
# after tests/lib/tap.sh.  The suite provides $work (a directory for the
# output) and, to boot with pvkit, $PVKIT (the pvkit binary to run).
#
#   pvkernel_boot NAME pvkit ARGS...          $PVKIT run --stats --timeout
#                                             $RUN_TIMEOUT ARGS...
#   pvkernel_boot NAME qemu KERNEL CMDLINE    QEMU TCG (-machine pc, SeaBIOS
#                                             for a bzImage, PVH for the ELF)
#       stdout in $work/NAME.out, stderr in $work/NAME.err, the guest's exit
#       status in $rc (QEMU's isa-debug-exit code (v << 1) | 1 turned back
#       into v; anything else as "QEMU exit code N"), wall time in $ms.
#
#   pvkernel_check NAME LABEL STATUS BACKEND [PATTERN...]
#       ok when run NAME exited with STATUS, printed "pv: backend=BACKEND"
#       (an extended regex), a line matching each PATTERN and, when STATUS
#       is $PVKERNEL_EXIT_OK, the self-test summary "N passed, 0 failed";
#       otherwise not ok, naming what is missing, followed by the run's
#       output.
#
#   pvkernel_expect NAME STATUS [BACKEND [PATTERN...]] and
#   pvkernel_report NAME LABEL [DETAIL]: the two halves of pvkernel_check,
#       for runs with more to check: expect fills the array `problems`, the
#       suite adds its own, report says ok (LABEL: DETAIL) or not ok.
#
# pvkernel's exit statuses ($PVKERNEL_EXIT_OK, $PVKERNEL_EXIT_PANIC) come
# from the kernel's own header (tests/lib/pvkernel_exit.sh), so the suites
# follow it when it changes.

RUN_TIMEOUT=${RUN_TIMEOUT:-120}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}

. tests/lib/pvkernel_exit.sh
PVKERNEL_EXIT_OK=$(pvkernel_exit OK)
PVKERNEL_EXIT_PANIC=$(pvkernel_exit PANIC)
: "${PVKERNEL_EXIT_OK:=PVKERNEL_EXIT_OK (not in guest/include/exit_status.h)}"
: "${PVKERNEL_EXIT_PANIC:=PVKERNEL_EXIT_PANIC (not in guest/include/exit_status.h)}"

pvkernel_boot() {
	local name=$1 vmm=$2 t0
	shift 2
	run_output "$work/$name.out" "$work/$name.err"
	t0=$(date +%s%N)
	case $vmm in
	pvkit)
		"$PVKIT" run --stats --timeout "$RUN_TIMEOUT" "$@" </dev/null \
			>"$work/$name.out" 2>"$work/$name.err"
		rc=$?
		;;
	qemu)
		timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -machine pc -accel tcg -m 128 \
			-kernel "$1" -append "$2" -nographic -display none -monitor none \
			-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot \
			</dev/null >"$work/$name.out" 2>"$work/$name.err"
		rc=$?
		if [ $((rc & 1)) -eq 1 ]; then rc=$((rc >> 1)); else rc="QEMU exit code $rc"; fi
		;;
	*)
		echo "pvkernel_boot: unknown VMM '$vmm'" >&2
		exit 2
		;;
	esac
	ms=$((($(date +%s%N) - t0) / 1000000))
}

# The "pv: backend=..." line and the self-test summary of run NAME.
pvkernel_backend_line() { grep -a -m1 -E '^pv: backend=' "$work/$1.out"; }
pvkernel_summary() { grep -a -m1 -oE '[0-9]+ passed, [0-9]+ failed' "$work/$1.out"; }

pvkernel_expect() {
	local name=$1 status=$2 backend=${3:-} out=$work/$1.out p
	shift 2
	[ $# -gt 0 ] && shift
	problems=()
	[ "$rc" = "$status" ] || problems+=("exit status $rc, not $status")
	if [ -n "$backend" ]; then
		grep -aqE "^pv: backend=$backend" "$out" || problems+=("no 'pv: backend=$backend' line")
	fi
	for p in "$@"; do
		grep -aqE "$p" "$out" || problems+=("no line matching '$p'")
	done
}

pvkernel_report() {
	local name=$1 label=$2 detail=${3:-}
	run_output "$work/$name.out" "$work/$name.err"
	if [ ${#problems[@]} -eq 0 ]; then
		ok "$label${detail:+: $detail}"
	else
		not_ok "$label: $(printf '%s; ' "${problems[@]}" | sed 's/; $//')"
	fi
}

pvkernel_check() {
	local name=$1 label=$2 status=$3
	shift 3
	pvkernel_expect "$name" "$status" "$@"
	if [ "$status" = "$PVKERNEL_EXIT_OK" ]; then
		grep -aqE '^selftest: .*: [0-9]+ passed, 0 failed' "$work/$name.out" ||
			problems+=("no 'N passed, 0 failed' self-test summary")
	fi
	local what
	what=$(pvkernel_backend_line "$name")
	[ "$status" = "$PVKERNEL_EXIT_OK" ] && what="$what, $(pvkernel_summary "$name")"
	pvkernel_report "$name" "$label" "$what, status $rc, $ms ms"
}
