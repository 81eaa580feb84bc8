# SPDX-License-Identifier: MIT
# conftest.py — hermetic test topology: network namespaces, sock-vmnet on a socketpair, a scapy "VM"
"""Shared fixtures for the integration tests.

Topology made by the ``topo`` fixture (all names unique per test, all removed afterwards):

    scapy VM (this process) ==socketpair==> sock-vmnet --+-- TAP -- bridge svmnet0 (192.168.64.1/24)
                                          [netns "host"] |
                                                          +-- veth 203.0.113.1 <--> 203.0.113.2 [netns "wan"]

The "wan" host is in a documentation range, which the guard refuses by default, so tests
that talk to it pass ``--allow 203.0.113.0/24`` (``WAN_ALLOW``).
"""
import itertools
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP, ICMP
from scapy.layers.l2 import ARP, Ether
from scapy.layers.dhcp import BOOTP, DHCP

ROOT = Path(__file__).resolve().parents[2]
SOCK_VMNET = Path(os.environ.get("SOCK_VMNET", ROOT / "build" / "sock-vmnet")).absolute()
PYTHON = "/usr/bin/python3"

HOST_WAN_IP = "203.0.113.1"
WAN_IP = "203.0.113.2"
WAN_ALLOW = ["--allow", "203.0.113.0/24"]
GATEWAY = "192.168.64.1"
VM_MAC = "52:54:00:12:34:56"

_counter = itertools.count()



def _user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


# Who sock-vmnet is after setup when started as root (--sandbox=on, no --user): the
# sock-vmnet user if the machine has one, else nobody (a pwd.struct_passwd).
SANDBOX_USER = _user("sock-vmnet") or _user("nobody")


def open_to_sandbox_user(path):
    """Make @path, a directory of the test's, the sandbox user's, as an operator would:
    sock-vmnet writes its metrics, rotates its captures and removes its sockets there after
    it gave up root."""
    os.chown(path, SANDBOX_USER.pw_uid, SANDBOX_USER.pw_gid)

# The same suite runs through the vmnet back-end in the simulation build (make vmnet-sim:
# SVM_BACKEND=vmnet, SOCK_VMNET=build-sim/sock-vmnet), whose bridge is then called as the
# tap back-end's, so that tests which look at the bridge see the simulated one.
BACKEND = os.environ.get("SVM_BACKEND", "tap")
if BACKEND == "vmnet":
    os.environ.setdefault("SVM_VMNET_SIM_BRIDGE", "svmnet0")
# Tests of what only the tap back-end has; skipped (with the reason) in the vmnet run.
TAP_ONLY = {
    "test_bridge_with_a_conflicting_address_is_refused": "--bridge is the tap back-end's",
    "test_bridge_name_of_a_non_bridge_is_refused": "--bridge is the tap back-end's",
    "test_second_instance_with_the_same_mac_is_refused":
        "names the tap back-end's network (test_vmnet.py has the vmnet one)",
    "test_leases_cli_lists_leases": "names the tap back-end's network (test_vmnet.py has the vmnet one)",
}
# Files of what only the tap back-end has: its bridge, TAP and NAT table watched and repaired,
# its bridge's lease database, its TAP's queue.
TAP_ONLY_FILES = {"test_host_faults.py"}
# A sanitizer build (SVM_SANITIZER=thread): every report fails the test that caused it.
SANITIZER = os.environ.get("SVM_SANITIZER")
# The OS layer under test: "linux", or "darwin" (make vmnet-sim-darwin: src/os/darwin's
# loop and peer watch over sim/xnu's simulated XNU).
SIM_OS = os.environ.get("SVM_SIM_OS", "linux")


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = getattr(item, "originalname", item.name)
        if BACKEND == "vmnet" and name in TAP_ONLY:
            item.add_marker(pytest.mark.skip(reason=f"tap back-end only: {TAP_ONLY[name]}"))
        if BACKEND == "vmnet" and item.fspath.basename in TAP_ONLY_FILES:
            item.add_marker(pytest.mark.skip(reason="tap back-end only: its bridge, TAP and NAT"))
        if BACKEND != "vmnet" and item.fspath.basename == "test_vmnet.py":
            item.add_marker(pytest.mark.skip(reason="the vmnet simulation build only"))


