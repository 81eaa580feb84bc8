#!/bin/sh
# SPDX-License-Identifier: MIT
# build-guest.sh: build the tiny e2e test guest (kernel copy + busybox initramfs) from Debian packages.
#
# Usage: tests/guest/build-guest.sh OUTDIR
#
# Produces OUTDIR/vmlinuz and OUTDIR/initramfs.cpio.gz (plus OUTDIR/.stamp).
# Inputs: the installed Debian kernel (linux-image-amd64), busybox-static and
# tests/guest/init.  Rebuilds only when an input changed.  Missing Debian
# packages are installed with apt-get (needs root).
#
# Environment:
#   SVM_GUEST_KVER   kernel version to use (default: newest /boot/vmlinuz-*)
#   SVM_GUEST_FORCE  set to 1 to rebuild even when up to date
set -eu

die() { echo "build-guest: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
OUTDIR=$1
HERE=$(cd "$(dirname "$0")" && pwd)
INIT_SRC=$HERE/init
[ -f "$INIT_SRC" ] || die "missing $INIT_SRC"

# Modules loaded by /init, in load order (the Debian kernel's virtio-net is
# modular).  qemu_fw_cfg gives /sys/firmware/qemu_fw_cfg, used for scenarios.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net qemu_fw_cfg"

# --- make sure the Debian packages we build from are installed -------------
APT_UPDATED=0
apt_install() {
    [ "$(id -u)" -eq 0 ] || die "need Debian package(s) '$*' but not root; install them first"
    command -v apt-get >/dev/null 2>&1 || die "need Debian package(s) '$*' and apt-get is missing"
    echo "build-guest: installing $*" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2; then
        [ $APT_UPDATED -eq 1 ] && die "apt-get install $* failed"
        APT_UPDATED=1
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 \
            || die "apt-get install $* failed"
    fi
}

command -v cpio >/dev/null 2>&1 || apt_install cpio
command -v gzip >/dev/null 2>&1 || apt_install gzip
BUSYBOX=/bin/busybox
# Debian's plain "busybox" package also installs /bin/busybox, but dynamically
# linked: insist on busybox-static.
if ! [ -x $BUSYBOX ] || ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
    apt_install busybox-static
fi
[ -x $BUSYBOX ] || die "busybox-static did not provide $BUSYBOX"

newest_kver() {
    ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1
}
KVER=${SVM_GUEST_KVER:-$(newest_kver)}
if [ -z "$KVER" ]; then
    apt_install linux-image-amd64
    KVER=$(newest_kver)
fi
KERNEL=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
[ -r "$KERNEL" ] || die "kernel $KERNEL missing or unreadable"
[ -d "$MODDIR" ] || die "modules dir $MODDIR missing"

# Locate each module file; Debian 12 ships them uncompressed (.ko) but other
# kernels use .ko.xz / .ko.zst, which we decompress at build time.
find_module() {
    f=$(find "$MODDIR/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" -o -name "$1.ko.gz" \) 2>/dev/null | head -n 1)
    [ -n "$f" ] || die "kernel module $1 not found under $MODDIR"
    echo "$f"
}
MODFILES=""
for m in $MODULES; do
    MODFILES="$MODFILES $(find_module "$m")"
done

# --- up-to-date check -------------------------------------------------------
STAMP_NEW=$( {
    echo "kver=$KVER modules=$MODULES"
    sha256sum "$0" "$INIT_SRC" "$KERNEL" "$BUSYBOX" $MODFILES
} | sha256sum | cut -d' ' -f1)
STAMP=$OUTDIR/.stamp
if [ "${SVM_GUEST_FORCE:-0}" != 1 ] && [ -f "$STAMP" ] && [ -f "$OUTDIR/vmlinuz" ] \
   && [ -f "$OUTDIR/initramfs.cpio.gz" ] && [ "$(cat "$STAMP")" = "$STAMP_NEW" ]; then
    echo "build-guest: $OUTDIR up to date"
    exit 0
fi

# --- build the initramfs tree -----------------------------------------------
mkdir -p "$OUTDIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/svm-guest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
ROOT=$WORK/root
mkdir -p "$ROOT"
for d in bin sbin usr/bin usr/sbin usr/share/udhcpc etc lib/modules proc sys dev run tmp root var/run; do
    mkdir -p "$ROOT/$d"
done
cp "$BUSYBOX" "$ROOT/bin/busybox"
chmod 0755 "$ROOT/bin/busybox"
# Applet symlinks: --list-full prints paths like "sbin/ifconfig".
"$BUSYBOX" --list-full | while read -r p; do
    case "$p" in bin/busybox|"") continue ;; esac
    mkdir -p "$ROOT/$(dirname "$p")"
    ln -sf /bin/busybox "$ROOT/$p"
done

for f in $MODFILES; do
    name=$(basename "$f")
    case "$name" in
        *.ko)     cp "$f" "$ROOT/lib/modules/$name" ;;
        *.ko.xz)  command -v xz >/dev/null 2>&1 || apt_install xz-utils
                  xz -dc "$f" > "$ROOT/lib/modules/${name%.xz}" ;;
        *.ko.zst) command -v zstd >/dev/null 2>&1 || apt_install zstd
                  zstd -qdc "$f" > "$ROOT/lib/modules/${name%.zst}" ;;
        *.ko.gz)  gzip -dc "$f" > "$ROOT/lib/modules/${name%.gz}" ;;
    esac
done
echo "$MODULES" > "$ROOT/lib/modules/load-order"

cp "$INIT_SRC" "$ROOT/init"
chmod 0755 "$ROOT/init"
# The udhcpc hook script lives in /init (one file to maintain); /init acts as
# the hook when called under this name.  Debian's busybox looks for
# /etc/udhcpc/default.script (upstream: /usr/share/udhcpc/default.script).
mkdir -p "$ROOT/etc/udhcpc"
ln -sf /init "$ROOT/etc/udhcpc/default.script"
ln -sf /init "$ROOT/usr/share/udhcpc/default.script"

cat > "$ROOT/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
PW
echo "root:x:0:" > "$ROOT/etc/group"
echo "svm-guest" > "$ROOT/etc/hostname"
: > "$ROOT/etc/resolv.conf"

# Deterministic archive: fixed mtimes, sorted names, no gzip timestamp.
find "$ROOT" -exec touch -h -d @0 {} + 2>/dev/null || true
( cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet ) \
    | gzip -n -6 > "$WORK/initramfs.cpio.gz"

cp "$KERNEL" "$WORK/vmlinuz"
mv -f "$WORK/vmlinuz" "$OUTDIR/vmlinuz"
mv -f "$WORK/initramfs.cpio.gz" "$OUTDIR/initramfs.cpio.gz"
echo "$KVER" > "$OUTDIR/kernel-version"
echo "$STAMP_NEW" > "$STAMP"
echo "build-guest: built $OUTDIR (kernel $KVER, initramfs $(wc -c < "$OUTDIR/initramfs.cpio.gz") bytes)"
