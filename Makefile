# SPDX-License-Identifier: MIT
# Makefile — thin wrapper over Meson: build, check, demo, bench
BUILD ?= build
PYTEST = /usr/bin/python3 -m pytest

.PHONY: all deps check unit integration e2e fuzz clang macos demo bench clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# On a fresh machine Meson itself may be missing: the build's packages come first.
$(BUILD)/build.ninja:
	@command -v meson >/dev/null && command -v ninja >/dev/null || scripts/install-deps.sh build
	meson setup $(BUILD) -Dwerror=true

deps:
	scripts/install-deps.sh

# Every test: warnings-clean with gcc and clang, the portable folders compiled for macOS,
# unit (cmocka), integration (pytest + scapy in namespaces), end to end (a QEMU guest) and a
# short fuzz run.
check: deps all clang macos unit integration e2e fuzz

unit: all
	meson test -C $(BUILD) --suite unit --print-errorlogs -v

integration: all
	$(PYTEST) -v -p no:cacheprovider tests/integration

e2e: all
	$(PYTEST) -v -p no:cacheprovider tests/e2e

clang:
	@[ -f $(BUILD)-clang/build.ninja ] || CC=clang meson setup $(BUILD)-clang -Dwerror=true
	ninja -C $(BUILD)-clang

# The OS seam, proven: src/{proto,guard,core,leases,responder,transport,backend,app} for macOS.
macos:
	scripts/macos-check.sh $(BUILD)-macos

fuzz:
	@if [ -x tests/fuzz/run.sh ]; then tests/fuzz/run.sh 36; fi

# The main job: a QEMU guest gets an address from sock-vmnet and reaches a test host.
demo: deps all
	/usr/bin/python3 tests/e2e/demo.py

bench: deps all
	bench/run.sh

clean:
	rm -rf $(BUILD) $(BUILD)-clang $(BUILD)-macos-arm64 $(BUILD)-macos-x86_64 build-fuzz
