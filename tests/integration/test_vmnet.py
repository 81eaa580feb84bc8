# SPDX-License-Identifier: MIT
# test_vmnet.py — the vmnet back-end through the simulated vmnet.framework: APIs, modes, vmnet's errors
"""Runs only in the simulation build (SVM_BACKEND=vmnet, make vmnet-sim): the rest of the
integration suite runs there too, through the vmnet back-end; these tests are about what
only it has. The simulation is steered by its environment (sim/vmnet/sim.h): which macOS
it plays (SVM_VMNET_SIM_MACOS), its packet limits, and vmnet errors forced on chosen calls
(SVM_VMNET_SIM_FAULTS=CALL:STATUS@FIRST[xCOUNT])."""
import json
import os
import re
import signal
import subprocess
import time

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from conftest import (GATEWAY, HOST_WAN_IP, PYTHON, ROOT, SOCK_VMNET, UDP_ECHO, VM_MAC,
                      WAN_ALLOW, WAN_IP, ScapyVM, run, wait_line)

ECHO_PORT = 7790


def ready_line(vmnet):
    m = re.search(r"INFO vmnet ready (.*)", vmnet.stderr())
    assert m, vmnet.stderr()
    return dict(kv.split("=", 1) for kv in m.group(1).split())


def leased(topo, *args, mac=VM_MAC):
    vm = ScapyVM(topo.start_vmnet(list(args), mac=mac))
    assert vm.dhcp(), vm.net.stderr()
    return vm


def echo_server(topo):
    server = topo.wan_popen(UDP_ECHO, str(ECHO_PORT))
    wait_line(server)
    return server


def udp_burst(vm, count, size=200):
    """@count datagrams queued while sock-vmnet is stopped: they leave in one batch."""
    os.kill(vm.net.proc.pid, signal.SIGSTOP)
    try:
        for i in range(count):
            vm.net.send(vm.ip_frame(WAN_IP, UDP(sport=41000 + i, dport=ECHO_PORT)
                                    / (b"%04d" % i + b"x" * size)))
    finally:
        os.kill(vm.net.proc.pid, signal.SIGCONT)


def echoes(vm, count, timeout=5):
    got, deadline = set(), time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        pkt = vm.net.recv(deadline - time.monotonic())
        if pkt is None:
            break
        if not vm.answer_arp(pkt) and pkt.haslayer(UDP) and pkt[UDP].sport == ECHO_PORT:
            got.add(pkt[UDP].dport)
    return got


def test_macos_26_network_has_vmnets_dhcp_and_dns_proxy_off(topo):
    vm = leased(topo, *WAN_ALLOW)
    info = ready_line(vm.net)
    assert info["api"] == "network" and info["mode"] == "shared"
    assert "network mode=shared dhcp=off dns_proxy=off" in vm.net.stderr()
    assert vm.arp_gateway() and vm.ping(WAN_IP)


def test_classic_api_before_macos_26(topo, monkeypatch):
    monkeypatch.setenv("SVM_VMNET_SIM_MACOS", "15")
    vm = leased(topo, *WAN_ALLOW)
    assert ready_line(vm.net)["api"] == "classic"
    assert vm.arp_gateway() and vm.ping(WAN_IP)


def test_a_gateway_a_network_cannot_hold_takes_the_classic_api(topo):
    vm = leased(topo, "--start-addr=192.168.64.10", "--end-addr=192.168.64.20")
    assert ready_line(vm.net)["api"] == "classic"
    assert "not the subnet's first address" in vm.net.stderr()
    vm.gateway = "192.168.64.10"
    assert vm.ip == "192.168.64.11" and vm.arp_gateway()


def test_interface_identity_follows_the_mac_with_the_classic_api(topo, monkeypatch):
    monkeypatch.setenv("SVM_VMNET_SIM_MACOS", "15")
    macs = []
    for mac in (VM_MAC, VM_MAC, "52:54:00:aa:bb:cc"):
        net = topo.start_vmnet((), mac=mac)
        macs.append(ready_line(net)["interface-mac"])
        net.stop()
    assert macs[0] == macs[1] != macs[2]
    assert VM_MAC not in macs  # vmnet's own address for the interface, not the VM's


