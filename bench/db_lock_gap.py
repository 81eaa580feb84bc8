#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# db_lock_gap.py — how long a VM's frames wait while another process holds the lease database's lock
"""Usage: bench/db_lock_gap.py [SOCK_VMNET] [OLD_SOCK_VMNET] [--seconds S]   (as root)

A VM (this script, over the socketpair) pings the gateway every millisecond through
sock-vmnet while its DHCP client renews every second (RENEWING) and, every 3 s, sends a
DISCOVER and an INIT-REBOOT REQUEST for the address it holds: each of them a write to the
lease database for a server that records every message (within sock-vmnet's DHCP budget
of 2 messages a second, so that every one is answered). Two phases per binary:
  free     the lease database is left alone
  locked   another process holds the database's write lock (BEGIN EXCLUSIVE) throughout
Prints per phase: pings sent and lost, the ping round trip's median, 99th percentile and
maximum (a forwarding gap shows as the maximum), and how the DHCP messages fared. With a
second binary (an older build) both are measured in the same run and the ratio printed.
Everything happens in a network namespace made here and deleted afterwards.
"""
import argparse
import os
import select
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether

ROOT = Path(__file__).resolve().parents[1]
MAC = "52:54:00:6a:70:01"
GATEWAY = "192.168.64.1"
PING_ID = 0x4750
SO_TIMESTAMPNS = SCM_TIMESTAMPNS = 35  # asm-generic/socket.h


def dhcp_frame(kind, xid, addr=None, renewing=False, gw_mac=None, server_id=True):
    chaddr = bytes.fromhex(MAC.replace(":", ""))
    opts = [("message-type", kind)]
    if kind == "request" and not renewing:
        opts += [("requested_addr", addr)] + ([("server_id", GATEWAY)] if server_id else [])
    if renewing:
        head = Ether(src=MAC, dst=gw_mac) / IP(src=addr, dst=GATEWAY)
        bootp = BOOTP(chaddr=chaddr, xid=xid, ciaddr=addr)
    else:
        head = Ether(src=MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
        bootp = BOOTP(chaddr=chaddr, xid=xid, flags=0x8000)
    return bytes(head / UDP(sport=68, dport=67) / bootp / DHCP(options=opts + ["end"]))


class VM:
    """The VM's end of the socketpair, on one thread: pump() reads what came back until the
    next thing is due. Arrival times are the kernel's (SO_TIMESTAMPNS), so reading late
    does not add to the round trips measured."""

    def __init__(self, sock):
        self.sock = sock
        sock.setblocking(False)  # a full socket means sock-vmnet stood still: count, go on
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.ip = None
        self.gw_mac = None
        self.replies = {}  # ping seq -> arrival (wall clock, the kernel's stamp)
        self.dhcp = {}     # xid -> (arrival, message type, yiaddr)

    def send(self, frame):
        try:
            self.sock.send(frame)
            return True
        except BlockingIOError:
            return False

    def pump(self, until):
        """Handle what arrives until the wall clock reaches @until."""
        while True:
            left = until - time.time()
            if left <= 0:
                return
            if not select.select([self.sock], [], [], left)[0]:
                return
            while True:
                try:
                    data, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(16))
                except BlockingIOError:
                    break
                self.handle(data, anc)

    def handle(self, data, anc):
        now = time.time()
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack("qq", value[:16])
                now = sec + nsec / 1e9
        # ICMP echo reply (type 0) with our id: read the fields straight from the bytes
        if len(data) >= 42 and data[12:14] == b"\x08\x00" and data[23] == 1:
            icmp = 14 + (data[14] & 0xF) * 4
            if data[icmp] == 0 and struct.unpack("!H", data[icmp + 4:icmp + 6])[0] == PING_ID:
                self.replies[struct.unpack("!H", data[icmp + 6:icmp + 8])[0]] = now
                return
        pkt = Ether(data)
        if pkt.haslayer(DHCP):
            kind = [o[1] for o in pkt[DHCP].options if isinstance(o, tuple)
                    and o[0] == "message-type"]
            self.dhcp[pkt[BOOTP].xid] = (now, kind[0] if kind else None, pkt[BOOTP].yiaddr)
        elif pkt.haslayer(ARP) and pkt[ARP].op == 1 and pkt[ARP].pdst == self.ip:
            self.send(bytes(Ether(src=MAC, dst=pkt[ARP].hwsrc) /
                            ARP(op=2, hwsrc=MAC, psrc=self.ip, hwdst=pkt[ARP].hwsrc,
                                pdst=pkt[ARP].psrc)))
        elif pkt.haslayer(ARP) and pkt[ARP].op == 2 and pkt[ARP].psrc == GATEWAY:
            self.gw_mac = pkt[ARP].hwsrc

    def wait_for(self, done, timeout=3):
        deadline = time.time() + timeout
        while not done() and time.time() < deadline:
            self.pump(min(deadline, time.time() + 0.05))
        return done()

    def lease(self):
        self.send(dhcp_frame("discover", 1))
        if not self.wait_for(lambda: 1 in self.dhcp):
            raise SystemExit("no DHCP offer")
        offered = self.dhcp[1][2]
        self.send(dhcp_frame("request", 2, offered))
        if not self.wait_for(lambda: 2 in self.dhcp) or self.dhcp[2][1] != 5:
            raise SystemExit("no DHCP ack")
        self.ip = offered
        self.send(bytes(Ether(src=MAC, dst="ff:ff:ff:ff:ff:ff") /
                        ARP(op=1, hwsrc=MAC, psrc=self.ip, pdst=GATEWAY)))
        if not self.wait_for(lambda: self.gw_mac):
            raise SystemExit("no ARP reply from the gateway")


