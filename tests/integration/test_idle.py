# SPDX-License-Identifier: MIT
# test_idle.py — an instance with nothing to do uses no CPU, whatever its back-end and transport
"""After frames have flowed, sock-vmnet waits without spinning: its CPU time stands still.

The ports of the vmnet back-end (its doorbell and retry pipe), of the user back-end
(libslirp's sockets) and of --listen (listener and client) are loops of their own, watched
by the main loop as one descriptor (core/loop.h loop_fd()). On macOS a kqueue inside a
kqueue stays readable until it is scanned (XNU filt_kqueue(), knote_process()): a set that
is never scanned makes the main loop spin. The darwin-loop build (make vmnet-sim-darwin)
runs this file over sim/xnu's kqueue, which keeps that rule."""
import os
import socket
import struct
import subprocess
import time

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from conftest import SOCK_VMNET, UDP_ECHO, VM_MAC, WAN_ALLOW, WAN_IP, ScapyVM, wait_line

# What an idle second may cost: a spinning loop burns the whole second (100 ticks); a
# waiting one nothing. 0.1 s leaves room for a slow machine's stray work.
IDLE_CPU_MAX = 0.1
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User and system time of process @pid so far (every thread)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def assert_idle(pid, log, seconds=1.0):
    before = cpu_seconds(pid)
    time.sleep(seconds)
    used = cpu_seconds(pid) - before
    assert used < IDLE_CPU_MAX, f"sock-vmnet used {used:.2f} s of CPU in {seconds} s with " \
                                f"nothing to do (a spinning loop):\n{log()}"


@pytest.mark.parametrize("backend", ["default", "user"])
def test_an_idle_instance_uses_no_cpu(topo, backend):
    args = list(WAN_ALLOW) + (["--backend=user"] if backend == "user" else [])
    vm = ScapyVM(topo.start_vmnet(args))
    assert vm.dhcp(), vm.net.stderr()
    assert vm.arp_gateway(), vm.net.stderr()
    echo = topo.wan_popen(UDP_ECHO, "7791")
    wait_line(echo)
    # a flow through the host side (the user back-end: a socket of libslirp's)
    reply = vm.exchange(vm.ip_frame(WAN_IP, UDP(sport=40100, dport=7791) / b"idle"),
                        lambda p: p.haslayer(UDP) and p[UDP].sport == 7791)
    assert reply is not None, vm.net.stderr()
    time.sleep(0.3)  # what the host sends on its own (IPv6 chatter) has come and gone
    assert_idle(vm.net.proc.pid, vm.net.stderr)


def framed(frame):
    data = bytes(frame)
    return struct.pack("!I", len(data)) + data


def test_an_idle_listen_instance_uses_no_cpu(topo):
    path = topo.tmp / "vm.sock"
    log = topo.tmp / "listen.stderr"
    proc = topo.host.popen([SOCK_VMNET, f"--listen={path}", f"--mac={VM_MAC}",
                            f"--lease-db={topo.lease_db}"],
                           stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    topo.procs.append(proc)
    deadline = time.monotonic() + 10
    while " INFO ready " not in log.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        time.sleep(0.05)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(path))
    client.settimeout(5)
    discover = (Ether(src=VM_MAC, dst="ff:ff:ff:ff:ff:ff")
                / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
                / BOOTP(chaddr=bytes.fromhex(VM_MAC.replace(":", "")), xid=7, flags=0x8000)
                / DHCP(options=[("message-type", "discover"), "end"]))
    client.sendall(framed(discover))
    # the VM's first frame also brings the gateway's router advertisement (IPv6), in
    # either order with the offer
    for _ in range(3):
        (length,) = struct.unpack("!I", client.recv(4, socket.MSG_WAITALL))
        if BOOTP in Ether(client.recv(length, socket.MSG_WAITALL)):
            break
    else:
        raise AssertionError("no DHCP offer")
    time.sleep(0.3)
    assert_idle(proc.pid, log.read_text)
    client.close()
