# SPDX-License-Identifier: MIT
# test_names.py — egress by name: rules that name names, the SNI/Host check, rejects, and the control socket
"""A VM with a real kernel stack (TapVM) resolves through the gateway, answered by a dnsmasq
in the host namespace that serves test names with short TTLs and CNAME chains, and talks to
servers in the "wan" namespace (203.0.113.2, a documentation address: refused unless a name
opens it)."""
import json
import subprocess
import time

import pytest

from conftest import GATEWAY, PYTHON, SOCK_VMNET, WAN_IP, run
from dhcp_vm import TapVM
from test_dns import ask

OTHER_IP = "203.0.113.9"  # nobody: a connection there is refused or times out

# Served by dnsmasq: api.allowed.test and the CNAME chain www.allowed.test -> edge.cdn.test
# lead to the wan server; evil.test is another name at the same address; meta.allowed.test
# points at the cloud metadata address (rebinding); tun.allowed.test at another address.
DNSMASQ_RECORDS = [
    f"--host-record=api.allowed.test,{WAN_IP},30",
    f"--host-record=edge.cdn.test,{WAN_IP},30",
    "--cname=www.allowed.test,edge.cdn.test,30",
    f"--host-record=evil.test,{WAN_IP},30",
    "--host-record=meta.allowed.test,169.254.169.254,30",
    "--host-record=short.allowed.test,203.0.113.2,1",
]

# A server in the wan namespace on ports 80, 443 and 8443: it reads what a client sends
# first and answers "served <n> bytes" (enough for a test to see the connection worked).
SERVER = r"""
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(64)
    while True:
        c, _ = s.accept()
        def one(c):
            c.settimeout(2)
            try:
                data = c.recv(65536)
                c.sendall(b"served %d bytes" % len(data))
                c.settimeout(90)
                data2 = c.recv(65536)  # a live connection: answer again later
                if data2:
                    c.sendall(b"again %d bytes" % len(data2))
            except OSError:
                pass
            c.close()
        threading.Thread(target=one, args=(c,), daemon=True).start()
for p in (80, 443, 8443):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""

# A client in the VM: connects to argv[1]:argv[2], sends a first payload (argv[3]: "tls:NAME"
# for a real ClientHello asking for NAME, "http:NAME" for a request with Host: NAME, or raw
# text), prints JSON {"result": "answered"|"reset"|"refused"|"timeout", "data": ...}; with
# argv[4] = "twice" it waits argv[5] seconds and sends again on the same connection.
CLIENT = r"""
import json, socket, ssl, sys, time
host, port, first = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if first.startswith("tls:"):
    ctx = ssl.create_default_context(); ctx.check_hostname = False
    out = ssl.MemoryBIO()
    t = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname=first[4:])
    try: t.do_handshake()
    except ssl.SSLWantReadError: pass
    payload = out.read()
elif first.startswith("http:"):
    payload = b"GET / HTTP/1.1\r\nHost: " + first[5:].encode() + b"\r\n\r\n"
else:
    payload = first.encode()
res = {}
try:
    s = socket.create_connection((host, port), timeout=3)
    s.sendall(payload)
    res = {"result": "answered", "data": s.recv(1000).decode(errors="replace")}
    if len(sys.argv) > 5 and sys.argv[4] == "twice":
        time.sleep(float(sys.argv[5]))
        s.sendall(b"still here")
        res["again"] = s.recv(1000).decode(errors="replace")
    if not res["data"]:
        res["result"] = "closed"
except ConnectionResetError:
    res = {"result": "reset"}
except ConnectionRefusedError:
    res = {"result": "refused"}
except (socket.timeout, TimeoutError):
    res = res or {"result": "timeout"}
except OSError as e:
    res = {"result": "error", "error": str(e)}
