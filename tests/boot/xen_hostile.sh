#!/usr/bin/env bash
# A hostile Xen PV kernel against pvxen, the in-VM Xen (docs/xen-pv.md):
# tests/guests/xen_hostile.S under build/pvkit-san (ASan, UBSan).
#
#   refused requests  49 requests Xen refuses (page-table updates aimed at
#                     pvxen's frames, frames outside RAM, writable mappings
#                     of page tables, frames mapped writable becoming page
#                     tables, L4 slots 256-271; bad trap tables, set_gdt of
#                     garbage; pointers into nowhere): each must come back
#                     as one of Xen's errno values, those in XEN_ERRNOS as
#                     the one Xen returns.
#   random calls      6000 hypercalls with PRNG numbers and arguments, for
#                     three seeds: every result a value or one of Xen's
#                     errno values, the summary printed, poweroff: status 0
#   bad iret frames   HYPERVISOR_iret with a non-canonical RIP or RSP, a
#                     user CS without user page tables, RIP in pvxen, a
#                     frame nowhere, garbage RFLAGS/SS/CS, VGCF_in_syscall:
#                     pvxen bounces a fault to the guest (status 0) or stops
#                     the domain with one line (status 7)
# Always: never a sanitizer report, a signal, status 1/3/4 or a timeout.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
GUEST=build/guests/xen_hostile.elf
SEEDS=(0 7 4242)
IRETS=(1 2 3 4 5 6 7 8 9)
# request number in the guest -> "ERRNO what": the errno Xen refuses it with
# (xen/arch/x86/mm.c: get_page_from_l1e's -EBUSY for a writable mapping of a
# page table, get_page_type's -EINVAL for a frame of another type;
# pv/callback.c: do_set_trap_table)
declare -A XEN_ERRNOS=(
	[7]="EBUSY mmu_update: an L1 entry mapping the L4 writable"
	[8]="EBUSY mmu_update: an L1 entry mapping an L1 writable"
	[9]="EBUSY update_va_mapping: a writable mapping of the L4"
	[37]="EINVAL set_trap_table: a non-canonical handler address"
	[47]="EINVAL mmuext_op: pinning as an L1 a frame mapped writable"
	[48]="EINVAL mmu_update: an L2 entry whose L1 is mapped writable"
	[49]="EBUSY update_va_mapping: a writable mapping of an L1 pinned after its writable mapping was dropped"
)
declare -A ERRNO_VALUES=([EBUSY]=16 [EINVAL]=22)

names=()
for s in "${SEEDS[@]}"; do names+=("seed $s"); done
for k in "${IRETS[@]}"; do names+=("bad iret $k"); done
pvm_guest_suite "xen hostile" "$GUEST" "${names[@]}"

# run NAME CMDLINE: the guest under pvkit-san; $rc, $work/NAME.{out,err},
# $other: stderr without the boot line and pvkit's "refused hypercall" notes.
run() {
	local name=$1 cmdline=$2
	timeout 120 "$PVKIT" run --kernel "$GUEST" --mem 64M --cmdline "$cmdline" </dev/null \
		>"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	other=$(grep -v '^pvkit: booting \|^pvkit: xen: refused hypercall ' "$work/$name.err")
}

# never_broken NAME: no sanitizer report, no signal, not 1/3/4, no timeout.
never_broken() {
	! grep -qE 'Sanitizer|runtime error' "$work/$1.err" && [ "$rc" -ne 1 ] &&
		[ "$rc" -ne 3 ] && [ "$rc" -ne 4 ] && [ "$rc" -lt 124 ]
}

