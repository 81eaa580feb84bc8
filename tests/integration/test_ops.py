# SPDX-License-Identifier: MIT
# test_ops.py — what operators run it by: pcap, metrics, the audit, the policy file, the ready record
"""A scapy VM on the socketpair, the wan host in its namespace. Each test reads what the
feature writes — the capture through tcpdump and scapy, the metrics through promtool, the
audit's lines, `ctl`'s answers — and the exit codes and messages of bad values."""
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

from conftest import (GATEWAY, SOCK_VMNET, UDP_ECHO, VM_MAC, WAN_ALLOW, WAN_IP, ScapyVM,
                      open_to_sandbox_user, run, wait_line)

BLOCKED = "10.9.8.7"  # private: refused by the built-in rules
NOBODY = "203.0.113.9"


def leased(vm):
    assert vm.dhcp(timeout=5), "no lease:\n" + vm.net.stderr()
    assert vm.arp_gateway(), "no ARP reply from the gateway"
    return vm


def ctl(path, *args, ok=True):
    r = run([SOCK_VMNET, "ctl", str(path)] + [str(a) for a in args], check=False)
    assert (r.returncode == 0) == ok, (r.returncode, r.stdout, r.stderr)
    return r


def ctl_json(path, *args, ok=True):
    return json.loads(ctl(path, *args, ok=ok).stdout)


def tcpdump(path):
    """tcpdump's reading of a capture file: one line per frame (fails on a bad file)."""
    r = run(["tcpdump", "-nn", "-r", str(path)])
    return r.stdout.splitlines()


def wait_for(what, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.05)
    return what()


