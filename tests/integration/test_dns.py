# SPDX-License-Identifier: MIT
# test_dns.py — DNS for the VM: the gateway's port 53, answered on the frame path by a resolver (dnsmasq) upstream
import json
import os
import re
import subprocess
import time

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, UDP

from conftest import GATEWAY, PYTHON, ScapyVM, run
from dhcp_vm import TapVM

NAME = "www.svm.test"
ANSWER = "198.51.100.7"  # dnsmasq answers it for *.svm.test (TEST-NET-2: never routed)

# A stub resolver in a script: sends queries over UDP or TCP, prints the answers as JSON.
# argv: server proto name id [count]; count queries with ids id, id+1, ... in one go
# (one datagram each, or pipelined on one TCP connection).
DNS_CLIENT = r"""
import json, socket, struct, sys
server, proto, name, first_id = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
count = int(sys.argv[5]) if len(sys.argv) > 5 else 1
def query(qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)
def parse(msg):
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    addrs = []
    i = 12
    for _ in range(qd):
        while msg[i]: i += msg[i] + 1
        i += 5
    for _ in range(an):
        i += 2 if msg[i] & 0xc0 == 0xc0 else len(msg[i:].split(b"\0", 1)[0]) + 1
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        if rtype == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(msg[i + 10:i + 14]))
        i += 10 + rdlen
    return {"id": qid, "rcode": flags & 15, "addrs": addrs}
out = []
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    for k in range(count):
        s.sendto(query(first_id + k), (server, 53))
    try:
        for k in range(count):
            out.append(parse(s.recv(65535)))
    except socket.timeout:
        pass
else:
    buf = b""
    try:
        s = socket.create_connection((server, 53), timeout=3)
        s.sendall(b"".join(struct.pack("!H", len(q)) + q
                           for q in map(query, range(first_id, first_id + count))))
        while len(out) < count:
            chunk = s.recv(65535)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                out.append(parse(buf[2:2 + n]))
                buf = buf[2 + n:]
    except (socket.timeout, ConnectionError):
        pass
print(json.dumps(out))
"""


# A DNS server that reads every query and answers none (127.0.0.3:53).
BLACK_HOLE = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 53))
while True:
    s.recv(65535)
