# SPDX-License-Identifier: MIT
# test_name_evasions.py — a VM that tries to talk its way past --check-names, judged by what the server's program reads
"""The rules: --block 0.0.0.0/0 --allow tcp:allowed.test:80 --allow tcp:allowed.test:443, and
allowed.test and evil.test both resolve to the wan server (203.0.113.2). The VM is played by
scapy (its TCP written by hand, so it can send what a stack never would); the server logs
every byte its program receives on each connection. Each test sends something the check
might misread, then a request for evil.test, and asserts that the server's program never
read evil.test — not what the guard counted."""
import json
import os
import socket
import ssl
import subprocess
import time

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, TCP, UDP, fragment
from scapy.layers.l2 import Ether

from conftest import GATEWAY, PYTHON, SOCK_VMNET, WAN_IP, ScapyVM, run

OFF_CHAIN_IP = "203.0.113.3"  # only an answer's off-chain record ever names it

RULES = ["--block", "0.0.0.0/0", "--allow", "tcp:allowed.test:80",
         "--allow", "tcp:allowed.test:443"]

OK_REQ = b"GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n"
EVIL_REQ = b"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n"

# The names, served on 127.0.0.1:53 of the host namespace. One answer carries records off the
# question's chain: "unrelated.attacker.test?" answered with "junk.attacker.test CNAME
# allowed.test" and "allowed.test A 203.0.113.3".
DNS_SERVER = r"""
import socket, struct, sys
WAN, OFF = sys.argv[1], sys.argv[2]
def name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\0"
def rr(owner, rtype, rdata):
    return name(owner) + struct.pack("!HHIH", rtype, 1, 30, len(rdata)) + rdata
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, a = s.recvfrom(512)
    qid, end = q[:2], 12
    while q[end]:
        end += q[end] + 1
    labels, i = [], 12
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += q[i] + 1
    qname, question = ".".join(labels), q[12:end + 5]
    if qname in ("allowed.test", "evil.test"):
        answers = [rr(qname, 1, socket.inet_aton(WAN))]
    elif qname == "unrelated.attacker.test":
        answers = [rr("junk.attacker.test", 5, name("allowed.test")),
                   rr("allowed.test", 1, socket.inet_aton(OFF))]
    else:
        answers = []
    hdr = qid + struct.pack("!HHHHH", 0x8180 if answers else 0x8183, 1, len(answers), 0, 0)
    s.sendto(hdr + question + b"".join(answers), a)
"""

# The server: on 80 and 443 of every address of the wan namespace; each connection's bytes,
# as its program reads them, go to the log (one JSON line per read), and it answers "ok".
LOG_SERVER = r"""
import json, socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
lock = threading.Lock()
def one(c, a, port, n):
    c.settimeout(8)
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            with lock:
                log.write(json.dumps({"conn": n, "port": port, "from": a[0],
                                      "data": d.decode("latin-1")}) + "\n")
            c.sendall(b"ok")
    except OSError:
        pass
    c.close()
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(256)
    n = 0
    while True:
        c, a = s.accept()
        n += 1
        threading.Thread(target=one, args=(c, a, port, "%d-%d" % (port, n)), daemon=True).start()
for p in (80, 443):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""


class Server:
    """What the wan server's program read, per connection."""

    def __init__(self, topo):
        self.path = topo.tmp / "server.log"
        self.path.touch()
        topo.wan.run(["ip", "addr", "add", OFF_CHAIN_IP + "/24", "dev", "veth-w"])
        proc = topo.wan_popen(LOG_SERVER, str(self.path))
        assert "ready" in proc.stdout.readline()

    def reads(self):
        lines = self.path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def received(self, settle=1.0):
        """Everything the program read, all connections together (after @settle seconds)."""
        time.sleep(settle)
        return "".join(r["data"] for r in self.reads())