field() { # field NAME KEY: KEY's hex value in the summary, as a number
	local v
	v=$(grep '^xen-hostile: tests ' "$work/$1.out" | tail -n1 | sed -n "s/.* $2 0x\([0-9a-f]*\).*/\1/p")
	[ -n "$v" ] && echo $((16#$v))
}

result() { # result NAME N: what request N of section 1 returned, as a signed number
	local v
	v=$(sed -n "s/^xen-hostile: request 0x$(printf '%016x' "$2") result 0x\([0-9a-f]*\).*/\1/p" \
		"$work/$1.out" | head -n1)
	[ -n "$v" ] && echo $((16#$v))
}

violations=
for s in "${SEEDS[@]}"; do
	run "seed$s" "console=hvc0 hostile.seed=$s"
	calls=$(field "seed$s" calls)
	bad=$(field "seed$s" bad-errnos)
	if never_broken "seed$s" && [ "$rc" -eq 0 ] && [ -z "$other" ] && [ "${calls:-0}" -eq 6000 ] &&
		[ "${bad:-1}" -eq 0 ]; then
		ok "xen hostile: seed $s: 6000 random hypercalls, every result a value or a Xen errno, poweroff"
		echo "# $(grep '^xen-hostile: tests ' "$work/seed$s.out" | tail -n1)"
	else
		not_ok "xen hostile: seed $s: status $rc, calls ${calls:-?}, bad errnos ${bad:-?}"
		grep -v '^pvkit: xen: refused hypercall ' "$work/seed$s.err" | head -n 20 | sed 's/^/# /'
		grep '^xen-hostile' "$work/seed$s.out" | head -n 5 | sed 's/^/# /'
	fi
	v=$(field "seed$s" violations)
	[ -n "$v" ] && [ "$v" -gt 0 ] && violations=$(sed -n \
		's/.*tests (bit set) 0x\([0-9a-f]*\)$/\1/p' "$work/seed$s.out" | head -n1)
done

# The refused requests are the same for every seed (section 1 comes first).
tests=$(field seed0 tests)
check "xen hostile: ${tests:-0} requests Xen refuses were made" [ "${tests:-0}" -eq 49 ]
bits=$((16#${violations:-0}))
carried_out=
for n in $(seq 1 63); do
	[ $(((bits >> n) & 1)) -eq 1 ] && carried_out="$carried_out $n"
done
if [ -z "$carried_out" ]; then
	ok "xen hostile: pvxen refused every request Xen refuses"
else
	not_ok "xen hostile: pvxen carried out requests Xen refuses: tests$carried_out (tests/guests/xen_hostile.S)"
fi
for n in $(printf '%s\n' "${!XEN_ERRNOS[@]}" | sort -n); do
	want=${XEN_ERRNOS[$n]%% *} what=${XEN_ERRNOS[$n]#* }
	got=$(result seed0 "$n")
	check "xen hostile: request $n refused with -$want, as Xen does ($what)" \
		[ "${got:-none}" = "-${ERRNO_VALUES[$want]}" ]
	[ "${got:-none}" = "-${ERRNO_VALUES[$want]}" ] || echo "# request $n returned ${got:-nothing}"
done

for k in "${IRETS[@]}"; do
	run "iret$k" "console=hvc0 hostile.iret=$k"
	if never_broken "iret$k" &&
		{ { [ "$rc" -eq 0 ] && [ -z "$other" ] &&
			grep -qE '^xen-hostile: bad iret (bounced to the guest|returned to the guest as asked|refused)' "$work/iret$k.out"; } ||
			{ [ "$rc" -eq 7 ] && [ "$(wc -l <<<"$other")" -eq 1 ] && [ -n "$other" ]; }; }; then
		ok "xen hostile: bad iret $k: status $rc: $(grep '^xen-hostile: bad iret' "$work/iret$k.out")${other}"
	else
		not_ok "xen hostile: bad iret $k: status $rc"
		grep -v '^pvkit: xen: refused hypercall ' "$work/iret$k.err" | head -n 20 | sed 's/^/# /'
		grep '^xen-hostile' "$work/iret$k.out" | tail -n 3 | sed 's/^/# /'
	fi
done
