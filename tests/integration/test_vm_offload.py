# SPDX-License-Identifier: MIT
# test_vm_offload.py — a VM that sends and takes 64 KiB packets (--vm-offload): krunkit's headerless frames, the virtio-net header
"""Two VMs. One with a kernel TCP/IP stack (TapVM, offload=...: its tap0 has TSO and checksum
offload, so its TCP sends 64 KiB packets with partial checksums, and its relay passes them on
as krunkit does or with the header); one played by scapy, which sends what a guest would not:
spoofed large packets, headers that lie. Each runs through every back-end of the build."""
import hashlib
import os
import random
import struct
import subprocess
import time

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import BACKEND, PYTHON, WAN_ALLOW, WAN_IP, run, wait_line
from dhcp_vm import TapVM
from ipv6_vm import VM6, WAN6, WAN6_ALLOW, with_v6_wan

MODES = ["on", "vnet-hdr"]
PEER = {"on": "krunkit", "vnet-hdr": "vnet-hdr"}
# vmnet: with TSO and checksum offload, and with its virtio header in place of the latter
BACKENDS = ["tap", "user"] if BACKEND == "tap" else ["vmnet", "vmnet-virtio-header"]
BULK = 4 << 20
PORT = 8090

# The wan side: reads BULK bytes, answers their sha256, then BULK bytes of a pattern.
SERVER = f"""
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(4)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    h, n = hashlib.sha256(), 0
    while n < {BULK}:
        d = c.recv(1 << 20)
        if not d:
            break
        h.update(d); n += len(d)
    c.sendall(h.hexdigest().encode() + b"\\n" + bytes(i % 253 for i in range({BULK})))
    c.close()
"""

# The VM side: sends BULK bytes, checks the digest and the pattern it gets back.
CLIENT = f"""
import hashlib, random, socket, sys
data = random.Random(7).randbytes({BULK})
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
c.sendall(data)
got = b""
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    got += d
want = hashlib.sha256(data).hexdigest().encode() + b"\\n" + bytes(i % 253 for i in range({BULK}))
print("intact" if got == want else "broken %d of %d" % (len(got), len(want)), flush=True)
"""


def csum_errors(ns):
    """TCP segments with a bad checksum the namespace's kernel dropped (/proc/net/snmp)."""
    lines = [line.split() for line in ns.run(["cat", "/proc/net/snmp"]).stdout.splitlines()
             if line.startswith("Tcp:")]
    return int(lines[1][lines[0].index("InCsumErrors")])


