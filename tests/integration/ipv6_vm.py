# SPDX-License-Identifier: MIT
# ipv6_vm.py — the IPv6 side of a scapy "VM": RS/RA, duplicate address detection, NDP answers, ping6, UDP
"""A ScapyVM (conftest) speaking IPv6 as a host does, by hand, so that tests see every frame:

    vm6 = VM6(ScapyVM(vmnet))
    ra = vm6.solicit()           # RS -> RA: the prefix, the router's MAC, MTU, RDNSS
    vm6.claim(vm6.slaac)         # duplicate address detection: True if nobody defended it
    vm6.ping6(ra.gateway)        # ping the gateway's global address

The addresses are the VM's link-local one from its MAC (modified EUI-64, RFC 4291) and, in
the advertised prefix, the same interface identifier (``slaac``)."""
import os
import time

from scapy.layers.inet import UDP
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS,
                                ICMPv6NDOptSrcLLAddr, IPv6, in6_getnsma, in6_getnsmac)
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils6 import in6_mactoifaceid
import ipaddress

WAN6 = "2001:db8:100::2"        # the wan host (documentation range: blocked unless allowed)
HOST_WAN6 = "2001:db8:100::1"   # the host's side of the veth: what NAT66 masquerades to
WAN6_ALLOW = ["--allow", "2001:db8:100::/64"]
ALL_NODES_MAC = "33:33:00:00:00:01"


def norm(addr):
    """The text form of an IPv6 address as scapy and the kernel write it (RFC 5952)."""
    return str(ipaddress.IPv6Address(addr))


def link_local(mac):
    return norm("fe80::" + in6_mactoifaceid(mac))


def solicited_node(addr):
    group = in6_getnsma(ipaddress.IPv6Address(addr).packed)
    return str(ipaddress.IPv6Address(group)), in6_getnsmac(group)


def with_v6_wan(topo):
    """IPv6 on the veth between the host and wan namespaces (no DAD: usable at once)."""
    topo.host.run(["ip", "-6", "addr", "add", HOST_WAN6 + "/64", "dev", "veth-h", "nodad"])
    topo.wan.run(["ip", "-6", "addr", "add", WAN6 + "/64", "dev", "veth-w", "nodad"])


class RA:
    """What a Router Advertisement said."""

    def __init__(self, pkt):
        self.pkt = pkt
        self.src = pkt[IPv6].src
        self.mac = pkt[Ether].src
        self.lifetime = pkt[ICMPv6ND_RA].routerlifetime
        pio = pkt[ICMPv6NDOptPrefixInfo]
        self.prefix, self.prefixlen = pio.prefix, pio.prefixlen
        self.autonomous, self.valid, self.preferred = pio.A, pio.validlifetime, pio.preferredlifetime
        self.mtu = pkt[ICMPv6NDOptMTU].mtu if pkt.haslayer(ICMPv6NDOptMTU) else None
        self.dns = list(pkt[ICMPv6NDOptRDNSS].dns) if pkt.haslayer(ICMPv6NDOptRDNSS) else []
        self.gateway = str(ipaddress.IPv6Address(self.prefix) + 1)

    def address(self, iid):
        net = ipaddress.IPv6Network(f"{self.prefix}/{self.prefixlen}")
        return str(net[int(iid, 16) if isinstance(iid, str) else iid])


class VM6:
    """IPv6 for a ScapyVM: its link-local address from its MAC, SLAAC in the prefix."""

    def __init__(self, vm):
        self.vm = vm
        self.net = vm.net
        self.mac = vm.mac
        self.ll = link_local(vm.mac)
        self.owned = {self.ll}
        self.ra = None
        self.slaac = None
        self.router_mac = None

    def send(self, frame):
        self.net.send(frame)

    def recv(self, timeout, match):
        """The next frame @match accepts; NS for our addresses are answered meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            pkt = self.net.recv(left)
            if pkt is None:
                return None
            if self.answer_ns(pkt) or self.vm.answer_arp(pkt):
                continue
            if match(pkt):
                return pkt

    def answer_ns(self, pkt):
        if not pkt.haslayer(ICMPv6ND_NS) or norm(pkt[ICMPv6ND_NS].tgt) not in self.owned:
            return False
        if pkt[IPv6].src == "::":
            return False
        tgt = pkt[ICMPv6ND_NS].tgt
        self.send(Ether(src=self.mac, dst=pkt[Ether].src)
                  / IPv6(src=tgt, dst=pkt[IPv6].src, hlim=255)
                  / ICMPv6ND_NA(tgt=tgt, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=self.mac))
        return True

    def solicit(self, timeout=3, src=None):
        """RS -> RA; learns the prefix and its SLAAC address."""
        self.send(Ether(src=self.mac, dst="33:33:00:00:00:02")
                  / IPv6(src=src or self.ll, dst="ff02::2", hlim=255)
                  / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=self.mac))
        pkt = self.recv(timeout, lambda p: p.haslayer(ICMPv6ND_RA))
        if pkt is None:
            return None
        self.ra = RA(pkt)
        self.router_mac = self.ra.mac
        self.slaac = norm(self.ra.address(in6_mactoifaceid(self.mac).replace(":", "")))
        return self.ra

    def claim(self, addr, wait=1.0):
        """Duplicate address detection for @addr: True if nobody said it is theirs."""
        group, group_mac = solicited_node(addr)
        self.send(Ether(src=self.mac, dst=group_mac) / IPv6(src="::", dst=group, hlim=255)
                  / ICMPv6ND_NS(tgt=addr))
        na = self.recv(wait, lambda p: p.haslayer(ICMPv6ND_NA) and p[ICMPv6ND_NA].tgt == addr)
        if na is None:
            self.owned.add(norm(addr))
            return True
        return False

    def frame(self, src, dst, payload):
        """An IPv6 frame to @dst through the router."""
        return Ether(src=self.mac, dst=self.router_mac) / IPv6(src=src, dst=dst) / payload

    def ping6(self, dst, src=None, timeout=3, seq=1):
        ident = 0x5356
        self.send(self.frame(src or self.slaac, dst, ICMPv6EchoRequest(id=ident, seq=seq,
                                                                       data=b"sock-vmnet")))
        reply = self.recv(timeout, lambda p: p.haslayer(ICMPv6EchoReply) and
                          p[ICMPv6EchoReply].id == ident and p[ICMPv6EchoReply].seq == seq)
        return reply is not None

    def udp6(self, dst, dport, payload, src=None, timeout=3):
        """A datagram to @dst: the answer's payload, or None."""
        sport = 40000 + int.from_bytes(os.urandom(2), "big") % 20000
        self.send(self.frame(src or self.slaac, dst, UDP(sport=sport, dport=dport) / Raw(payload)))
        reply = self.recv(timeout, lambda p: p.haslayer(UDP) and p.haslayer(IPv6) and
                          p[UDP].dport == sport)
        return bytes(reply[UDP].payload) if reply is not None else None


# A UDP echo server on IPv6 for the wan namespace.
UDP6_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, addr = s.recvfrom(65535)
    s.sendto(b"echo:" + data + b" from " + addr[0].encode(), addr)
"""
