#!/usr/bin/env bash
# pvxen's grant table (xen/grant_table.c, docs/xen-pv.md "Grant tables"):
# tests/guests/xen_grant.S grants its own pages to itself under
# build/pvkit-san and checks 37 answers XTF's grant PoCs (xen_xtf.sh: XSA-224,
# 234, 255) do not: mappings that work and set/clear the entry's flags, a
# writably grant-mapped frame that cannot be pinned as a page table until
# unmapped, a page table grant-mapped read-only but never writable nor
# copied into, GNTST_* refusals, copies, v2 status frames, GNTMAP_contains_pte.
#
#   checks   "xen-grant: 37 checks passed", status 0, no sanitizer report;
#            a failed check names itself and the value it got (status 7)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
GUEST=build/guests/xen_grant.elf
pvm_guest_suite "xen grant" "$GUEST" "checks"

timeout 60 "$PVKIT" run --entry xen --kernel "$GUEST" --mem 64M </dev/null >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -qx 'xen-grant: 37 checks passed' "$work/out" &&
	! grep -qE 'Sanitizer|runtime error' "$work/err"; then
	ok "xen grant: 37 checks passed"
else
	not_ok "xen grant: status $rc"
	sed 's/^/# /' "$work/out" "$work/err"
fi
