#!/bin/sh
# SPDX-License-Identifier: MIT
# macos-link.sh — builds and links the whole program for macOS, arm64 and x86_64, on Linux
#
#   scripts/macos-link.sh [BUILD_PREFIX]   (default: build-macos-link → build-macos-link-arm64, ...)
#
# Everything a Mac's `meson setup build && ninja -C build` compiles — the portable folders,
# src/os/darwin and the vmnet back-end (src/backend/vmnet) — built with Debian's clang for
# ARCH-apple-macos13, -Werror and -Wunguarded-availability (an API newer than macOS 13
# must be guarded by __builtin_available), then linked by ld64.lld into a Mach-O
# executable. The sysroot is macos-sdk.sh's (zig 0.11's macOS libc headers and libSystem
# stub). What it lacks comes from here, never from Apple's files:
#   - vmnet: the project's transcription of Apple's documented API (vmnet/vmnet_api.h);
#   - TAPI stubs (text .tbd files the linker reads instead of a library), written below:
#     vmnet.framework's and CoreFoundation's from the names that transcription declares,
#     libsqlite3's, libjson-c's and libslirp's from the host's headers (the functions they
#     declare; a call to anything else fails the link);
#   - SQLite's, json-c's and libslirp's headers from the host (plain C, the same on every
#     OS); libslirp found through a pkg-config file of its own, as Homebrew's would be, so
#     the user back-end is built as a Mac with `brew install libslirp` builds it.
# Then checks the output: a Mach-O of the right architecture, vmnet linked, the macOS 26
# calls weakly (so that the program starts on macOS 13); and compiles the vmnet back-end
# once more for each older SDK the transcription can play (-Dvmnet_sdk=11, 12, 15).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$root/build-macos-link}
# shellcheck source=scripts/macos-common.sh
. "$root/scripts/macos-common.sh"
macos_prepare
stubs=$(dirname "$sysroot")/macos-link-stubs
mkdir -p "$stubs/Frameworks/vmnet.framework" "$stubs/Frameworks/CoreFoundation.framework"
ln -sfn /usr/include/slirp "$shim/slirp"
mkdir -p "$stubs/pkgconfig"
cat > "$stubs/pkgconfig/slirp.pc" <<EOP
Name: slirp
Description: libslirp as Homebrew installs it (header: the host's; library: a stub)
Version: $(sed -n 's/^#define SLIRP_VERSION_STRING "\(.*\)"/\1/p' /usr/include/slirp/libslirp-version.h)
Libs: -L$stubs -lslirp
Cflags: -I$shim/slirp
EOP
# tbd NAME INSTALL_NAME SYMBOL... — a TAPI v4 stub for both architectures
tbd() {
	out=$1 install=$2
	shift 2
	{
		echo "--- !tapi-tbd"
		echo "tbd-version:     4"
		echo "targets:         [ x86_64-macos, arm64-macos ]"
		echo "install-name:    '$install'"
		echo "current-version: 1.0"
		echo "compatibility-version: 1.0"
		echo "exports:"
		echo "  - targets:         [ x86_64-macos, arm64-macos ]"
		printf "    symbols:         [ "
		sep=""
		for s in "$@"; do
			printf "%s_%s" "$sep" "$s"
			sep=", "
		done
		echo " ]"
		echo "..."
	} > "$out"
}

# the functions and keys the transcription declares (everything before the SDK's #else is not ours)
api=$root/src/vmnet/vmnet_api.h
vmnet_syms=$(sed -n '/no SDK header: the project.s transcription/,$p' "$api" |
	grep -oE '\b(vmnet_[a-z0-9_]+)[[:space:]]*(\(|API_AVAILABLE)' | grep -oE '^vmnet_[a-z0-9_]+' |
	grep -v '^vmnet_sim_' | sort -u)
tbd "$stubs/Frameworks/vmnet.framework/vmnet.tbd" \
	/System/Library/Frameworks/vmnet.framework/Versions/A/vmnet $vmnet_syms
tbd "$stubs/Frameworks/CoreFoundation.framework/CoreFoundation.tbd" \
	/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation CFRelease
sqlite_syms=$(grep -ohE '^SQLITE_API[^;]*\bsqlite3_[a-z0-9_]+[[:space:]]*\(' /usr/include/sqlite3.h |
	grep -oE 'sqlite3_[a-z0-9_]+[[:space:]]*\($' | tr -d ' (' | sort -u)
tbd "$stubs/libsqlite3.tbd" /usr/lib/libsqlite3.dylib $sqlite_syms
jsonc_syms=$(grep -ohE '^JSON_EXPORT[^;]*\b[a-z_][a-z0-9_]*[[:space:]]*\(' /usr/include/json-c/*.h |
	grep -oE '[a-z_][a-z0-9_]*[[:space:]]*\($' | tr -d ' (' | sort -u)
tbd "$stubs/libjson-c.tbd" /opt/homebrew/opt/json-c/lib/libjson-c.5.dylib $jsonc_syms
slirp_syms=$(grep -ohE '^[A-Za-z].*\bslirp_[a-z0-9_]+\(' /usr/include/slirp/libslirp.h |
	grep -oE 'slirp_[a-z0-9_]+\($' | tr -d '(' | sort -u)
tbd "$stubs/libslirp.tbd" /opt/homebrew/opt/libslirp/lib/libslirp.0.dylib $slirp_syms

# the entitlements make macos-sign uses must at least be property lists
for plist in "$root"/macos/*.entitlements; do
	python3 -c 'import plistlib, sys; plistlib.load(open(sys.argv[1], "rb"))' "$plist" ||
		{ echo "macos-link: $plist is not a property list" >&2; exit 1; }
done

# the cross file's [binaries] after c: pkg-config finds the stubs' slirp.pc, as Homebrew's
binaries="pkgconfig = ['env', 'PKG_CONFIG_LIBDIR=$stubs/pkgconfig', 'pkg-config']
ar = 'llvm-ar-14'
strip = 'llvm-strip-14'"
for arch in arm64 x86_64; do
	build=$prefix-$arch
	macos_setup "$build" "$(macos_cross_file "$arch" "$binaries" ", '-Wunguarded-availability'" \
		", '-L$stubs', '-F$stubs/Frameworks'")" -Dwerror=true
	echo "macos-link: $arch"
	ninja -C "$build" sock-vmnet
	exe=$build/sock-vmnet
	headers=$(llvm-objdump-14 --macho --private-headers "$exe")
	want_cpu=$arch
	[ "$arch" = arm64 ] && want_cpu=ARM64
	[ "$arch" = x86_64 ] && want_cpu=X86_64
	echo "$headers" | grep -q "MH_MAGIC_64 *$want_cpu" ||
		{ echo "macos-link: $exe is not a $arch Mach-O" >&2; exit 1; }
	echo "$headers" | grep -q "vmnet.framework/Versions/A/vmnet" ||
		{ echo "macos-link: $exe does not load vmnet.framework" >&2; exit 1; }
	echo "$headers" | grep -q "libslirp.0.dylib" ||
		{ echo "macos-link: $exe does not load libslirp (the user back-end)" >&2; exit 1; }
	echo "$headers" | grep -q "minos 13.0" ||
		{ echo "macos-link: $exe does not say macOS 13 as its minimum" >&2; exit 1; }
	# a symbol newer than macOS 13 bound strongly would keep the program from starting there
	strong=$(llvm-nm-14 -m "$exe" | grep '(undefined) external' |
		grep -E '_(vmnet_network|vmnet_interface_start_with|vmnet_(read|write)_max|recvmsg_x|sendmsg_x)' || true)
	[ -z "$strong" ] ||
		{ echo "macos-link: $exe imports newer calls strongly: $strong" >&2; exit 1; }
	llvm-nm-14 -m "$exe" | grep -q "(undefined) weak external _vmnet_network_create" ||
		{ echo "macos-link: vmnet_network_create is not weakly imported" >&2; exit 1; }
done
# The vmnet back-end against the vmnet.h of older SDKs as well: the transcription plays each
# (-Dvmnet_sdk), hiding what it lacks (checksum offload before 12, the address-family
# forwarding calls before SDK 12, VMNET_NOT_AUTHORIZED before 14, the per-call limits before
# 15, network objects before 26). The code must compile against every one; 26 is above.
for sdk in 11 12 15; do
	build=$prefix-sdk$sdk
	macos_setup "$build" "$(macos_cross_file arm64 "$binaries" ", '-Wunguarded-availability'" \
		", '-L$stubs', '-F$stubs/Frameworks'")" -Dwerror=true -Dvmnet_sdk=$sdk
	echo "macos-link: the vmnet back-end against SDK $sdk's vmnet.h (arm64)"
	ninja -C "$build" src/backend/vmnet/libsvm_backend_vmnet.a
done
echo "macos-link: sock-vmnet builds and links for macOS (arm64, x86_64); its vmnet back-end" \
	"compiles against the vmnet.h of SDK 11, 12, 15 and 26"