def test_a_networks_interface_has_a_new_identity_each_start(topo):
    """On a macOS 26 network vmnet ignores the interface id and picks the MAC itself
    (vmnet-helper c36688d): the VM's own MAC (--mac) is what the VM uses either way."""
    macs = []
    for _ in range(2):
        vm = ScapyVM(topo.start_vmnet(WAN_ALLOW))
        assert ready_line(vm.net)["api"] == "network"
        macs.append(ready_line(vm.net)["interface-mac"])
        assert vm.dhcp() and vm.arp_gateway() and vm.ping(WAN_IP)
        vm.net.stop()
    assert macs[0] != macs[1]


def test_gateway_mac_is_asked_of_the_gateway(topo):
    net = topo.start_vmnet()
    bridge_mac = topo.host.run(["cat", "/sys/class/net/svmnet0/address"]).stdout.strip()
    assert ready_line(net)["gateway-mac"] == bridge_mac
    vm = ScapyVM(net)
    vm.dhcp()
    assert vm.arp_gateway() == bridge_mac


def test_host_mode_reaches_the_host_but_nothing_beyond(topo):
    vm = leased(topo, "--vmnet-mode=host", *WAN_ALLOW)
    assert ready_line(vm.net)["mode"] == "host"
    assert vm.arp_gateway() and vm.ping(GATEWAY)
    assert not vm.ping(WAN_IP, timeout=1)


def test_bridged_mode_joins_the_interfaces_network(topo):
    topo.host.run(["ip", "link", "add", "lan0", "type", "bridge"])
    topo.host.run(["ip", "addr", "add", "10.77.0.1/24", "dev", "lan0"])
    topo.host.run(["ip", "link", "set", "lan0", "up"])
    # no --mtu for vmnet (bridged, it is an error): the simulation refuses vmnet_mtu_key
    vm = ScapyVM(topo.start_vmnet(["--vmnet-mode=bridged", "--vmnet-interface=lan0",
                                   "--start-addr=10.77.0.1", "--end-addr=10.77.0.50",
                                   "--subnet-mask=255.255.255.0", "--allow=10.77.0.0/24"]))
    vm.gateway = "10.77.0.1"
    assert vm.dhcp() == "10.77.0.2"
    assert vm.arp_gateway() and vm.ping("10.77.0.1")
    assert "network=vmnet-bridged:lan0:10.77.0.0/24" in vm.net.stderr()


def test_bridged_to_a_missing_interface_is_an_error(topo):
    net = topo.start_vmnet(["--vmnet-mode=bridged", "--vmnet-interface=nope0",
                            "--start-addr=10.77.0.1", "--end-addr=10.77.0.50",
                            "--subnet-mask=255.255.255.0"], ready=False)
    assert net.proc.wait(timeout=10) == 1
    assert '--vmnet-interface: vmnet cannot bridge to "nope0": VMNET_INVALID_ARGUMENT' \
        in net.stderr()


@pytest.mark.parametrize("args,message", [
    (["--vmnet-mode=nat"], '--vmnet-mode: "nat" is none of shared, host, bridged'),
    (["--vmnet-mode=bridged"], "--vmnet-mode: bridged needs --vmnet-interface"),
    (["--vmnet-interface=en0"], "--vmnet-interface: only with --vmnet-mode=bridged"),
    (["--vmnet-interface=a/b", "--vmnet-mode=bridged"], '--vmnet-interface: "a/b" is not'),
    (["--backend=tap", "--vmnet-mode=host"], "--vmnet-mode: only with --backend=vmnet"),
    # bridged: the LAN's router and a range of it, never sock-vmnet's own defaults
    (["--vmnet-mode=bridged", "--vmnet-interface=en0"],
     "--vmnet-mode: bridged needs --start-addr (the LAN's router), --end-addr and --subnet-mask"),
    (["--vmnet-mode=bridged", "--vmnet-interface=en0", "--start-addr=10.0.0.1",
      "--end-addr=10.0.0.9"], "--vmnet-mode: bridged needs --start-addr"),
])
def test_vmnet_options_are_checked(topo, args, message):
    net = topo.start_vmnet(args, ready=False)
    assert net.proc.wait(timeout=5) == 2
    err = net.stderr().strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_second_instance_with_the_same_mac_is_refused_on_the_vmnet_network(topo):
    first = topo.start_vmnet()
    second = topo.start_vmnet(ready=False)
    assert second.proc.wait(timeout=10) == 1
    assert f"--mac: {VM_MAC} is already served on vmnet shared network 192.168.64.0/24 by a " \
           f"running sock-vmnet (pid {first.proc.pid})" in second.stderr()
    assert "vmnet-sim" not in second.stderr(), "vmnet was started before the MAC was checked"


