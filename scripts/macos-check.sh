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
sysroot=$("$root/scripts/macos-sdk.sh")
shim=$(dirname "$sysroot")/portable-deps-include
mkdir -p "$shim"
ln -sfn /usr/include/sqlite3.h "$shim/sqlite3.h"
ln -sfn /usr/include/json-c "$shim/json-c"
# clang must not pick up the host's library or include paths
unset LIBRARY_PATH CPATH C_INCLUDE_PATH 2>/dev/null || true

for arch in arm64 x86_64; do
	build=$prefix-$arch
	mkdir -p "$build"
	family=$arch
	[ "$arch" = arm64 ] && family=aarch64
	cat > "$build/cross.ini" <<EOC
[binaries]
c = ['clang', '-target', '$arch-apple-macos13', '-isysroot', '$sysroot']
ar = 'llvm-ar-14'

[built-in options]
c_args = ['-isystem', '$shim']
c_link_args = ['-fuse-ld=lld']

[host_machine]
system = 'darwin'
cpu_family = '$family'
cpu = '$arch'
endian = 'little'
EOC
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$root" --cross-file "$build/cross.ini" -Dportable_only=true \
			-Dwerror=true >"$build/setup.log" 2>&1 ||
			{ cat "$build/setup.log" >&2; exit 1; }
	fi
	echo "macos-check: $arch"
	ninja -C "$build"
done
echo "macos-check: the portable folders build for macOS (arm64, x86_64)"
