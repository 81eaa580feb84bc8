# SPDX-License-Identifier: MIT
# macos-common.sh — what macos-check.sh and macos-link.sh share (sourced, not run): the sysroot,
# the host headers a macOS build may see, and a Meson cross build per architecture
#
# The sourcing script sets $root (the tree) first.
# shellcheck shell=sh disable=SC2154

# macos_prepare — sets $sysroot (macos-sdk.sh's) and $shim: a directory with SQLite's,
# json-c's and libpcap's headers from the host (plain C, the same on every OS; macOS's SDK
# has libpcap's own), the only host headers given
macos_prepare() {
	sysroot=$("$root/scripts/macos-sdk.sh")
	shim=$(dirname "$sysroot")/portable-deps-include
	mkdir -p "$shim"
	ln -sfn /usr/include/sqlite3.h "$shim/sqlite3.h"
	ln -sfn /usr/include/json-c "$shim/json-c"
	ln -sfn /usr/include/pcap "$shim/pcap"
	ln -sfn /usr/include/pcap.h "$shim/pcap.h"
	# clang must not pick up the host's library or include paths
	unset LIBRARY_PATH CPATH C_INCLUDE_PATH 2>/dev/null || true
}

# macos_cross_file ARCH BINARIES C_ARGS LINK_ARGS — a Meson cross file, on stdout: clang for
# ARCH-apple-macos13 against $sysroot, linked by lld. BINARIES: the [binaries] lines after
# c's (ar's at least); C_ARGS, LINK_ARGS: more items for c_args and c_link_args, each
# written ", 'ITEM'" (or nothing)
macos_cross_file() {
	family=$1
	[ "$1" = arm64 ] && family=aarch64
	cat <<EOC
[binaries]
c = ['clang', '-target', '$1-apple-macos13', '-isysroot', '$sysroot']
$2

[built-in options]
c_args = ['-isystem', '$shim'$3]
c_link_args = ['-fuse-ld=lld'$4]

[host_machine]
system = 'darwin'
cpu_family = '$family'
cpu = '$1'
endian = 'little'
EOC
}

# macos_setup BUILD CROSS MESON_OPTION... — BUILD set up by Meson for the cross file CROSS
# (its text); a cross file other than the one BUILD was set up with means a new setup
macos_setup() {
	build=$1 cross=$2
	shift 2
	if ! printf '%s\n' "$cross" | cmp -s - "$build/cross.ini"; then
		rm -rf "$build"
		mkdir -p "$build"
		printf '%s\n' "$cross" > "$build/cross.ini"
	fi
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$root" --cross-file "$build/cross.ini" "$@" \
			>"$build/setup.log" 2>&1 || { cat "$build/setup.log" >&2; exit 1; }
	fi
}
