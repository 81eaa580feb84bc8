# SPDX-License-Identifier: MIT
# e2e_net.py: the QEMU guest on sock-vmnet in hermetic namespaces: wan services, transports, probes.
"""Building blocks of the end-to-end tests and of ``tests/e2e/demo.py``.

Topology (all names unique, everything removed by ``Lab.cleanup()``)::

    QEMU guest ==[run | --fd stream | --listen | --socket]==> sock-vmnet
                                                [netns host] -- TAP -- bridge svmnet0 192.168.64.1
                                                             -- veth 203.0.113.1 <-> 203.0.113.2 [netns wan]
                                                                       dnsmasq :53, HTTP :8080,
                                                                       blob :8082, upload :8083

The namespaces come from tests/integration/conftest.py (Topology, Netns), loaded under
another module name so that it does not clash with pytest's own ``conftest``.
No traffic leaves the namespaces and socketpairs that a Lab makes.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import qemu_guest as qg  # noqa: E402


def _load_integration():
    """tests/integration/conftest.py as module ``svm_integration`` (not ``conftest``)."""
    name = "svm_integration"
    path = HERE.parent / "integration" / "conftest.py"
    if name in sys.modules:
        return sys.modules[name]
    loaded = sys.modules.get("conftest")
    if loaded is not None and Path(getattr(loaded, "__file__", "")).resolve() == path.resolve():
        sys.modules[name] = loaded  # pytest loaded it already (integration tests in this run)
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    # pytest may load a second copy as "conftest" for tests/integration in the same run;
    # namespace names are "svmt<pid>x<counter>", so keep this copy's counter apart
    mod._counter = itertools.count(1000)
    return mod


itg = _load_integration()


def _load_ipv6_vm():
    """tests/integration/ipv6_vm.py (the IPv6 addresses of the wan side, with_v6_wan)."""
    name = "svm_ipv6_vm"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, HERE.parent / "integration" / "ipv6_vm.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


v6 = _load_ipv6_vm()
WAN6, HOST_WAN6, WAN6_ALLOW = v6.WAN6, v6.HOST_WAN6, v6.WAN6_ALLOW
Topology, Netns, run = itg.Topology, itg.Netns, itg.run
SOCK_VMNET, PYTHON = itg.SOCK_VMNET, itg.PYTHON
WAN_IP, HOST_WAN_IP, GATEWAY, VM_MAC = itg.WAN_IP, itg.HOST_WAN_IP, itg.GATEWAY, itg.VM_MAC
WAN_ALLOW = itg.WAN_ALLOW

DNS_NAME = "svm-e2e.test"
DNS_ANSWER = "203.0.113.80"     # what dnsmasq in wan answers for DNS_NAME
DNS_ANSWER6 = "2001:db8:100::80"  # and for its AAAA, in a Lab with IPv6
HTTP_PORT, BLOB_PORT, UPLOAD_PORT = 8080, 8082, 8083
BLOB_SIZE = 4 << 20             # host -> guest transfer, bytes
UPLOAD_SIZE = 2 << 20           # guest -> host transfer, bytes
BLOB_SEED = 20240601
STATIC_CIDR = "192.168.64.2/24"  # used only while no DHCP server answers
NEIGHBOUR_IP = "192.168.64.50"   # an address the spoofing guest claims with ARP
NEIGHBOUR_MAC = "52:54:00:aa:bb:cc"
SPOOF_MAC = "52:54:00:66:66:66"
ARTIFACTS = qg.DEFAULT_ARTIFACT_DIR

TRANSPORTS = ("run", "stream-fd", "listen", "socket")


def blob_bytes() -> bytes:
    return random.Random(BLOB_SEED).randbytes(BLOB_SIZE)


# Served in the wan namespace: a page, a blob to download and a sink that hashes uploads.
# socketserver, not http.server: nothing here may do a reverse DNS lookup.
WAN_SERVER = r"""
import hashlib, random, socket, socketserver, sys, threading
http_port, blob_port, upload_port, size, seed, upload_size = map(int, sys.argv[1:7])
ipv6 = sys.argv[7:] == ["ipv6"]
blob = random.Random(seed).randbytes(size)

