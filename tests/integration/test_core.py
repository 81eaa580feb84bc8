# SPDX-License-Identifier: MIT
# test_core.py — the core data path: a scapy VM reaches the gateway and a wan host through NAT
import os
import random
import signal
import subprocess
import time

import pytest
from scapy.layers.inet import IP, TCP, UDP, ICMP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from conftest import (GATEWAY, PYTHON, SOCK_VMNET, TCP_ECHO, UDP_ECHO, VM_MAC, WAN_ALLOW, WAN_IP,
                      HOST_WAN_IP, SIM_OS, ScapyVM, wait_line)

STATIC_FALLBACK = "192.168.64.50"


def lease(vm):
    """Get an address by DHCP (the placeholder server answers nothing: then a static one)."""
    vm.dhcp(timeout=2) or setattr(vm, "ip", STATIC_FALLBACK)
    assert vm.arp_gateway(), "no ARP reply from the gateway"
    return vm.ip


def test_arp_ping_gateway_and_udp_through_nat(topo, vm_on):
    vm = vm_on(*WAN_ALLOW)
    lease(vm)
    assert vm.ping(GATEWAY)
    echo = topo.wan_popen(UDP_ECHO, "7777")
    wait_line(echo)
    reply = vm.exchange(vm.ip_frame(WAN_IP, UDP(sport=40000, dport=7777) / b"marker-udp"),
                        lambda p: p.haslayer(UDP) and p[UDP].sport == 7777)
    assert reply is not None, "no UDP answer from the wan host"
    # the wan host saw the host's address, not the VM's: masquerade happened
    assert reply[Raw].load == b"echo:marker-udp from " + HOST_WAN_IP.encode()
    assert reply[IP].dst == vm.ip


def test_tcp_exchange_through_nat(topo, vm_on):
    vm = vm_on(*WAN_ALLOW)
    lease(vm)
    server = topo.wan_popen(TCP_ECHO, "8080")
    wait_line(server)
    sport, seq = random.randint(30000, 60000), 1000
    synack = vm.exchange(vm.ip_frame(WAN_IP, TCP(sport=sport, dport=8080, flags="S", seq=seq)),
                         lambda p: p.haslayer(TCP) and p[TCP].flags == "SA")
    assert synack is not None, "no SYN-ACK through NAT"
    ack = synack[TCP].seq + 1
    data = vm.exchange(vm.ip_frame(WAN_IP, TCP(sport=sport, dport=8080, flags="PA", seq=seq + 1,
                                               ack=ack) / b"marker-tcp"),
                       lambda p: p.haslayer(TCP) and p.haslayer(Raw))
    assert data is not None, "no data back over TCP"
    assert data[Raw].load.startswith(b"echo:marker-tcp from " + HOST_WAN_IP.encode())
    vm.net.send(vm.ip_frame(WAN_IP, TCP(sport=sport, dport=8080, flags="R", seq=seq + 11)))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_and_removes_the_tap(topo, vm_on, sig):
    vm = vm_on()
    tap = vm.net.tap_name()
    assert tap in topo.host.links()
    assert vm.net.stop(sig) == 0
    assert tap not in topo.host.links()
    stats = vm.net.stats()
    assert set(stats) >= {"vm_to_host", "host_to_vm", "drops"}
    assert "src-mac" in stats["drops"]


def test_sigusr1_prints_counters_and_keeps_running(topo, vm_on):
    vm = vm_on()
    vm.net.send(Ether(src="52:54:00:99:99:99", dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=GATEWAY))
    time.sleep(0.2)
    assert vm.net.live_stats()["drops"]["src-mac"] == 1
    assert vm.net.proc.poll() is None


CREATOR = """
import socket, subprocess, sys, time
mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
extra = sys.argv[4].split()  # more options for sock-vmnet
prefix = sys.argv[5:]  # e.g. ip netns exec NS: the pair is made in another namespace
p = subprocess.Popen(prefix + [sys.argv[1], "--fd=%d" % theirs.fileno(), "--mac=52:54:00:12:34:56",
                      "--lease-db=" + sys.argv[2]] + extra, pass_fds=[theirs.fileno()],
                     stderr=open(sys.argv[3], "w"))
theirs.close()
print(p.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("creator_netns", ["same", "other"])
def test_creator_death_ends_it_while_no_frame_flows(topo, creator_netns):
    log = topo.tmp / "creator.stderr"
    # sim/xnu's LOCAL_PEERPID asks sock_diag in the creator's namespace, which takes setns:
    # there sock-vmnet stays root (XNU's own needs nothing; the filter still applies)
    extra = "--user=root" if SIM_OS == "darwin" and creator_netns == "other" else ""
    argv = [PYTHON, "-c", CREATOR, SOCK_VMNET, topo.lease_db, log, extra]
    if creator_netns == "same":
        creator = topo.host.popen(argv, stdout=subprocess.PIPE, text=True)
    else:   # the pair is made in this test's namespace; sock-vmnet runs in "host"
        creator = subprocess.Popen(argv + topo.host.cmd([]), stdout=subprocess.PIPE, text=True)
    topo.procs.append(creator)
    pid = int(creator.stdout.readline())
    deadline = time.monotonic() + 10
    while " INFO ready " not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert " INFO ready " in log.read_text(), log.read_text()
    creator.kill()
    creator.wait()
    # sock-vmnet was the creator's child: now orphaned; wait for it to go
    deadline = time.monotonic() + 2
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z", \
        "sock-vmnet still runs after its VM went:\n" + log.read_text()
    text = log.read_text()
    assert "vm gone" in text
    assert text.rstrip().splitlines()[-1].startswith("{"), "no stats at exit"
    assert not [l for l in topo.host.links() if l.startswith("svm") and l != "svmnet0"]


LAUNCHER = """
import os, socket, subprocess, sys, time
mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
p = subprocess.Popen([sys.argv[1], "--fd=%d" % theirs.fileno(), "--mac=52:54:00:12:34:56",
                      "--lease-db=" + sys.argv[2]] + sys.argv[4:], pass_fds=[theirs.fileno()],
                     stderr=open(sys.argv[3], "w"))