class Tcp:
    """One connection of the scapy VM, written by hand."""

    def __init__(self, vm, dport, sport, dst=WAN_IP):
        self.vm, self.dst, self.dport, self.sport = vm, dst, dport, sport
        self.seq = int.from_bytes(os.urandom(4), "big")
        self.ack = 0

    def frame(self, flags, payload=b"", seq=None, ttl=64, chksum=None, **ip):
        tcp = TCP(sport=self.sport, dport=self.dport, flags=flags,
                  seq=self.seq if seq is None else seq, ack=self.ack, window=65535)
        if chksum is not None:
            tcp.chksum = chksum
        return self.vm.ip_frame(self.dst, tcp / payload) if not ip and ttl == 64 else \
            Ether(src=self.vm.mac, dst=self.vm.gateway_mac) / IP(src=self.vm.ip, dst=self.dst,
                                                                 ttl=ttl, **ip) / tcp / payload

    def connect(self, syn_payload=b""):
        if syn_payload:  # a SYN with data: what the server's kernel would drop
            self.vm.net.send(self.frame("S", syn_payload))
        got = self.vm.exchange(self.frame("S"), self.synack, timeout=5)
        assert got is not None, "no SYN-ACK"
        self.ack = got[TCP].seq + 1
        self.seq += 1
        self.vm.net.send(self.frame("A"))

    def synack(self, p):
        return p.haslayer(TCP) and p[TCP].sport == self.dport and p[TCP].dport == self.sport \
            and p[TCP].flags & 0x12 == 0x12

    def send(self, payload, advance=True, **kw):
        self.vm.net.send(self.frame("PA", payload, **kw))
        if advance:
            self.seq += len(payload)

    def reset(self):
        self.vm.net.send(self.frame("R"))

    def answer(self, timeout=2):
        """The first thing the server says back (its "ok", or a reset), or None."""
        return self.vm.exchange(self.frame("A"), lambda p: p.haslayer(TCP) and
                                p[TCP].sport == self.dport and p[TCP].dport == self.sport and
                                (len(p[TCP].payload) or p[TCP].flags & 0x04), timeout)


def client_hello(name):
    """A real ClientHello (Python's OpenSSL) asking for @name."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    out = ssl.MemoryBIO()
    t = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname=name)
    try:
        t.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def query(vm, name):
    """Ask the gateway's DNS for @name (the name rules learn from the answer)."""
    q = vm.ip_frame(GATEWAY, UDP(sport=5353, dport=53) / DNS(rd=1, qd=DNSQR(qname=name)))
    return vm.exchange(q, lambda p: p.haslayer(DNS) and p[DNS].qr == 1, timeout=5)