def backend_args(backend):
    if BACKEND == "vmnet":
        return ["--vmnet-virtio-header=on"] if backend == "vmnet-virtio-header" else []
    return [f"--backend={backend}"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_vm_with_offloads_moves_large_packets_both_ways(topo, backend, mode):
    net = topo.start_vmnet(backend_args(backend) + WAN_ALLOW + [f"--vm-offload={mode}"])
    vm = TapVM(topo, net, offload=PEER[mode])
    try:
        vm.udhcpc_start()
        vm.wait_event(vm.udhcpc_events, {"bound"})
        server = topo.wan_popen(SERVER, str(PORT))
        wait_line(server)
        out = vm.run([PYTHON, "-c", CLIENT, WAN_IP, str(PORT)], timeout=60).stdout.strip()
        assert out == "intact", f"{out}\n{net.stderr()}"
        stats = net.live_stats()
        offload, drops = stats["offload"], stats["drops"]
        # the VM's TSO packets crossed whole, and the host's reached the VM whole
        assert offload["from_vm"]["packets"] > 0, offload
        assert offload["from_vm"]["frames"] > offload["from_vm"]["packets"]
        assert offload["to_vm"]["packets"] > 0, offload
        assert offload["split"]["packets"] == 0, "a packet for the VM was cut"
        assert all(drops[r] == 0 for r in ("vnet-flags", "gso-type", "gso-size",
                                           "csum-offload", "oversize")), drops
        # every checksum right at both ends: no receiver dropped a segment for it
        assert csum_errors(topo.wan) == 0
        assert csum_errors(vm.ns) == 0
        if backend == "vmnet-virtio-header":
            assert "virtio-header=on" in net.stderr()
            net.stop()
            # the simulated vmnet's TAP refused no header it was handed
            assert "bad_checksums=0 bad_headers=0" in net.stderr(), net.stderr()
    finally:
        vm.cleanup()


# The same over IPv6: the server bound to "::"
SERVER6 = SERVER.replace("socket.socket()", "socket.socket(socket.AF_INET6)").replace(
    '("0.0.0.0", int(sys.argv[1]))', '("::", int(sys.argv[1]))')


def slaac_address(vm, timeout=20):
    """The global address the VM's kernel made from sock-vmnet's RA (past DAD), once it has
    a default route too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        addrs = vm.run(["ip", "-6", "-o", "addr", "show", "dev", "tap0", "scope", "global"]).stdout
        route = vm.run(["ip", "-6", "route", "show", "default"]).stdout
        done = [line.split()[3] for line in addrs.splitlines()
                if "tentative" not in line and "dadfailed" not in line]
        if done and "via" in route:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no SLAAC address and route: {addrs!r} {route!r}\n{vm.vmnet.stderr()}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_vm_with_offloads_moves_ipv6_both_ways(topo, backend, mode):
    """IPv6 TCP through --vm-offload: the VM's kernel does SLAAC, then 4 MiB each way with the
    wan host over NAT66. Its TCP sends partial checksums (both families' CSUM) and, where the
    path takes IPv6 TSO, 64 KiB packets (GSO_TCP6); vmnet without its virtio header takes IPv4
    TSO only, so that VM is given TSO4 alone, as krunkit's guest has."""
    with_v6_wan(topo)
    net = topo.start_vmnet(backend_args(backend) + WAN_ALLOW + WAN6_ALLOW +
                           [f"--vm-offload={mode}"])
    tso6 = backend != "vmnet"
    vm = TapVM(topo, net, offload=PEER[mode], ipv6=True, slaac=True, tso6=tso6)
    try:
        slaac_address(vm)
        server = topo.wan_popen(SERVER6, str(PORT))
        wait_line(server)
        before = net.live_stats()["offload"]["from_vm"]
        out = vm.run([PYTHON, "-c", CLIENT, WAN6, str(PORT)], timeout=60).stdout.strip()
        assert out == "intact", f"{out}\n{net.stderr()}"
        stats = net.live_stats()
        offload, drops = stats["offload"], stats["drops"]
        if tso6:
            # the VM's IPv6 TSO packets crossed whole, judged once each
            assert offload["from_vm"]["packets"] > before["packets"], offload
            assert offload["from_vm"]["frames"] - before["frames"] > \
                offload["from_vm"]["packets"] - before["packets"]
        assert offload["split"]["packets"] == 0, "a packet for the VM was cut"
        assert all(drops[r] == 0 for r in ("vnet-flags", "gso-type", "gso-size",
                                           "csum-offload", "oversize")), drops
        # every checksum right at both ends (the TCP MIB counts IPv6 too)
        assert csum_errors(topo.wan) == 0
        assert csum_errors(vm.ns) == 0
        if backend == "vmnet-virtio-header":
            net.stop()
            assert "bad_checksums=0 bad_headers=0" in net.stderr(), net.stderr()
    finally:
        vm.cleanup()


def le_hdr(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset):
    return struct.pack("<BBHHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, 0)


def partial(frame):
    """@frame (scapy) as bytes with its TCP checksum left partial: the pseudo-header sum."""
    raw = bytearray(bytes(frame))
    ip = IP(raw[14:])
    l4 = len(raw) - 14 - ip.ihl * 4
    pseudo = struct.pack("!4s4sBBH", bytes(map(int, ip.src.split("."))),
                         bytes(map(int, ip.dst.split("."))), 0, 6, l4)
    s = sum(struct.unpack("!6H", pseudo))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    off = 14 + ip.ihl * 4 + 16
    raw[off:off + 2] = struct.pack("!H", s)
    return bytes(raw)


DIGEST_SERVER = """
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(4)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    data = b""
    while len(data) < int(sys.argv[2]):
        d = c.recv(65536)
        if not d:
            break
        data += d
    c.sendall(hashlib.sha256(data).hexdigest().encode())
    c.close()
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_large_packet_is_judged_whole_and_a_lying_one_refused(topo, vm_on, mode):
    vm = vm_on(*WAN_ALLOW, f"--vm-offload={mode}")
    assert vm.dhcp() and vm.arp_gateway(), "no lease or no gateway"
    data = random.Random(5).randbytes(20000)
    server = topo.wan_popen(DIGEST_SERVER, str(PORT), str(len(data)))
    wait_line(server)
    sport, seq = random.randint(30000, 60000), 5000
    synack = vm.exchange(vm.ip_frame(WAN_IP, TCP(sport=sport, dport=PORT, flags="S", seq=seq,
                                                 window=65535, options=[("MSS", 1460)])),
                         lambda p: p.haslayer(TCP) and p[TCP].flags == "SA")
    assert synack is not None, "no SYN-ACK through NAT"
    ack = synack[TCP].seq + 1

    def segment(src=None, payload=data, proto=None):
        ip = IP(src=src or vm.ip, dst=WAN_IP, flags="DF")
        l4 = (TCP(sport=sport, dport=PORT, flags="PA", seq=seq + 1, ack=ack, window=65535)
              if proto is None else proto)
        return partial(Ether(src=vm.mac, dst=vm.gateway_mac) / ip / l4 / payload)

    N = 1  # NEEDS_CSUM
    gso = le_hdr(N, 1, 54, 1460, 34, 16)
    before = vm.net.live_stats()["drops"]
    # a spoofed source is refused however large the packet
    vm.net.send(segment(src="192.168.64.200"), gso)
    lies = {"vnet-flags": [], "gso-type": [], "gso-size": [], "csum-offload": []}
    if mode == "vnet-hdr":
        lies["vnet-flags"] = [le_hdr(N | 4, 1, 54, 1460, 34, 16), le_hdr(0, 1, 54, 1460, 34, 16)]
        lies["gso-type"] = [le_hdr(N, 4, 54, 1460, 34, 16), le_hdr(N, 3, 54, 1460, 34, 16)]
        lies["gso-size"] = [le_hdr(N, 1, 54, 0, 34, 16), le_hdr(N, 1, 54, 1461, 34, 16)]
        lies["csum-offload"] = [le_hdr(N, 1, 54, 1460, 30, 16), le_hdr(N, 1, 54, 1460, 34, 60000)]
        for reason, hdrs in lies.items():
            for h in hdrs:
                vm.net.send(segment(), h)
    else:
        # krunkit's VM has no header: a large packet that is not TCP is what lies
        vm.net.send(Ether(src=vm.mac, dst=vm.gateway_mac) / IP(src=vm.ip, dst=WAN_IP) /
                    UDP(sport=4000, dport=4001) / data)
        lies["gso-type"] = [None]
    # then the packet itself: the host cuts it, the server reads every byte
    vm.net.send(segment(), gso)
    deadline, digest = time.monotonic() + 10, None
    while digest is None and time.monotonic() < deadline:
        pkt = vm.net.recv(deadline - time.monotonic())
        if pkt is None:
            break
        if vm.answer_arp(pkt):
            continue
        if pkt.haslayer(Raw) and pkt.haslayer(TCP) and pkt[TCP].sport == PORT:
            digest = bytes(pkt[Raw].load)
    assert digest == hashlib.sha256(data).hexdigest().encode(), net_log(vm)
    after = vm.net.live_stats()
    drops = {r: after["drops"][r] - before[r] for r in after["drops"]}
    assert drops["ip-src"] == 1, drops
    for reason, hdrs in lies.items():
        assert drops[reason] == len(hdrs), (reason, drops)
    assert after["offload"]["from_vm"]["packets"] == 1
    assert after["offload"]["from_vm"]["frames"] == -(-len(data) // 1460)


def partial6(frame):
    """@frame (scapy, IPv6 with TCP or UDP after any extension headers) as bytes, its checksum
    left partial: the IPv6 pseudo-header sum."""
    raw = bytearray(bytes(frame))
    l4 = frame[TCP] if frame.haslayer(TCP) else frame[UDP]
    start = len(raw) - len(bytes(l4))
    pseudo = (bytes(raw[22:54]) + struct.pack("!I", len(raw) - start) +
              bytes([0, 0, 0, 6 if frame.haslayer(TCP) else 17]))
    s = sum(struct.unpack("!20H", pseudo))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    off = start + (16 if frame.haslayer(TCP) else 6)
    raw[off:off + 2] = struct.pack("!H", s)
    return bytes(raw)


@pytest.mark.parametrize("mode", MODES)
def test_a_large_ipv6_packet_that_lies_is_refused_by_name(topo, vm_on, mode):
    """IPv6 through --vm-offload, the VM played by scapy: a spoofed 20 kB IPv6 TSO packet is
    refused by the guard (ip6-src), headers that lie about an IPv6 packet by their reason,
    extension headers cannot claim an offload; none of them crosses as a large packet."""
    vm6 = VM6(vm_on(*WAN6_ALLOW, f"--vm-offload={mode}"))
    assert vm6.solicit() is not None and vm6.claim(vm6.slaac), vm6.net.stderr()
    data = bytes(range(256)) * 80

    def seg(src=None, ext=False, udp=False):
        l4 = UDP(sport=40000, dport=PORT) if udp else TCP(sport=40000, dport=PORT, flags="PA",
                                                          seq=1, ack=1)
        ip = IPv6(src=src or vm6.slaac, dst=WAN6)
        if ext:
            ip = ip / IPv6ExtHdrDestOpt()
        return partial6(Ether(src=vm6.mac, dst=vm6.router_mac) / ip / l4 / data)

    N, T6 = 1, 4
    mss6 = 1500 - 40 - 20
    before = vm6.net.live_stats()
    # an address in the prefix that the VM never claimed
    vm6.net.send(seg(src=vm6.ra.address(0xbad)), le_hdr(N, T6, 74, mss6, 54, 16))
    lies = {"gso-type": [], "gso-size": [], "csum-offload": []}
    if mode == "vnet-hdr":
        lies["gso-type"] = [(seg(), le_hdr(N, 1, 74, mss6, 54, 16)),
                            (seg(udp=True), le_hdr(N, T6, 62, mss6, 54, 6)),
                            (seg(ext=True), le_hdr(N, T6, 82, mss6, 62, 16))]
        lies["gso-size"] = [(seg(), le_hdr(N, T6, 74, 0, 54, 16)),
                            (seg(), le_hdr(N, T6, 74, mss6 + 1, 54, 16))]
        lies["csum-offload"] = [(seg(), le_hdr(N, T6, 74, mss6, 34, 16)),
                                (seg(), le_hdr(N, T6, 74, mss6, 54, 6))]
    else:
        # krunkit's VM has no header: a large IPv6 packet that is not TCP after the fixed
        # header is what lies
        lies["gso-type"] = [(seg(udp=True), None), (seg(ext=True), None)]
    for reason, sends in lies.items():
        for frame, hdr in sends:
            vm6.net.send(frame, hdr)
    # a frame the VM did not send wrongly comes through the same socket after them
    assert vm6.ping6(vm6.ra.gateway), vm6.net.stderr()
    after = vm6.net.live_stats()
    drops = {r: after["drops"][r] - before["drops"][r] for r in after["drops"]}
    assert drops["ip6-src"] == 1, {r: n for r, n in drops.items() if n}
    for reason, sends in lies.items():
        assert drops[reason] == len(sends), (reason, drops)
    assert after["offload"]["from_vm"]["packets"] == before["offload"]["from_vm"]["packets"]


def net_log(vm):
    return vm.net.stderr()


def test_vm_offload_needs_a_datagram_socket_and_host_offload(topo):
    net = topo.start_vmnet(["--vm-offload=on", "--offload=off"], ready=False)
    assert net.proc.wait(5) == 2
    assert "--vm-offload: needs --offload=on" in net.stderr()
    net = topo.start_vmnet(["--vm-offload=maybe"], ready=False)
    assert net.proc.wait(5) == 2
    assert "--vm-offload: \"maybe\" is none of off, on, vnet-hdr" in net.stderr()
