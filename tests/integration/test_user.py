# SPDX-License-Identifier: MIT
# test_user.py — the user back-end (libslirp) run as an ordinary user: no root, no capabilities
"""sock-vmnet started as nobody with no capabilities (setpriv), its lease database in the
user's own state directory: --backend=auto takes the userspace NAT, and the VM gets DHCP,
NAT to the wan host, the guard's refusals and port forwards as with the tap back-end."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from conftest import (BACKEND, GATEWAY, HOST_WAN_IP, PYTHON, SOCK_VMNET, UDP_ECHO, WAN_ALLOW,
                      WAN_IP, ScapyVM, run, wait_line)
from dhcp_vm import TapVM
from test_expose import VM_SERVERS, ask, wait_answer

pytestmark = pytest.mark.skipif(BACKEND != "tap", reason="the user back-end of the Linux build")

NOBODY = 65534


@pytest.fixture
def unprivileged(topo):
    """The prefix that runs sock-vmnet as nobody with no capabilities; its state directory
    (pytest's own directories are root's alone)."""
    top = Path(tempfile.mkdtemp(prefix="svm-user-"))
    top.chmod(0o755)
    state = top / "state"
    state.mkdir()
    os.chown(state, NOBODY, NOBODY)
    prefix = ["env", f"XDG_STATE_HOME={state}", "setpriv", "--reuid=nobody", "--regid=nogroup",
              "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]
    yield prefix, state
    shutil.rmtree(top, ignore_errors=True)


def test_an_ordinary_user_gets_dhcp_nat_and_the_guard(topo, unprivileged):
    prefix, state = unprivileged
    net = topo.start_vmnet(WAN_ALLOW, lease_db="", prefix=prefix)
    vm = ScapyVM(net)
    err = net.stderr()
    assert "backend auto: user (tap: no CAP_NET_ADMIN (uid 65534))" in err, err
    assert f"lease_db={state}/sock-vmnet/leases.db" in err
    assert vm.dhcp() == "192.168.64.2"
    assert vm.arp_gateway() and vm.ping(GATEWAY)
    echo = topo.wan_popen(UDP_ECHO, "7777")
    wait_line(echo)
    reply = vm.exchange(vm.ip_frame(WAN_IP, UDP(sport=40000, dport=7777) / b"marker"),
                        lambda p: p.haslayer(UDP) and p[UDP].sport == 7777)
    assert reply is not None and reply[Raw].load == b"echo:marker from " + HOST_WAN_IP.encode()
    # the guard refuses as always: a spoofed source, a gratuitous ARP for another address
    vm.net.send(Ether(src=vm.mac, dst=vm.gateway_mac) / IP(src="192.168.64.99", dst=WAN_IP)
                / UDP(sport=1, dport=7777) / b"spoof")
    vm.net.send(Ether(src=vm.mac, dst="ff:ff:ff:ff:ff:ff")
                / ARP(op=2, hwsrc=vm.mac, psrc="192.168.64.1", pdst="192.168.64.1"))
    drops = net.live_stats()["drops"]
    assert drops["ip-src"] == 1 and drops["arp-sender-ip"] == 1, drops
    leases = json.loads(run(["env", f"XDG_STATE_HOME={state}", "setpriv", "--reuid=nobody",
                             "--regid=nogroup", "--clear-groups", "--", SOCK_VMNET, "leases",
                             "--json"]).stdout)
    assert leases[0]["state"] == "running" and leases[0]["network"] == "user:192.168.64.0/24"


def test_an_ordinary_user_forwards_ports_and_leaves_nothing_after_sigkill(topo, unprivileged):
    prefix, _ = unprivileged
    net = topo.start_vmnet(["--expose=8080:80,127.0.0.1:8053:5353/udp"], lease_db="",
                           prefix=prefix)
    vm = TapVM(topo, net)
    try:
        vm.udhcpc_start()
        vm.wait_event(vm.udhcpc_events, {"bound"})
        srv = vm.popen([PYTHON, "-c", VM_SERVERS, "80", "5353"], stdout=subprocess.PIPE,
                       text=True)
        assert "ready" in srv.stdout.readline()
        assert wait_answer(topo.host, "127.0.0.1", 8080, want="80:").startswith("80:hi")
        assert ask(topo.wan, HOST_WAN_IP, 8080).startswith("80:hi")
        assert ask(topo.host, "127.0.0.1", 8053, "udp").startswith("5353:hi")
        net.proc.send_signal(signal.SIGKILL)
        net.proc.wait(timeout=5)
        # the ports are free again, and nothing of it runs or listens
        listening = topo.host.run(["ss", "-Hltnu"]).stdout
        assert ":8080" not in listening and ":8053" not in listening, listening
    finally:
        vm.cleanup()


LISTEN = r"""
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
print("ready", flush=True)
time.sleep(30)
"""


def test_the_gateway_is_the_hosts_loopback_and_no_other_subnet_address_is(topo, unprivileged):
    """libslirp takes the gateway for the host's loopback and connects to other addresses as
    they are: another address of the VM's subnet names nobody here and goes nowhere."""
    prefix, _ = unprivileged
    net = topo.start_vmnet(WAN_ALLOW + ["--allow=192.168.64.0/24", "--allow=@host"], lease_db="",
                           prefix=prefix)
    vm = ScapyVM(net)
    assert vm.dhcp() == "192.168.64.2"
    assert vm.arp_gateway()  # (else scapy looks for the gateway's MAC on this machine)
    server = topo.host.popen([PYTHON, "-c", LISTEN, "7070"], stdout=subprocess.PIPE, text=True)
    try:
        assert "ready" in server.stdout.readline()

        def syn(dst, sport):
            return vm.exchange(vm.ip_frame(dst, TCP(sport=sport, dport=7070, flags="S", seq=1)),
                               lambda p: p.haslayer(TCP) and p[TCP].dport == sport, timeout=2)

        answer = syn(GATEWAY, 41000)  # the host's 127.0.0.1:7070 accepts
        assert answer is not None and answer[TCP].flags == "SA", answer
        before = net.live_stats()["drops"]["policy-block"]
        for other in ("192.168.64.3", "192.168.64.255"):
            assert syn(other, 41001) is None, other
        assert net.live_stats()["drops"]["policy-block"] == before + 2
    finally:
        server.kill()
        server.wait()