def run(cmd, check=True, **kw):
    """Run a command (list), capture its output, raise with the output on failure."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 30), **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({r.returncode}): {r.stderr.strip()}")
    return r


class Netns:
    """A network namespace this test made; run() and popen() run commands inside it."""

    def __init__(self, name):
        self.name = name
        run(["ip", "netns", "add", name])
        self.run(["ip", "link", "set", "lo", "up"])

    def cmd(self, argv):
        return ["ip", "netns", "exec", self.name] + [str(a) for a in argv]

    def run(self, argv, check=True, **kw):
        return run(self.cmd(argv), check=check, **kw)

    def popen(self, argv, **kw):
        return subprocess.Popen(self.cmd(argv), **kw)

    def links(self):
        out = self.run(["ip", "-o", "link", "show"]).stdout
        return [re.split(r"[:@]", line.split(": ", 1)[1])[0] for line in out.splitlines()]

    def delete(self):
        # killing what still runs inside first, so the namespace really goes
        pids = run(["ip", "netns", "pids", self.name], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", self.name], check=False)


class Vmnet:
    """One running sock-vmnet; this process holds the VM's end of its socketpair."""

    def __init__(self, topo, mac, args, lease_db, name, prefix=(), pass_fds=()):
        self.topo = topo
        self.mac = mac
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.stderr_path = topo.tmp / f"{name}.stderr"
        self._stderr = open(self.stderr_path, "w")
        argv = (list(prefix) + [SOCK_VMNET, f"--fd={theirs.fileno()}", f"--mac={mac}"]
                + ([f"--lease-db={lease_db}"] if lease_db else []) + list(args))
        self.proc = topo.host.popen(argv, pass_fds=[theirs.fileno()] + list(pass_fds),
                                    stdout=self._stderr,
                                    stderr=self._stderr)
        theirs.close()
        self.returncode = None
        # --vm-offload=vnet-hdr: a 12-byte virtio-net header before every frame, both ways
        self.vnet_hdr = "--vm-offload=vnet-hdr" in [str(a) for a in args]
        self.last_hdr = None

    # --- lifecycle ---------------------------------------------------------------------
    def stderr(self):
        return self.stderr_path.read_text()

    def wait_ready(self, timeout=10):
        """Wait for the "ready" log line; fail with the log if the process died first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " INFO ready " in self.stderr():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"sock-vmnet exited {self.proc.returncode}:\n{self.stderr()}")
            time.sleep(0.02)
        raise AssertionError(f"sock-vmnet not ready after {timeout}s:\n{self.stderr()}")

    def stop(self, sig=signal.SIGTERM, timeout=5):
        """Signal it and wait; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.returncode = self.proc.wait()
            raise AssertionError(f"sock-vmnet ignored {sig!r} for {timeout}s:\n{self.stderr()}")
        return self.returncode

    def stats(self):
        """The last stats JSON line on stderr (printed at exit or on SIGUSR1)."""
        lines = [l for l in self.stderr().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None

    def live_stats(self, timeout=2):
        """Ask for the counters with SIGUSR1 and return them."""
        before = self.stderr().count("\n{")
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stderr().count("\n{") > before:
                return self.stats()
            time.sleep(0.02)
        raise AssertionError("no stats after SIGUSR1")

    def tap_name(self):
        """The host-side interface: the tap back-end's TAP, or the vmnet simulation's."""
        m = re.search(r"(?:tap ready name=|vmnet-sim\[\d+\]: ready interface=)(\S+)",
                      self.stderr())
        return m.group(1) if m else None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self._stderr.close()

    # --- frames --------------------------------------------------------------------------
    def send(self, frame, hdr=None):
        """Send @frame; with --vm-offload=vnet-hdr behind @hdr (12 bytes; default: empty)."""
        head = (hdr if hdr is not None else bytes(12)) if self.vnet_hdr else b""
        self.sock.send(head + bytes(frame))

    def recv(self, timeout=2.0, match=None):
        """Return the next frame from the VM side (as scapy Ether) that @match accepts."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(70000)
            except (socket.timeout, BlockingIOError):
                return None
            if self.vnet_hdr:
                self.last_hdr, data = data[:12], data[12:]
            pkt = Ether(data)
            if match is None or match(pkt):
                return pkt


class ScapyVM:
    """A VM played by scapy over a Vmnet's socketpair: DHCP, ARP, ping, UDP."""

    def __init__(self, vmnet):
        self.net = vmnet
        self.mac = vmnet.mac
        self.ip = None
        self.gateway = GATEWAY
        self.gateway_mac = None

    def dhcp(self, timeout=5):
        """DISCOVER/OFFER/REQUEST/ACK; returns the leased address or None."""
        xid = int.from_bytes(os.urandom(4), "big")
        chaddr = bytes.fromhex(self.mac.replace(":", ""))
        base = (Ether(src=self.mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
                / UDP(sport=68, dport=67) / BOOTP(chaddr=chaddr, xid=xid, flags=0x8000))
        self.net.send(base / DHCP(options=[("message-type", "discover"), "end"]))
        is_reply = lambda t: (lambda p: p.haslayer(DHCP) and p[BOOTP].xid == xid and
                              ("message-type", t) in p[DHCP].options)
        offer = self.net.recv(timeout, is_reply(2))
        if offer is None:
            return None
        addr = offer[BOOTP].yiaddr
        server = offer[IP].src
        self.net.send(base / DHCP(options=[("message-type", "request"), ("requested_addr", addr),
                                           ("server_id", server), "end"]))
        ack = self.net.recv(timeout, is_reply(5))
        if ack is None:
            return None
        self.ip = ack[BOOTP].yiaddr
        return self.ip

    def arp_gateway(self, timeout=3):
        self.net.send(Ether(src=self.mac, dst="ff:ff:ff:ff:ff:ff") /
                      ARP(op=1, hwsrc=self.mac, psrc=self.ip, pdst=self.gateway))
        reply = self.net.recv(timeout, lambda p: p.haslayer(ARP) and p[ARP].op == 2
                              and p[ARP].psrc == self.gateway)
        if reply is not None:
            self.gateway_mac = reply[ARP].hwsrc
        return self.gateway_mac

    def answer_arp(self, pkt):
        """Reply to an ARP request for our address (the host asks before it answers us)."""
        if pkt.haslayer(ARP) and pkt[ARP].op == 1 and pkt[ARP].pdst == self.ip:
            self.net.send(Ether(src=self.mac, dst=pkt[ARP].hwsrc) /
                          ARP(op=2, hwsrc=self.mac, psrc=self.ip, hwdst=pkt[ARP].hwsrc,
                              pdst=pkt[ARP].psrc))
            return True
        return False

    def ip_frame(self, dst, payload):
        """An Ethernet frame from this VM to @dst (routed through the gateway)."""
        return Ether(src=self.mac, dst=self.gateway_mac) / IP(src=self.ip, dst=dst) / payload

    def exchange(self, frame, match, timeout=3):
        """Send @frame and wait for a frame @match accepts, answering ARP meanwhile."""
        self.net.send(frame)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pkt = self.net.recv(deadline - time.monotonic())
            if pkt is None:
                return None
            if self.answer_arp(pkt):
                continue
            if match(pkt):
                return pkt
        return None

    def ping(self, dst, timeout=3, ident=0x5356, seq=1, payload=b"sock-vmnet"):
        reply = self.exchange(self.ip_frame(dst, ICMP(type=8, id=ident, seq=seq) / payload),
                              lambda p: p.haslayer(ICMP) and p[ICMP].type == 0 and
                              p[ICMP].id == ident and p[ICMP].seq == seq, timeout)
        return reply is not None


class Topology:
    """Namespaces "host" and "wan" joined by a veth; starts sock-vmnet instances in "host"."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.id = f"svmt{os.getpid() % 100000}x{next(_counter)}"
        self.lease_db = self.tmp / "leases.db"
        self.instances = []
        self.procs = []
        self.host = self.wan = None
        try:
            self.host = Netns(self.id + "-host")
            self.wan = Netns(self.id + "-wan")
            run(["ip", "link", "add", "veth-h", "netns", self.host.name, "type", "veth",
                 "peer", "name", "veth-w", "netns", self.wan.name])
            self.host.run(["ip", "addr", "add", HOST_WAN_IP + "/24", "dev", "veth-h"])
            self.host.run(["ip", "link", "set", "veth-h", "up"])
            self.wan.run(["ip", "addr", "add", WAN_IP + "/24", "dev", "veth-w"])
            self.wan.run(["ip", "link", "set", "veth-w", "up"])
        except Exception:
            self.cleanup()
            raise

    def start_vmnet(self, args=(), mac=VM_MAC, lease_db=None, ready=True, prefix=(), pass_fds=()):
        """sock-vmnet in the host namespace, under @prefix (a command that execs the rest);
        @lease_db "" gives no --lease-db (its default); @pass_fds: more descriptors for it."""
        vm = Vmnet(self, mac, args, self.lease_db if lease_db is None else lease_db,
                   f"vmnet{len(self.instances)}", prefix, pass_fds)
        self.instances.append(vm)
        if ready:
            vm.wait_ready()
        return vm

    def wan_popen(self, script, *args):
        """Run a Python script (text) in the wan namespace; killed at cleanup."""
        p = self.wan.popen([PYTHON, "-c", script] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def cleanup(self):
        for vm in self.instances:
            vm.close()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in (self.host, self.wan):
            if ns:
                ns.delete()


@pytest.fixture
def topo():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    if not SOCK_VMNET.exists():
        pytest.skip(f"{SOCK_VMNET} is not built")
    # The test's files, in a directory of the sandbox user's (see open_to_sandbox_user())
    # under /tmp: pytest's own are root's alone, and every pytest that starts makes its root
    # directory 0700 again.
    tmp = Path(tempfile.mkdtemp(prefix="svm-test-"))
    open_to_sandbox_user(tmp)
    t = Topology(tmp)
    yield t
    t.cleanup()
    try:
        if SANITIZER:
            reports = [vm.stderr() for vm in t.instances if "Sanitizer" in vm.stderr()]
            assert not reports, f"{SANITIZER} sanitizer report:\n" + "\n".join(reports)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def vm_on(topo):
    """Start sock-vmnet with extra args and return a ScapyVM on it: vm_on("--allow", ...)."""
    def start(*args, mac=VM_MAC):
        return ScapyVM(topo.start_vmnet(args, mac=mac))
    return start


# A tiny UDP echo server and TCP server for the wan namespace (socketserver: no DNS lookups).
UDP_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    data, addr = s.recvfrom(65535)
    s.sendto(b"echo:" + data + b" from " + addr[0].encode(), addr)
"""

TCP_ECHO = """
import socketserver, sys
class H(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(65535)
        self.request.sendall(b"echo:" + data + b" from " + self.client_address[0].encode())
socketserver.TCPServer.allow_reuse_address = True
srv = socketserver.TCPServer(("0.0.0.0", int(sys.argv[1])), H)
print("ready", flush=True)
srv.serve_forever()
"""


def wait_line(proc, text="ready", timeout=5):
    """Wait for a line from a helper process's stdout."""
    import select
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if r and text in proc.stdout.readline():
            return
    raise AssertionError(f"helper did not print {text!r}")
