# SPDX-License-Identifier: MIT
# test_dhcp.py — sock-vmnet's DHCP server, as real clients (udhcpc, dhclient) and scapy see it
import ipaddress
import signal
import sqlite3
import subprocess
import time

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from conftest import GATEWAY, PYTHON, VM_MAC, ScapyVM
from dhcp_vm import TapVM

POOL = (ipaddress.ip_address("192.168.64.2"), ipaddress.ip_address("192.168.64.254"))

# Counts the DHCP frames (UDP port 67 or 68) seen on any interface of the namespace it runs in.
SNIFF_DHCP = r"""
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.settimeout(0.2)
print("ready", flush=True)
n = 0
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    try:
        f = s.recv(65535)
    except socket.timeout:
        continue
    if len(f) >= 42 and f[12:14] == b"\x08\x00" and f[23] == 17:
        ihl = (f[14] & 15) * 4
        sport, dport = struct.unpack("!HH", f[14 + ihl:18 + ihl])
        if {sport, dport} & {67, 68}:
            n += 1
print(n, flush=True)
"""


def in_pool(addr):
    return POOL[0] <= ipaddress.ip_address(addr) <= POOL[1]


def db_address(blob):
    """A lease database address (16 bytes, IPv4-mapped for IPv4) as text."""
    addr = ipaddress.IPv6Address(blob)
    return str(addr.ipv4_mapped or addr)