theirs.close()
deadline = time.monotonic() + 10
while " INFO ready " not in open(sys.argv[3]).read() and time.monotonic() < deadline:
    time.sleep(0.05)
hypervisor = os.fork()
if hypervisor == 0:  # the VM's end, used (an ARP request), and kept until killed
    mine.send(b"\\xff" * 6 + bytes.fromhex("525400123456") + b"\\x08\\x06" + bytes(46))
    time.sleep(60)
    os._exit(0)
mine.close()
print(p.pid, hypervisor, flush=True)
"""


@pytest.mark.skipif(SIM_OS != "darwin", reason="Linux's SO_PEERCRED names the socketpair's "
                    "creator for good: there a failing send tells (README, Lifecycle)")
def test_the_vm_handed_on_by_a_launcher_is_watched_where_it_went(topo):
    """A launcher makes the pair, starts sock-vmnet, hands the VM's end to the hypervisor
    and leaves. macOS's LOCAL_PEERPID then names the hypervisor (the last process that used
    the VM's end): its exit, with no frame flowing, ends sock-vmnet."""
    log = topo.tmp / "launcher.stderr"
    # sim/xnu's LOCAL_PEERPID, unlike XNU's, reads the holders' /proc/PID/fd, which the
    # user sock-vmnet becomes after setup may not for root's processes: it stays root
    # (the system-call filter still applies)
    launcher = topo.host.popen([PYTHON, "-c", LAUNCHER, SOCK_VMNET, topo.lease_db, log,
                                "--user=root"], stdout=subprocess.PIPE, text=True)
    topo.procs.append(launcher)
    pid, hypervisor = (int(x) for x in launcher.stdout.readline().split())
    launcher.wait(timeout=10)
    try:
        time.sleep(0.5)  # the launcher's exit is seen; the VM's end is still open
        assert os.path.exists(f"/proc/{pid}"), "sock-vmnet ended with the launcher:\n" + \
            log.read_text()
    finally:
        os.kill(hypervisor, signal.SIGKILL)
    deadline = time.monotonic() + 2
    while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z" \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    text = log.read_text()
    assert "vm gone" in text, "sock-vmnet still runs after its VM went:\n" + text
    assert text.rstrip().splitlines()[-1].startswith("{"), "no stats at exit"


def test_vm_closing_its_end_ends_it_on_the_next_frame(topo, vm_on):
    vm = vm_on()
    lease(vm)
    vm.net.sock.close()
    # any frame toward the VM now fails with ECONNREFUSED: the host's ARP for it will do
    topo.host.run(["ping", "-c", "1", "-W", "1", vm.ip], check=False)
    assert vm.net.proc.wait(timeout=3) == 0
    assert "vm gone" in vm.net.stderr()


def test_garbage_flood_leaves_it_alive_and_forwarding(topo, vm_on):
    vm = vm_on()
    lease(vm)
    rnd = random.Random(1234)
    mac = bytes.fromhex(VM_MAC.replace(":", ""))
    for i in range(5000):
        size = rnd.choice([0, 1, 13, 14, 15, 41, 60, 1514, 1515, 1600, rnd.randint(0, 2000)])
        body = bytes(rnd.getrandbits(8) for _ in range(size))
        if i % 2 and size >= 14:   # half of them pass the MAC check and reach deeper parsers
            body = b"\xff" * 6 + mac + body[12:]
        try:
            vm.net.sock.send(body)
        except BlockingIOError:
            time.sleep(0.01)
    assert vm.ping(GATEWAY, timeout=5), "no longer forwarding after the flood"
    stats = vm.net.live_stats()
    assert stats["drops"]["runt"] > 0
    assert stats["drops"]["oversize"] > 0
    assert vm.net.proc.poll() is None


SEND_ON_BRIDGE = """
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp
sendp(Ether(src="02:aa:bb:cc:dd:ee", dst=sys.argv[1]) / IP(src="192.168.64.1", dst="192.168.64.77")
      / UDP(sport=9, dport=9) / Raw(b"not-for-this-vm"), iface="svmnet0", verbose=False, count=3)
"""


