# SPDX-License-Identifier: MIT
# test_guest_boot.py: prove the QEMU test-guest harness end to end, with no sock-vmnet involved.
"""The Python side of each test holds the host end of the guest's link and
plays the network itself (capture, ARP/ICMP/DHCP responder), so these tests
check the guest image, tests/e2e/qemu_guest.py and all three socket
transports before sock-vmnet exists.  Traffic stays on the socketpair / unix
socket (or QEMU's isolated slirp); no real interface is touched.

Run: /usr/bin/python3 -m pytest tests/e2e/test_guest_boot.py -v
Console logs: build/e2e-artifacts/<test>.console.log
"""

import os
import socket
import tempfile
import time

import pytest

import qemu_guest as qg

pytest.importorskip("scapy")
from scapy.layers.dhcp import BOOTP, DHCP  # noqa: E402
from scapy.layers.inet import ICMP, IP, UDP  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402

GUEST_MAC = "52:54:00:12:34:56"
GW_MAC = "52:54:00:00:00:01"
GW_IP = "192.168.64.1"
GUEST_STATIC_IP = "192.168.64.2"
LEASE_IP = "192.168.64.10"


@pytest.fixture(scope="module")
def image():
    reason = qg.skip_reason()
    if reason:
        pytest.skip(reason)
    return qg.ensure_guest()


def _name(request) -> str:
    return request.node.name


class Responder:
    """A one-host network on the link: answers ARP and ICMP echo for GW_IP,
    and (optionally) DHCP, offering LEASE_IP.  Records what it saw."""

    def __init__(self, link: qg.FrameLink, dhcp: bool = False):
        self.link = link
        self.dhcp = dhcp
        self.seen = []            # every frame received, as scapy Ether
        self.arp_replies = 0
        self.echo_replies = 0
        self.dhcp_replies = []    # "offer" / "ack"

    def handle(self, raw: bytes) -> None:
        pkt = Ether(raw)
        self.seen.append(pkt)
        if ARP in pkt and pkt[ARP].op == 1 and pkt[ARP].pdst == GW_IP:
            self.link.send(Ether(dst=pkt.src, src=GW_MAC) /
                           ARP(op=2, hwsrc=GW_MAC, psrc=GW_IP,
                               hwdst=pkt[ARP].hwsrc, pdst=pkt[ARP].psrc))
            self.arp_replies += 1
        elif ICMP in pkt and pkt[IP].dst == GW_IP and pkt[ICMP].type == 8:
            icmp = pkt[ICMP]
            self.link.send(Ether(dst=pkt.src, src=GW_MAC) /
                           IP(src=GW_IP, dst=pkt[IP].src) /
                           ICMP(type=0, id=icmp.id, seq=icmp.seq) / bytes(icmp.payload))
            self.echo_replies += 1
        elif self.dhcp and DHCP in pkt:
            self._dhcp(pkt)

    def _dhcp(self, pkt) -> None:
        opts = {o[0]: o[1] for o in pkt[DHCP].options if isinstance(o, tuple)}
        kind = {1: "offer", 3: "ack"}.get(opts.get("message-type"))
        if kind is None:
            return
        self.link.send(
            Ether(dst=pkt.src, src=GW_MAC) /
            IP(src=GW_IP, dst="255.255.255.255") /
            UDP(sport=67, dport=68) /
            BOOTP(op=2, xid=pkt[BOOTP].xid, yiaddr=LEASE_IP, siaddr=GW_IP,
                  chaddr=pkt[BOOTP].chaddr, flags=pkt[BOOTP].flags) /
            DHCP(options=[("message-type", kind), ("server_id", GW_IP),
                          ("lease_time", 3600), ("subnet_mask", "255.255.255.0"),
                          ("router", GW_IP), ("name_server", GW_IP),
                          ("domain", b"svm.test"), "end"]))
        self.dhcp_replies.append(kind)

    def serve(self, vm: qg.QemuGuest, budget: float) -> None:
        """Answer frames until the guest exits or ``budget`` seconds pass."""
        deadline = time.monotonic() + budget
        while vm.running and time.monotonic() < deadline:
            raw = self.link.recv(timeout=0.5)
            if raw is not None:
                self.handle(raw)


def _check_boot(res: qg.GuestResult) -> None:
    assert not res.timed_out, f"guest timed out, see {res.console_log}"
    assert res.done, f"scenario did not finish, see {res.console_log}"
    assert res.results.get("net") == "up", res.console_log
    assert res.results.get("scenario_source") == "fw_cfg"
    assert "insmod_fail" not in res.results, res.results
    print(f"boot: /init at {res.boot_time:.2f}s, eth0 up at {res.ready_time:.2f}s, "
          f"powered off at {res.elapsed:.2f}s (host wall clock since QEMU start)")