def test_leases_cli_names_the_vmnet_network(topo):
    vm = leased(topo)
    r = run([SOCK_VMNET, "leases", f"--lease-db={topo.lease_db}", "--json"])
    rows = json.loads(r.stdout)
    assert [(x["network"], x["address"], x["state"]) for x in rows] == \
        [("vmnet-shared:192.168.64.0/24", vm.ip, "running")]


def test_buffer_exhausted_for_a_moment_costs_nothing(topo, monkeypatch):
    # write 1 is the gateway's ARP at start; then vmnet is full for 20 calls (1 ms apart)
    monkeypatch.setenv("SVM_VMNET_SIM_FAULTS", "write:exhausted@2x20")
    vm = leased(topo, *WAN_ALLOW, "--offload=off")
    echo_server(topo)
    assert vm.arp_gateway()
    udp_burst(vm, 8)
    assert len(echoes(vm, 8)) == 8
    drops = vm.net.live_stats()["drops"]
    assert drops["host-busy"] == 0 and drops["host-write-error"] == 0


def test_buffer_exhausted_for_long_drops_as_host_busy(topo, monkeypatch):
    monkeypatch.setenv("SVM_VMNET_SIM_FAULTS", "write:exhausted@2x1000000")
    vm = leased(topo, "--allow=udp:@host:9")  # (the host is closed by default)
    vm.net.send(Ether(src=vm.mac, dst=ready_line(vm.net)["gateway-mac"])
                / IP(src=vm.ip, dst=GATEWAY) / UDP(sport=1, dport=9))
    time.sleep(0.5)
    assert vm.net.live_stats()["drops"]["host-busy"] >= 1
    assert vm.net.proc.poll() is None


def test_vmnet_limits_are_learned_when_not_reported(topo, monkeypatch):
    # macOS 14 reports no vmnet_read/write_max_packets_key; this vmnet takes 4 at once
    monkeypatch.setenv("SVM_VMNET_SIM_MACOS", "14")
    monkeypatch.setenv("SVM_VMNET_SIM_MAX_PACKETS", "4")
    vm = leased(topo, *WAN_ALLOW, "--offload=off")
    echo_server(topo)
    assert vm.arp_gateway()
    udp_burst(vm, 16)
    assert len(echoes(vm, 16)) == 16
    err = vm.net.stderr()
    assert "vmnet: a write of 16 packets is too many" in err, err
    assert "vmnet: a read of 64 packets is too many" in err, err


def test_packet_too_big_from_vmnet_is_counted_and_survived(topo, monkeypatch):
    # every packet vmnet holds is one it cannot hand over
    monkeypatch.setenv("SVM_VMNET_SIM_FAULTS", "read:too_big@1x1000000")
    vm = leased(topo)
    assert "does not answer ARP" in vm.net.stderr()
    assert vm.arp_gateway(timeout=1) is None
    assert vm.net.live_stats()["drops"]["oversize"] >= 1
    assert vm.net.proc.poll() is None


# The VM's first frame written to vmnet: only write calls of the VM's frames are counted
# (SVM_VMNET_SIM_FAULT_SRC), since how many sock-vmnet writes itself first depends on timing
# (the gateway's ARP at start is asked again when its answer is late, then the two ARP
# probes of the address offered to the VM): a fixed call number hit a probe once in CI
FIRST_VM_WRITE = 1


def test_packet_too_big_for_vmnet_is_dropped_and_counted(topo, monkeypatch):
    monkeypatch.setenv("SVM_VMNET_SIM_FAULTS", f"write:too_big@{FIRST_VM_WRITE}")
    monkeypatch.setenv("SVM_VMNET_SIM_FAULT_SRC", VM_MAC)
    vm = leased(topo, *WAN_ALLOW)
    assert vm.arp_gateway() is None  # the VM's ARP request was the refused packet
    assert vm.arp_gateway()
    assert vm.net.live_stats()["drops"]["host-write-error"] == 1


def test_invalid_access_ends_it_cleanly(topo, monkeypatch):
    monkeypatch.setenv("SVM_VMNET_SIM_FAULTS", f"write:invalid_access@{FIRST_VM_WRITE}")
    monkeypatch.setenv("SVM_VMNET_SIM_FAULT_SRC", VM_MAC)
    vm = leased(topo, *WAN_ALLOW)
    iface = vm.net.tap_name()
    assert iface in topo.host.links()
    vm.arp_gateway(timeout=1)
    assert vm.net.proc.wait(timeout=5) == 1
    err = vm.net.stderr()
    assert "vmnet_write: VMNET_INVALID_ACCESS: the interface is gone" in err
    assert err.rstrip().splitlines()[-1].startswith("{"), "no counters at exit"
    assert iface not in topo.host.links()
    r = run([SOCK_VMNET, "leases", f"--lease-db={topo.lease_db}", "--json"])
    assert [x["state"] for x in json.loads(r.stdout)] != ["running"]