def lease_rows(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute("SELECT address, mac, owner_pid, bound FROM leases").fetchall()
    finally:
        con.close()
    return [(db_address(a), m, p, b) for a, m, p, b in rows]


def wait_log(vmnet, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in vmnet.stderr():
            return
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} in the log:\n{vmnet.stderr()}")


@pytest.fixture
def tap_vm(topo):
    made = []

    def make(args=(), mac=VM_MAC, mtu=1500):
        vmnet = topo.start_vmnet(list(args), mac=mac)
        vm = TapVM(topo, vmnet, mtu=mtu)
        made.append(vm)
        return vm
    yield make
    for vm in made:
        vm.cleanup()


def test_udhcpc_gets_renews_and_releases(topo, tap_vm):
    vm = tap_vm(["--mtu=1400", "--domain=vm.test", "--lease-time=120"], mtu=1400)
    sniffer = topo.host.popen([PYTHON, "-c", SNIFF_DHCP, "12"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    topo.procs.append(sniffer)
    assert "ready" in sniffer.stdout.readline()
    client = vm.udhcpc_start()

    bound = vm.wait_event(vm.udhcpc_events, {"bound"})
    assert in_pool(bound["ip"]), bound
    assert bound["subnet"] == "255.255.255.0"
    assert bound["router"] == GATEWAY
    assert bound["dns"].split() == [GATEWAY]
    assert bound["mtu"] == "1400"
    assert bound["domain"] == "vm.test"
    assert bound["lease"] == "120"
    assert bound["serverid"] == GATEWAY
    assert vm.ipv4() == bound["ip"] + "/24"

    # renew: udhcpc sends a unicast REQUEST from its address (RENEWING) on SIGUSR1
    client.send_signal(signal.SIGUSR1)
    renew = vm.wait_event(vm.udhcpc_events, {"renew", "bound"}, count=2)
    assert renew["ip"] == bound["ip"]
    rows = lease_rows(topo.lease_db)
    assert [(str(ipaddress.ip_address(a)), m, b) for a, m, _, b in rows] == \
        [(bound["ip"], VM_MAC, 1)]
    assert rows[0][2] == vm.vmnet.proc.pid

    # release on SIGUSR2: the address is free again (nobody holds it), still remembered.
    # udhcpc deconfigures tap0 as it releases, which drops a RELEASE still waiting for the
    # gateway's ARP answer in the VM (see the dhclient test below): the VM talks to its
    # gateway first, as any VM has by then
    vm.run(["ping", "-c", "1", "-W", "5", GATEWAY])
    client.send_signal(signal.SIGUSR2)
    wait_log(vm.vmnet, f"the VM released {bound['ip']}")
    rows = lease_rows(topo.lease_db)
    assert rows[0][2] == 0 and rows[0][1] == VM_MAC

    # DHCP frames from the VM never reached the host side (and none came back from it)
    out, _ = sniffer.communicate(timeout=30)
    assert out.strip() == "0", "DHCP frames seen in the host namespace"
    stats = vm.vmnet.live_stats()
    assert stats["dhcp"]["frames"] >= 3  # DISCOVER, REQUEST, REQUEST (renew), RELEASE


def test_dhclient_gets_reboots_and_releases(topo, tap_vm):
    vm = tap_vm(["--mtu=9000", "--domain=example.internal"], mtu=9000)
    r = vm.dhclient("-1")
    assert r.returncode == 0, r.stderr
    bound = vm.wait_event(vm.dhclient_events, {"BOUND"})
    assert in_pool(bound["new_ip_address"])
    assert bound["new_subnet_mask"] == "255.255.255.0"
    assert bound["new_routers"] == GATEWAY
    assert bound["new_domain_name_servers"] == GATEWAY
    assert bound["new_interface_mtu"] == "9000"
    assert bound["new_domain_name"] == "example.internal"
    assert bound["new_dhcp_lease_time"] == "600"

    # stop without releasing, then start again: INIT-REBOOT asks for the same address
    vm.dhclient("-x")
    r = vm.dhclient("-1")
    assert r.returncode == 0, r.stderr
    again = vm.wait_event(vm.dhclient_events, {"REBOOT", "BOUND"}, count=2)
    assert again["new_ip_address"] == bound["new_ip_address"]
    assert "DHCPACK" in r.stderr

    # release. dhclient -r sends its RELEASE and at once runs its script, whose flush of
    # tap0's last address makes Linux drop the neighbour queue (fib_disable_ip() ->
    # arp_ifdown()): a RELEASE still waiting for the gateway's ARP answer would be lost
    # in the VM, a race of this test's VM (seen under ThreadSanitizer and on tap alike),
    # not of sock-vmnet. A VM that has talked to its gateway, as any has, sends at once.
    vm.run(["ping", "-c", "1", "-W", "5", GATEWAY])
    r = vm.dhclient("-r")
    assert r.returncode == 0, r.stderr
    wait_log(vm.vmnet, f"the VM released {bound['new_ip_address']}")
    assert vm.ipv4() is None


def test_foreign_chaddr_is_dropped_and_counted(topo):
    net = topo.start_vmnet()
    chaddr = bytes.fromhex("020000000001")
    net.send(Ether(src=VM_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
             / UDP(sport=68, dport=67) / BOOTP(chaddr=chaddr, xid=7)
             / DHCP(options=[("message-type", "discover"), "end"]))
    assert net.recv(1.0, lambda p: p.haslayer(BOOTP)) is None
    # truncated options: malformed
    raw = bytes(BOOTP(chaddr=bytes.fromhex(VM_MAC.replace(":", "")), xid=8,
                      options=b"\x63\x82\x53\x63\x35\x01\x01\x0c\x40abc"))
    net.send(Ether(src=VM_MAC, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
             / UDP(sport=68, dport=67) / raw)
    assert net.recv(1.0, lambda p: p.haslayer(BOOTP)) is None
    drops = net.live_stats()["drops"]
    assert drops["dhcp-foreign-mac"] == 1
    assert drops["dhcp-malformed"] == 1


def test_scapy_vm_sticky_across_restarts(topo):
    vm = ScapyVM(topo.start_vmnet())
    first = vm.dhcp()
    assert first and in_pool(first)
    vm.net.stop()
    other = ScapyVM(topo.start_vmnet(mac="52:54:00:aa:bb:cc"))
    assert other.dhcp() not in (None, first)
    again = ScapyVM(topo.start_vmnet())
    assert again.dhcp() == first
