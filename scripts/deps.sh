#!/usr/bin/env bash
# Install the Debian packages pvkit needs to build, test and benchmark, but only
# those that are missing: a second run on a ready machine costs one dpkg query.
set -euo pipefail

packages=(
	build-essential pkg-config clang libclang-rt-14-dev
	libcmocka-dev liblz4-dev libzstd-dev liblzma-dev zlib1g-dev libbz2-dev liblzo2-dev
	libseccomp-dev libxen-dev libhttp-parser-dev libjansson-dev curl
	qemu-system-x86 busybox-static cpio lz4 zstd xz-utils lzop bzip2
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
