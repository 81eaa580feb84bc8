# SPDX-License-Identifier: MIT
# test_spoofing.py: a QEMU guest on "sock-vmnet run" tries to spoof; the guard refuses and counts it.
"""One boot (e2e_net.scenario_spoofing): a static address before asking DHCP, then the
lease, then a second address, another MAC, and a gratuitous ARP claiming a neighbour's
address. Honest traffic before and after must flow; every spoof must fail, and the
counters (SIGUSR1 while the guest runs, and at exit) name the drops.

Skips while the build has no DHCP server or its guard lets forged sources through.
Artifacts: build/e2e-artifacts/spoofing.console.log and .sock-vmnet.log.
"""

import pytest

import e2e_net as en
from e2e_fixtures import features, image  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def spoofed(image, features, tmp_path_factory):
    if not features.dhcp:
        pytest.skip(en.SKIP_NO_DHCP)
    if not features.guard:
        pytest.skip(en.SKIP_NO_GUARD)
    lab = en.Lab(tmp_path_factory.mktemp("spoofing"), "spoofing", dns=False)
    try:
        run = lab.boot(en.scenario_spoofing(), "run", image=image, timeout=120,
                       on_start=lambda log: lab.seed_neighbour(),
                       live_stats_after="arp_spoof_sent",
                       checkpoint=lambda log: lab.neighbour_mac(), name="spoofing")
    finally:
        lab.cleanup()
    assert run.result.done, f"the guest did not finish its scenario {run.where()}"
    return run


def test_honest_traffic_flows(spoofed):
    r = spoofed.r
    assert r.get("dhcp_event") == "bound", spoofed.where()
    assert r.get("honest") == "ok", spoofed.where()
    assert r.get("recovered") == "ok", f"no traffic after the MAC came back {spoofed.where()}"


def test_static_address_refused(spoofed):
    assert spoofed.r.get("spoof_static") == "fail", spoofed.where()


def test_second_address_refused(spoofed):
    assert spoofed.r.get("spoof_second_addr") == "fail", spoofed.where()


def test_other_mac_refused(spoofed):
    assert spoofed.r.get("spoof_mac_now") == en.SPOOF_MAC, "the guest could not change its MAC"
    assert spoofed.r.get("spoof_mac") == "fail", spoofed.where()


def test_neighbour_claim_refused(spoofed):
    assert spoofed.r.get("arp_spoof_sent") == "1", spoofed.where()
    # had the ARP passed, the bridge's entry would now hold the guest's MAC
    assert spoofed.checkpoint == en.NEIGHBOUR_MAC, spoofed.where()


@pytest.mark.parametrize("when", ["live", "at_exit"])
def test_counters_name_the_drops(spoofed, when):
    stats = spoofed.live_stats if when == "live" else spoofed.stats
    assert stats is not None, f"no counters {when} {spoofed.where()}"
    drops = stats["drops"]
    shown = {k: v for k, v in drops.items() if v}
    assert drops["src-mac"] > 0, shown      # the other MAC
    assert drops["ip-src"] > 0, shown       # the second address
    assert drops["arp-sender-ip"] > 0, shown  # the static address, the claimed neighbour
    assert stats["dhcp"]["frames"] > 0