def test_guest_sends_dhcpdiscover(image, request):
    """The guest boots, brings eth0 up and udhcpc broadcasts DHCPDISCOVERs,
    which arrive on our end of the SOCK_DGRAM socketpair, one frame each."""
    host, guest_end = qg.dgram_socketpair()
    link = qg.FrameLink(host)
    scenario = "svm_dhcp -t 2 -T 1 || svm_result dhcp fail\n"
    with qg.QemuGuest(scenario, qg.DgramFd(guest_end), image=image, mac=GUEST_MAC,
                      timeout=60, name=_name(request)) as vm:
        vm.start()
        discovers = []
        deadline = time.monotonic() + 90
        while vm.running and time.monotonic() < deadline:
            raw = link.recv(timeout=0.5)
            if raw is None:
                continue
            pkt = Ether(raw)
            assert pkt.src == GUEST_MAC, pkt.summary()
            if DHCP in pkt and ("message-type", 1) in pkt[DHCP].options:
                discovers.append(pkt)
        res = vm.wait()
    host.close()
    _check_boot(res)
    assert res.results["eth0_mac"] == GUEST_MAC
    assert discovers, f"no DHCPDISCOVER received, see {res.console_log}"
    d = discovers[0]
    assert d.dst == "ff:ff:ff:ff:ff:ff"
    assert d[IP].src == "0.0.0.0" and d[IP].dst == "255.255.255.255"
    assert d[UDP].sport == 68 and d[UDP].dport == 67
    assert d[BOOTP].chaddr[:6] == bytes.fromhex(GUEST_MAC.replace(":", ""))
    # Nobody answered: the hook saw the failure, the scenario went on.
    assert "leasefail" in res.values("dhcp_event")
    assert res.results.get("dhcp") == "fail"


def _transport(kind, tmpdir):
    """(backend, host FrameLink, cleanup) for one of the three transports."""
    if kind == "dgram-fd":
        host, guest_end = qg.dgram_socketpair()
        return qg.DgramFd(guest_end), (lambda: qg.FrameLink(host)), host.close
    if kind == "stream-fd":
        host, guest_end = qg.stream_socketpair()
        return qg.StreamFd(guest_end), (lambda: qg.FrameLink(host, stream=True)), host.close
    # stream-unix: we listen, QEMU connects (server=off), then we accept.
    path = os.path.join(tmpdir, "net.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    conns = []

    def accept():
        listener.settimeout(30)
        conn, _ = listener.accept()
        conns.append(conn)
        return qg.FrameLink(conn, stream=True)

    def cleanup():
        for c in conns:
            c.close()
        listener.close()
    return qg.StreamUnix(path), accept, cleanup


@pytest.mark.parametrize("kind", ["dgram-fd", "stream-fd", "stream-unix"])
def test_guest_pings_python_responder(image, request, kind):
    """Static address in the guest; the test answers ARP and ICMP echo for the
    gateway over each transport, and the guest reports the ping's success."""
    scenario = (f"svm_static {GUEST_STATIC_IP}/24 {GW_IP}\n"
                f"svm_ping ping_gw {GW_IP} 3\n")
    with tempfile.TemporaryDirectory(prefix="svm-e2e-") as tmpdir:
        backend, make_link, cleanup = _transport(kind, tmpdir)
        try:
            with qg.QemuGuest(scenario, backend, image=image, mac=GUEST_MAC,
                              timeout=60, ipv6=False, name=_name(request)) as vm:
                vm.start()
                responder = Responder(make_link())
                responder.serve(vm, budget=90)
                res = vm.wait()
        finally:
            cleanup()
    _check_boot(res)
    assert res.results.get("ping_gw") == "ok", f"see {res.console_log}"
    assert responder.arp_replies >= 1
    assert responder.echo_replies >= 1
    assert all(p.src == GUEST_MAC for p in responder.seen)


def test_guest_dhcp_lease_from_python(image, request):
    """The test plays a DHCP server; the guest's udhcpc hook configures the
    lease (address, router, DNS) and reports it, then pings the router."""
    host, guest_end = qg.dgram_socketpair()
    scenario = (f"svm_dhcp && svm_ping ping_gw {GW_IP} 2\n"
                "svm_result route \"$(ip -4 route show default)\"\n"
                "svm_result resolv \"$(grep nameserver /etc/resolv.conf)\"\n")
    with qg.QemuGuest(scenario, qg.DgramFd(guest_end), image=image, mac=GUEST_MAC,
                      timeout=60, ipv6=False, name=_name(request)) as vm:
        vm.start()
        responder = Responder(qg.FrameLink(host), dhcp=True)
        responder.serve(vm, budget=90)
        res = vm.wait()
    host.close()
    _check_boot(res)
    assert responder.dhcp_replies[:2] == ["offer", "ack"]
    r = res.results
    assert r.get("dhcp_event") == "bound", f"see {res.console_log}"
    assert r["lease"] == f"{LEASE_IP}/24"
    assert r["lease_router"] == GW_IP
    assert r["lease_dns"] == GW_IP
    assert r["lease_domain"] == "svm.test"
    assert r["lease_time"] == "3600"
    assert r["route"].startswith(f"default via {GW_IP} dev eth0")
    assert r["resolv"] == f"nameserver {GW_IP}"
    assert r.get("ping_gw") == "ok"


def test_guest_http_via_nc(image, request):
    """svm_http (busybox nc; busybox wget crashes in this guest) against an
    HTTP reply served by QEMU's isolated slirp (restrict=on, guestfwd)."""
    reply = "printf 'HTTP/1.0 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello'"
    net = qg.UserNet(guestfwd=[f"tcp:10.0.2.100:80-cmd:{reply}"])
    scenario = "svm_dhcp && svm_http web 10.0.2.100 80 /index.html\n"
    res = qg.run_guest(scenario, net, image=image, timeout=60, ipv6=False,
                       name=_name(request))
    _check_boot(res)
    assert res.results.get("lease") == "10.0.2.15/24"
    assert res.results.get("web_status") == "HTTP/1.0 200 OK"
    assert res.results.get("web") == "ok"
    assert "hello" in res.console
