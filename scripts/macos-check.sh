#!/bin/sh
# SPDX-License-Identifier: MIT
# macos-check.sh — proves the portable folders portable: compiles them for macOS, arm64 and x86_64
#
#   scripts/macos-check.sh [BUILD_PREFIX]      (default: build-macos → build-macos-arm64, ...)
#
# clang (Debian's) with -target ARCH-apple-macos13 against the sysroot of macos-sdk.sh, with
# -Werror: a Linux header in a portable folder is "file not found", a Linux-only function an
# implicit declaration. Only Meson's -Dportable_only=true libraries are built; SQLite's and
# json-c's headers (plain C, the same on every OS) are the only host headers visible.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$root/build-macos}
# shellcheck source=scripts/macos-common.sh
. "$root/scripts/macos-common.sh"
macos_prepare

for arch in arm64 x86_64; do
	build=$prefix-$arch
	macos_setup "$build" "$(macos_cross_file "$arch" "ar = 'llvm-ar-14'" "" "")" \
		-Dportable_only=true -Dwerror=true
	echo "macos-check: $arch"
	ninja -C "$build"
done
echo "macos-check: the portable folders build for macOS (arm64, x86_64)"