def phase(vm, seconds, first_seq):
    """Ping every 1 ms for @seconds with the DHCP traffic described above; return figures."""
    frames = [bytes(Ether(src=MAC, dst=vm.gw_mac) / IP(src=vm.ip, dst=GATEWAY) /
                    ICMP(type=8, id=PING_ID, seq=(first_seq + i) & 0xFFFF) / b"gap")
              for i in range(int(seconds * 1000))]
    sent = {}
    dhcp_sent = []  # (xid, when, kind)
    xid = 1000 + first_seq
    start = time.time()  # the wall clock: the kernel's arrival stamps are on it
    next_renew, next_reboot = start + 0.5, start + 1.5
    for i, frame in enumerate(frames):
        vm.pump(start + i / 1000)
        now = time.time()
        vm.send(frame)  # a ping it did not take counts as lost
        sent[(first_seq + i) & 0xFFFF] = now
        if now >= next_renew:
            xid += 1
            vm.send(dhcp_frame("request", xid, vm.ip, renewing=True, gw_mac=vm.gw_mac))
            dhcp_sent.append((xid, now, "renew"))
            next_renew += 1.0
        if now >= next_reboot:
            xid += 1
            vm.send(dhcp_frame("discover", xid))
            dhcp_sent.append((xid, now, "discover"))
            xid += 1
            vm.send(dhcp_frame("request", xid, vm.ip, server_id=False))  # INIT-REBOOT
            dhcp_sent.append((xid, now, "reboot"))
            next_reboot += 3.0
    vm.pump(time.time() + 4.5)  # stragglers, and SQLite's busy wait in older builds
    rtts = sorted((vm.replies[s] - t) * 1000 for s, t in sent.items() if s in vm.replies)
    lost = len(sent) - len(rtts)
    renewals = [(t, vm.dhcp.get(x)) for x, t, k in dhcp_sent if k == "renew"]
    renew_ms = [(r[0] - t) * 1000 for t, r in renewals if r]
    other = [vm.dhcp.get(x) for x, t, k in dhcp_sent if k != "renew"]
    return {
        "pings": len(sent), "lost": lost,
        "p50": statistics.median(rtts) if rtts else float("nan"),
        "p99": rtts[int(len(rtts) * 0.99) - 1] if rtts else float("nan"),
        "max": rtts[-1] if rtts else float("nan"),
        "renewals": f"{len(renew_ms)}/{len(renewals)} answered, max {max(renew_ms, default=0):.1f} ms",
        "other": f"{sum(1 for r in other if r)}/{len(other)} answered",
    }


def measure(binary, seconds, tmp, tag):
    ns = f"svmgap-{os.getpid()}-{tag}"
    db = f"{tmp}/{tag}.db"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    proc = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        log = open(f"{tmp}/{tag}.log", "w")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, binary, f"--fd={theirs.fileno()}",
                                 f"--mac={MAC}", f"--lease-db={db}"],
                                pass_fds=[theirs.fileno()], stderr=log)
        theirs.close()
        deadline = time.monotonic() + 10
        while " INFO ready " not in Path(f"{tmp}/{tag}.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{binary} did not start:\n" + Path(f"{tmp}/{tag}.log").read_text())
            time.sleep(0.02)
        vm = VM(ours)
        vm.lease()
        out = {"free": phase(vm, seconds, 0)}
        lock = sqlite3.connect(db, timeout=10, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            out["locked"] = phase(vm, seconds, 20000)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        if os.environ.get("GAP_LOG"):
            print(Path(f"{tmp}/{tag}.log").read_text())
        return out
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        subprocess.run(["ip", "netns", "del", ns], check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binaries", nargs="*", default=[str(ROOT / "build" / "sock-vmnet")])
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespaces)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, b in enumerate(args.binaries[:2]):
            results[b] = measure(b, args.seconds, tmp, f"b{i}")
    print(f"ping to the gateway every 1 ms for {args.seconds:g} s; RTT in ms")
    print(f"{'binary':40} {'phase':7} {'pings':>6} {'lost':>5} {'p50':>6} {'p99':>6} {'max':>8}  dhcp")
    for b, phases in results.items():
        for name, r in phases.items():
            print(f"{b[-40:]:40} {name:7} {r['pings']:6} {r['lost']:5} {r['p50']:6.2f} "
                  f"{r['p99']:6.2f} {r['max']:8.2f}  renewals {r['renewals']}; "
                  f"discover/init-reboot {r['other']}")
    if len(results) == 2:
        (first, a), (second, b) = results.items()
        print(f"locked database, longest round trip: {first} {a['locked']['max']:.2f} ms, "
              f"{second} {b['locked']['max']:.2f} ms: "
              f"{a['locked']['max'] / b['locked']['max']:.4f}x")


if __name__ == "__main__":
    sys.exit(main())
