# SPDX-License-Identifier: MIT
# test_transports.py: a QEMU guest on sock-vmnet over each VM transport: address, gateway, DNS, NAT, bulk TCP.
"""One boot per transport, then one test per thing the guest did on it:

- ``run``:       sock-vmnet run -- qemu ... -netdev dgram,local.type=fd,local.str=3
- ``stream-fd``: sock-vmnet --fd=N of a SOCK_STREAM socketpair; QEMU -netdev stream on the other end
- ``listen``:    sock-vmnet --listen=PATH; QEMU -netdev stream connects to it
- ``socket``:    sock-vmnet --socket=PATH (vfkit-style unixgram); QEMU -netdev dgram unix

The guest gets its address by DHCP (busybox udhcpc) when the server answers, else a static
one (only allowed while the guard does not insist on a lease). Parts whose sock-vmnet
feature is not there yet skip, saying which.

Artifacts: build/e2e-artifacts/transport-<t>.console.log and .sock-vmnet.log.
"""

import hashlib
import ipaddress

import pytest

import e2e_net as en
from e2e_fixtures import features, image  # noqa: F401 (fixtures)

BLOB_SHA256 = hashlib.sha256(en.blob_bytes()).hexdigest()


@pytest.fixture(scope="module", params=en.TRANSPORTS)
def booted(request, image, features, tmp_path_factory):
    """The guest's connectivity scenario, run once on one transport."""
    if features.guard and not features.dhcp:
        pytest.skip(en.SKIP_NO_ADDRESS)
    transport = request.param
    lab = en.Lab(tmp_path_factory.mktemp(transport), f"transport-{transport}")
    try:
        run = lab.boot(en.scenario_connectivity(features.dhcp), transport, image=image,
                       timeout=120, live_stats_after="ping_gw",
                       name=f"transport-{transport}")
        run.wan_log = lab.wan_log.read_text()
    finally:
        lab.cleanup()
    assert run.result.done, f"the guest did not finish its scenario {run.where()}"
    return run


def test_address(booted, features):
    r = booted.r
    if not features.dhcp:
        assert r.get("static") == en.STATIC_CIDR, booted.where()
        pytest.skip(en.SKIP_NO_DHCP + "; the guest used a static address")
    assert r.get("dhcp_event") == "bound", booted.where()
    lease = ipaddress.ip_interface(r["lease"])
    assert lease.network == ipaddress.ip_network("192.168.64.0/24"), r["lease"]
    assert str(lease.ip) != en.GATEWAY
    assert r["lease_router"] == en.GATEWAY
    assert r["lease_dns"] == en.GATEWAY
    assert r["addr"] == r["lease"]


def test_ping_gateway(booted):
    assert booted.r.get("ping_gw") == "ok", booted.where()


def test_dns_through_gateway(booted, features):
    if not features.dns:
        pytest.skip(en.SKIP_NO_DNS)
    assert booted.r.get("dns") == en.DNS_ANSWER, booted.where()


def test_http_through_nat(booted):
    assert booted.r.get("web_status") == "HTTP/1.0 200 OK", booted.where()
    # the wan host saw the host's address, not the VM's: masqueraded
    assert f"hello from the wan host: /index.html for {en.HOST_WAN_IP}" in \
        booted.result.console, booted.where()
    assert f"page /index.html for {en.HOST_WAN_IP}" in booted.wan_log


def test_download_arrives_intact(booted):
    r = booted.r
    assert r.get("down_size") == str(en.BLOB_SIZE), booted.where()
    assert r.get("down_sha") == BLOB_SHA256, booted.where()


def test_upload_arrives_intact(booted):
    r = booted.r
    assert r.get("up_reply") == f"{en.UPLOAD_SIZE} {r.get('up_sha')}", booted.where()


def test_counters(booted):
    live, final = booted.live_stats, booted.stats
    assert live is not None, f"no counters after SIGUSR1 {booted.where()}"
    assert live["vm_to_host"]["frames"] > 0 and live["host_to_vm"]["frames"] > 0
    assert final is not None, f"no counters at exit {booted.where()}"
    assert final["host_to_vm"]["bytes"] >= en.BLOB_SIZE
    assert final["vm_to_host"]["bytes"] >= en.UPLOAD_SIZE
    assert final["vm_to_host"]["frames"] >= live["vm_to_host"]["frames"]
    assert booted.vmnet_rc == 0, booted.vmnet_log.text()