def test_run_starts_the_hypervisor_on_the_vmnet_back_end(topo):
    script = ("import os, socket, sys; s = socket.socket(fileno=3); "
              "s.send(b'\\xff' * 6 + bytes.fromhex('525400123456') + b'\\x08\\x06' + bytes(46)); "
              "sys.exit(7)")
    r = topo.host.run([SOCK_VMNET, "run", f"--mac={VM_MAC}", f"--lease-db={topo.lease_db}",
                       "--", PYTHON, "-c", script], check=False, timeout=20)
    assert r.returncode == 7, r.stderr
    assert "backend=vmnet" in r.stderr and "vmnet-sim" in r.stderr


@pytest.mark.parametrize("macos", ["15", "26"])
def test_address_in_use_on_the_network_is_not_offered(topo, monkeypatch, macos):
    """With the classic API bootpd serves the same bridge: an address someone answers ARP
    for (here the host itself, which answers for its own addresses) is skipped."""
    monkeypatch.setenv("SVM_VMNET_SIM_MACOS", macos)
    vm = ScapyVM(topo.start_vmnet())
    topo.host.run(["ip", "addr", "add", "192.168.64.2/32", "dev", "lo"])  # after the setup's check
    assert vm.dhcp() == "192.168.64.3", vm.net.stderr()
    err = vm.net.stderr()
    assert "192.168.64.2 is in use on the network" in err, err
    rows = json.loads(run([SOCK_VMNET, "leases", f"--lease-db={topo.lease_db}", "--json"]).stdout)
    assert {r["address"]: r["state"] for r in rows}["192.168.64.2"] == "quarantined", rows


@pytest.mark.parametrize("args,message", [
    (["--expose=127.0.0.1:8080:80"],
     "127.0.0.1:8080:80/tcp: vmnet forwards on every address of the Mac: no BIND_ADDR"),
    (["--vmnet-mode=host", "--expose=8080:80"],
     "8080:80/tcp: vmnet forwards ports in shared mode only"),
])
def test_forwards_vmnet_cannot_make_are_refused_at_start(topo, args, message):
    net = topo.start_vmnet(args, ready=False)
    assert net.proc.wait(timeout=10) == 1
    assert f"--expose: {message}" in net.stderr(), net.stderr()


# ---- IPv6: vmnet's NAT66 (the classic key, a macOS 26 network's prefix) ---------------------

@pytest.mark.parametrize("macos", ["26", "15"])
def test_nat66_carries_the_vms_prefix(topo, monkeypatch, macos):
    """The prefix sock-vmnet advertises is vmnet's NAT66 prefix: vmnet_nat66_prefix_key before
    macOS 26, vmnet_network_configuration_set_ipv6_prefix() on a network (whose own router
    advertisements are turned off; the classic API's cannot be, and the guard drops them)."""
    from ipv6_vm import HOST_WAN6, UDP6_ECHO, VM6, WAN6, WAN6_ALLOW, with_v6_wan

    monkeypatch.setenv("SVM_VMNET_SIM_MACOS", macos)
    with_v6_wan(topo)
    server = topo.wan_popen(UDP6_ECHO, str(ECHO_PORT))
    wait_line(server)
    vm6 = VM6(ScapyVM(topo.start_vmnet(WAN6_ALLOW)))
    ra = vm6.solicit()
    assert ra is not None and ra.src == "fe80::1"
    assert vm6.claim(vm6.slaac)
    got = vm6.udp6(WAN6, ECHO_PORT, b"nat66")
    assert got == f"echo:nat66 from {HOST_WAN6}".encode(), vm6.net.stderr()
    drops = vm6.net.live_stats()["drops"]
    if macos == "26":
        assert "nat66=on ra=off" in vm6.net.stderr()
        assert drops["rogue-ra"] == 0
    else:  # vmnet's own RA, sent as the interface started, never reached the VM
        assert drops["rogue-ra"] >= 1, drops


