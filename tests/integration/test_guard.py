# SPDX-License-Identifier: MIT
# test_guard.py — the guard end to end: attacks from a scapy VM (and from the bridge) never get through
"""Every attack frame carries a marker in its bytes. A capture on the VM's TAP (VM → host)
or the VM's own socket (host → VM) records everything that gets through; the tests assert
that no attack marker is in it, that a legitimate frame sent in the same run is, and that
each attack was counted under its drop reason."""
import os
import subprocess
import time
from pathlib import Path

import pytest
from scapy.layers.inet import (ICMP, IP, TCP, UDP, IPOption_LSRR, IPOption_RR, IPOption_SSRR,
                               IPOption_Timestamp)
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.packet import Raw

from conftest import GATEWAY, PYTHON, WAN_ALLOW, WAN_IP, UDP_ECHO, wait_line

OTHER_MAC = "52:54:00:66:66:66"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"
MDNS_MAC = "01:00:5e:00:00:fb"
NEIGHBOUR = "192.168.64.77"
SUBNET_BCAST = "192.168.64.255"
ECHO_PORT = 7777
SETTLE_S = 5  # the longest any wait here lasts

# Records what arrives on an interface from outside (not what the kernel sends out of it),
# one hex line per frame, until killed or SECONDS pass.
CAPTURE = """
import socket, sys, time
iface, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((iface, 0))
s.settimeout(0.1)
print("ready", flush=True)
deadline = time.monotonic() + seconds
with open(out, "w") as f:
    while time.monotonic() < deadline:
        try:
            data, addr = s.recvfrom(70000)
        except socket.timeout:
            continue
        if addr[2] != socket.PACKET_OUTGOING:
            f.write(data.hex() + "\\n")
            f.flush()
"""

# Sends the hex frames on stdin, one a line, out of an interface.
SEND_RAW = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for line in sys.stdin:
    if line.strip():
        s.send(bytes.fromhex(line.strip()))
