# SPDX-License-Identifier: MIT
# Makefile — thin wrapper over Meson: build, check, demo, bench
BUILD ?= build
PYTEST = /usr/bin/python3 -m pytest

.PHONY: all deps check floors unit integration e2e fuzz clang macos demo bench clean
.PHONY: install contrib deb soak
.PHONY: macos-link macos-sign vmnet-sim vmnet-sim-tsan

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# On a fresh machine Meson itself may be missing: the build's packages come first.
$(BUILD)/build.ninja:
	@command -v meson >/dev/null && command -v ninja >/dev/null || scripts/install-deps.sh build
	meson setup $(BUILD) -Dwerror=true

deps:
	scripts/install-deps.sh

# Every test: every #include pointing down a floor, warnings-clean with gcc and clang, the
# portable folders compiled for macOS, unit (cmocka), integration (pytest + scapy in
# namespaces), end to end (a QEMU guest) and a short fuzz run.
check: deps floors all clang macos macos-link unit integration vmnet-sim vmnet-sim-tsan e2e fuzz \
	contrib soak-short deb

# The floors of the source (scripts/floors.py, pictured in docs/architecture.md)
floors:
	/usr/bin/python3 scripts/floors.py

unit: all
	meson test -C $(BUILD) --suite unit --print-errorlogs -v

integration: all
	$(PYTEST) -v -p no:cacheprovider tests/integration

e2e: all
	$(PYTEST) -v -p no:cacheprovider tests/e2e

# The binary, sock-vmnet(8) and (Linux) the template unit, under $(DESTDIR)$(PREFIX).
PREFIX ?= /usr/local
install: all
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD) --destdir "$(DESTDIR)"

# contrib/ checked for syntax: the Homebrew formula (ruby -c), the launchd plist (XML and a
# property list), the sudoers line (visudo -c) and its launcher (sh -n), the unit (systemd)
contrib: all
	ruby -c contrib/homebrew/sock-vmnet.rb
	xmllint --noout contrib/launchd/*.plist
	/usr/bin/python3 -c 'import plistlib, sys; [plistlib.load(open(p, "rb")) for p in sys.argv[1:]]' \
		contrib/launchd/*.plist
	visudo -cf contrib/sudoers/sock-vmnet
	sh -n contrib/sudoers/sock-vmnet-launch
	# (the binary it names is not installed here: only that complaint is let pass)
	systemd-analyze verify --man=no $(BUILD)/sock-vmnet@.service 2>&1 | \
		{ ! grep -v "is not executable: No such file" ; }

# The Debian package: built from the tree, lintian, installed and checked, removed again.
deb:
	scripts/deb-check.sh

# The soak of issue 23's three scale cases (tests/soak/soak.py): `make soak` runs them as
# the issue asks (about an hour and a half), `make soak-short` a few minutes of each.
soak: all
	/usr/bin/python3 tests/soak/soak.py --full
soak-short: all
	/usr/bin/python3 tests/soak/soak.py --short

clang:
	@[ -f $(BUILD)-clang/build.ninja ] || CC=clang meson setup $(BUILD)-clang -Dwerror=true
	ninja -C $(BUILD)-clang

# The OS seam, proven: src/{proto,guard,core,leases,responder,transport,backend,app} for macOS.
macos:
	scripts/macos-check.sh $(BUILD)-macos

# The whole program for macOS, arm64 and x86_64: compiled with -Wunguarded-availability and
# linked into Mach-O executables (scripts/macos-link.sh); nothing runs.
macos-link:
	scripts/macos-link.sh $(BUILD)-macos-link

# On a Mac: sign build/sock-vmnet (ad hoc, with macos/sock-vmnet.entitlements by default).
IDENTITY ?= -
ENTITLEMENTS ?= macos/sock-vmnet.entitlements
macos-sign: all
	codesign --force --sign "$(IDENTITY)" --entitlements $(ENTITLEMENTS) \
		$(BUILD)/sock-vmnet
	codesign --display --entitlements - $(BUILD)/sock-vmnet

# The vmnet back-end on Linux, over the simulated vmnet.framework (sim/vmnet; clang, Blocks):
# the integration suite through it, then once more under ThreadSanitizer.
SIM = $(BUILD)-sim
SIM_PYTEST = SVM_BACKEND=vmnet $(PYTEST) -v -p no:cacheprovider tests/integration
vmnet-sim:
	@[ -f $(SIM)/build.ninja ] || CC=clang meson setup $(SIM) -Dvmnet_sim=true -Dwerror=true
	ninja -C $(SIM)
	meson test -C $(SIM) --suite unit --print-errorlogs
	SOCK_VMNET=$(SIM)/sock-vmnet $(SIM_PYTEST)

vmnet-sim-tsan:
	@[ -f $(SIM)-tsan/build.ninja ] || CC=clang meson setup $(SIM)-tsan -Dvmnet_sim=true \
		-Db_sanitize=thread -Dwerror=true
	ninja -C $(SIM)-tsan sock-vmnet
	SOCK_VMNET=$(SIM)-tsan/sock-vmnet SVM_SANITIZER=thread TSAN_OPTIONS=halt_on_error=1 $(SIM_PYTEST)

fuzz:
	@if [ -x tests/fuzz/run.sh ]; then tests/fuzz/run.sh 36; fi

# The main job: a QEMU guest gets an address from sock-vmnet and reaches a test host.
demo: deps all
	/usr/bin/python3 tests/e2e/demo.py

bench: deps all
	bench/run.sh

clean:
	rm -rf $(BUILD) $(BUILD)-clang $(BUILD)-macos-arm64 $(BUILD)-macos-x86_64 build-fuzz
	rm -rf $(BUILD)-macos-link-arm64 $(BUILD)-macos-link-x86_64 $(SIM) $(SIM)-tsan
