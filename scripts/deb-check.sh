#!/bin/sh
# SPDX-License-Identifier: MIT
# deb-check.sh — builds the Debian package from the tree, checks it with lintian, installs it and
# checks what it installed (binary, manual, unit), then removes it again
#
#   scripts/deb-check.sh [--keep]      (--keep: leave the package installed)
#
# The tree's files (tracked and new, not ignored) are copied to a scratch directory, so that
# dpkg-buildpackage's outputs (it writes the .deb beside the source) stay out of the tree and
# its parent. Needs root (dpkg -i) and debhelper, lintian (scripts/install-deps.sh).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
keep=${1:-}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
src=$scratch/sock-vmnet
mkdir -p "$src"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - ) |
		tar -xf - -C "$src"
else
	# no git here, or a tree git will not read (another owner): all but VCS and build dirs
	(cd "$root" && tar -cf - --exclude-vcs --exclude='./build*' .) | tar -xf - -C "$src"
fi
echo "deb-check: dpkg-buildpackage -us -uc -b"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$scratch/build.log" 2>&1 ||
	{ tail -n 40 "$scratch/build.log"; echo "deb-check: the package does not build" >&2; exit 1; }
deb=$(ls "$scratch"/sock-vmnet_*.deb)
echo "deb-check: lintian $(basename "$deb")"
lintian --fail-on error "$deb" | tee "$scratch/lintian.log"
dpkg-deb -c "$deb" >"$scratch/contents"
for f in ./usr/bin/sock-vmnet ./usr/share/man/man8/sock-vmnet.8.gz \
	./lib/systemd/system/sock-vmnet@.service; do
	grep -q " $f\$" "$scratch/contents" || { echo "deb-check: $f is not in the package" >&2; exit 1; }
done
echo "deb-check: dpkg -i"
dpkg -i "$deb" >/dev/null
/usr/bin/sock-vmnet --version
man -w sock-vmnet >/dev/null 2>&1 || [ -f /usr/share/man/man8/sock-vmnet.8.gz ] ||
	{ echo "deb-check: the manual is not installed" >&2; exit 1; }
grep -q "exec /usr/bin/sock-vmnet run" /lib/systemd/system/sock-vmnet@.service ||
	{ echo "deb-check: the unit does not run /usr/bin/sock-vmnet" >&2; exit 1; }
systemd-analyze verify /lib/systemd/system/sock-vmnet@.service 2>&1 |
	grep -v "is not a template\|ConditionPathExists\|Unit .* not found" || true
if [ "$keep" != --keep ]; then
	dpkg -P sock-vmnet >/dev/null
	echo "deb-check: the package built, passed lintian, installed and was removed again"
else
	echo "deb-check: the package built, passed lintian and is installed"
fi
