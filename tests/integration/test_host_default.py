# SPDX-License-Identifier: MIT
# test_host_default.py — the host closed by default: a VM reaches its DHCP, DNS and ping only
"""By default a VM reaches nothing of its host but what sock-vmnet answers (DHCP, DNS) and
ping: a listener on the host — on the user back-end its 127.0.0.1, which libslirp gives the
gateway's address; on the tap back-end the bridge's gateway address in the test's host
namespace (vmnet's simulation: the same) — receives nothing from the VM, which gets the guard's reset instead. An explicit
--allow @host (or tcp:@host:PORT) opens it. The start's log line says which it is."""
import subprocess

import pytest
from scapy.layers.inet import TCP

from conftest import BACKEND, GATEWAY, PYTHON, ScapyVM

PORT = 7070

# Accepts connections and prints, for each, the first line it reads (or "empty").
LISTEN = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
print("ready", flush=True)
while True:
    c, peer = s.accept()
    c.settimeout(5)
    try:
        data = c.recv(100)
    except OSError:
        data = b""
    print(data.decode(errors="replace").strip() or "empty", flush=True)
    c.close()
"""

# The marker the test sends itself, from the host, once the VM's attempt is over.
MARKER = r"""
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.sendall(b"marker\n"); c.close()
"""


def listener_address(backend):
    """Where the host's service listens: libslirp's gateway is the host's loopback."""
    return "127.0.0.1" if backend == "user" else GATEWAY


def start(topo, backend, *args):
    extra = ["--backend=user"] if backend == "user" else []
    net = topo.start_vmnet(extra + list(args))
    vm = ScapyVM(net)
    assert vm.dhcp() and vm.arp_gateway(), net.stderr()
    addr = listener_address(backend)
    server = topo.host.popen([PYTHON, "-c", LISTEN, addr, str(PORT)], stdout=subprocess.PIPE,
                             text=True)
    topo.procs.append(server)
    assert server.stdout.readline().strip() == "ready"
    return net, vm, server


def syn(vm, sport):
    """The VM opens a connection to the host's port: the answer (SYN-ACK, RST) or None."""
    return vm.exchange(vm.ip_frame(GATEWAY, TCP(sport=sport, dport=PORT, flags="S", seq=1)),
                       lambda p: p.haslayer(TCP) and p[TCP].dport == sport, timeout=3)


# "default": the build's own back-end, tap (or vmnet over its simulation, whose bridge in the
# host namespace has the gateway's address as a Mac's has)
BACKENDS = ["default", "user"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_host_is_closed_by_default(topo, backend):
    net, vm, server = start(topo, backend)
    assert ("host 192.168.64.1: the VM may reach its DHCP, DNS, ping; nothing else "
            "(--allow @host opens it)") in net.stderr()
    before = net.live_stats()["drops"].get("policy-block", 0)
    answer = syn(vm, 41000)
    assert answer is not None and answer[TCP].flags.R, answer  # the guard's reset
    assert net.live_stats()["drops"]["policy-block"] == before + 1
    # ping and DNS stay
    assert vm.ping(GATEWAY)
    # the listener's first connection is the test's own marker: the VM's never came
    topo.host.run([PYTHON, "-c", MARKER, listener_address(backend), str(PORT)])
    assert server.stdout.readline().strip() == "marker"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rule", ["@host", f"tcp:@host:{PORT}"])
def test_allow_host_opens_it(topo, backend, rule):
    net, vm, server = start(topo, backend, f"--allow={rule}")
    assert f"host 192.168.64.1: the VM may reach its DHCP, DNS, ping and --allow {rule}" \
        in net.stderr()
    answer = syn(vm, 41000)
    assert answer is not None and answer[TCP].flags == "SA", answer
    seq = answer[TCP].seq + 1
    vm.net.send(vm.ip_frame(GATEWAY, TCP(sport=41000, dport=PORT, flags="A", seq=2, ack=seq)))
    vm.net.send(vm.ip_frame(GATEWAY, TCP(sport=41000, dport=PORT, flags="PA", seq=2, ack=seq)
                            / b"from the vm\n"))
    assert server.stdout.readline().strip() == "from the vm"