"""


def ask(ns, server, proto, qid, count=1, name=NAME):
    r = ns.run([PYTHON, "-c", DNS_CLIENT, server, proto, name, qid, count], timeout=20)
    return json.loads(r.stdout)


@pytest.fixture
def dnsmasq(topo):
    """dnsmasq on 127.0.0.1:53 in the host namespace, answering *.svm.test."""
    p = topo.host.popen(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                         "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
                         "--port=53", "--user=root", "--group=root", "--pid-file=",
                         f"--address=/svm.test/{ANSWER}",
                         # names nobody answers: forwarded to a server that never replies
                         "--server=/slow.test/127.0.0.3", "--dns-forward-max=5000"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    topo.procs.append(p)
    topo.procs.append(topo.host.popen([PYTHON, "-c", BLACK_HOLE], stdout=subprocess.DEVNULL))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise AssertionError(f"dnsmasq exited: {p.stderr.read()}")
        got = ask(topo.host, "127.0.0.1", "udp", 1)
        if got and got[0]["addrs"] == [ANSWER]:
            return p
        time.sleep(0.1)
    raise AssertionError("dnsmasq did not answer")


def test_vm_resolves_over_udp_and_tcp(topo, dnsmasq):
    vmnet = topo.start_vmnet(["--dns=127.0.0.1"])
    vm = TapVM(topo, vmnet)
    try:
        vm.udhcpc_start()
        bound = vm.wait_event(vm.udhcpc_events, {"bound"})
        assert bound["dns"] == GATEWAY

        got = ask(vm, GATEWAY, "udp", 0x1234)
        assert got == [{"id": 0x1234, "rcode": 0, "addrs": [ANSWER]}]

        got = ask(vm, GATEWAY, "tcp", 0x4321)
        assert got == [{"id": 0x4321, "rcode": 0, "addrs": [ANSWER]}]

        # several queries at once: every ID comes back as the VM sent it
        got = ask(vm, GATEWAY, "udp", 40000, count=40)
        assert sorted(a["id"] for a in got) == list(range(40000, 40040))
        assert all(a["addrs"] == [ANSWER] for a in got)
        got = ask(vm, GATEWAY, "tcp", 50000, count=5)
        assert [a["id"] for a in got] == list(range(50000, 50005))
        assert "dns ready listen=192.168.64.1:53 upstream=127.0.0.1" in vmnet.stderr()

        # from outside the VMs' subnet (the wan host, routed through the host): no open resolver
        topo.wan.run(["ip", "route", "add", "192.168.64.0/24", "via", "203.0.113.1"])
        assert ask(topo.wan, GATEWAY, "udp", 1) == []
        assert ask(topo.wan, GATEWAY, "tcp", 2) == []
    finally:
        vm.cleanup()


def test_each_vm_is_answered_by_its_own_instance(topo, dnsmasq):
    """Issue 11 item 9: every instance answers its own VM, with its own --dns; two instances
    on one bridge no longer share gateway:53 (a query used to land in whichever instance's
    socket the kernel picked, with that instance's upstreams)."""
    first = topo.start_vmnet(["--dns=127.0.0.1"])
    second = topo.start_vmnet(["--dns=127.0.0.2"], mac="52:54:00:00:00:02")  # nobody there
    vm1, vm2 = TapVM(topo, first), TapVM(topo, second)
    try:
        for vm in (vm1, vm2):
            vm.udhcpc_start()
            vm.wait_event(vm.udhcpc_events, {"bound"})
        for qid in range(10, 20):  # always its own instance: always dnsmasq's answer
            assert ask(vm1, GATEWAY, "udp", qid) == [{"id": qid, "rcode": 0, "addrs": [ANSWER]}]
        assert ask(vm1, GATEWAY, "tcp", 99)[0]["id"] == 99
        assert ask(vm2, GATEWAY, "udp", 7) == []  # its upstream does not answer
        first.stop()
        assert ask(vm2, GATEWAY, "udp", 8) == []
        # nothing of sock-vmnet's listens on the host's side of the gateway any more
        out = topo.host.run(["ss", "-lnu", "sport", "= :53"]).stdout
        assert "192.168.64.1:53" not in out, out
    finally:
        vm1.cleanup()
        vm2.cleanup()


def test_one_vm_cannot_starve_another(topo, dnsmasq):
    """Issue 11 item 9: a VM that keeps far more queries waiting than anyone should (names its
    resolver takes seconds to answer) costs another VM on the same bridge and resolver
    nothing: its own table is full, nobody else's."""
    flooder = ScapyVM(topo.start_vmnet(["--dns=127.0.0.1"], mac="52:54:00:00:00:03"))
    victim = topo.start_vmnet(["--dns=127.0.0.1"])
    vm = TapVM(topo, victim)
    try:
        assert flooder.dhcp() and flooder.arp_gateway()
        vm.udhcpc_start()
        vm.wait_event(vm.udhcpc_events, {"bound"})
        for i in range(800):  # in bursts a socket buffer holds, so that every one counts
            flooder.net.send(flooder.ip_frame(GATEWAY, UDP(sport=1024 + i, dport=53)
                                              / DNS(id=i, rd=1, qd=DNSQR(qname=f"n{i}.slow.test"))))
            if i % 100 == 99:
                time.sleep(0.05)
        time.sleep(0.2)
        got = ask(vm, GATEWAY, "udp", 4000, count=20)
        assert sorted(a["id"] for a in got) == list(range(4000, 4020))
        stats = flooder.net.live_stats()
        assert stats["drops"]["dns-busy"] > 0  # the flooder's own table was full
    finally:
        vm.cleanup()


# x86-64 system call numbers of the loop's wait; its 4th argument is the timeout in ms
EPOLL_WAITS = {232, 281}  # epoll_wait, epoll_pwait


def timer_armed(pid, timeout=2):
    """Whether sock-vmnet waits with a timeout (a timer is armed), per /proc/PID/syscall:
    the event loop's timers bound its epoll_wait(); with none armed it waits forever (-1)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fields = open(f"/proc/{pid}/syscall").read().split()
        if fields and fields[0].isdigit() and int(fields[0]) in EPOLL_WAITS:
            return int(fields[4], 16) & 0xffffffff != 0xffffffff  # an int: -1 is 0xffffffff
        time.sleep(0.01)  # running, or in another call: look again when it waits
    raise AssertionError(f"pid {pid} never waited in epoll_wait")


def test_unanswered_query_is_retried_and_the_timer_stops(topo, dnsmasq):
    # 127.0.0.2: nobody listens there; after the try timeout (2 s) the second server answers
    vm = ScapyVM(topo.start_vmnet(["--dns=127.0.0.2,127.0.0.1"]))
    pid = vm.net.proc.pid
    assert vm.dhcp()
    assert vm.arp_gateway()
    assert not timer_armed(pid)  # idle: no timer at all
    query = vm.ip_frame(GATEWAY, UDP(sport=5353, dport=53) / DNS(id=0xbeef, rd=1, qd=DNSQR(qname=NAME)))

    t0 = time.monotonic()
    vm.net.send(query)
    time.sleep(0.3)
    assert timer_armed(pid)  # a query waits
    reply = None
    while reply is None and time.monotonic() < t0 + 6:
        pkt = vm.net.recv(t0 + 6 - time.monotonic())
        if pkt is not None and not vm.answer_arp(pkt) and pkt.haslayer(DNS) and pkt[DNS].qr:
            reply = pkt
    assert reply is not None, vm.net.stderr()
    assert reply[DNS].id == 0xbeef
    assert reply[IP].src == GATEWAY
    assert 1.5 < time.monotonic() - t0 < 5

    # nothing pending: the timer is off, so an idle instance never wakes up for DNS
    time.sleep(0.1)
    assert not timer_armed(pid)
