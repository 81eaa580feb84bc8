#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# name_check.py — what the name check costs: a first request's round trip, 100 MB each way, CPU; two binaries side by side
"""Usage: bench/name_check.py [--old BINARY] [--new BINARY] [--mb N] [--rounds N]   (as root)

A namespace "VM" (a TAP through bench/pump, the kernel's own TCP) behind sock-vmnet, with
  --block 0.0.0.0/0 --allow tcp:named.test:80 --allow tcp:named.test:443 --allow tcp:ADDR:8080
and a server in a "wan" namespace at ADDR (198.19.0.1, the RFC 2544 benchmark range), which
named.test resolves to (dnsmasq on the host side). For each binary it measures, in its own
namespaces, made here and deleted afterwards:
  rtt http, address   a one-segment request to port 8080 (an address rule: no check), from
                      the request's send to the answer's first byte: median of --rounds
  rtt http, name      the same to port 80, allowed by the name alone: judged, passed as is
  rtt tls 2 segments  a ClientHello for named.test sent in two segments to port 443: held,
                      judged, released
  download, name      --mb MB from port 80 (the VM's ACKs are checked segments): MB/s, and
                      sock-vmnet's CPU seconds per GB
  upload, name        --mb MB POSTed to port 80 (a checked body, kept until acknowledged)
and prints them, and the new binary's ratio to the old one. The machine's load shows in the
numbers: run both in one go, and more than once.
"""
import argparse
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUMP = ROOT / "build" / "bench" / "pump"
ADDR, HOST_WAN, GATEWAY = "198.19.0.1", "198.19.0.254", "192.168.64.1"
MAC = "52:54:00:12:34:56"

SERVER = r"""
import socket, sys, threading
def handle(c, port):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        if port == 443:          # a ClientHello: its record's length, then "ok"
            while len(buf) < 5 or len(buf) < 5 + int.from_bytes(buf[3:5], "big"):
                d = c.recv(65536)
                if not d: return
                buf += d
            c.sendall(b"ok")
            return
        while True:
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d: return
                buf += d
            head, buf = buf.split(b"\r\n\r\n", 1)
            if head.startswith(b"POST"):
                n = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                while len(buf) < n:
                    d = c.recv(1 << 20)
                    if not d: return
                    buf += d
                buf = buf[n:]
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            elif head.startswith(b"GET /big/"):
                n = int(head.split(b"/big/")[1].split(b" ")[0])
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
                chunk = b"x" * (1 << 20)
                while n:
                    k = min(n, len(chunk)); c.sendall(chunk[:k]); n -= k
            else:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    except OSError:
        pass
    finally:
        c.close()
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, port), daemon=True).start()
for p in (80, 443, 8080):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""

CLIENT = r"""
import json, socket, ssl, sys, time
what, host, rounds, mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def conn(port):
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
def first_byte(s, parts):
    t0 = time.perf_counter()
    for p in parts:
        s.sendall(p)
    s.recv(1)
    return (time.perf_counter() - t0) * 1e6
out = []
if what in ("http-address", "http-name"):
    port = 8080 if what == "http-address" else 80
    req = b"GET / HTTP/1.1\r\nHost: named.test\r\n\r\n"
    for _ in range(rounds):
        s = conn(port); out.append(first_byte(s, [req])); s.close()
elif what == "tls":
    ctx = ssl.create_default_context(); ctx.check_hostname = False
    bio = ssl.MemoryBIO(); t = ctx.wrap_bio(ssl.MemoryBIO(), bio, server_hostname="named.test")
    try: t.do_handshake()
    except ssl.SSLWantReadError: pass
    hello = bio.read()
    for _ in range(rounds):
        s = conn(443); out.append(first_byte(s, [hello[:100], hello[100:]])); s.close()
elif what == "download":
    s = conn(80); n = mb << 20; t0 = time.perf_counter()
    s.sendall(b"GET /big/%d HTTP/1.1\r\nHost: named.test\r\n\r\n" % n)
    got, buf = 0, bytearray(1 << 20)
    while got < n:
        k = s.recv_into(buf); got += k
        if not k: break
    out.append(time.perf_counter() - t0)
elif what == "upload":
    s = conn(80); n = mb << 20; t0 = time.perf_counter()
    s.sendall(b"POST / HTTP/1.1\r\nHost: named.test\r\nContent-Length: %d\r\n\r\n" % n)
    chunk = b"y" * (1 << 20)
    for _ in range(mb): s.sendall(chunk)
    s.recv(100)
    out.append(time.perf_counter() - t0)
