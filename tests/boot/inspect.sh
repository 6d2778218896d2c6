#!/usr/bin/env bash
# `pvkit inspect`: synthetic images in every payload format (the fuzz seeds),
# Debian's kernel when it can be had, valid JSON, and one error line with
# exit status 2 and no partial output for each kind of bad file.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
if [ ! -x "$PVKIT" ]; then
	skip "inspect" "$PVKIT not built"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

json_ok() { # json_ok FILE: parses as JSON
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
}

# Synthetic bzImages, one per compressor: the report names the compressor.
for img in fuzz/corpus/fuzz_boot_bzimage/bzimage-*; do
	fmt=${img##*-}
	if "$PVKIT" inspect "$img" >"$work/out" 2>"$work/err" &&
		grep -qx "  compression: $fmt" "$work/out" &&
		grep -q '^  pvh_entry: 0x200040$' "$work/out" &&
		grep -q '^kernel_version: 6.1.0-test' "$work/out"; then
		ok "inspect: synthetic bzImage, $fmt payload"
	else
		not_ok "inspect: synthetic bzImage, $fmt payload: $(head -c 300 "$work/err")"
	fi
	"$PVKIT" inspect "$img" --json >"$work/json" 2>/dev/null
	if command -v python3 >/dev/null; then
		check "inspect --json: synthetic bzImage, $fmt payload is valid JSON" json_ok "$work/json"
	fi
done

# An ELF with the pvkit note: decoded, not hex.
elf=fuzz/corpus/fuzz_boot_elf/elf-notes2
if "$PVKIT" inspect "$elf" >"$work/out" 2>&1 && grep -q '^      type_name: ABI (pvkit ABI version)$' "$work/out" &&
	grep -q '^      abi_version: 1.0$' "$work/out" && grep -q '^  pvkit_abi: 1.0$' "$work/out" &&
	grep -q '^  pvkit_note: yes$' "$work/out" && grep -q '^      string: linux$' "$work/out"; then
	ok "inspect: ELF notes decoded (Xen string, PVH entry, pvkit ABI)"
else
	not_ok "inspect: ELF notes decoded"
fi

# The PVM note: its two addresses, named, in the note list and the summary.
elf=fuzz/corpus/fuzz_boot_elf/elf-notes3
if "$PVKIT" inspect "$elf" >"$work/out" 2>&1 &&
	grep -q '^      type_name: PVM (can run deprivileged: pvm mode)$' "$work/out" &&
	grep -q '^      syscall_entry: 0x200010$' "$work/out" && grep -q '^      idt: 0x300000$' "$work/out" &&
	grep -q '^  pvm_note: yes$' "$work/out" && grep -q '^  pvm_syscall_entry: 0x200010$' "$work/out" &&
	grep -q '^  pvm_idt: 0x300000$' "$work/out" && ! grep -q 'hex:' "$work/out"; then
	ok "inspect: pvkit PVM note decoded (syscall entry, IDT)"
else
	not_ok "inspect: pvkit PVM note decoded"
	sed 's/^/# /' "$work/out"
fi

# pvkit's own notes in JSON: the same fields, never a hex dump.
pvkit_notes_json() { # FILE [SYSCALL-ENTRY IDT]: every pvkit note decoded
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
notes = [n for n in d["elf"]["notes"] if n["name"] == "pvkit"]
abi = [n for n in notes if n["type"] == 1]
pvm = [n for n in notes if n["type"] == 2]
assert len(notes) == 2 and len(abi) == 1 and len(pvm) == 1, notes
assert all("hex" not in n for n in notes), notes
assert abi[0]["abi_version"] == d["elf"]["pvkit_abi"] == "1.0"
assert pvm[0]["syscall_entry"] == d["elf"]["pvm_syscall_entry"]
assert pvm[0]["idt"] == d["elf"]["pvm_idt"]
if len(sys.argv) > 2:
	assert int(pvm[0]["syscall_entry"], 16) == int(sys.argv[2], 16), pvm
	assert int(pvm[0]["idt"], 16) == int(sys.argv[3], 16), pvm
' "$@"
}
if command -v python3 >/dev/null; then
	"$PVKIT" inspect "$elf" --json >"$work/json" 2>/dev/null
	check "inspect --json: pvkit notes decoded" pvkit_notes_json "$work/json" 0x200010 0x300000
fi

# pvkernel: every pvkit note decoded; the PVM note's addresses are its symbols.
if [ -s build/pvkernel ] && [ -s build/pvkernel.elf ] && command -v python3 >/dev/null; then
	sym() { readelf -sW build/pvkernel.elf | awk -v s="$1" '$8 == s { print "0x" $2 }'; }
	"$PVKIT" inspect build/pvkernel --json >"$work/json" 2>/dev/null
	check "inspect --json: pvkernel's notes decoded (pvm_entry, idt_table)" \
		pvkit_notes_json "$work/json" "$(sym pvm_entry)" "$(sym idt_table)"
else
	skip "inspect: pvkernel's notes" "build/pvkernel or python3 missing"
fi

# Bad files: exactly one line "pvkit: FILE: what is wrong", status 2, nothing on stdout.
bad_file() { # bad_file NAME FILE EXPECTED-MESSAGE
	local name=$1 file=$2 msg=$3 rc
	"$PVKIT" inspect "$file" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$work/out" ] && [ "$(wc -l <"$work/err")" -eq 1 ] &&
		[ "$(cat "$work/err")" = "pvkit: $file: $msg" ]; then
		ok "inspect: $name"
	else
		not_ok "inspect: $name (status $rc, stderr: $(head -c 200 "$work/err"))"
	fi
}
head -c 3000 fuzz/corpus/fuzz_boot_bzimage/bzimage-gzip >"$work/truncated"
syssize=$(od -An -tu4 -j $((0x1f4)) -N 4 "$work/truncated" | tr -d ' ')
bad_file "truncated bzImage" "$work/truncated" \
	"protected-mode kernel (syssize $syssize = $((syssize * 16)) bytes) extends past the end of the file (440 bytes after the setup code)"
: >"$work/empty"
bad_file "empty file" "$work/empty" "file is empty"
bad_file "missing file" "$work/missing" "No such file or directory"
printf 'ABCDEFGH' >"$work/notimage"
bad_file "not an image" "$work/notimage" \
	'not a bzImage (no "HdrS" at 0x202) nor an ELF (first bytes 41 42 43 44)'
bad_file "directory" "$work" "not a regular file"
# A bzImage whose payload ELF is corrupt: the whole report is refused.
cp fuzz/corpus/fuzz_boot_bzimage/bzimage-none "$work/bad-payload"
# EI_CLASS of the raw payload ELF (setup 2560 bytes, fake decompressor 1024) becomes 32-bit.
printf '\x01' | dd of="$work/bad-payload" bs=1 seek=$((2560 + 1024 + 4)) conv=notrunc 2>/dev/null
bad_file "corrupt payload ELF" "$work/bad-payload" \
	"ELF in the bzImage payload: ELF class is 1, not 64-bit (ELFCLASS64)"
# A PVM note whose IDT is not in the image: checked like the PVH entry.
python3 - "$work/bad-pvm" <<'PY'
import struct, sys
data = bytearray(open("fuzz/corpus/fuzz_boot_elf/elf-notes3", "rb").read())
at = data.rfind(struct.pack("<Q", 0x300000))  # the note's IDT (the phdr's paddr comes first)
data[at:at + 8] = struct.pack("<Q", 0x500000)
open(sys.argv[1], "wb").write(data)
PY
bad_file "PVM note outside the image" "$work/bad-pvm" \
	"pvkit PVM note: IDT 0x500000-0x501000 is outside the loaded segments"

# The Xen PV plan: the domain `pvkit run --entry xen` builds for the default
# --mem, computed by the loader itself.  For the Xen PV costs guest it must
# be what pvkit run then starts (its --debug line); a kernel without Xen
# notes has none; a lying note makes the plan an error, the report stays.
xen_guest=build/guests/xen_pv_costs.elf
plan() { # plan FILE KEY: the value of KEY in xen_pv_plan (text report)
	sed -n '/^xen_pv_plan:$/,$p' "$1" | sed -n "s/^  $2: //p"
}
if [ -s "$xen_guest" ] && "$PVKIT" inspect "$xen_guest" >"$work/xen" 2>"$work/err"; then
	check "inspect: Xen PV plan of the costs guest (entry, cmdline, p2m, pages, pvxen's area)" \
		bash -c "grep -qx 'xen_pv_plan:' '$work/xen' && grep -qx '  cmdline: console=hvc0' '$work/xen' &&
			grep -qx '  for_mem: 268435456 (256 MiB)' '$work/xen' && grep -qx '  entry: 0x100000' '$work/xen' &&
			grep -qE '^  p2m: 0x[0-9a-f]+$' '$work/xen' && grep -qE '^  page_tables_pfn: 0x[0-9a-f]+$' '$work/xen' &&
			grep -qx '  hypervisor_virt: 0xffff808000000000' '$work/xen'"
	"$PVKIT" inspect "$xen_guest" --json >"$work/xen.json" 2>/dev/null
	check "inspect --json: the Xen PV plan is in the JSON, the same as the text" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["xen_pv_plan"]
assert d["entry"] == sys.argv[2] and d["nr_pages"] == int(sys.argv[3]) and d["cr3"] == sys.argv[4]
' "$work/xen.json" "$(plan "$work/xen" entry)" "$(plan "$work/xen" nr_pages)" "$(plan "$work/xen" cr3)"
	why=$(kvm_missing)
	[ -z "$why" ] && why=$(pvm_host_missing)
	if [ -z "$why" ]; then
		run_line=$(timeout 60 "$PVKIT" run --debug --entry xen --kernel "$xen_guest" </dev/null 2>&1 >/dev/null |
			grep -m1 '^pvkit: xen pv: pvxen at ' | sed 's/ ([0-9]* KiB)//')
		want="pvkit: xen pv: pvxen at $(plan "$work/xen" shared_info_gpa), domain $(plan "$work/xen" nr_pages) pages, entry $(plan "$work/xen" entry), start_info $(plan "$work/xen" start_info), L4 $(plan "$work/xen" cr3)"
		if [ "$run_line" = "$want" ]; then ok "inspect: the Xen PV plan is what pvkit run builds"; else
			not_ok "inspect: the Xen PV plan is what pvkit run builds"
			echo "# run:  $run_line"
			echo "# plan: $want"
		fi
	else
		skip "inspect: the Xen PV plan is what pvkit run builds" "$why"
	fi
	python3 - "$xen_guest" "$work/xen-lie.elf" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.find(struct.pack("<III", 4, 8, 1) + b"Xen\0")  # the ENTRY note
data[at + 16:at + 24] = struct.pack("<Q", 0xdead0000)
open(sys.argv[2], "wb").write(data)
PY
	if "$PVKIT" inspect "$work/xen-lie.elf" >"$work/lie" 2>"$work/err" && grep -q '^elf:' "$work/lie" &&
		plan "$work/lie" error | grep -q "^Xen entry 0xdead0000 is outside the segments"; then
		ok "inspect: a lying ENTRY note: the plan says why, the report stays"
	else
		not_ok "inspect: a lying ENTRY note: $(plan "$work/lie" error) $(head -c 200 "$work/err")"
	fi
else
	for t in "Xen PV plan of the costs guest" "--json: the Xen PV plan" \
		"the Xen PV plan is what pvkit run builds" "a lying ENTRY note"; do
		skip "inspect: $t" "$xen_guest not built (make tests)"
	done
fi
check "inspect: no Xen PV plan for a kernel without Xen PV notes (pvkernel)" \
	bash -c "'$PVKIT' inspect build/pvkernel | grep -q '^elf:' && ! '$PVKIT' inspect build/pvkernel | grep -q xen_pv_plan"

# Debian's kernel: lz4 payload, an ELF with the PVH note.
if vmlinuz=$(bash scripts/fetch-linux.sh 2>/dev/null); then
	if "$PVKIT" inspect "$vmlinuz" >"$work/out" 2>"$work/err" &&
		grep -q '^format: bzImage$' "$work/out" && grep -q '^  pvh: yes$' "$work/out" &&
		grep -Eq '^  compression: (lz4|gzip|xz|zstd|lzma|lzo|bzip2)$' "$work/out" &&
		grep -qx '  cmdline: console=hvc0' "$work/out" &&
		[ "$(plan "$work/out" entry)" = "$(grep -A4 'type_name: ENTRY$' "$work/out" | sed -n 's/^      value: //p')" ]; then
		ok "inspect: Debian kernel ($(sed -n 's/^  compression: //p' "$work/out") payload, PVH note, Xen PV plan at its ENTRY)"
	else
		not_ok "inspect: Debian kernel: $(head -c 300 "$work/err")"
	fi
	"$PVKIT" inspect "$vmlinuz" --json >"$work/json" 2>/dev/null
	command -v python3 >/dev/null && check "inspect --json: Debian kernel is valid JSON" json_ok "$work/json"
else
	skip "inspect: Debian kernel" "scripts/fetch-linux.sh could not get it"
fi