@pytest.fixture
def env(topo):
    dns = topo.host.popen([PYTHON, "-c", DNS_SERVER, WAN_IP, OFF_CHAIN_IP],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    topo.procs.append(dns)
    assert "ready" in dns.stdout.readline()
    server = Server(topo)
    net = topo.start_vmnet(RULES + ["--dns=127.0.0.1", f"--control={topo.tmp}/ctl.sock"])
    vm = ScapyVM(net)
    assert vm.dhcp() and vm.arp_gateway()
    assert query(vm, "allowed.test") is not None
    return vm, server, topo


PORTS = iter(range(41000, 42000))


def conn(vm, port=80, dst=WAN_IP):
    return Tcp(vm, port, next(PORTS), dst)


def test_a_syn_carrying_data_is_not_what_is_judged(env):
    vm, server, _ = env
    c = conn(vm)
    c.connect(syn_payload=OK_REQ)  # 1: judged here once; the server's kernel drops it
    c.send(EVIL_REQ)
    c.answer()
    assert "evil.test" not in server.received()


@pytest.mark.parametrize("decoy", ["bad-checksum", "ttl-1", "first-fragment"])
def test_a_decoy_the_server_drops_is_not_what_is_judged(env, decoy):
    vm, server, _ = env
    c = conn(vm)
    c.connect()
    if decoy == "bad-checksum":  # 2
        c.send(OK_REQ, advance=False, chksum=0x1234)
    elif decoy == "ttl-1":  # 3: dies at the host's router
        c.send(OK_REQ, advance=False, ttl=1)
    else:  # 4: the first fragment alone; the server never reassembles it
        padded = OK_REQ[:-2] + b"X-Pad: " + b"a" * 40 + b"\r\n\r\n"
        whole = c.frame("PA", padded, id=777)[IP]
        first = fragment(whole, fragsize=64)[0]  # the TCP header and 44 bytes: the Host line
        assert b"Host: allowed.test\r\n" in bytes(first.payload)
        assert first.flags == "MF"
        vm.net.send(Ether(src=vm.mac, dst=vm.gateway_mac) / first)
    c.send(EVIL_REQ)
    c.answer()
    assert "evil.test" not in server.received()


def test_empty_lines_before_the_request_line(env):
    vm, server, _ = env
    c = conn(vm)
    c.connect()
    c.send(b"\r\n" + EVIL_REQ)  # 5: servers skip them (RFC 9112 2.2)
    c.answer()
    assert "evil.test" not in server.received()


def test_an_absolute_uri_names_the_server(env):
    vm, server, _ = env
    c = conn(vm)
    c.connect()
    c.send(b"GET http://evil.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n")  # 6
    c.answer()
    assert "evil.test" not in server.received()


def test_every_request_of_a_connection_is_judged(env):
    vm, server, _ = env
    c = conn(vm)
    c.connect()
    c.send(OK_REQ)
    assert c.answer() is not None  # the first request reached the server
    c.send(EVIL_REQ)  # 7: keep-alive, a second request
    c.answer()
    got = server.received()
    assert "Host: allowed.test" in got and "evil.test" not in got
    # pipelined, in one segment: neither goes on
    c = conn(vm)
    c.connect()
    c.send(OK_REQ + EVIL_REQ)
    c.answer()
    assert "evil.test" not in server.received()


def test_abandoned_handshakes_do_not_use_up_the_check(env):
    """8: ClientHellos left half-sent, then their flows dropped by a rule change, then a
    ClientHello in two segments: it must still reach the server whole."""
    vm, server, topo = env
    data = client_hello("allowed.test")
    assert len(data) > 300
    for _ in range(70):
        c = conn(vm, 443)
        c.connect()
        c.send(data[:100])
    ctl = [str(SOCK_VMNET), "ctl", f"{topo.tmp}/ctl.sock"]
    assert run(ctl + ["rule", "del", "allow", "tcp:allowed.test:443"]).returncode == 0
    assert run(ctl + ["rule", "add", "allow", "tcp:allowed.test:443"]).returncode == 0
    assert query(vm, "allowed.test") is not None
    c = conn(vm, 443)
    c.connect()
    c.send(data[:100])
    c.send(data[100:])
    c.answer()
    got = [r for r in server.reads() if r["port"] == 443]
    by_conn = {}
    for r in got:
        by_conn[r["conn"]] = by_conn.get(r["conn"], "") + r["data"]
    assert data.decode("latin-1") in by_conn.values(), "the split ClientHello never got through"


def test_records_off_the_questions_chain_open_nothing(env):
    vm, server, _ = env
    got = query(vm, "unrelated.attacker.test")  # 9: "allowed.test A 203.0.113.3" off-chain
    assert got is not None and got[DNS].ancount == 2
    c = conn(vm, 80, OFF_CHAIN_IP)
    reply = vm.exchange(c.frame("S"), lambda p: p.haslayer(TCP) and p[TCP].sport == 80 and
                        p[TCP].dport == c.sport, timeout=3)
    assert reply is None or reply[TCP].flags & 0x04, "a SYN-ACK from an address never asked for"


def test_idle_control_clients_cannot_lock_ctl_out(env):
    _, _, topo = env
    idle = []
    for _ in range(12):  # 10: more than the 8 places, and none says anything
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(topo.tmp / "ctl.sock"))
        idle.append(s)
    time.sleep(0.3)
    r = run([str(SOCK_VMNET), "ctl", f"{topo.tmp}/ctl.sock", "stats"], check=False)
    assert r.returncode == 0 and json.loads(r.stdout)["ok"], (r.stdout, r.stderr)
    for s in idle:
        s.close()
