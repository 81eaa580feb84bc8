# SPDX-License-Identifier: MIT
# test_ipv6.py — IPv6 for the VM: RA and NDP answered by sock-vmnet, SLAAC, NAT66 to the wan host, DNS
"""The VM here is scapy (ipv6_vm.VM6): every frame is built and read by hand. The wan host has
2001:db8:100::2 (a documentation prefix, refused unless --allow 2001:db8:100::/64)."""
import json
import re

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import UDP
from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.layers.l2 import Ether

from conftest import BACKEND, ScapyVM, WAN_ALLOW, wait_line
from ipv6_vm import (HOST_WAN6, UDP6_ECHO, VM6, WAN6, WAN6_ALLOW, link_local, with_v6_wan)

ECHO_PORT = 7777


def vm6_on(topo, *args, mac="52:54:00:12:34:56"):
    vm = ScapyVM(topo.start_vmnet(list(args), mac=mac))
    return VM6(vm)


def test_router_advertisement_and_the_gateway(topo):
    vm6 = vm6_on(topo)
    ra = vm6.solicit()
    assert ra is not None, "no RA for the RS:\n" + vm6.net.stderr()
    # a unique local /64 (RFC 4193) from the host and the network, for SLAAC
    assert ra.prefix.startswith("fd") and ra.prefixlen == 64 and ra.autonomous
    assert ra.src == "fe80::1"
    assert ra.lifetime == 9000
    assert ra.mtu == 1500
    assert ra.dns == [ra.gateway]
    assert f"ndp ready prefix={ra.prefix}/64" in vm6.net.stderr()
    # the gateway's global and link-local addresses answer as a router, with the RA's MAC
    for target in (ra.gateway, "fe80::1"):
        vm6.send(Ether(src=vm6.mac, dst="33:33:ff:00:00:01")
                 / IPv6(src=vm6.ll, dst="ff02::1:ff00:1", hlim=255)
                 / ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=vm6.mac))
        na = vm6.recv(3, lambda p: p.haslayer(ICMPv6ND_NA) and p[ICMPv6ND_NA].tgt == target)
        assert na is not None, f"no NA for {target}"
        assert na[ICMPv6ND_NA].R == 1 and na[ICMPv6ND_NA].S == 1
        assert na[ICMPv6NDOptDstLLAddr].lladdr == ra.mac
    # the same network again: the same prefix
    vm6.net.stop()
    again = vm6_on(topo).solicit()
    assert again.prefix == ra.prefix


def test_slaac_nat66_and_dns(topo):
    with_v6_wan(topo)
    echo = topo.wan_popen(UDP6_ECHO, str(ECHO_PORT))
    wait_line(echo)
    vm6 = vm6_on(topo, *WAN6_ALLOW)
    ra = vm6.solicit()
    assert ra is not None
    assert vm6.claim(vm6.slaac), "the VM's own address was defended"
    # the gateway (the host's bridge holds it) answers ping
    assert vm6.ping6(ra.gateway), "no echo reply from the gateway:\n" + vm6.net.stderr()
    # the wan host, through NAT66: it sees the host's address
    got = vm6.udp6(WAN6, ECHO_PORT, b"hello6")
    assert got == f"echo:hello6 from {HOST_WAN6}".encode(), got
    # from the link-local address too (the guard lets it; the host does not route it)
    assert vm6.ping6("fe80::1", src=vm6.ll)
    stats = vm6.net.live_stats()
    assert stats["ndp"]["frames"] >= 2


def test_ipv6_off_is_the_old_behaviour(topo):
    vm6 = vm6_on(topo, "--ipv6=off")
    assert vm6.solicit(timeout=1) is None
    stats = vm6.net.live_stats()
    assert stats["drops"]["ipv6"] >= 1
    assert "ndp ready" not in vm6.net.stderr()
    if BACKEND == "tap":
        out = topo.host.run(["ip", "-6", "addr", "show", "dev", "svmnet0"]).stdout
        assert "fe80::1/64" not in out and " fd" not in out
        assert topo.host.run(["nft", "list", "table", "ip6", "sock_vmnet"], check=False).returncode != 0
