#!/usr/bin/env bash
# Payloads made by the real command-line compressors, with the flags and the
# appended size of Linux's arch/x86/boot/compressed/Makefile, spliced into a
# bzImage and read back by `pvkit inspect`: pvkit's decoders must agree with
# the tools Linux builds with, not only with the libraries' own encoders
# (the unit tests cover those).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh

PVKIT=${PVKIT:-build/pvkit-san}
if [ ! -x "$PVKIT" ]; then
	skip "payload tools" "$PVKIT not built"
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The template: a synthetic bzImage with an uncompressed payload (the ELF).
template=fuzz/corpus/fuzz_boot_bzimage/bzimage-none
setup=2560    # (setup_sects 4 + 1) * 512
decomp=1024   # the fake decompressor before the payload

le32() { # le32 VALUE: 4 bytes, little endian
	printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))"
	printf "\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"
}
u32_at() { # u32_at FILE OFFSET
	od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '
}
patch32() { # patch32 FILE OFFSET VALUE
	le32 "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

elf_len=$(u32_at "$template" $((0x24c)))
dd if="$template" of="$work/elf" bs=1 skip=$((setup + decomp)) count="$elf_len" 2>/dev/null
# Grow the ELF with compressible bytes after it (Linux appends relocations
# there too), so every compressor has something to do.
for i in $(seq 1 2000); do echo "pvkit payload line $i"; done >>"$work/elf"
size=$(stat -c %s "$work/elf")

# splice NAME: build $work/NAME.bzImage from the compressed $work/NAME.z
splice() {
	local out=$work/$1.bzImage z=$work/$1.z
	head -c $((setup + decomp)) "$template" >"$out"
	cat "$z" >>"$out"
	local pm=$(($(stat -c %s "$out") - setup))
	local pad=$(((16 - pm % 16) % 16))
	head -c "$pad" /dev/zero >>"$out"
	pm=$((pm + pad))
	patch32 "$out" $((0x1f4)) $((pm / 16))               # syssize
	patch32 "$out" $((0x24c)) "$(stat -c %s "$z")"       # payload_length
	patch32 "$out" $((0x260)) $((pm + 0x100000))         # init_size
}

# try NAME COMMAND...: compress with COMMAND (stdin to stdout), append the
# size as Linux's size_append does (not for gzip), inspect.
try() {
	local name=$1 tool=$2
	shift 1
	if ! command -v "$tool" >/dev/null; then
		skip "payload tools: $name" "$tool not installed"
		return
	fi
	if ! "$@" <"$work/elf" >"$work/$name.z" 2>"$work/$name.err"; then
		not_ok "payload tools: $name ($*): the compressor failed: $(head -c 300 "$work/$name.err")"
		return
	fi
	[ "$name" = gzip ] || le32 "$size" >>"$work/$name.z"
	splice "$name"
	if "$PVKIT" inspect "$work/$name.bzImage" >"$work/$name.out" 2>"$work/$name.err" &&
		grep -qx "  compression: $name" "$work/$name.out" &&
		grep -q "^  decompressed_size: $size " "$work/$name.out" &&
		grep -q '^  pvh_entry: 0x200040$' "$work/$name.out"; then
		ok "payload tools: $name ($*), $(stat -c %s "$work/$name.z") -> $size bytes"
	else
		not_ok "payload tools: $name ($*): $(head -c 300 "$work/$name.err")"
	fi
	# pvkit run decompresses under its loading seccomp filter, which
	# forbids mapping code: the library must have been loaded before
	# (boot/payload_libs.h).  The guest itself only triple-faults (status 3).
	"$PVKIT" run --kernel "$work/$name.bzImage" --timeout 20 </dev/null \
		>/dev/null 2>"$work/$name.run"
	local rc=$?
	check "payload tools: $name: pvkit run decompresses it under seccomp (status $rc)" \
		grep -q "in the bzImage payload ($name, " "$work/$name.run"
}

try gzip gzip -n -9
try bzip2 bzip2 -9
try lzma lzma -9
try xz xz --check=crc32 --x86 --lzma2=dict=32MiB
try lzo lzop -9
try lz4 lz4 -l -9
try zstd zstd -22 --ultra -q