@pytest.mark.parametrize("macos", ["26", "15"])
def test_nat66_refuses_what_vmnet_refuses(topo, monkeypatch, macos):
    monkeypatch.setenv("SVM_VMNET_SIM_MACOS", macos)
    net = topo.start_vmnet(["--ipv6-prefix=2001:db8:1::/64"], ready=False)
    assert net.proc.wait(timeout=10) == 1
    assert ("--ipv6-prefix: vmnet's NAT66 takes a unique local prefix in fd00::/8, not "
            "2001:db8:1::/64") in net.stderr()


def test_ipv6_is_shared_modes_only(topo):
    net = topo.start_vmnet(["--vmnet-mode=host"])
    assert "ndp ready" not in net.stderr()
    net.stop()
    net = topo.start_vmnet(["--vmnet-mode=host", "--ipv6=on"], ready=False)
    assert net.proc.wait(timeout=5) == 2
    assert "--ipv6: vmnet carries IPv6 in shared mode only (NAT66), not with " \
        "--vmnet-mode=host" in net.stderr()
# Large TCP packets put on the bridge toward the VM as the host's TCP would hand them to
# the TAP (a packet socket with a virtio_net_hdr: GSO TCPv4, checksum partial), without
# TCP's own pacing (TCP small queues keep a socket's packets in the TAP to a few at once).
GSO_INJECT = r"""
import socket, struct, sys
from scapy.layers.inet import IP, TCP
iface, src_mac, dst_mac, src, dst, count, segs, seg = sys.argv[1:9]
count, segs, seg = int(count), int(segs), int(seg)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.setsockopt(263, 15, 1)  # SOL_PACKET, PACKET_VNET_HDR
s.bind((iface, 0))
eth = bytes.fromhex(dst_mac.replace(":", "") + src_mac.replace(":", "")) + b"\x08\x00"
for i in range(count):
    pkt = IP(src=src, dst=dst, flags="DF", id=i) / TCP(sport=8100, dport=8101, flags="A",
                                                       seq=1 + i * segs * seg, ack=1)
    raw = bytearray(bytes(pkt / (bytes([65 + i]) * (segs * seg))))
    l4 = len(raw) - 20
    pseudo = sum(struct.unpack("!4H", raw[12:20])) + 6 + l4
    while pseudo >> 16:
        pseudo = (pseudo & 0xffff) + (pseudo >> 16)
    raw[36:38] = struct.pack("!H", pseudo)  # partial: the pseudo-header's sum only
    vnet = struct.pack("<BBHHHH", 1, 1, 54, seg, 34, 16)  # NEEDS_CSUM, GSO_TCPV4
    s.send(vnet + eth + bytes(raw))
print("sent", flush=True)
"""
# 6 packets of 45 segments: a read takes at most 3, and 45 frames never end on a batch of 64
GSO_PACKETS, GSO_SEGMENTS, GSO_SEGMENT = 6, 45, 1000


def test_packets_that_come_while_the_port_hands_over_staged_frames_are_read(topo, monkeypatch):
    """A read cut into more frames than a batch holds leaves frames staged; packets left in
    vmnet ring the doorbell, and vmnet need not tell again. A call that hands over staged
    frames must not take that ring without reading vmnet (every clear of the doorbell is
    followed by a read), or those packets wait in vmnet for good."""
    monkeypatch.setenv("SVM_VMNET_SIM_EVENTS", "before-return")  # the ring comes at once
    vm = leased(topo)
    bridge_mac = topo.host.run(["cat", "/sys/class/net/svmnet0/address"]).stdout.strip()
    # every packet waits in vmnet before sock-vmnet reads the first
    os.kill(vm.net.proc.pid, signal.SIGSTOP)
    try:
        inject = topo.host.run([PYTHON, "-c", GSO_INJECT, "svmnet0", bridge_mac, vm.mac,
                                GATEWAY, vm.ip, str(GSO_PACKETS), str(GSO_SEGMENTS),
                                str(GSO_SEGMENT)])
        assert "sent" in inject.stdout
        time.sleep(0.2)
    finally:
        os.kill(vm.net.proc.pid, signal.SIGCONT)
    want, got, deadline = GSO_PACKETS * GSO_SEGMENTS * GSO_SEGMENT, {}, time.monotonic() + 5
    while sum(got.values()) < want and time.monotonic() < deadline:
        pkt = vm.net.recv(deadline - time.monotonic())
        if pkt is None:
            break
        if not vm.answer_arp(pkt) and pkt.haslayer(TCP) and pkt[TCP].dport == 8101:
            got[pkt[TCP].seq] = len(pkt[TCP].payload)
    split = vm.net.live_stats()["offload"]["split"]
    assert split["packets"] >= 1, "no large packet came through vmnet: nothing was staged"
    assert sum(got.values()) == want, f"{sum(got.values())} of {want} bytes reached the VM " \
                                      f"(split {split}): the rest waits in vmnet"