print(json.dumps(res))
"""


@pytest.fixture
def names_env(topo):
    """dnsmasq with the test names on 127.0.0.1:53 of the host namespace, and the wan server."""
    dns = topo.host.popen(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                           "--no-resolv", "--no-hosts", "--listen-address=127.0.0.1",
                           "--bind-interfaces", "--port=53", "--user=root", "--group=root",
                           "--pid-file="] + DNSMASQ_RECORDS,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    topo.procs.append(dns)
    server = topo.wan_popen(SERVER)
    assert "ready" in server.stdout.readline()
    deadline = time.monotonic() + 10
    while not ask(topo.host, "127.0.0.1", "udp", 1, name="api.allowed.test"):
        assert time.monotonic() < deadline and dns.poll() is None, "dnsmasq did not answer"
        time.sleep(0.1)
    return topo


def vm_with(topo, *args):
    """A TapVM behind a sock-vmnet with @args; leased, and its resolver the gateway."""
    net = topo.start_vmnet(["--dns=127.0.0.1", f"--control={topo.tmp}/ctl.sock"] + list(args))
    vm = TapVM(topo, net)
    vm.udhcpc_start()
    vm.wait_event(vm.udhcpc_events, {"bound"})
    return vm


def resolve(vm, name, proto="udp"):
    got = ask(vm.ns, GATEWAY, proto, 7, name=name)
    return got[0]["addrs"] if got else None


def connect(vm, host, port, first, *more):
    r = vm.run([PYTHON, "-c", CLIENT, host, port, first] + [str(m) for m in more], timeout=30)
    return json.loads(r.stdout)


def ctl(topo, *args, ok=True):
    r = run([SOCK_VMNET, "ctl", f"{topo.tmp}/ctl.sock"] + list(args), check=False)
    assert (r.returncode == 0) == ok, (r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout) if r.stdout.strip() else None


def hits(topo, verdict, rule):
    for r in ctl(topo, "rules")["rules"]:
        if r["verdict"] == verdict and r["rule"] == rule:
            return r["hits"]
    raise AssertionError(f"no rule {verdict} {rule}")


SANDBOX = ["--block=0.0.0.0/0", "--allow=tcp:api.allowed.test:443,tcp:*.allowed.test:80",
           "--allow=tcp:edge.cdn.test:443"]


def test_allowed_name_reaches_its_server_and_nothing_else_does(names_env):
    topo = names_env
    vm = vm_with(topo, *SANDBOX)
    try:
        # before the VM asks for the name, its address is closed
        assert connect(vm, WAN_IP, 443, "tls:api.allowed.test")["result"] == "refused"
        assert resolve(vm, "api.allowed.test") == [WAN_IP]
        got = connect(vm, WAN_IP, 443, "tls:api.allowed.test")
        assert got["result"] == "answered" and got["data"].startswith("served "), got
        # the rule's port only
        assert connect(vm, WAN_IP, 8443, "tls:api.allowed.test")["result"] == "refused"
        # an unlisted address is rejected at once (RST), not left to time out
        t0 = time.monotonic()
        assert connect(vm, OTHER_IP, 443, "x")["result"] == "refused"
        assert time.monotonic() - t0 < 2
        assert hits(topo, "allow", "tcp:api.allowed.test:443") >= 1
        # (the documentation range's built-in block, a /24, outranks the command line's /0)
        assert hits(topo, "block", "203.0.113.0/24") >= 3
        # learned for both rules that name it (the wildcard's too)
        names = {n["rule"]: n for n in ctl(topo, "names")["names"]}
        assert set(names) == {"tcp:api.allowed.test:443", "tcp:*.allowed.test:80"}, names
        mine = names["tcp:api.allowed.test:443"]
        assert (mine["name"], mine["address"], mine["verdict"]) == ("api.allowed.test", WAN_IP,
                                                                   "allow")
        assert 50 < mine["expires_in"] <= 60  # the TTL of 30 s, raised to the 60 s floor
    finally:
        vm.cleanup()


def test_cname_chain_and_wildcard(names_env):
    topo = names_env
    vm = vm_with(topo, *SANDBOX)
    try:
        # www.allowed.test is a CNAME of edge.cdn.test: the wildcard rule opens port 80
        assert resolve(vm, "www.allowed.test") == [WAN_IP]
        got = connect(vm, WAN_IP, 80, "http:www.allowed.test")
        assert got["result"] == "answered", got
        # the CNAME's target is a name of its own rule (edge.cdn.test:443)
        got = connect(vm, WAN_IP, 443, "tls:edge.cdn.test")
        assert got["result"] == "answered", got
    finally:
        vm.cleanup()


def test_sni_and_host_must_name_an_allowed_name(names_env):
    """The address is allowed through api.allowed.test; evil.test lives there too."""
    topo = names_env
    vm = vm_with(topo, *SANDBOX)
    try:
        assert resolve(vm, "api.allowed.test") == [WAN_IP]
        assert connect(vm, WAN_IP, 443, "tls:evil.test")["result"] in ("reset", "closed")
        assert resolve(vm, "www.allowed.test") == [WAN_IP]
        assert connect(vm, WAN_IP, 80, "http:evil.test")["result"] in ("reset", "closed")
        assert connect(vm, WAN_IP, 443, "tls:api.allowed.test")["result"] == "answered"
        drops = vm.vmnet.live_stats()["drops"]
        assert drops["name-mismatch"] >= 2, drops
    finally:
        vm.cleanup()


def test_check_names_off_lets_any_name_through(names_env):
    topo = names_env
    vm = vm_with(topo, *SANDBOX, "--check-names=off")
    try:
        assert resolve(vm, "api.allowed.test") == [WAN_IP]
        assert connect(vm, WAN_IP, 443, "tls:evil.test")["result"] == "answered"
    finally:
        vm.cleanup()


def test_block_mode_drop_answers_nothing_and_debug_names_the_rule(names_env):
    topo = names_env
    vm = vm_with(topo, *SANDBOX, "--block-mode=drop", "--debug")
    try:
        assert connect(vm, OTHER_IP, 443, "x")["result"] == "timeout"
        assert vm.vmnet.live_stats()["drops"]["policy-block"] >= 1
        # the decision log: which rule decided
        assert (f"reason=policy-block dir=vm->host" in vm.vmnet.stderr() and
                'rule="block 203.0.113.0/24 (built-in)"' in vm.vmnet.stderr()), vm.vmnet.stderr()
    finally:
        vm.cleanup()


def test_rebinding_to_metadata_opens_nothing(names_env):
    topo = names_env
    vm = vm_with(topo, "--allow=*.allowed.test")
    try:
        assert resolve(vm, "meta.allowed.test") == ["169.254.169.254"]  # it resolves...
        stats = vm.vmnet.live_stats()
        assert stats["names"]["rebinding"] == 1, stats["names"]
        assert all(n["address"] != "169.254.169.254" for n in ctl(topo, "names")["names"])
    finally:
        vm.cleanup()


def test_dns_to_another_resolver_is_blocked(names_env):
    topo = names_env
    vm = vm_with(topo, *SANDBOX)
    try:
        assert ask(vm.ns, WAN_IP, "udp", 9, name="api.allowed.test") == []
        assert connect(vm, WAN_IP, 853, "x")["result"] == "refused"  # DNS over TLS
        assert vm.vmnet.live_stats()["drops"]["foreign-dns"] >= 2
    finally:
        vm.cleanup()


def test_rules_added_and_removed_while_running(names_env):
    topo = names_env
    vm = vm_with(topo, "--block=0.0.0.0/0")
    try:
        assert resolve(vm, "api.allowed.test") == [WAN_IP]
        assert connect(vm, WAN_IP, 443, "tls:api.allowed.test")["result"] == "refused"
        assert ctl(topo, "rule", "add", "allow", "tcp:api.allowed.test:443")["ok"]
        assert resolve(vm, "api.allowed.test") == [WAN_IP]  # learned from now on
        assert connect(vm, WAN_IP, 443, "tls:api.allowed.test")["result"] == "answered"
        assert ctl(topo, "rule", "add", "allow", "tcp:api.allowed.test:443", ok=False)["error"]
        assert ctl(topo, "rule", "del", "allow", "tcp:api.allowed.test:443")["ok"]
        assert connect(vm, WAN_IP, 443, "tls:api.allowed.test")["result"] == "refused"
        assert ctl(topo, "names")["names"] == []  # learned under a rule that is gone
        assert "rule added allow tcp:api.allowed.test:443" in vm.vmnet.stderr()
    finally:
        vm.cleanup()


def test_ttl_expiry_blocks_new_flows_but_not_a_live_one(names_env):
    """short.allowed.test has a TTL of 1 s: held for the 60 s floor, then gone."""
    topo = names_env
    vm = vm_with(topo, "--block=0.0.0.0/0", "--allow=tcp:short.allowed.test:443",
                 "--check-names=off")
    try:
        assert resolve(vm, "short.allowed.test") == [WAN_IP]
        live = vm.popen([PYTHON, "-c", CLIENT, WAN_IP, "443", "first", "twice", "63"],
                        stdout=subprocess.PIPE, text=True)
        time.sleep(62)
        assert connect(vm, WAN_IP, 443, "late")["result"] == "refused"
        out = json.loads(live.communicate(timeout=30)[0])
        assert out["result"] == "answered" and out["again"].startswith("again"), out
    finally:
        vm.cleanup()


def test_control_socket_refuses_bad_requests_and_stays_usable(names_env):
    topo = names_env
    net = topo.start_vmnet([f"--control={topo.tmp}/ctl.sock"])
    script = r"""
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
out = []
for line in [b"{nope", b'{"cmd":"reboot"}', b"x" * 5000, b'{"cmd":"rule-add","verdict":"allow"}',
             b'{"cmd":"rule-add","verdict":"allow","rule":"tcp:bad..name:1"}', b'{"cmd":"stats"}']:
    f.write(line + b"\n"); f.flush()
    out.append(json.loads(f.readline()))
print(json.dumps(out))
"""
    r = run([PYTHON, "-c", script, f"{topo.tmp}/ctl.sock"])
    answers = json.loads(r.stdout)
    assert [a["ok"] for a in answers] == [False] * 5 + [True], answers
    assert answers[0]["error"].startswith("not JSON")
    assert "unknown command" in answers[1]["error"]
    assert "longer than 4096" in answers[2]["error"]
    assert "\"rule\" must be a string" in answers[3]["error"]
    assert "not a host name" in answers[4]["error"]
    assert "vm_to_host" in answers[5]["stats"]
    # a second instance may not take the socket of a live one
    other = topo.start_vmnet([f"--control={topo.tmp}/ctl.sock"], mac="52:54:00:00:00:77",
                             ready=False)
    assert other.proc.wait(timeout=10) == 1
    assert "--control" in other.stderr() and "is in use" in other.stderr()
    net.stop()
    assert not (topo.tmp / "ctl.sock").exists()  # removed at exit