class Page(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(1024).decode(errors="replace").strip()
        path = line.split(" ")[1] if line.count(" ") >= 2 else "/"
        body = f"hello from the wan host: {path} for {self.client_address[0]}\n".encode()
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        print(f"page {path} for {self.client_address[0]}", flush=True)

class Blob(socketserver.StreamRequestHandler):
    def handle(self):
        self.rfile.readline(1024)
        self.wfile.write(blob)
        print(f"blob {len(blob)} bytes to {self.client_address[0]}", flush=True)

class Upload(socketserver.StreamRequestHandler):
    def handle(self):
        h, n = hashlib.sha256(), 0
        while n < upload_size:
            chunk = self.rfile.read1(min(65536, upload_size - n))
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
        self.wfile.write(f"{n} {h.hexdigest()}\n".encode())
        print(f"upload {n} bytes from {self.client_address[0]}", flush=True)

class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

class Server6(Server):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()

servers = [Server(("0.0.0.0", p), h) for p, h in
           ((http_port, Page), (blob_port, Blob), (upload_port, Upload))]
if ipv6:
    servers += [Server6(("::", p), h) for p, h in
                ((http_port, Page), (blob_port, Blob), (upload_port, Upload))]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""


# ---------------------------------------------------------------------------------------
# QEMU backends that qemu_guest.py does not have, and a guest started through a wrapper
# ---------------------------------------------------------------------------------------

class RunFd:
    """-netdev dgram on fd 3 that ``sock-vmnet run`` hands to QEMU (nothing to pass)."""
    close_in_parent = False

    def __init__(self, number: int = 3):
        self.number = number

    def netdev_arg(self, netid: str) -> str:
        return f"dgram,id={netid},local.type=fd,local.str={self.number}"

    def pass_fds(self) -> list:
        return []


class DgramUnix:
    """-netdev dgram between two unix datagram paths, as vfkit talks to --socket."""
    close_in_parent = False

    def __init__(self, local: Path, remote: Path):
        self.local, self.remote = Path(local), Path(remote)

    def netdev_arg(self, netid: str) -> str:
        esc = qg._qemu_escape
        return (f"dgram,id={netid},local.type=unix,local.path={esc(self.local)},"
                f"remote.type=unix,remote.path={esc(self.remote)}")

    def pass_fds(self) -> list:
        return []


class WrappedGuest(qg.QemuGuest):
    """A QemuGuest whose QEMU command runs behind a prefix (``sock-vmnet run ... --``)."""

    def __init__(self, *args, wrapper=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.wrapper = [str(a) for a in wrapper]

    def build_command(self, scenario_path: Path) -> list:
        return self.wrapper + super().build_command(scenario_path)


# ---------------------------------------------------------------------------------------
# sock-vmnet's log: readiness and counters
# ---------------------------------------------------------------------------------------

class VmnetLog:
    """The stderr of one sock-vmnet (a file), and the process to signal."""

    def __init__(self, path: Path, pid_of):
        self.path = Path(path)
        self._pid_of = pid_of  # callable: the pid to signal, or None

    def text(self) -> str:
        try:
            return self.path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def all_stats(self) -> list:
        out = []
        for line in self.text().splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def stats(self) -> Optional[dict]:
        s = self.all_stats()
        return s[-1] if s else None

    def wait_for(self, text: str, timeout: float, alive=None) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.text():
                return True
            if alive is not None and not alive():
                return text in self.text()
            time.sleep(0.02)
        return False

    def live_stats(self, timeout: float = 3.0) -> Optional[dict]:
        """Send SIGUSR1 and return the counters it prints."""
        pid = self._pid_of()
        if pid is None:
            return None
        before = len(self.all_stats())
        os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.all_stats()
            if len(s) > before:
                return s[-1]
            time.sleep(0.02)
        return None


# ---------------------------------------------------------------------------------------
# Guest scenarios (busybox sh; helpers from tests/guest/init)
# ---------------------------------------------------------------------------------------

def scenario_address(use_dhcp: bool) -> str:
    """Get an address: DHCP when a server answers, else the static fallback."""
    if use_dhcp:
        return "svm_dhcp || svm_result dhcp fail\n"
    return (f"svm_static {STATIC_CIDR} {GATEWAY} && svm_result static {STATIC_CIDR}\n"
            f"echo 'nameserver {GATEWAY}' > /etc/resolv.conf\n")


def scenario_connectivity(use_dhcp: bool, transfer: bool = True) -> str:
    s = scenario_address(use_dhcp)
    s += f"""
svm_result addr "$(ip -4 -o addr show dev eth0 | awk '{{print $4}}' | head -n 1)"
svm_ping ping_gw {GATEWAY} 3
out=$(nslookup {DNS_NAME} 2>&1)
echo "$out"
svm_result dns "$(echo "$out" | sed -n '/^Name:/,$p' | grep -o '{re.escape(DNS_ANSWER)}' | head -n 1)"
svm_http web {WAN_IP} {HTTP_PORT} /index.html
"""
    if transfer:
        s += f"""
t0=$(cut -d' ' -f1 /proc/uptime)
printf 'blob\\n' | timeout 90 nc -w 10 {WAN_IP} {BLOB_PORT} > /tmp/blob
t1=$(cut -d' ' -f1 /proc/uptime)
svm_result down_size "$(wc -c < /tmp/blob)"
svm_result down_sha "$(sha256sum /tmp/blob | cut -d' ' -f1)"
svm_result down_seconds "$(echo "$t1 - $t0" | bc)"
rm -f /tmp/blob
dd if=/dev/urandom of=/tmp/up bs=65536 count={UPLOAD_SIZE // 65536} 2>/dev/null
svm_result up_sha "$(sha256sum /tmp/up | cut -d' ' -f1)"
svm_result up_reply "$(timeout 90 nc -w 10 {WAN_IP} {UPLOAD_PORT} < /tmp/up)"
rm -f /tmp/up
"""
    return s


# One ping that is expected to fail: short, so refused traffic costs 3 s, not 10.
_TRY_PING = """
try_ping() {
    local key=$1 host=$2
    shift 2
    if ping -c 2 -W 1 -w 3 "$@" "$host" > /dev/null 2>&1; then
        svm_result "$key" ok
    else
        svm_result "$key" fail
    fi
}
"""


def scenario_spoofing() -> str:
    """A static address, then DHCP, then a second address, another MAC, a claimed
    neighbour address. Each ``spoof_*`` result should be ``fail``; honest ones ``ok``."""
    return _TRY_PING + f"""
# 1. a static address instead of asking DHCP
svm_static 192.168.64.99/24
try_ping spoof_static {GATEWAY}
ip -4 addr flush dev eth0
ip neigh flush dev eth0
# the honest way
svm_dhcp || svm_result dhcp fail
try_ping honest {GATEWAY}
# 2. a second address, and traffic from it
ip addr add 192.168.64.200/24 dev eth0
try_ping spoof_second_addr {GATEWAY} -I 192.168.64.200
ip addr del 192.168.64.200/24 dev eth0
# 3. another MAC address
mac=$(cat /sys/class/net/eth0/address)
if ! ip link set dev eth0 address {SPOOF_MAC}; then
    ip link set eth0 down; ip link set dev eth0 address {SPOOF_MAC}; ip link set eth0 up
    ip route add default via {GATEWAY} dev eth0
fi
svm_result spoof_mac_now "$(cat /sys/class/net/eth0/address)"
ip neigh flush dev eth0
try_ping spoof_mac {GATEWAY}
if ! ip link set dev eth0 address "$mac"; then
    ip link set eth0 down; ip link set dev eth0 address "$mac"; ip link set eth0 up
    ip route add default via {GATEWAY} dev eth0
fi
ip neigh flush dev eth0
try_ping recovered {GATEWAY}
# 4. claim a neighbour's address (gratuitous request, then unsolicited reply)
# (busybox arping binds to the sender address, so the guest takes it first)
ip addr add {NEIGHBOUR_IP}/32 dev eth0
arping -c 2 -U -I eth0 -s {NEIGHBOUR_IP} {NEIGHBOUR_IP}
arping -c 2 -A -I eth0 -s {NEIGHBOUR_IP} {NEIGHBOUR_IP}
svm_result arp_spoof_sent 1
ip addr del {NEIGHBOUR_IP}/32 dev eth0
sleep 1
"""


# ---------------------------------------------------------------------------------------
# The lab: namespaces, wan services, one sock-vmnet + guest at a time
# ---------------------------------------------------------------------------------------

class GuestRun:
    """What one boot left: the guest's result and sock-vmnet's log and counters."""

    def __init__(self, transport, result, vmnet_log, stats, live_stats, vmnet_rc, checkpoint):
        self.transport = transport
        self.checkpoint = checkpoint    # what the checkpoint callback returned, or None
        self.result = result            # qemu_guest.GuestResult
        self.vmnet_log = vmnet_log      # VmnetLog
        self.stats = stats              # the counters printed at exit (dict) or None
        self.live_stats = live_stats    # counters from SIGUSR1 during the run, or None
        self.vmnet_rc = vmnet_rc        # sock-vmnet's (or run's) exit status

    @property
    def r(self) -> dict:
        return self.result.results

    def where(self) -> str:
        return f"(console: {self.result.console_log}, sock-vmnet log: {self.vmnet_log.path})"


class Lab:
    """Host and wan namespaces with dnsmasq and the wan servers; boots guests on them."""

    def __init__(self, tmp, name: str, dns: bool = True, ipv6: bool = False):
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        # --socket and --listen paths: sock-vmnet removes them after it gave up root
        # (--sandbox, by default), so their directory is the sandbox user's, outside
        # pytest's root-only tree
        self.sock_dir = Path(tempfile.mkdtemp(prefix="svm-e2e-"))
        os.chmod(self.sock_dir, 0o755)
        itg.open_to_sandbox_user(self.sock_dir)
        self.name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)
        self.topo = Topology(self.tmp)
        self.procs = []
        self.ipv6 = ipv6  # IPv6 between host and wan, an AAAA answer, servers on :: too
        try:
            if ipv6:
                v6.with_v6_wan(self.topo)
            if dns:
                self._start_dnsmasq()
            self._start_wan_server()
        except Exception:
            self.cleanup()
            raise

    # -- wan services -------------------------------------------------------------------
    def _start_dnsmasq(self):
        log = open(self.tmp / "dnsmasq.log", "w")
        p = self.topo.wan.popen(
            ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
             "--no-hosts", "--bind-interfaces", f"--listen-address={WAN_IP}",
             "--port=53", f"--address=/{DNS_NAME}/{DNS_ANSWER}", "--log-queries",
             *([f"--address=/{DNS_NAME}/{DNS_ANSWER6}"] if self.ipv6 else []),
             "--log-facility=-", f"--pid-file={self.tmp / 'dnsmasq.pid'}", "--user=root"],
            stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        log.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError("dnsmasq exited: " + (self.tmp / "dnsmasq.log").read_text())
            out = self.topo.wan.run(["ss", "-lun"], check=False).stdout
            if f"{WAN_IP}:53 " in out:
                return
            time.sleep(0.05)
        raise RuntimeError("dnsmasq did not start listening in 5 s")

    def _start_wan_server(self):
        self.wan_log = self.tmp / "wan-server.log"
        log = open(self.wan_log, "w")
        p = self.topo.wan.popen([PYTHON, "-u", "-c", WAN_SERVER, HTTP_PORT, BLOB_PORT,
                                 UPLOAD_PORT, BLOB_SIZE, BLOB_SEED, UPLOAD_SIZE,
                                 *(["ipv6"] if self.ipv6 else [])],
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "ready" in self.wan_log.read_text():
                return
            if p.poll() is not None:
                raise RuntimeError("wan server exited: " + self.wan_log.read_text())
            time.sleep(0.05)
        raise RuntimeError("wan server not ready in 10 s")

    # -- sock-vmnet ---------------------------------------------------------------------
    @staticmethod
    def service_args() -> list:
        """DNS upstream in wan, and the wan range allowed by the policy."""
        return ["--dns", WAN_IP] + list(WAN_ALLOW)

    def vmnet_args(self, extra=()) -> list:
        return (["--mac", VM_MAC, "--lease-db", str(self.tmp / "leases.db")]
                + self.service_args() + list(extra))

    def _popen_vmnet(self, args, log_path: Path, pass_fds=()):
        log = open(log_path, "w")
        p = self.topo.host.popen([SOCK_VMNET] + list(args), stdout=log, stderr=log,
                                 pass_fds=list(pass_fds))
        log.close()
        self.procs.append(p)
        return p

    def seed_neighbour(self):
        """A stale neighbour entry on the bridge that a passing ARP spoof would overwrite."""
        self.topo.host.run(["ip", "neigh", "replace", NEIGHBOUR_IP, "lladdr", NEIGHBOUR_MAC,
                            "dev", "svmnet0", "nud", "stale"])

    def neighbour_mac(self) -> Optional[str]:
        out = self.topo.host.run(["ip", "neigh", "show", NEIGHBOUR_IP, "dev", "svmnet0"],
                                 check=False).stdout
        m = re.search(r"lladdr (\S+)", out)
        return m.group(1) if m else None

    def boot(self, scenario: str, transport: str = "run", image=None, timeout: float = 120,
             on_start=None, live_stats_after: Optional[str] = None, checkpoint=None,
             name: Optional[str] = None, vmnet_extra=(), ipv6: bool = False) -> GuestRun:
        """Boot the guest on sock-vmnet over @transport and wait until it powers off.

        on_start(log): called once sock-vmnet is ready (e.g. to seed the neighbour table).
        live_stats_after: an SVM-RESULT key; once the guest prints it, the counters are
        asked for with SIGUSR1 while the guest (and the TAP, the bridge port) still runs.
        checkpoint: callable(log) run at that same moment; its value is kept.
        ipv6: the guest's kernel with IPv6 (else ipv6.disable=1).
        """
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}")
        name = name or f"{self.name}-{transport}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        log_path = ARTIFACTS / f"{name}.sock-vmnet.log"
        args = self.vmnet_args(vmnet_extra)
        common = dict(image=image, mac=VM_MAC, timeout=timeout, ipv6=ipv6, name=name)
        vmnet_proc = None
        guest_end = None

        if transport == "run":
            # stderr (sock-vmnet's log, QEMU's errors) to the log; the console stays clean
            wrapper = self.topo.host.cmd(
                ["sh", "-c", 'exec 2>>"$0"; exec "$@"', log_path, SOCK_VMNET, "run"] + args
                + ["--"])
            log_path.write_text("")
            guest = WrappedGuest(scenario, RunFd(3), wrapper=wrapper, **common)
            log = VmnetLog(log_path, lambda: guest.proc.pid if guest.running else None)
        else:
            if transport == "stream-fd":
                ours, guest_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                vmnet_proc = self._popen_vmnet(args + [f"--fd={ours.fileno()}"], log_path,
                                               pass_fds=[ours.fileno()])
                ours.close()
                net = qg.StreamFd(guest_end)
            elif transport == "listen":
                path = self.sock_dir / "vm-stream.sock"
                vmnet_proc = self._popen_vmnet(args + [f"--listen={path}"], log_path)
                net = qg.StreamUnix(path, server=False)
            else:  # socket
                path = self.sock_dir / "vm-dgram.sock"
                vmnet_proc = self._popen_vmnet(args + [f"--socket={path}"], log_path)
                net = DgramUnix(self.tmp / "qemu-dgram.sock", path)
            log = VmnetLog(log_path, lambda: vmnet_proc.pid if vmnet_proc.poll() is None
                           else None)
            if not log.wait_for(" INFO ready ", 10, alive=lambda: vmnet_proc.poll() is None):
                if guest_end is not None:
                    guest_end.close()
                raise AssertionError(f"sock-vmnet not ready:\n{log.text()}")
            guest = qg.QemuGuest(scenario, net, **common)

        live = seen = None
        with guest:
            guest.start()
            if transport == "run":
                if not log.wait_for(" INFO ready ", 10, alive=lambda: guest.running):
                    guest.kill()
                    raise AssertionError(f"sock-vmnet run not ready:\n{log.text()}")
            if on_start is not None:
                on_start(log)
            if live_stats_after:
                if guest.wait_for(live_stats_after, timeout + 10) is not None:
                    live = log.live_stats()
                    if checkpoint is not None:
                        seen = checkpoint(log)
            result = guest.wait()
        if transport == "run":
            rc = result.returncode
        else:
            # --fd: the VM's end closed, sock-vmnet ends by itself; the others wait for
            # another VM and are stopped like a service manager would
            if transport != "stream-fd" or not _wait(vmnet_proc, 5):
                vmnet_proc.send_signal(signal.SIGTERM)
            if not _wait(vmnet_proc, 10):
                vmnet_proc.kill()
                vmnet_proc.wait()
            rc = vmnet_proc.returncode
        return GuestRun(transport, result, log, log.stats(), live, rc, seen)

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        self.topo.cleanup()
        shutil.rmtree(self.sock_dir, ignore_errors=True)


def _wait(proc, timeout: float) -> bool:
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


# ---------------------------------------------------------------------------------------
# What the build under test can do yet (DHCP, DNS and the guard land separately)
# ---------------------------------------------------------------------------------------

class Features:
    def __init__(self, dhcp: bool, guard: bool, dns: bool, lease: Optional[str], notes: list):
        self.dhcp, self.guard, self.dns, self.lease, self.notes = dhcp, guard, dns, lease, notes

    def __repr__(self):
        return (f"Features(dhcp={self.dhcp}, guard={self.guard}, dns={self.dns}, "
                f"lease={self.lease})")


SKIP_NO_DHCP = "DHCP server not available (no lease within the probe's time)"
SKIP_NO_GUARD = "guard not enforcing yet (a spoofed source address went through)"
SKIP_NO_DNS = "DNS on the gateway not available (no answer within 3 s)"
SKIP_NO_ADDRESS = "the guard requires a lease but no DHCP server answers yet"


def probe_features(tmp) -> Features:
    """Ask a running sock-vmnet, with a scapy VM on its socketpair, what it serves yet:
    a DHCP lease, a guard that drops a forged source address, DNS on the gateway."""
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import ICMP, IP, UDP
    from scapy.layers.l2 import ARP, Ether

    lab = Lab(tmp, "probe")
    notes = []
    try:
        vm = itg.ScapyVM(lab.topo.start_vmnet(lab.service_args()))
        lease = vm.dhcp(timeout=3)
        # a forged source, before or beside the lease: an enforcing guard drops both
        forged = "192.168.64.77"
        vm.net.send(Ether(src=vm.mac, dst="ff:ff:ff:ff:ff:ff") /
                    ARP(op=1, hwsrc=vm.mac, psrc=forged, pdst=GATEWAY))
        vm.net.send(Ether(src=vm.mac, dst="ff:ff:ff:ff:ff:ff") /
                    IP(src=forged, dst=GATEWAY) / ICMP())
        time.sleep(0.2)
        stats = vm.net.live_stats() or {}
        drops = stats.get("drops", {})
        guard = any(drops.get(k, 0) for k in ("ip-src", "no-lease", "arp-sender-ip"))
        dns = False
        vm.ip = lease or (None if guard else forged)
        if vm.ip and vm.arp_gateway():
            qid = random.randrange(1, 65535)
            answer = vm.exchange(vm.ip_frame(GATEWAY, UDP(sport=40000 + qid % 20000, dport=53) /
                                             DNS(id=qid, rd=1, qd=DNSQR(qname=DNS_NAME))),
                                 lambda p: p.haslayer(DNS) and p[DNS].id == qid, timeout=3)
            dns = answer is not None
        else:
            notes.append("no address to probe DNS from")
        return Features(dhcp=lease is not None, guard=guard, dns=dns, lease=lease, notes=notes)
    finally:
        lab.cleanup()