def test_bootpds_range_never_ends_on_the_broadcast_address(topo, monkeypatch):
    """--end-addr's default is the broadcast address, which sock-vmnet's own pool never hands
    out; vmnet's range (bootpd's, the classic API) ends one before, as vmnet's default."""
    monkeypatch.setenv("SVM_VMNET_SIM_MACOS", "15")
    net = topo.start_vmnet()
    assert "classic dhcp-range=192.168.64.1-192.168.64.254" in net.stderr(), net.stderr()


def test_expose_takes_the_classic_api_on_macos_26(topo):
    """An interface of a macOS 26 network refuses vmnet's forwarding calls (FB24895264):
    with --expose sock-vmnet starts a classic interface, and says why."""
    net = topo.start_vmnet(["--expose=8085:80"])
    assert ready_line(net)["api"] == "classic"
    assert "refuses vmnet's forwarding calls (Apple FB24895264): using the classic API" \
        in net.stderr()


def test_a_forward_asked_for_at_run_time_on_a_network_is_refused_with_the_reason(topo):
    sock = topo.tmp / "ctl.sock"
    net = topo.start_vmnet([f"--control={sock}"])
    assert ready_line(net)["api"] == "network"
    r = run([SOCK_VMNET, "ctl", str(sock), "expose", "add", "8086:80"], check=False)
    answer = json.loads(r.stdout)
    assert not answer["ok"] and "FB24895264" in answer["error"], answer
    assert "start sock-vmnet with --expose" in answer["error"]


def test_a_second_instance_on_a_held_subnet_says_why_it_takes_the_classic_api(topo):
    """vmnet_network_create() reserves its subnet: a second network on it is refused
    (VMNET_FAILURE). The second instance names the cause, and its VM is served."""
    first = topo.start_vmnet()
    assert ready_line(first)["api"] == "network"
    vm = ScapyVM(topo.start_vmnet(WAN_ALLOW, mac="52:54:00:aa:bb:cc"))
    err = vm.net.stderr()
    assert ready_line(vm.net)["api"] == "classic"
    assert "no macOS 26 network (VMNET_FAILURE: its subnet is held by another macOS 26 " \
           "network" in err, err
    assert vm.dhcp() and vm.arp_gateway() and vm.ping(WAN_IP)
    # the reservation goes with the network: the subnet is free once the first has stopped
    first.stop()
    vm.net.stop()
    again = topo.start_vmnet()
    assert ready_line(again)["api"] == "network", again.stderr()


def test_without_the_entitlement_the_error_says_which(topo, monkeypatch):
    """Neither root nor com.apple.security.virtualization: vmnet_network_create() answers
    VMNET_MEM_FAILURE and the classic API VMNET_NOT_AUTHORIZED; the one line says both,
    and what to sign with."""
    monkeypatch.setenv("SVM_VMNET_SIM_PRIVILEGE", "none")
    net = topo.start_vmnet(ready=False)
    assert net.proc.wait(timeout=10) == 1
    err = net.stderr()
    assert "--backend: vmnet refused (VMNET_NOT_AUTHORIZED): the classic API needs root; no " \
           "macOS 26 network either (VMNET_MEM_FAILURE: sock-vmnet lacks the " \
           "com.apple.security.virtualization entitlement" in err, err
    assert "--start-addr" not in err


def test_a_signed_process_without_root_gets_a_network(topo, monkeypatch):
    """com.apple.security.virtualization without root: networks work, the classic API
    does not (then --expose, which needs it, says so)."""
    monkeypatch.setenv("SVM_VMNET_SIM_PRIVILEGE", "virtualization")
    vm = leased(topo, *WAN_ALLOW)
    assert ready_line(vm.net)["api"] == "network"
    assert vm.arp_gateway() and vm.ping(WAN_IP)
    net = topo.start_vmnet(["--expose=8087:80"], mac="52:54:00:aa:bb:cc", ready=False)
    assert net.proc.wait(timeout=10) == 1
    assert "VMNET_NOT_AUTHORIZED): the classic API needs root" in net.stderr(), net.stderr()
