#!/usr/bin/env bash
# Print the path of Debian's cloud kernel (a bzImage), downloading it once.
#
#   vmlinuz=$(bash scripts/fetch-linux.sh)
#
# The kernel is the one linux-image-cloud-amd64 depends on (override with
# PVKIT_LINUX_PACKAGE=linux-image-...-cloud-amd64).  It is cached as
# build/linux/vmlinuz-<version> with build/linux/vmlinuz pointing at it; once
# cached, no network is needed.  Only the bzImage is taken out of the .deb,
# with dpkg-deb and tar (not with pvkit, whose loader it is meant to test).
# Messages go to stderr; stdout carries only the path.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=build/linux
link=$cache/vmlinuz

is_bzimage() { # "HdrS" at offset 0x202
	[ "$(od -An -j 514 -N 4 -c "$1" 2>/dev/null | tr -d ' ')" = "HdrS" ]
}

if [ -z "${PVKIT_LINUX_PACKAGE:-}" ] && [ -L "$link" ] && is_bzimage "$link"; then
	readlink -f "$link"
	exit 0
fi

for tool in apt-get apt-cache dpkg-deb tar; do
	command -v "$tool" >/dev/null || { echo "fetch-linux: $tool is not installed" >&2; exit 1; }
done

pkg=${PVKIT_LINUX_PACKAGE:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		echo "fetch-linux: cannot resolve linux-image-cloud-amd64 (run apt-get update?)" >&2
		exit 1
	fi
fi
version=${pkg#linux-image-}
target=$cache/vmlinuz-$version
if [ -f "$target" ] && is_bzimage "$target"; then
	ln -sfn "vmlinuz-$version" "$link"
	readlink -f "$target"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-linux: downloading $pkg" >&2
if ! (cd "$work" && apt-get download "$pkg" >&2 2>"$work/apt.err"); then
	echo "fetch-linux: apt-get download $pkg failed: $(tail -n 1 "$work/apt.err")" >&2
	exit 1
fi
deb=$(ls "$work"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$work" --wildcards './boot/vmlinuz-*'
src=$(ls "$work"/boot/vmlinuz-* | head -n 1)
if ! is_bzimage "$src"; then
	echo "fetch-linux: $src from $pkg is not a bzImage" >&2
	exit 1
fi
mkdir -p "$cache"
cp "$src" "$target.tmp"
mv "$target.tmp" "$target"
ln -sfn "vmlinuz-$version" "$link"
echo "fetch-linux: cached $target ($(stat -c %s "$target") bytes)" >&2
readlink -f "$target"