def test_an_ordinary_user_gets_ipv6_through_libslirp(topo, unprivileged):
    """IPv6 on the user back-end: sock-vmnet's RA and NDP, libslirp's NAT66 through the
    host's IPv6 (its sockets), the gateway answering ping and DNS over IPv6."""
    from ipv6_vm import HOST_WAN6, UDP6_ECHO, VM6, WAN6, WAN6_ALLOW, with_v6_wan
    from scapy.layers.inet6 import ICMPv6ND_RA, IPv6

    prefix, _ = unprivileged
    with_v6_wan(topo)
    echo = topo.wan_popen(UDP6_ECHO, "7777")
    wait_line(echo)
    net = topo.start_vmnet(WAN6_ALLOW, lease_db="", prefix=prefix)
    vm6 = VM6(ScapyVM(net))
    ra = vm6.solicit()
    assert ra is not None, net.stderr()
    assert vm6.claim(vm6.slaac)
    # libslirp answers ping for the gateway's addresses, and carries UDP to the wan host
    assert vm6.ping6(ra.gateway), net.stderr()
    got = vm6.udp6(WAN6, 7777, b"user6")
    assert got == f"echo:user6 from {HOST_WAN6}".encode(), got
    # ping to anyone else libslirp cannot carry: refused, counted
    assert not vm6.ping6(WAN6, timeout=1)
    # libslirp's own RAs never reach the VM (they come every 200-600 s: not waited for)
    drops = net.live_stats()["drops"]
    assert drops["host-write-error"] >= 1, drops
