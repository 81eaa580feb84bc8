# SPDX-License-Identifier: MIT
# test_offload.py — TCP segments of the VM joined into large packets for the host, the host's cut for the VM
import hashlib
import os
import random
import signal
import time

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import UDP_ECHO, WAN_ALLOW, WAN_IP, HOST_WAN_IP, wait_line

PORT = 8081
SEGMENTS = 8
SEG_LEN = 1000
REPLY_LEN = 12000   # within the host's first flight (10 segments of 1460): no ACK needed

# Reads SEGMENTS * SEG_LEN bytes, answers with their sha256 and REPLY_LEN bytes of a pattern.
SERVER = f"""
import hashlib, socketserver, sys
class H(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        while len(data) < {SEGMENTS * SEG_LEN}:
            chunk = self.request.recv(65536)
            if not chunk:
                break
            data += chunk
        body = bytes((i * 7 + 3) % 251 for i in range({REPLY_LEN}))
        self.request.sendall(hashlib.sha256(data).hexdigest().encode() + b"\\n" + body)
socketserver.TCPServer.allow_reuse_address = True
srv = socketserver.TCPServer(("0.0.0.0", int(sys.argv[1])), H)
print("ready", flush=True)
srv.serve_forever()
"""


def valid_checksums(pkt):
    """Whether @pkt's IP and TCP checksums are what scapy computes anew."""
    fresh = pkt[IP].copy()
    del fresh.chksum
    del fresh[TCP].chksum
    fresh = IP(bytes(fresh))
    return fresh.chksum == pkt[IP].chksum and fresh[TCP].chksum == pkt[TCP].chksum


@pytest.mark.parametrize("offload", ["on", "off"])
def test_bulk_tcp_both_ways_with_and_without_offload(topo, vm_on, offload):
    vm = vm_on(*WAN_ALLOW, f"--offload={offload}")
    vm.dhcp() and vm.arp_gateway()
    assert vm.gateway_mac, "no lease or no ARP reply from the gateway"
    server = topo.wan_popen(SERVER, str(PORT))
    wait_line(server)

    sport, seq = random.randint(30000, 60000), 1000
    synack = vm.exchange(vm.ip_frame(WAN_IP, TCP(sport=sport, dport=PORT, flags="S", seq=seq,
                                                 window=65535, options=[("MSS", 1460)])),
                         lambda p: p.haslayer(TCP) and p[TCP].flags == "SA")
    assert synack is not None, "no SYN-ACK through NAT"
    ack = synack[TCP].seq + 1
    data = os.urandom(SEGMENTS * SEG_LEN)

    # a burst the VM's kernel would send: queued while sock-vmnet is stopped, so that one
    # batch holds them all; full-size segments, consecutive, DF with counting IP IDs
    os.kill(vm.net.proc.pid, signal.SIGSTOP)
    try:
        for i in range(SEGMENTS):
            flags = "PA" if i == SEGMENTS - 1 else "A"
            vm.net.send(Ether(src=vm.mac, dst=vm.gateway_mac)
                        / IP(src=vm.ip, dst=WAN_IP, flags="DF", id=100 + i)
                        / TCP(sport=sport, dport=PORT, flags=flags, seq=seq + 1 + i * SEG_LEN,
                              ack=ack, window=65535)
                        / data[i * SEG_LEN:(i + 1) * SEG_LEN])
    finally:
        os.kill(vm.net.proc.pid, signal.SIGCONT)

    # the answer: the digest of what the server read, then the pattern, in MTU-sized frames
    expected = hashlib.sha256(data).hexdigest().encode() + b"\n" + \
        bytes((i * 7 + 3) % 251 for i in range(REPLY_LEN))
    got, frames, deadline = {}, 0, time.monotonic() + 10
    while sum(len(v) for v in got.values()) < len(expected) and time.monotonic() < deadline:
        pkt = vm.net.recv(deadline - time.monotonic())
        if pkt is None:
            break
        if vm.answer_arp(pkt) or not pkt.haslayer(TCP) or not pkt.haslayer(Raw):
            continue
        assert len(pkt) <= 1514, "a frame larger than the VM's MTU"
        assert valid_checksums(pkt), "a frame with a wrong checksum reached the VM"
        got[pkt[TCP].seq - ack] = bytes(pkt[Raw].load)
        frames += 1
    stream = b"".join(got[k] for k in sorted(got))
    assert stream == expected, "the server read other bytes than the VM sent, or its reply broke"
    vm.net.send(vm.ip_frame(WAN_IP, TCP(sport=sport, dport=PORT, flags="R",
                                        seq=seq + 1 + len(data))))

    stats = vm.net.live_stats()["offload"]
    if offload == "on":
        # the burst crossed to the host as one packet; the reply came as fewer packets
        # than frames
        assert stats["joined"] == {"packets": 1, "frames": SEGMENTS}
        assert stats["split"]["packets"] >= 1
        assert stats["split"]["frames"] > stats["split"]["packets"]
    else:
        none = {"packets": 0, "frames": 0}
        assert stats == {"joined": none, "split": none, "from_vm": none, "to_vm": none}
    assert frames >= REPLY_LEN // 1460


def test_udp_datagrams_are_joined_where_the_kernel_takes_them(topo, vm_on):
    vm = vm_on(*WAN_ALLOW)
    vm.dhcp() and vm.arp_gateway()
    assert vm.gateway_mac, "no lease or no ARP reply from the gateway"
    echo = topo.wan_popen(UDP_ECHO, "7778")
    wait_line(echo)
    # Linux >= 6.2 takes joined UDP (TUN_F_USO4); sock-vmnet says which it does
    udp_too = "offload=tcp,udp" in vm.net.stderr()
    payloads = [bytes([65 + i]) * 1000 for i in range(6)]
    os.kill(vm.net.proc.pid, signal.SIGSTOP)
    try:
        for i, data in enumerate(payloads):   # no DF: the IP IDs count up
            vm.net.send(Ether(src=vm.mac, dst=vm.gateway_mac)
                        / IP(src=vm.ip, dst=WAN_IP, id=200 + i) / UDP(sport=40001, dport=7778)
                        / data)
    finally:
        os.kill(vm.net.proc.pid, signal.SIGCONT)
    # every datagram arrives as itself: the boundaries survive the joining
    echoes, deadline = set(), time.monotonic() + 5
    while len(echoes) < len(payloads) and time.monotonic() < deadline:
        pkt = vm.net.recv(deadline - time.monotonic())
        if pkt is None:
            break
        if not vm.answer_arp(pkt) and pkt.haslayer(UDP) and pkt[UDP].sport == 7778:
            echoes.add(bytes(pkt[UDP].payload))
    assert echoes == {b"echo:" + d + b" from " + HOST_WAN_IP.encode() for d in payloads}
    joined = vm.net.live_stats()["offload"]["joined"]
    assert joined == ({"packets": 1, "frames": 6} if udp_too else {"packets": 0, "frames": 0})


def test_offload_option_is_checked(topo):
    net = topo.start_vmnet(["--offload=maybe"], ready=False)
    assert net.proc.wait(5) == 2
    assert "--offload: \"maybe\" is neither on nor off" in net.stderr()