def exit_of(topo, args, extra_fds=()):
    """sock-vmnet with @args on a socketpair: (exit status, stderr) of a refused start. In
    the test's own namespace: a start that gets as far as the back-end (a setup error)
    makes its bridge and NAT there, never on the machine, and its lease database in the
    test's directory, not the machine's default (/var/lib/sock-vmnet as root)."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        r = topo.host.run([SOCK_VMNET, f"--fd={b.fileno()}", f"--mac={VM_MAC}",
                           f"--lease-db={topo.lease_db}"] + args,
                          check=False, pass_fds=[b.fileno()] + list(extra_fds), timeout=10)
    finally:
        a.close()
        b.close()
    return r.returncode, r.stderr


# ---- pcap ---------------------------------------------------------------------------------------

def test_pcap_has_both_directions_and_drops_the_refused(topo):
    passed, dropped = topo.tmp / "vm.pcap", topo.tmp / "drops.pcap"
    vm = leased(ScapyVM(topo.start_vmnet(WAN_ALLOW + [f"--pcap={passed}",
                                                      f"--pcap-drops={dropped}"])))
    assert vm.ping(WAN_IP, payload=b"pcap-ping")
    vm.net.send(vm.ip_frame(BLOCKED, UDP(sport=4444, dport=5555) / b"refused-marker"))
    vm.net.send(Ether(src="52:54:00:99:99:99", dst=vm.gateway_mac) /
                IP(src=vm.ip, dst=WAN_IP) / UDP(dport=9) / b"spoofed-marker")
    time.sleep(0.3)
    assert vm.net.stop() == 0
    lines = tcpdump(passed)
    assert any("ICMP echo request" in l and WAN_IP in l for l in lines), lines
    assert any("ICMP echo reply" in l and WAN_IP in l for l in lines), lines
    assert any("BOOTP/DHCP" in l for l in lines), "DHCP (answered by sock-vmnet) is missing"
    assert not any(f"> {BLOCKED}.5555" in l for l in lines), "the refused frame passed?"
    # what sock-vmnet answered it with (--block-mode=reject) is on the VM's wire
    assert any("prohibited" in l and BLOCKED in l for l in lines), lines
    frames = [bytes(p) for p in rdpcap(str(passed))]
    assert any(b"pcap-ping" in f for f in frames)
    drops = tcpdump(dropped)
    assert any(BLOCKED in l for l in drops), drops
    dframes = [bytes(p) for p in rdpcap(str(dropped))]
    assert any(b"refused-marker" in f for f in dframes)
    assert any(b"spoofed-marker" in f for f in dframes)
    assert not any(b"pcap-ping" in f for f in dframes)
    assert oct(passed.stat().st_mode & 0o777) == "0o600"


def test_pcap_size_bound_keeps_the_latest_in_two_files(topo):
    path = topo.tmp / "small.pcap"
    vm = leased(ScapyVM(topo.start_vmnet(WAN_ALLOW + [f"--pcap={path}", "--pcap-size=64K"])))
    frame = vm.ip_frame(WAN_IP, UDP(sport=4000, dport=9) / (b"x" * 1000))
    for i in range(300):  # ~300 KB: the file fills and is rotated several times
        vm.net.send(frame)
    vm.net.send(vm.ip_frame(WAN_IP, UDP(sport=4000, dport=9) / b"the-last-frame"))
    time.sleep(0.3)
    assert vm.net.stop() == 0
    old = Path(str(path) + ".1")
    assert path.stat().st_size <= 64 * 1024 and old.stat().st_size <= 64 * 1024
    assert old.stat().st_size > 60 * 1024
    assert tcpdump(old) and tcpdump(path)
    assert any(b"the-last-frame" in bytes(p) for p in rdpcap(str(path)))


def test_pcap_started_and_stopped_by_ctl(topo):
    sock = topo.tmp / "ctl.sock"
    vm = leased(ScapyVM(topo.start_vmnet(WAN_ALLOW + [f"--control={sock}"])))
    cwd = topo.tmp / "here"
    cwd.mkdir()
    # the file is made after setup, by the user sock-vmnet runs as then
    open_to_sandbox_user(cwd)
    r = run([SOCK_VMNET, "ctl", str(sock), "pcap", "start", "live.pcap"], cwd=cwd)
    answer = json.loads(r.stdout)
    assert answer["ok"] and answer["pcap"]["file"] == str(cwd / "live.pcap")
    assert vm.ping(WAN_IP, payload=b"while-capturing")
    stopped = ctl_json(sock, "pcap", "stop")
    assert stopped["ok"]
    assert vm.ping(WAN_IP, payload=b"after-the-stop")
    frames = [bytes(p) for p in rdpcap(str(cwd / "live.pcap"))]
    assert any(b"while-capturing" in f for f in frames)
    assert not any(b"after-the-stop" in f for f in frames)
    assert any("ICMP echo reply" in l for l in tcpdump(cwd / "live.pcap"))
    again = ctl_json(sock, "pcap", "stop", ok=False)
    assert again["error"] == "no capture runs"
    link = topo.tmp / "link.pcap"
    link.symlink_to(topo.tmp / "elsewhere")
    refused = ctl_json(sock, "pcap", "start", link, ok=False)
    assert "symbolic link" in refused["error"]
    assert not (topo.tmp / "elsewhere").exists()


# ---- metrics ------------------------------------------------------------------------------------

def promtool(path):
    return subprocess.run(["promtool", "check", "metrics"], stdin=open(path),
                          capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool (Debian's prometheus) missing")
def test_metrics_file_is_valid_labelled_and_equal_to_ctl(topo):
    prom, sock = topo.tmp / "vm1.prom", topo.tmp / "ctl.sock"
    vm = leased(ScapyVM(topo.start_vmnet(WAN_ALLOW + [
        f"--metrics={prom}", "--metrics-interval=1", "--name=build-vm.1",
        f"--control={sock}", "--allow=tcp:203.0.113.2:80"])))
    assert vm.ping(WAN_IP)
    vm.net.send(vm.ip_frame(BLOCKED, UDP(dport=9)))

    def counted():
        text = prom.read_text()
        return 'reason="policy-block"} 1' in text and text
    text = wait_for(counted, timeout=4)
    assert text, prom.read_text()
    check = promtool(prom)
    assert check.returncode == 0, check.stdout + check.stderr
    labels = f'mac="{VM_MAC}",name="build-vm.1"'
    assert f'sock_vmnet_frames_total{{{labels},direction="vm_to_host"}}' in text
    assert f'sock_vmnet_drops_total{{{labels},reason="policy-block"}} 1' in text
    assert f'sock_vmnet_rule_hits_total{{{labels},verdict="allow",rule="203.0.113.0/24",' \
           'origin="command-line"}' in text
    assert f'sock_vmnet_rules{{{labels},origin="command-line"}} 2' in text
    assert f'sock_vmnet_vm_has_lease{{{labels}}} 1' in text
    assert not list(topo.tmp.glob(".vm1.prom.*")), "a temporary file was left behind"
    # the same text: the same series (values move with the host's own IPv6 chatter)
    def series(t):
        return [l.rsplit(" ", 1)[0] for l in t.splitlines()]
    assert series(ctl(sock, "metrics").stdout) == series(prom.read_text())


def wakeups(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return sum(int(l.split()[1]) for l in status.splitlines() if "ctxt_switches" in l)


def test_metrics_written_once_per_interval_and_never_while_idle(topo):
    # no IPv6 in the test's host namespace: the kernel's own router solicitations and MLD
    # reports to the bridge would wake sock-vmnet (as traffic); so no IPv6 for the VM either
    for knob in ("all", "default"):
        topo.host.run(["sysctl", "-qw", f"net.ipv6.conf.{knob}.disable_ipv6=1"])
    prom = topo.tmp / "vm.prom"
    vm = leased(ScapyVM(topo.start_vmnet([f"--metrics={prom}", "--metrics-interval=2",
                                          "--ipv6=off"])))
    # traffic for 3 s: at most two writes after the first (one per 2 s)
    first = prom.stat().st_mtime_ns
    inodes = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        # refused at once: counted, and nothing of the host's is woken to answer
        vm.net.send(vm.ip_frame(BLOCKED, UDP(dport=9) / b"busy"))
        inodes.add(prom.stat().st_ino)
        time.sleep(0.05)
    assert 1 <= len(inodes - {first}) <= 3, inodes
    time.sleep(2.5)  # the last change is written within an interval
    settled = prom.stat().st_mtime_ns
    assert 'reason="policy-block"} 0' not in prom.read_text()
    pid = vm.net.proc.pid
    before = wakeups(pid)
    time.sleep(3)
    assert wakeups(pid) == before, "an idle instance woke up"
    assert prom.stat().st_mtime_ns == settled


# ---- the audit ----------------------------------------------------------------------------------

def audit_lines(path):
    return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []


def test_audit_says_what_the_vm_tried_and_ctl_lists_the_flows(topo):
    audit, sock = topo.tmp / "audit.jsonl", topo.tmp / "ctl.sock"
    echo = topo.wan_popen(UDP_ECHO, "7777")
    wait_line(echo)
    vm = leased(ScapyVM(topo.start_vmnet([
        f"--audit={audit}", f"--control={sock}", "--name=sandbox",
        "--block=0.0.0.0/0", "--allow=udp:203.0.113.2:7777"])))
    reply = vm.exchange(vm.ip_frame(WAN_IP, UDP(sport=40001, dport=7777) / b"hello"),
                        lambda p: p.haslayer(UDP) and p[UDP].sport == 7777)
    assert reply is not None
    for _ in range(3):  # one attempt retried: one line
        vm.net.send(vm.ip_frame(NOBODY, TCP(sport=40002, dport=443, flags="S")))
    lines = wait_for(lambda: len(audit_lines(audit)) >= 2 and audit_lines(audit))
    flow = next(l for l in lines if l["event"] == "flow")
    assert flow["vm"] == {"mac": VM_MAC, "name": "sandbox"}
    assert (flow["proto"], flow["dst"], flow["dst_port"], flow["src_port"]) == \
        ("udp", WAN_IP, 7777, 40001)
    assert (flow["verdict"], flow["rule"], flow["rule_origin"]) == \
        ("allow", "allow udp:203.0.113.2/32:7777", "command-line")
    assert flow["time"].endswith("Z") and flow["reason"] is None
    refused = [l for l in lines if l["event"] == "refused"]
    assert len(refused) == 1, lines
    assert (refused[0]["dst"], refused[0]["dst_port"], refused[0]["verdict"],
            refused[0]["reason"], refused[0]["rule"], refused[0]["rule_origin"]) == \
        (NOBODY, 443, "block", "policy-block", "block 203.0.113.0/24", "builtin")
    flows = ctl_json(sock, "flows")["flows"]
    udp = next(f for f in flows if f["proto"] == "udp" and f["dst"] == WAN_IP)
    assert udp["packets_out"] == 1 and udp["packets_in"] == 1 and udp["verdict"] == "allow"
    assert any(f["dst"] == NOBODY and f["verdict"] == "block" for f in flows)


def test_audit_is_rate_limited_and_says_how_much_was_kept_back(topo):
    audit = topo.tmp / "audit.jsonl"
    vm = leased(ScapyVM(topo.start_vmnet([f"--audit={audit}"])))
    frames = [bytes(vm.ip_frame(BLOCKED, TCP(sport=10000 + i, dport=22, flags="S")))
              for i in range(1600)]
    start = time.monotonic()
    for f in frames:  # a scan: 1600 refused connections as fast as the socket takes them
        vm.net.sock.send(f)
    took = time.monotonic() - start
    time.sleep(0.5)  # the budget refills: the next line says how many were kept back
    vm.net.send(vm.ip_frame(BLOCKED, TCP(sport=9999, dport=22, flags="S")))
    time.sleep(0.3)
    assert vm.net.stop() == 0
    lines = audit_lines(audit)
    assert len(lines) <= 1000 + int((took + 0.5) * 200) + 1
    assert len(lines) < 1601
    assert any(l.get("suppressed", 0) > 0 for l in lines), "no line says what was kept back"


def test_audit_size_bound(topo):
    audit = topo.tmp / "audit.jsonl"
    vm = leased(ScapyVM(topo.start_vmnet([f"--audit={audit}", "--audit-size=4K"])))
    for i in range(60):
        vm.net.send(vm.ip_frame(BLOCKED, TCP(sport=20000 + i, dport=22, flags="S")))
    time.sleep(0.3)
    assert vm.net.stop() == 0
    old = Path(str(audit) + ".1")
    assert audit.stat().st_size <= 4096 and old.stat().st_size <= 4096
    assert all(json.loads(l) for l in old.read_text().splitlines())


# ---- the policy file ----------------------------------------------------------------------------

def test_policy_file_reloads_on_sighup_and_ctl_and_keeps_the_rules_on_error(topo):
    policy, sock = topo.tmp / "policy", topo.tmp / "ctl.sock"
    policy.write_text("# nothing for the wan host yet\nblock 198.51.100.0/24\n")
    net = topo.start_vmnet([f"--policy={policy}", f"--control={sock}", "--allow=203.0.113.7"])
    vm = leased(ScapyVM(net))
    assert not vm.ping(WAN_IP, timeout=1)
    policy.write_text("# the wan host\nallow 203.0.113.2   # its address\n"
                      "block udp::9, tcp::9\n")
    net.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "reloaded on SIGHUP: 3 rules" in net.stderr())
    assert vm.ping(WAN_IP)
    rules = ctl_json(sock, "rules")["rules"]
    mine = [(r["origin"], r["verdict"], r["rule"], r.get("line")) for r in rules
            if r["origin"] != "builtin"]
    assert mine == [("command-line", "allow", "203.0.113.7/32", None),
                    ("file", "allow", "203.0.113.2/32", 2), ("file", "block", "udp:0.0.0.0/0:9", 3),
                    ("file", "block", "tcp:0.0.0.0/0:9", 3)]
    ctl(sock, "rule", "add", "block", "icmp:198.51.100.1")
    assert [r["origin"] for r in ctl_json(sock, "rules")["rules"]][-1] == "ctl"
    policy.write_text("allow 203.0.113.2\nallow 10.0.0.1/8\n")
    bad = ctl_json(sock, "reload", ok=False)
    assert bad["error"].startswith(f"{policy}:2: ")
    assert "host bits" in bad["error"]
    assert f"{policy}:2: " in net.stderr() and "the rules in force stay" in net.stderr()
    assert vm.ping(WAN_IP, seq=2)
    policy.write_text("")
    assert ctl_json(sock, "reload")["rules"] == 0
    assert not vm.ping(WAN_IP, seq=3, timeout=1)
    assert net.proc.poll() is None


def test_without_policy_sighup_still_stops(topo):
    net = topo.start_vmnet([])
    net.proc.send_signal(signal.SIGHUP)
    assert net.proc.wait(timeout=5) == 0


@pytest.mark.parametrize("text,message", [
    ("allow 10.0.0.0/8\n\n  allow tcp:github.com:70000\n", ':3: "tcp:github.com:70000"'),
    ("permit 10.0.0.0/8\n", ':1: "permit 10.0.0.0/8": a line is "allow RULE" or "block RULE"'),
    ("allow ,\n", ":1: an empty rule"),
])
def test_bad_policy_file_exits_2_naming_the_line(topo, text, message):
    policy = topo.tmp / "bad-policy"
    policy.write_text(text)
    status, err = exit_of(topo, [f"--policy={policy}"])
    assert status == 2
    assert err.startswith(f"sock-vmnet: --policy: {policy}{message}"), err
    assert len(err.strip().splitlines()) == 1


# ---- the ready record ---------------------------------------------------------------------------

def test_ready_fd_gets_one_line_then_eof(topo):
    r, w = os.pipe()
    net = topo.start_vmnet([f"--ready-fd={w}", f"--control={topo.tmp}/c.sock", "--name=vm7"],
                           ready=False, pass_fds=(w,))
    os.close(w)
    with os.fdopen(r) as f:
        line = f.readline()
        assert f.read() == "", "the fd was not closed after the line"
    rec = json.loads(line)
    assert rec["ready"] is True and rec["mac"] == VM_MAC and rec["name"] == "vm7"
    assert (rec["gateway"], rec["subnet"], rec["mtu"]) == (GATEWAY, "192.168.64.0/24", 1500)
    # the default prefix: a unique local /64 (fd00::/8), IPv6 being on by default
    assert re.fullmatch(r"fd[0-9a-f]{2}(:[0-9a-f]{1,4}){3}::/64", rec["ipv6_prefix"]), rec
    assert rec["control"] == f"{topo.tmp}/c.sock"
    assert rec["backend"] in ("tap", "vmnet", "user") and isinstance(rec["offloads"], list)
    assert rec["pid"] == net.proc.pid or net.proc.poll() is None
    assert " INFO ready " in net.stderr()


# ---- bad values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["--pcap-size=1000"], '--pcap-size: "1000" is not a size from 65536 bytes'),
    (["--pcap-size=12X"], '--pcap-size: "12X" is not a size'),
    (["--metrics-interval=0"], '--metrics-interval: "0" is not a number of seconds'),
    (["--name=a b"], '--name: "a b" is not a name'),
    (["--ready-fd=987"], "--ready-fd: 987 is not an open file descriptor"),
    (["--pcap="], "--pcap: the path is empty"),
    (["--policy=/nonexistent/policy"], '--policy: "/nonexistent/policy": No such file'),
])
def test_bad_values_exit_2_with_one_line(topo, args, message):
    status, err = exit_of(topo, args)
    assert status == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args,message", [
    (["--pcap-size=1000", "--", "true"], '--pcap-size: "1000" is not a size from 65536 bytes'),
    (["--"], 'no hypervisor command after "--"'),
    ([], 'missing "--" before the hypervisor command'),
])
def test_run_refused_exits_2_with_one_line(topo, args, message):
    """`run` refused before it starts anything, rules and forwards already read: one line,
    status 2, nothing else (under make asan: nothing left allocated, which LeakSanitizer
    would report and turn into another status)."""
    r = topo.host.run([SOCK_VMNET, "run", f"--mac={VM_MAC}", f"--lease-db={topo.lease_db}",
                       "--allow=10.0.0.0/8,tcp:@host:22", "--expose=2222:22"] + args,
                      check=False, timeout=10)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_unwritable_capture_is_a_setup_error(topo):
    status, err = exit_of(topo, [f"--pcap={topo.tmp}/no/such/dir/x.pcap"])
    assert status == 1
    assert "--pcap: " in err and "No such file or directory" in err