"""


def marker(name, token):
    return f"ATTACK-{name}-{token}".encode()


def lease_or_skip(vm):
    if vm.dhcp(timeout=5) is None:
        pytest.skip("no DHCP answer within 5 s: the in-process DHCP server does not lease yet")
    assert vm.arp_gateway(), "no ARP reply from the gateway"


class Capture:
    """A capture on the VM's TAP in the host namespace."""

    def __init__(self, topo, iface):
        self.path = Path(topo.tmp) / f"capture-{iface}.hex"
        self.proc = topo.host.popen([PYTHON, "-c", CAPTURE, iface, self.path, 30],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        topo.procs.append(self.proc)  # killed at cleanup even if the test fails
        wait_line(self.proc)

    def frames(self):
        text = self.path.read_text() if self.path.exists() else ""
        return [bytes.fromhex(line) for line in text.splitlines() if line]

    def wait_for(self, needle, timeout=SETTLE_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in f for f in self.frames()):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        return self.frames()


def vm_attacks(vm, token):
    """(name, drop reason, frame) for each attack a VM with a lease can make."""
    gw_mac, me, ip = vm.gateway_mac, vm.mac, vm.ip

    def m(name):
        return Raw(marker(name, token))

    def to_wan(name, **ip_fields):
        fields = dict(src=ip, dst=WAN_IP)
        fields.update(ip_fields)
        return Ether(src=me, dst=gw_mac) / IP(**fields) / UDP(sport=40000, dport=ECHO_PORT) / m(name)

    malformed = bytearray(bytes(to_wan("ip-malformed")))
    malformed[16:18] = (len(malformed) - 14 + 100).to_bytes(2, "big")  # total length past the end

    return [
        ("src-mac", "src-mac", Ether(src=OTHER_MAC, dst=gw_mac) / IP(src=ip, dst=WAN_IP)
         / UDP(sport=40000, dport=ECHO_PORT) / m("src-mac")),
        ("vlan", "vlan", Ether(src=me, dst=gw_mac) / Dot1Q(vlan=5) / IP(src=ip, dst=WAN_IP)
         / UDP(sport=40000, dport=ECHO_PORT) / m("vlan")),
        ("qinq", "vlan", Ether(src=me, dst=gw_mac) / Dot1AD(vlan=5) / Dot1Q(vlan=6)
         / IP(src=ip, dst=WAN_IP) / UDP(sport=40000, dport=ECHO_PORT) / m("qinq")),
        # IPv6 is served (test_ipv6.py has its attacks): a spoofed source is refused here too
        ("ipv6", "ip6-src", Ether(src=me, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1")
         / UDP(sport=1, dport=2) / m("ipv6")),
        ("ethertype", "ethertype", Ether(src=me, dst=gw_mac, type=0x88b5) / m("ethertype")),
        # an ARP request that would pass but for its length (an IPv4 frame that long arrives
        # truncated and counts as ip-malformed, since frame_parse() sees it first)
        ("oversize", "oversize", Ether(src=me, dst=BCAST_MAC)
         / ARP(op=1, hwsrc=me, psrc=ip, pdst=GATEWAY) / m("oversize") / Raw(b"x" * 1600)),
        ("ip-malformed", "ip-malformed", Raw(bytes(malformed))),
        ("garp-neighbour", "arp-sender-ip", Ether(src=me, dst=BCAST_MAC)
         / ARP(op=1, hwsrc=me, psrc=NEIGHBOUR, pdst=NEIGHBOUR) / m("garp-neighbour")),
        ("arp-poison-gw", "arp-sender-ip", Ether(src=me, dst=BCAST_MAC)
         / ARP(op=2, hwsrc=me, psrc=GATEWAY, pdst=GATEWAY) / m("arp-poison-gw")),
        ("arp-sender-mac", "arp-sender-mac", Ether(src=me, dst=BCAST_MAC)
         / ARP(op=1, hwsrc=OTHER_MAC, psrc=ip, pdst=GATEWAY) / m("arp-sender-mac")),
        ("arp-probe-gw", "arp-target", Ether(src=me, dst=BCAST_MAC)
         / ARP(op=1, hwsrc=me, psrc="0.0.0.0", pdst=GATEWAY) / m("arp-probe-gw")),
        ("arp-scan", "arp-target", Ether(src=me, dst=BCAST_MAC)
         / ARP(op=1, hwsrc=me, psrc=ip, pdst=NEIGHBOUR) / m("arp-scan")),
        ("arp-op", "arp-op", Ether(src=me, dst=BCAST_MAC)
         / ARP(op=3, hwsrc=me, psrc=ip, pdst=GATEWAY) / m("arp-op")),
        ("spoof-neighbour", "ip-src", to_wan("spoof-neighbour", src=NEIGHBOUR)),
        ("spoof-gateway", "ip-src", to_wan("spoof-gateway", src=GATEWAY)),
        ("rogue-dhcp", "rogue-dhcp", Ether(src=me, dst=BCAST_MAC)
         / IP(src=ip, dst="255.255.255.255") / UDP(sport=67, dport=68) / m("rogue-dhcp")),
        ("icmp-redirect", "icmp-redirect", Ether(src=me, dst=gw_mac) / IP(src=ip, dst=GATEWAY)
         / ICMP(type=5, code=1, gw=ip) / m("icmp-redirect")),
        ("lsrr", "ip-source-route", to_wan("lsrr", options=[IPOption_LSRR(routers=[GATEWAY])])),
        ("ssrr", "ip-source-route", to_wan("ssrr", options=[IPOption_SSRR(routers=[GATEWAY])])),
        ("record-route", "ip-options", to_wan("record-route",
                                              options=[IPOption_RR(routers=["0.0.0.0"])])),
        ("timestamp", "ip-options", to_wan("timestamp",
                                           options=[IPOption_Timestamp(flg=0, timestamp=0)])),
        ("private", "policy-block", to_wan("private", dst="10.0.0.1")),
        ("loopback", "policy-block", to_wan("loopback", dst="127.0.0.1")),
        ("test-net-2", "policy-block", to_wan("test-net-2", dst="198.51.100.1")),
        ("neighbour", "policy-block", to_wan("neighbour", dst=NEIGHBOUR)),
        ("mdns", "multicast", Ether(src=me, dst=MDNS_MAC) / IP(src=ip, dst="224.0.0.251")
         / UDP(sport=5353, dport=5353) / m("mdns")),
        ("broadcast", "multicast", Ether(src=me, dst=BCAST_MAC) / IP(src=ip, dst="255.255.255.255")
         / UDP(sport=137, dport=137) / m("broadcast")),
        ("subnet-broadcast", "multicast", Ether(src=me, dst=BCAST_MAC)
         / IP(src=ip, dst=SUBNET_BCAST) / UDP(sport=138, dport=138) / m("subnet-broadcast")),
        ("flooded-unicast", "multicast", Ether(src=me, dst=BCAST_MAC) / IP(src=ip, dst=WAN_IP)
         / UDP(sport=40000, dport=ECHO_PORT) / m("flooded-unicast")),
    ]


def expected_counts(attacks):
    counts = {}
    for _, reason, _ in attacks:
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def assert_counted(stats, counts):
    short = {r: (stats["drops"].get(r), n) for r, n in counts.items()
             if (stats["drops"].get(r) or 0) < n}
    assert not short, f"drops counted (got, want at least): {short}"



def send_attacks_then_legit(vm, capture, attacks, token, sent_before=()):
    """Send @attacks, then a legitimate datagram to the echo server; assert that no attack
    marker reached the TAP and that the legitimate one did and was answered. Frames leave
    sock-vmnet in the order they came: once the legitimate one is on the TAP, every attack
    sent before it has been judged. @sent_before: attacks already sent, checked too."""
    for _, _, frame in attacks:
        vm.net.send(frame)
    legit = f"LEGIT-{token}".encode()
    reply = vm.exchange(vm.ip_frame(WAN_IP, UDP(sport=40000, dport=ECHO_PORT) / Raw(legit)),
                        lambda p: legit in bytes(p), timeout=SETTLE_S)
    seen_legit = capture.wait_for(legit)
    frames = capture.stop()
    leaked = [name for name, _, _ in list(sent_before) + attacks
              if any(marker(name, token) in f for f in frames)]
    assert not leaked, f"attack frames reached the bridge: {leaked}"
    assert seen_legit, "the legitimate frame never reached the bridge"
    assert reply is not None, "no echo from the wan host"

def test_vm_attacks_never_reach_the_bridge(topo, vm_on):
    token = os.urandom(4).hex()
    vm = vm_on(*WAN_ALLOW)
    # before a lease, nothing but DHCP gets out
    no_lease = [("no-lease-zero", "no-lease", Ether(src=vm.mac, dst=BCAST_MAC)
                 / IP(src="0.0.0.0", dst=WAN_IP) / UDP(sport=1, dport=ECHO_PORT)
                 / Raw(marker("no-lease-zero", token))),
                ("no-lease-static", "no-lease", Ether(src=vm.mac, dst=BCAST_MAC)
                 / IP(src="192.168.64.50", dst=WAN_IP) / UDP(sport=1, dport=ECHO_PORT)
                 / Raw(marker("no-lease-static", token)))]
    capture = Capture(topo, vm.net.tap_name())
    for _, _, frame in no_lease:
        vm.net.send(frame)
    lease_or_skip(vm)
    echo = topo.wan_popen(UDP_ECHO, str(ECHO_PORT))
    wait_line(echo)

    attacks = vm_attacks(vm, token)
    send_attacks_then_legit(vm, capture, attacks, token, sent_before=no_lease)
    assert_counted(vm.net.live_stats(), expected_counts(no_lease + attacks))


def test_fragments_cannot_get_round_a_port_rule(topo, vm_on):
    token = os.urandom(4).hex()
    vm = vm_on("--allow", f"udp:203.0.113.0/24:{ECHO_PORT}")
    lease_or_skip(vm)
    capture = Capture(topo, vm.net.tap_name())
    echo = topo.wan_popen(UDP_ECHO, str(ECHO_PORT))
    wait_line(echo)

    def frag(name, offset, more, payload, ident):
        return (Ether(src=vm.mac, dst=vm.gateway_mac)
                / IP(src=vm.ip, dst=WAN_IP, proto=17, id=ident, frag=offset,
                     flags="MF" if more else 0) / Raw(payload))

    attacks = [
        ("other-port", "policy-block", vm.ip_frame(WAN_IP, UDP(sport=40000, dport=9999)
                                                   / Raw(marker("other-port", token)))),
        ("tcp-same-port", "policy-block", vm.ip_frame(WAN_IP, TCP(sport=40000, dport=ECHO_PORT)
                                                      / Raw(marker("tcp-same-port", token)))),
        # the tail of a datagram whose head (to port 9999) was refused: it has no ports
        ("orphan-tail", "fragment", frag("orphan-tail", 4, False,
                                         marker("orphan-tail", token) + b"." * 16, 0x5151)),
        # a first fragment too short to hold the UDP ports ...
        ("tiny-head", "runt", frag("tiny-head", 0, True, b"\x9c\x40\x27", 0x5252)),
        # ... and the rest, with the ports and the marker, claimed at offset 0 + 8 bytes
        ("tiny-tail", "fragment", frag("tiny-tail", 1, False,
                                       marker("tiny-tail", token) + b"." * 16, 0x5252)),
    ]
    send_attacks_then_legit(vm, capture, attacks, token)
    assert_counted(vm.net.live_stats(), expected_counts(attacks))


def test_host_side_frames_not_for_the_vm_never_reach_it(topo, vm_on):
    token = os.urandom(4).hex()
    vm = vm_on()
    lease_or_skip(vm)
    bridge = "svmnet0"
    bridge_mac = topo.host.run(["cat", f"/sys/class/net/{bridge}/address"]).stdout.strip()
    me, ip = vm.mac, vm.ip

    def m(name):
        return Raw(marker(name, token))

    def from_bridge(dst_mac=me, **ip_fields):
        fields = dict(src=GATEWAY, dst=ip)
        fields.update(ip_fields)
        return Ether(src=bridge_mac, dst=dst_mac) / IP(**fields)

    attacks = [
        ("rogue-offer", "host-dhcp", from_bridge(BCAST_MAC, src="192.168.64.99", dst="255.255.255.255")
         / UDP(sport=67, dport=68) / m("rogue-offer")),
        ("rogue-ack", "host-dhcp", from_bridge(src="192.168.64.99") / UDP(sport=67, dport=68)
         / m("rogue-ack")),
        ("arp-other", "host-arp", Ether(src=bridge_mac, dst=BCAST_MAC)
         / ARP(op=1, hwsrc=bridge_mac, psrc=GATEWAY, pdst=NEIGHBOUR) / m("arp-other")),
        ("garp-other", "host-arp", Ether(src=OTHER_MAC, dst=BCAST_MAC)
         / ARP(op=2, hwsrc=OTHER_MAC, psrc=NEIGHBOUR, pdst=NEIGHBOUR) / m("garp-other")),
        ("other-ip", "not-for-vm", from_bridge(dst=NEIGHBOUR) / UDP(sport=1, dport=2)
         / m("other-ip")),
        ("mdns", "multicast", from_bridge(MDNS_MAC, dst="224.0.0.251") / UDP(sport=5353, dport=5353)
         / m("mdns")),
        ("subnet-broadcast", "multicast", from_bridge(BCAST_MAC, dst=SUBNET_BCAST)
         / UDP(sport=138, dport=138) / m("subnet-broadcast")),
        ("redirect", "icmp-redirect", from_bridge() / ICMP(type=5, code=1, gw=GATEWAY)
         / m("redirect")),
        ("ipv6", "not-for-vm", Ether(src=bridge_mac, dst=me) / IPv6(src="fe80::1", dst="fe80::2")
         / UDP(sport=1, dport=2) / m("ipv6")),
        ("vlan", "vlan", Ether(src=bridge_mac, dst=me) / Dot1Q(vlan=5) / IP(src=GATEWAY, dst=ip)
         / UDP(sport=1, dport=2) / m("vlan")),
        ("ethertype", "ethertype", Ether(src=bridge_mac, dst=me, type=0x88b5) / m("ethertype")),
    ]
    legit = f"LEGIT-{token}".encode()
    frames = [f for _, _, f in attacks] + [from_bridge() / UDP(sport=1, dport=2) / Raw(legit)]
    topo.host.run([PYTHON, "-c", SEND_RAW, bridge],
                  input="".join(bytes(f).hex() + "\n" for f in frames))

    got = []
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        pkt = vm.net.recv(timeout=deadline - time.monotonic())
        if pkt is None:
            break
        got.append(bytes(pkt))
        if legit in got[-1]:
            break
    assert any(legit in f for f in got), "the legitimate frame never reached the VM"
    leaked = [name for name, _, _ in attacks if any(marker(name, token) in f for f in got)]
    assert not leaked, f"frames not for the VM reached it: {leaked}"
    assert_counted(vm.net.live_stats(), expected_counts(attacks))
