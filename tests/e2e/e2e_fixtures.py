# SPDX-License-Identifier: MIT
# e2e_fixtures.py: fixtures of the QEMU end-to-end tests: the guest image, a feature probe, the lab.
"""Fixtures shared by tests/e2e/test_*.py, which import them by name.

Not a conftest.py on purpose: tests/integration's modules do ``from conftest import ...``,
and a second conftest module in the same pytest session would shadow theirs.

``image``     the test guest (tests/guest/), built if needed; skips without QEMU/kernel.
``features``  what this build of sock-vmnet serves yet (DHCP, guard, DNS), asked once per
              session of a running instance by a scapy VM (e2e_net.probe_features).

The namespaces come from tests/integration/conftest.py (see e2e_net.py); this file does
not redefine them.
"""

import os

import pytest

import e2e_net as en
import qemu_guest as qg


def _check_host():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    if not en.SOCK_VMNET.exists():
        pytest.skip(f"{en.SOCK_VMNET} is not built")


@pytest.fixture(scope="session")
def image():
    _check_host()
    reason = qg.skip_reason()
    if reason:
        pytest.skip(reason)
    return qg.ensure_guest()


@pytest.fixture(scope="session")
def features(tmp_path_factory):
    _check_host()
    pytest.importorskip("scapy")
    return en.probe_features(tmp_path_factory.mktemp("probe"))
