# SPDX-License-Identifier: MIT
# test_expose.py — port forwarding (--expose) to a VM with a real network stack, on each back-end
"""The VM (TapVM: a namespace with a kernel TCP/IP stack behind sock-vmnet) runs TCP and UDP
echo servers; clients on the host (127.0.0.1 and its own addresses) and in the wan namespace
connect to the forwarded host ports. Each test runs on the tap and the user back-end (and the
vmnet one in the simulation build, through the same tests)."""
import json
import signal
import subprocess
import time

import pytest

from scapy.layers.inet import TCP

from conftest import (BACKEND, GATEWAY, HOST_WAN_IP, PYTHON, SOCK_VMNET, WAN_ALLOW, WAN_IP,
                      ScapyVM, run)
from dhcp_vm import TapVM

# Echo servers in the VM: TCP and UDP on every port given, answering "<port>:<what came>".
VM_SERVERS = r"""
import socket, sys, threading
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, a = s.accept()
        c.settimeout(3)
        try:
            c.sendall(b"%d:" % port + c.recv(1000) + b" from " + a[0].encode())
        except OSError:
            pass
        c.close()
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    while True:
        d, a = s.recvfrom(1000)
        s.sendto(b"%d:" % port + d, a)
for p in sys.argv[1:]:
    threading.Thread(target=tcp, args=(int(p),), daemon=True).start()
    threading.Thread(target=udp, args=(int(p),), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""

# A client: argv host port proto text; prints the answer or an error word.
CLIENT = r"""
import socket, sys
host, port, proto, text = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
try:
    if proto == "tcp":
        s = socket.create_connection((host, port), timeout=3)
        s.sendall(text)
        print(s.recv(1000).decode() or "closed")
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
        s.sendto(text, (host, port))
        print(s.recv(1000).decode())
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
except OSError as e:
    print("error", e)