def test_unicast_for_another_mac_is_not_delivered(topo, vm_on):
    vm = vm_on()
    topo.host.run([PYTHON, "-c", SEND_ON_BRIDGE, "52:54:00:77:77:77"])
    assert vm.net.recv(1.0, lambda p: b"not-for-this-vm" in bytes(p)) is None
    assert vm.net.live_stats()["drops"]["not-for-vm"] >= 1


def test_two_instances_share_one_bridge(topo):
    a = ScapyVM(topo.start_vmnet((), mac="52:54:00:00:00:0a"))
    b = ScapyVM(topo.start_vmnet((), mac="52:54:00:00:00:0b"))
    a.dhcp(timeout=2) or setattr(a, "ip", "192.168.64.60")
    b.dhcp(timeout=2) or setattr(b, "ip", "192.168.64.61")
    assert a.arp_gateway() and b.arp_gateway()
    assert a.ping(GATEWAY) and b.ping(GATEWAY)
    assert a.net.stop() == 0
    assert b.ping(GATEWAY, seq=2), "the second VM lost its network when the first stopped"
    addrs = topo.host.run(["ip", "-4", "-o", "addr", "show", "svmnet0"]).stdout
    assert "192.168.64.1/24" in addrs


def test_bridge_with_a_conflicting_address_is_refused(topo):
    topo.host.run(["ip", "link", "add", "svmnet0", "type", "bridge"])
    topo.host.run(["ip", "addr", "add", "192.168.64.2/24", "dev", "svmnet0"])
    vm = topo.start_vmnet((), ready=False)
    assert vm.proc.wait(timeout=5) == 1
    err = vm.stderr()
    assert "--bridge" in err and "192.168.64.2/24" in err
    # and nothing was changed
    assert "192.168.64.1" not in topo.host.run(["ip", "-4", "-o", "addr"]).stdout


def test_bridge_name_of_a_non_bridge_is_refused(topo):
    topo.host.run(["ip", "link", "add", "svmnet0", "type", "veth", "peer", "name", "svmpeer"])
    vm = topo.start_vmnet((), ready=False)
    assert vm.proc.wait(timeout=5) == 1
    assert '--bridge: "svmnet0" exists and is not a bridge' in vm.stderr()


def test_nat_table_is_installed_once(topo):
    topo.start_vmnet((), mac="52:54:00:00:00:0a")
    topo.start_vmnet((), mac="52:54:00:00:00:0b")
    rules = topo.host.run(["nft", "list", "chain", "ip", "sock_vmnet", "postrouting"]).stdout
    assert rules.count("masquerade") == 1
    assert topo.host.run(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout.strip() == "1"


@pytest.mark.parametrize("args,message", [
    (["--mac=zz:zz:zz:zz:zz:zz"], '--mac: "zz:zz:zz:zz:zz:zz" is not a MAC address'),
    (["--mtu=70000"], '--mtu: "70000" is not a number from 576 to 65521'),
    (["--start-addr=10.0.0.9", "--end-addr=10.0.0.2"], "--start-addr"),
])
def test_bad_values_exit_2_with_one_line(topo, args, message):
    a, b = __import__("socket").socketpair(__import__("socket").AF_UNIX,
                                           __import__("socket").SOCK_DGRAM)
    # in the test's namespace: should a value pass by mistake, nothing outside it is touched
    r = topo.host.run([SOCK_VMNET, f"--fd={b.fileno()}", "--mac=52:54:00:12:34:56"] + args,
                      check=False, pass_fds=[b.fileno()], timeout=5)
    assert r.returncode == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_vm_keeps_its_address_when_sock_vmnet_restarts(topo):
    """A restarted instance acknowledges the running VM's renewal from its old address."""
    from scapy.layers.dhcp import BOOTP, DHCP
    first = ScapyVM(topo.start_vmnet(()))
    ip = first.dhcp()
    assert ip and first.arp_gateway()
    assert first.net.stop() == 0
    again = ScapyVM(topo.start_vmnet(()))
    xid = 0x5356
    renew = (Ether(src=VM_MAC, dst=first.gateway_mac) / IP(src=ip, dst=GATEWAY) /
             UDP(sport=68, dport=67) /
             BOOTP(ciaddr=ip, xid=xid, chaddr=bytes.fromhex(VM_MAC.replace(":", ""))) /
             DHCP(options=[("message-type", "request"), "end"]))
    again.net.send(renew)
    ack = again.net.recv(3, lambda p: p.haslayer(DHCP) and p[BOOTP].xid == xid)
    assert ack is not None, "the renewal was not answered:\n" + again.net.stderr()
    assert ("message-type", 5) in ack[DHCP].options and ack[BOOTP].yiaddr == ip
    # and the VM's traffic flows again without a new DISCOVER
    again.ip = ip
    again.gateway_mac = first.gateway_mac
    assert again.ping(GATEWAY)