print(json.dumps(out))
"""


def sh(*args, check=True, **kw):
    return subprocess.run([str(a) for a in args], check=check, capture_output=True, text=True, **kw)


class Bed:
    """Namespaces vm/host/wan, the server, dnsmasq, and sock-vmnet behind the pump."""

    def __init__(self, binary, tag, tmp):
        self.pfx = f"svmnc{os.getpid() % 10000}{tag}"
        self.vm, self.host, self.wan = (f"{self.pfx}-{n}" for n in ("vm", "host", "wan"))
        self.procs = []
        for ns in (self.vm, self.host, self.wan):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "veth-h", "netns", self.host, "type", "veth", "peer", "name",
           "veth-w", "netns", self.wan)
        sh("ip", "-n", self.host, "addr", "add", HOST_WAN + "/24", "dev", "veth-h")
        sh("ip", "-n", self.wan, "addr", "add", ADDR + "/24", "dev", "veth-w")
        for ns, dev in ((self.host, "veth-h"), (self.wan, "veth-w")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        self.bg([sys.executable, "-c", SERVER], self.wan, ready=True)
        self.bg(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                 "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", "--port=53",
                 "--user=root", "--group=root", "--pid-file=",
                 f"--host-record=named.test,{ADDR},300"], self.host)
        self.svm_log = open(tmp / f"svm-{tag}.log", "w")
        pump = subprocess.Popen(["ip", "netns", "exec", self.host, PUMP, "--netns", self.vm, "--tap",
                                 "vm0", "--mtu", "1500", "--mac", MAC, "--", binary, "--fd=3",
                                 f"--mac={MAC}", f"--lease-db={tmp}/leases-{tag}.db",
                                 "--dns=127.0.0.1", "--block", "0.0.0.0/0",
                                 "--allow", "tcp:named.test:80", "--allow", "tcp:named.test:443",
                                 "--allow", f"tcp:{ADDR}:8080"],
                                stderr=self.svm_log, stdout=subprocess.DEVNULL)
        self.procs.append(pump)
        deadline = time.monotonic() + 10
        while b" INFO ready " not in Path(self.svm_log.name).read_bytes():
            if time.monotonic() > deadline:
                raise SystemExit(f"sock-vmnet not ready: {Path(self.svm_log.name).read_text()}")
            time.sleep(0.05)
        self.svm_pid = int(sh("pgrep", "-P", pump.pid).stdout.split()[0])
        script = tmp / "udhcpc.sh"
        script.write_text("#!/bin/sh\ncase $1 in bound|renew) ip addr add $ip/24 dev $interface;"
                          " ip route replace default via $router dev $interface;; esac\n")
        script.chmod(0o755)
        sh("ip", "netns", "exec", self.vm, "udhcpc", "-i", "vm0", "-f", "-q", "-n", "-t", "5",
           "-s", script, timeout=30)
        # the VM asks for the name through the gateway: the name rules learn its address
        sh("ip", "netns", "exec", self.vm, sys.executable, "-c",
           f"import socket,struct;s=socket.socket(2,2);s.settimeout(5);"
           f"q=b'\\x12\\x34\\x01\\x00\\x00\\x01'+b'\\0'*6+b'\\x05named\\x04test\\x00\\x00\\x01\\x00\\x01';"
           f"s.sendto(q,('{GATEWAY}',53));print(s.recv(512))")

    def bg(self, argv, ns, ready=False):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in argv],
                             stdout=subprocess.PIPE if ready else subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)
        if ready:
            assert "ready" in p.stdout.readline()

    def cpu_s(self):
        f = Path(f"/proc/{self.svm_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def client(self, what, rounds, mb):
        r = sh("ip", "netns", "exec", self.vm, sys.executable, "-c", CLIENT, what, ADDR, rounds,
               mb, timeout=600)
        return eval(r.stdout)  # a JSON list of numbers

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        for ns in (self.vm, self.host, self.wan):
            sh("ip", "netns", "del", ns, check=False)


def measure(binary, tag, args, tmp):
    bed = Bed(binary, tag, tmp)
    try:
        got = {}
        for what in ("http-address", "http-name", "tls"):
            got[what] = statistics.median(bed.client(what, args.rounds, 0))
        for what in ("download", "upload"):
            c0 = bed.cpu_s()
            secs = bed.client(what, 1, args.mb)[0]
            cpu = bed.cpu_s() - c0
            got[what] = (args.mb / secs, cpu / (args.mb / 1024))
        return got
    finally:
        bed.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", default="/work/main/build/sock-vmnet")
    ap.add_argument("--new", default=str(ROOT / "build" / "sock-vmnet"))
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = measure(args.old, "o", args, Path(tmp))
        new = measure(args.new, "n", args, Path(tmp))
    print(f"{'':24} {'old':>12} {'new':>12} {'new/old':>8}")
    for what, label in (("http-address", "rtt http, address (us)"), ("http-name", "rtt http, name (us)"),
                        ("tls", "rtt tls 2 segs (us)")):
        print(f"{label:24} {old[what]:12.0f} {new[what]:12.0f} {new[what] / old[what]:8.2f}")
    for what in ("download", "upload"):
        print(f"{what + ', name (MB/s)':24} {old[what][0]:12.1f} {new[what][0]:12.1f} "
              f"{new[what][0] / old[what][0]:8.2f}")
        print(f"{what + ' cpu (s/GB)':24} {old[what][1]:12.2f} {new[what][1]:12.2f} "
              f"{new[what][1] / max(old[what][1], 1e-9):8.2f}")


if __name__ == "__main__":
    main()