"""

BACKENDS = ["tap", "user"] if BACKEND == "tap" else [BACKEND]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def backend_args(backend):
    return [] if BACKEND == "vmnet" else [f"--backend={backend}"]


def vm_with(topo, backend, *args, servers=(80, 81, 82, 5353), mac="52:54:00:12:34:56"):
    net = topo.start_vmnet(backend_args(backend) + WAN_ALLOW +
                           [f"--control={topo.tmp}/ctl-{mac[-2:]}.sock"] + list(args), mac=mac)
    vm = TapVM(topo, net)
    vm.udhcpc_start()
    vm.wait_event(vm.udhcpc_events, {"bound"})
    srv = vm.popen([PYTHON, "-c", VM_SERVERS] + [str(p) for p in servers],
                   stdout=subprocess.PIPE, text=True)
    assert "ready" in srv.stdout.readline()
    return vm


def ask(ns, host, port, proto="tcp", text="hi"):
    return ns.run([PYTHON, "-c", CLIENT, host, port, proto, text], timeout=20).stdout.strip()


def wait_answer(ns, host, port, proto="tcp", want="", timeout=5):
    """Forwards follow the lease: the first tries may come before them."""
    deadline = time.monotonic() + timeout
    while True:
        got = ask(ns, host, port, proto)
        if got.startswith(want) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def ctl(topo, mac, *args):
    r = run([SOCK_VMNET, "ctl", f"{topo.tmp}/ctl-{mac[-2:]}.sock"] + list(args), check=False)
    return json.loads(r.stdout) if r.stdout.strip() else {"ok": False, "error": r.stderr}


def test_tcp_and_udp_on_every_address_and_on_localhost(topo, backend):
    # vmnet forwards on every address of the Mac: no BIND_ADDR there (test_vmnet.py)
    bound = [] if backend == "vmnet" else ["--expose=127.0.0.1:9081:81"]
    vm = vm_with(topo, backend, "--expose=8080:80,8053:5353/udp", *bound,
                 "--block=0.0.0.0/0")  # the policy does not block replies to forwards
    try:
        # the host's own connections come from the gateway, others from the client itself
        # (vmnet's NAT: as the simulation's DNAT shows it, the real client too)
        assert wait_answer(topo.host, "127.0.0.1", 8080, want="80:") == f"80:hi from {GATEWAY}"
        assert ask(topo.wan, HOST_WAN_IP, 8080) == f"80:hi from {WAN_IP}"
        assert ask(topo.host, "127.0.0.1", 8053, "udp").startswith("5353:hi")
        assert ask(topo.wan, HOST_WAN_IP, 8053, "udp").startswith("5353:hi")
        if bound:
            assert ask(topo.host, "127.0.0.1", 9081).startswith("81:hi")
            # bound to 127.0.0.1 only: not reachable from elsewhere
            assert ask(topo.wan, HOST_WAN_IP, 9081) in ("refused", "timeout")
        # nothing else is opened: a port not forwarded
        assert ask(topo.host, "127.0.0.1", 8082) in ("refused", "timeout")
        got = ctl(topo, "56", "exposes")["exposes"]
        by_spec = {e["spec"]: e for e in got}
        assert by_spec["8080:80/tcp"]["connections"] >= 2, got
        assert by_spec["8053:5353/udp"]["connections"] >= 2, got
        assert by_spec["8080:80/tcp"]["to"] == vm.ipv4().split("/")[0]
    finally:
        vm.cleanup()


def test_the_host_reaches_a_forward_at_its_own_address(topo, backend):
    """A very common way to try a forward: from the host itself, to its own LAN address (the
    kernel asks the bridge for the VM in the name of the gateway, not of that address: the
    VM's answer about an address it may not talk to would be dropped)."""
    vm = vm_with(topo, backend, "--expose=8085:80", f"--block={HOST_WAN_IP}")
    try:
        got = wait_answer(topo.host, HOST_WAN_IP, 8085, want="80:")
        assert got.startswith("80:hi from"), got
        assert vm.vmnet.live_stats()["drops"]["arp-target"] == 0
    finally:
        vm.cleanup()


def test_ranges_and_changes_at_run_time(topo, backend):
    # vmnet: forwards added at run time need the classic API, which --expose at start
    # chooses (a macOS 26 network's interface takes none: test_vmnet.py)
    vm = vm_with(topo, backend, *(["--expose=7070:70"] if backend == "vmnet" else []))
    try:
        mac = "56"
        assert ctl(topo, mac, "expose", "add", "7080-7082:80-82")["ok"]
        for k in range(3):
            assert wait_answer(topo.host, "127.0.0.1", 7080 + k, want=f"{80 + k}:").startswith(
                f"{80 + k}:hi")
        # overlapping, or the same again: refused with a reason
        answer = ctl(topo, mac, "expose", "add", "7081:90")
        assert not answer["ok"] and "forwarded already" in answer["error"], answer
        assert ctl(topo, mac, "expose", "del", "7080-7082:80-82")["ok"]
        assert wait_answer(topo.host, "127.0.0.1", 7080, want="refused") == "refused"
        assert not ctl(topo, mac, "expose", "del", "7080-7082:80-82")["ok"]
    finally:
        vm.cleanup()


def test_a_host_port_in_use_is_refused(topo, backend):
    a = vm_with(topo, backend, "--expose=8090:80")
    try:
        b = topo.start_vmnet(backend_args(backend) + ["--expose=8090:81"],
                             mac="52:54:00:00:00:0b", ready=False)
        assert b.proc.wait(timeout=10) == 1
        err = b.stderr()
        assert "--expose: 8090:81/tcp: host port 8090/tcp: taken" in err, err
        assert wait_answer(topo.host, "127.0.0.1", 8090, want="80:").startswith("80:hi")
        # at run time: a port another process listens on is an error answer, nothing changed
        holder = topo.host.popen([PYTHON, "-c", "import socket,time; s=socket.socket(); "
                                  "s.bind(('0.0.0.0', 8097)); s.listen(); print('ready', "
                                  "flush=True); time.sleep(60)"], stdout=subprocess.PIPE,
                                 text=True)
        topo.procs.append(holder)
        assert "ready" in holder.stdout.readline()
        answer = ctl(topo, "56", "expose", "add", "8097:80")
        assert not answer["ok"] and "taken" in answer["error"], answer
        assert all(e["spec"] != "8097:80/tcp" for e in ctl(topo, "56", "exposes")["exposes"])
    finally:
        a.cleanup()


def test_nothing_left_after_sigkill(topo, backend):
    vm = vm_with(topo, backend, "--expose=8095:80,8096:5353/udp")
    try:
        assert wait_answer(topo.host, "127.0.0.1", 8095, want="80:").startswith("80:hi")
        vm.vmnet.proc.send_signal(signal.SIGKILL)
        vm.vmnet.proc.wait(timeout=5)
        if backend == "tap":
            rules = topo.host.run(["nft", "list", "table", "ip", "sock_vmnet"]).stdout
            assert "8095" in rules and "8096" in rules  # left by the dead instance...
            # ...and removed by the next instance that starts, one without forwards too:
            # the dead VM's address may be handed out again, its forwards must not follow it
            plain = topo.start_vmnet(backend_args(backend), mac="52:54:00:00:00:0d")
            rules = topo.host.run(["nft", "list", "table", "ip", "sock_vmnet"]).stdout
            assert "8095" not in rules and "8096" not in rules, rules
            plain.stop()
        # the next instance takes the port
        other = vm_with(topo, backend, "--expose=8095:81", mac="52:54:00:00:00:0c")
        try:
            assert wait_answer(topo.host, "127.0.0.1", 8095, want="81:").startswith("81:hi")
        finally:
            other.cleanup()
    finally:
        vm.cleanup()


def test_bad_specs_are_refused_at_start(topo):
    for spec, message in [("8080", "want HOST_PORT:VM_PORT"),
                          ("8080-8082:80", "differ in number"),
                          ("8080:80/sctp", "neither /tcp nor /udp"),
                          ("1.2.3:8080:80", "not an IPv4 address"),
                          ("0:80", "not a port")]:
        r = topo.host.run([SOCK_VMNET, f"--expose={spec}", "--fd=0",
                           "--mac=52:54:00:12:34:56"], check=False)
        assert r.returncode == 2 and f'--expose: "{spec}": ' in r.stderr and message in r.stderr, \
            (spec, r.stderr)


@pytest.mark.skipif(BACKEND != "tap", reason="the tap back-end's forwards")
def test_tap_forwards_made_and_removed_after_user(topo):
    """tap forwards are nftables rules made when the VM gets its address, long after --user
    took root away: CAP_NET_ADMIN, kept for them, makes them then and removes them at exit."""
    vm = vm_with(topo, "tap", "--expose=8080:80", "--user=nobody")
    try:
        assert "running as nobody (uid 65534 gid 65534) with CAP_NET_ADMIN" in vm.vmnet.stderr()
        assert wait_answer(topo.host, "127.0.0.1", 8080, want="80:").startswith("80:hi")
        assert vm.vmnet.stop() == 0
        rules = topo.host.run(["nft", "list", "table", "ip", "sock_vmnet"]).stdout
        assert "8080" not in rules, rules
    finally:
        vm.cleanup()


LOOPBACK_LISTEN = r"""
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
print("ready", flush=True)
time.sleep(30)
"""


@pytest.mark.skipif(BACKEND != "tap", reason="the tap back-end's bridge")
def test_the_bridge_never_carries_the_vm_to_the_hosts_loopback(topo):
    """Forwards from 127.0.0.1 need route_localnet on the bridge, which would also let the
    VMs reach the host's loopback: a rule of sock-vmnet's table drops that, even where the
    policy allows 127/8."""
    net = topo.start_vmnet(WAN_ALLOW + ["--expose=127.0.0.1:8097:80", "--allow=127.0.0.0/8"])
    vm = ScapyVM(net)
    assert vm.dhcp() and vm.arp_gateway()
    server = topo.host.popen([PYTHON, "-c", LOOPBACK_LISTEN, "7071"], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert "ready" in server.stdout.readline()
        def guard():
            return topo.host.run(["nft", "list", "chain", "ip", "sock_vmnet", "loopback_guard"],
                                 check=False).stdout

        deadline = time.monotonic() + 5  # the forward follows the lease: route_localnet then
        while "127.0.0.0/8 counter" not in guard() and time.monotonic() < deadline:
            time.sleep(0.1)
        flag = topo.host.run(["cat", "/proc/sys/net/ipv4/conf/svmnet0/route_localnet"]).stdout
        assert flag.strip() == "1"
        answer = vm.exchange(vm.ip_frame("127.0.0.1", TCP(sport=41002, dport=7071, flags="S")),
                             lambda p: p.haslayer(TCP) and p[TCP].dport == 41002, timeout=2)
        assert answer is None, answer.summary()
        drops = {k: v for k, v in net.live_stats()["drops"].items() if v}
        assert drops.get("policy-block", 0) == 0, drops  # the policy let it pass...
        assert "counter packets 0 " not in guard() and "counter packets" in guard(), guard()
    finally:
        server.kill()
        server.wait()


# A client that connects, says hi and waits for the answer; prints connected, then the end.
EARLY_CLIENT = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print("connected", flush=True)
s.sendall(b"hi")
s.settimeout(20)
try:
    print(s.recv(100).decode() or "closed")
except ConnectionResetError:
    print("reset")
except (socket.timeout, TimeoutError):
    print("timeout")
"""


def test_a_connection_made_before_the_lease_is_reset_not_left_waiting(topo, backend):
    """Until the VM has an address the host port is held by a listener of sock-vmnet's that
    never serves: a client that came then is reset when the forward begins, and tries again."""
    if backend == "vmnet":
        pytest.skip("vmnet holds its ports itself")
    net = topo.start_vmnet(backend_args(backend) + WAN_ALLOW + ["--expose=8098:80"])
    client = topo.host.popen([PYTHON, "-c", EARLY_CLIENT, "8098"], stdout=subprocess.PIPE,
                             text=True)
    vm = TapVM(topo, net)
    try:
        assert client.stdout.readline().strip() == "connected"
        vm.udhcpc_start()
        vm.wait_event(vm.udhcpc_events, {"bound"})
        srv = vm.popen([PYTHON, "-c", VM_SERVERS, "80"], stdout=subprocess.PIPE, text=True)
        assert "ready" in srv.stdout.readline()
        assert client.communicate(timeout=15)[0].strip() == "reset"
        assert wait_answer(topo.host, "127.0.0.1", 8098, want="80:").startswith("80:hi")
    finally:
        client.kill()
        vm.cleanup()
