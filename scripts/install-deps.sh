#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install-deps.sh — installs the Debian packages sock-vmnet needs: to build, or to build and test
#
#   scripts/install-deps.sh          everything `make check` and `make demo` use
#   scripts/install-deps.sh build    only what `make` needs
set -euo pipefail

# build: compilers (clang's runtime for the libFuzzer targets), Meson, the libraries it links
# (libslirp's pkg-config file names glib-2.0: its headers must be there to resolve it;
# libpcap for the captures), scdoc for the manual page
BUILD=(gcc clang libclang-rt-14-dev meson ninja-build pkg-config libmnl-dev libnftables-dev
       libsqlite3-dev libjson-c-dev libcmocka-dev libslirp-dev libglib2.0-dev libpcap-dev scdoc)
# the macOS cross-compile of the portable folders (scripts/macos-check.sh): an archiver and
# Mach-O linker for clang, and what fetches and checks zig's macOS headers from npm
MACOS=(llvm-14 lld-14 curl ca-certificates openssl)
# the vmnet simulation (sim/vmnet, make vmnet-sim): the Blocks runtime for clang -fblocks
SIM=(libblocksruntime-dev)
# tests: namespaces and captures, real DHCP clients and a DNS server, scapy and pytest,
# setpriv (util-linux) for the unprivileged runs, promtool (prometheus) for the metrics.
# dhcpcd (the IPv6 client of test_ipv6.py) as dhcpcd-base, its binaries: dhcpcd5, a
# transitional package, pulls in "dhcpcd", whose systemd unit would start managing every
# interface of the machine
TEST=(iproute2 nftables tcpdump iputils-ping python3-pytest python3-scapy udhcpc isc-dhcp-client
      dhcpcd-base dnsmasq sqlite3 procps bc util-linux prometheus)
# contrib/ and the package (make contrib, make deb): the formula's, the plist's, the sudoers
# line's and the unit's checkers; the Debian package's tools; git (deb-check copies the tracked tree)
PACKAGING=(ruby libxml2-utils sudo systemd debhelper dpkg-dev build-essential lintian man-db git)
# the end-to-end guest: QEMU, a Debian kernel and busybox for its initramfs
GUEST=(qemu-system-x86 linux-image-amd64 busybox-static cpio)

case "${1:-all}" in
build) wanted=("${BUILD[@]}") ;;
all) wanted=("${BUILD[@]}" "${MACOS[@]}" "${SIM[@]}" "${TEST[@]}" "${PACKAGING[@]}" "${GUEST[@]}") ;;
*) echo "usage: install-deps.sh [build]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install packages (or install them: ${missing[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
