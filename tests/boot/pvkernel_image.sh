#!/usr/bin/env bash
# The layout of build/pvkernel (docs/pvkernel.md), read back from the file
# itself: setup header fields, sizes, the real-mode jump, kernel_info, the
# payload being exactly build/pvkernel.elf, and that ELF's entry and notes.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

img=build/pvkernel elf=build/pvkernel.elf
names=("setup header" "sizes: setup + syssize" "real-mode jump" "kernel_info"
	"payload is the ELF" "init_size" "ELF entry at +0x200" "ELF notes")
if [ ! -s "$img" ] || [ ! -s "$elf" ]; then
	for n in "${names[@]}"; do skip "pvkernel image: $n" "build/pvkernel not built (make)"; done
	exit 0
fi

u8() { od -An -t u1 -j "$(($2))" -N 1 "$1" | tr -d ' '; }
u16() { od -An -t u2 -j "$(($2))" -N 2 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$(($2))" -N 4 "$1" | tr -d ' '; }
u64() { od -An -t u8 -j "$(($2))" -N 8 "$1" | tr -d ' '; }
str() { dd if="$1" bs=1 skip="$(($2))" count="$3" status=none; }

size=$(stat -c %s "$img")
setup_sects=$(u8 "$img" 0x1f1)
setup_size=$(((setup_sects + 1) * 512))
syssize=$(u32 "$img" 0x1f4)
pm_size=$((syssize * 16))
payload_offset=$(u32 "$img" 0x248)
payload_length=$(u32 "$img" 0x24c)
init_size=$(u32 "$img" 0x260)

check "pvkernel image: ${names[0]}: HdrS, 0xaa55, protocol 2.15, XLF_KERNEL_64, LOADED_HIGH, pref_address 1 MiB" \
	test "$(str "$img" 0x202 4)" = HdrS -a "$(u16 "$img" 0x1fe)" = $((0xaa55)) \
	-a "$(u16 "$img" 0x206)" = $((0x020f)) -a $(($(u16 "$img" 0x236) & 1)) = 1 \
	-a $(($(u8 "$img" 0x211) & 1)) = 1 -a "$(u64 "$img" 0x258)" = $((0x100000)) \
	-a "$(u32 "$img" 0x214)" = $((0x100000))

check "pvkernel image: ${names[1]}: $setup_size + $pm_size = $size bytes" \
	test $((setup_size + pm_size)) -eq "$size"

jump_target=$((0x202 + $(u8 "$img" 0x201)))
check "pvkernel image: ${names[2]}: jmp short at 0x200 to 0x$(printf %x $jump_target), past the header" \
	test "$(u8 "$img" 0x200)" = $((0xeb)) -a "$jump_target" -ge $((0x26c))

ki=$(u32 "$img" 0x268)
check "pvkernel image: ${names[3]}: \"LToP\" at protected-mode offset 0x$(printf %x "$ki")" \
	test "$ki" -gt 0 -a "$(str "$img" $((setup_size + ki)) 4)" = LToP

payload=$(mktemp)
trap 'rm -f "$payload"' EXIT
str "$img" $((setup_size + payload_offset)) "$payload_length" >"$payload"
check "pvkernel image: ${names[4]}: $payload_length bytes at +0x$(printf %x "$payload_offset")" \
	cmp -s "$payload" "$elf"

# init_size covers the loaded part and the ELF's memory image (with .bss).
mem_end=0
while read -r paddr memsz; do
	end=$((paddr + memsz))
	[ "$end" -gt "$mem_end" ] && mem_end=$end
done < <(readelf -lW "$elf" | awk '$1 == "LOAD" { print $4, $6 }')
check "pvkernel image: ${names[5]}: $init_size >= loaded $pm_size and memory image $((mem_end - 0x100000))" \
	test "$init_size" -ge "$pm_size" -a "$init_size" -ge $((mem_end - 0x100000))

check "pvkernel image: ${names[6]}: e_entry = startup_64 = 0x100200" \
	test "$(u64 "$elf" 24)" = $((0x100200))

# readelf prints each note's descriptor as bytes; both are little-endian u32.
notes=$(readelf -nW "$elf")
# The first note of that owner (pvkit has a second one, the pvm note: tests/boot/pvkernel_pvm.sh).
desc() { echo "$notes" | awk -v o="$1" '$1 == o { n = split($0, f, "description data: "); split(f[2], b, " "); print b[4] b[3] b[2] b[1]; exit }'; }
pvh_entry=$(readelf -sW "$elf" | awk '$8 == "pvh_start32" { print $2 }')
xen=$(desc Xen) pvkit=$(desc pvkit)
if [ -n "$pvh_entry" ] && [ "$((0x${xen:-0}))" -eq "$((0x$pvh_entry))" ] &&
	echo "$notes" | grep -qE '^[[:space:]]+Xen[[:space:]]+0x00000004[[:space:]]+Unknown note type: \(0x00000012\)' &&
	[ "${pvkit:-}" = 00010000 ]; then
	ok "pvkernel image: ${names[7]}: XEN_ELFNOTE_PHYS32_ENTRY = pvh_start32 (0x$xen), pvkit ABI 0x$pvkit"
else
	not_ok "pvkernel image: ${names[7]}: Xen note '${xen:-}' vs pvh_start32 '$pvh_entry', pvkit '${pvkit:-}'"
	echo "$notes" | sed 's/^/# /'
fi
