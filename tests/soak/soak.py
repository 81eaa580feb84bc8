#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# soak.py — issue 23's three scale cases, run by hand (--full) or briefly in CI (--short)
"""Usage: soak.py --full | --short [--cases sequential,concurrent,churn] [--json FILE]

  sequential  VMs one after another on one /24 (253 addresses), every third SIGKILLed:
              every VM must get an address; the time per VM is reported.
              --full: 10 000 VMs; --short: 300.
  concurrent  VMs at once on one bridge: no address twice; RSS and PSS of each; wake-ups
              of all of them over 10 idle seconds (0 expected). --full: 100; --short: 20.
  churn       one VM with 4096 rules (half of them names) learning 10 000 addresses from
              short-TTL DNS answers, opening and closing flows to them: its memory (RSS,
              PSS) and every table's size (`ctl stats`'s "tables") sampled; memory must not
              grow after the tables fill. --full: one hour; --short: 100 s and 1000 names.

Everything runs in network namespaces of its own (removed at the end, also on failure):
sock-vmnet's tap back-end on a bridge in namespace "host", a DNS server there for the
churn. Frames are written to the VMs' socketpairs directly (no scapy in the loops).
Exit status 1 when a case fails its check; the numbers are printed (and with --json
written) either way.
"""
import argparse
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from conftest import SOCK_VMNET, Netns, open_to_sandbox_user, run  # noqa: E402

GATEWAY = "192.168.64.1"
BCAST = b"\xff" * 6


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def udp(src, dst, sport, dport, payload):
    return ipv4(src, dst, 17, struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload)


def tcp(src, dst, sport, dport, flags, seq=1):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 0x50, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(seg))
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    return ipv4(src, dst, 6, seg)


def eth(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


def dhcp_msg(mac, xid, kind, requested=None, server=None):
    opts = bytes([53, 1, kind])
    if requested:
        opts += bytes([50, 4]) + socket.inet_aton(requested)
    if server:
        opts += bytes([54, 4]) + socket.inet_aton(server)
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"", b"")
    payload = bootp + b"\x63\x82\x53\x63" + opts + b"\xff"
    return eth(BCAST, mac, 0x0800, udp("0.0.0.0", "255.255.255.255", 68, 67, payload))


def dhcp_reply(sock, xid, kind, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            f = sock.recv(70000)
        except (socket.timeout, BlockingIOError):
            return None
        if len(f) < 42 + 240 or f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        bootp = f[42:]
        if struct.unpack("!I", bootp[4:8])[0] != xid:
            continue
        opts, i, got = bootp[240:], 0, None
        while i < len(opts) and opts[i] != 255:
            if opts[i] == 0:
                i += 1
                continue
            if opts[i] == 53:
                got = opts[i + 2]
            i += 2 + opts[i + 1]
        if got == kind:
            return socket.inet_ntoa(bootp[16:20]), socket.inet_ntoa(f[26:30])
    return None


def lease(sock, mac, timeout=5):
    """DISCOVER/OFFER/REQUEST/ACK on the VM's socket; the address, or None."""
    xid = random.getrandbits(32)
    sock.send(dhcp_msg(mac, xid, 1))
    offer = dhcp_reply(sock, xid, 2, timeout)
    if not offer:
        return None
    sock.send(dhcp_msg(mac, xid, 3, offer[0], offer[1]))
    ack = dhcp_reply(sock, xid, 5, timeout)
    return ack[0] if ack else None


def random_mac():
    return bytes([0x52, 0x54, 0x00]) + os.urandom(3)


def mac_text(mac):
    return ":".join(f"{b:02x}" for b in mac)


class Instance:
    def __init__(self, ns, tmp, mac, args=(), name="vm"):
        self.mac = mac
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.log = open(Path(tmp) / f"{name}.log", "w+")
        self.proc = ns.popen([SOCK_VMNET, f"--fd={theirs.fileno()}", f"--mac={mac_text(mac)}",
                              f"--lease-db={tmp}/leases.db",
                              # the namespace has no IPv6 (quiet_namespace()): nor the VMs
                              "--ipv6=off"] + list(args),
                             pass_fds=[theirs.fileno()], stdout=self.log, stderr=self.log)
        theirs.close()

    def wait_ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.log.seek(0)
            if " INFO ready " in self.log.read():
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.005)
        self.log.seek(0)
        raise RuntimeError(f"sock-vmnet not ready:\n{self.log.read()}")

    def pid(self):
        # ip netns exec execs: the Popen's pid is sock-vmnet's
        return self.proc.pid

    def stop(self, sig):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=10)
        self.sock.close()
        self.log.close()


def memory(pid):
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    kb = {l.split(":")[0]: int(l.split()[1]) for l in rollup.splitlines()[1:] if l.endswith("kB")}
    return kb["Rss"], kb["Pss"]


def wakeups(pid):
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for l in (task / "status").read_text().splitlines():
            if "ctxt_switches" in l:
                total += int(l.split()[1])
    return total


def quiet_namespace(ns):
    """No IPv6 in the namespace: the kernel's own chatter would wake the instances."""
    for knob in ("all", "default"):
        ns.run(["sysctl", "-qw", f"net.ipv6.conf.{knob}.disable_ipv6=1"])


POOL = ["--start-addr=192.168.64.1", "--end-addr=192.168.64.255"]  # .2-.254: 253 addresses


def sequential(ns, tmp, count):
    times, failures = [], []
    for i in range(count):
        mac = random_mac()
        t0 = time.monotonic()
        vm = Instance(ns, tmp, mac, POOL + ["--bridge=svmsoak"], name="seq")
        try:
            vm.wait_ready()
            addr = lease(vm.sock, mac)
        finally:
            if vm.proc.poll() is None:
                vm.stop(signal.SIGKILL if i % 3 == 2 else signal.SIGTERM)
        times.append((time.monotonic() - t0) * 1000)
        if not addr:
            failures.append(i)
        if (i + 1) % 500 == 0:
            print(f"  sequential: {i + 1}/{count}, {sum(times) / len(times):.1f} ms per VM",
                  flush=True)
    times.sort()
    return {"vms": count, "killed": count // 3, "without_address": len(failures),
            "ms_per_vm_mean": round(sum(times) / len(times), 1),
            "ms_per_vm_p50": round(times[len(times) // 2], 1),
            "ms_per_vm_p99": round(times[int(len(times) * 0.99)], 1),
            "ok": not failures}


def settle(vms, window=2.0, limit=30.0):
    """Until a @window of seconds passes with no instance woken (their start's lease writes,
    ARP probes and answers over), at most @limit seconds: a fixed 3 s was too short once on a
    loaded machine (269 wake-ups in the sample). A timer of any period up to the 10-second
    sample still shows in it: one of 2 s or less keeps this from settling, a longer one
    wakes inside the sample."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        before = [wakeups(vm.pid()) for vm in vms]
        time.sleep(window)
        if all(wakeups(vm.pid()) == b for vm, b in zip(vms, before)):
            return


def concurrent(ns, tmp, count):
    vms, addrs = [], []
    try:
        for i in range(count):
            vms.append(Instance(ns, tmp, random_mac(), POOL + ["--bridge=svmsoak"],
                                name=f"conc{i}"))
        for vm in vms:
            vm.wait_ready()
        for vm in vms:
            addrs.append(lease(vm.sock, vm.mac))
        settle(vms)
        mem = [memory(vm.pid()) for vm in vms]
        before = [wakeups(vm.pid()) for vm in vms]
        time.sleep(10)
        woke = sum(wakeups(vm.pid()) - b for vm, b in zip(vms, before))
    finally:
        for vm in vms:
            if vm.proc.poll() is None:
                vm.stop(signal.SIGTERM)
    got = [a for a in addrs if a]
    rss = sorted(m[0] for m in mem)
    pss = sorted(m[1] for m in mem)
    return {"vms": count, "with_address": len(got), "duplicates": len(got) - len(set(got)),
            "rss_kb_median": rss[len(rss) // 2], "rss_kb_max": rss[-1],
            "pss_kb_median": pss[len(pss) // 2], "pss_kb_max": pss[-1],
            "idle_wakeups_10s": woke,
            "ok": len(got) == count and len(set(got)) == count and woke == 0}


# A DNS server for the churn: any name nN.zoneZ.soak.test is 198.18.(N/256).(N%256), TTL 1
# (198.18.0.0/15, the benchmarking block: a name may open it; it leads nowhere).
DNS_SERVER = r"""
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, addr = s.recvfrom(512)
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    question = q[12:i + 5]
    n = int(labels[0][1:]) if labels and labels[0][1:].isdigit() else 0
    a = bytes([198, 18, (n >> 8) & 255, n & 255])
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 1, 4) + a
    s.sendto(q[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1, 0, 0) + question + answer, addr)
"""


def dns_query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def churn(ns, tmp, seconds, names=10000):
    dns = ns.popen([sys.executable, "-c", DNS_SERVER], stdout=subprocess.PIPE, text=True)
    assert "ready" in dns.stdout.readline()
    policy = Path(tmp) / "churn.policy"
    lines = ["block 0.0.0.0/0"]
    lines += [f"block 10.{i // 256}.{i % 256}.0/24" for i in range(2047)]
    lines += [f"allow tcp:*.zone{z}.soak.test:443" for z in range(2048)]
    policy.write_text("\n".join(lines) + "\n")
    ctl = Path(tmp) / "churn.ctl"
    mac = random_mac()
    vm = Instance(ns, tmp, mac, POOL + ["--bridge=svmsoak", "--dns=127.0.0.1",
                                        f"--policy={policy}", f"--control={ctl}",
                                        f"--audit={tmp}/churn.audit", "--block-mode=drop"],
                  name="churn")
    samples, stop = [], threading.Event()
    try:
        vm.wait_ready()
        ip = lease(vm.sock, mac)
        assert ip, "the churn VM got no address"
        gw_mac = None
        vm.sock.send(eth(BCAST, mac, 0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1,
                                                         mac, socket.inet_aton(ip), b"\0" * 6,
                                                         socket.inet_aton(GATEWAY))))
        deadline = time.monotonic() + 3
        while gw_mac is None and time.monotonic() < deadline:
            vm.sock.settimeout(0.5)
            try:
                f = vm.sock.recv(70000)
            except socket.timeout:
                continue
            if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02":
                gw_mac = f[22:28]
        assert gw_mac, "no ARP answer from the gateway"

        def drain():  # the VM takes everything sent to it
            vm.sock.settimeout(0.2)
            while not stop.is_set():
                try:
                    vm.sock.recv(70000)
                except (socket.timeout, OSError):
                    pass
        threading.Thread(target=drain, daemon=True).start()

        def sample(t):
            stats = json.loads(run([SOCK_VMNET, "ctl", str(ctl), "stats"]).stdout)["stats"]
            rss, pss = memory(vm.pid())
            samples.append({"t": round(t), "rss_kb": rss, "pss_kb": pss, **stats["tables"],
                            "learned_total": stats["names"]["learned"]})

        start, n, sport, last_sample = time.monotonic(), 0, 1024, -1e9
        # ~170 answers a second keep 10 000 addresses alive at the 60 s floor of a TTL
        while time.monotonic() - start < seconds:
            t = time.monotonic() - start
            for _ in range(17):
                k = n % names  # exactly @names names, each under one rule
                name = f"n{k}.zone{k % 2048}.soak.test"
                vm.sock.send(eth(gw_mac, mac, 0x0800,
                                 udp(ip, GATEWAY, 30000 + n % 30000, 53,
                                     dns_query(name, n & 0xffff))))
                n += 1
            for _ in range(5):  # flows: open (SYN), and close (RST) an older one
                k = random.randrange(min(n, names))
                dst = f"198.18.{(k >> 8) & 255}.{k & 255}"
                sport = 1024 + (sport + 1) % 60000
                vm.sock.send(eth(gw_mac, mac, 0x0800, tcp(ip, dst, sport, 443, 0x02)))
                vm.sock.send(eth(gw_mac, mac, 0x0800, tcp(ip, dst, sport, 443, 0x14, 2)))
            if t - last_sample >= max(5, seconds / 60):
                sample(t)
                last_sample = t
                print(f"  churn: {samples[-1]}", flush=True)
            time.sleep(0.1)
        sample(time.monotonic() - start)
    finally:
        stop.set()
        if vm.proc.poll() is None:
            vm.stop(signal.SIGTERM)
        dns.kill()
        dns.wait()
    # once the tables are full and their first entries have expired and been replaced
    # (the 60 s TTL floor after the fill), memory stays within 5 % (RSS: PSS moves with
    # what other processes map of the same libraries)
    fill_s = names / 170 + 60
    settled = [s for s in samples if s["t"] >= fill_s] or samples[-2:]
    grow = (settled[-1]["rss_kb"] - settled[0]["rss_kb"]) / max(1, settled[0]["rss_kb"])
    bounded = all(s["learned"] <= 16384 and s["name_flows"] <= 4096 and
                  s["audit_flows"] <= 4096 for s in samples)
    return {"seconds": seconds, "rules": 4096, "names": names, "queries": n, "samples": samples,
            "rss_growth_after_fill": round(grow, 3),
            "rss_kb_first": samples[0]["rss_kb"], "rss_kb_last": samples[-1]["rss_kb"],
            "pss_kb_last": samples[-1]["pss_kb"], "tables_bounded": bounded,
            "learned_peak": max(s["learned"] for s in samples),
            "ok": bounded and grow < 0.05}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true")
    mode.add_argument("--short", action="store_true")
    ap.add_argument("--cases", default="sequential,concurrent,churn")
    ap.add_argument("--json")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("soak: needs root (network namespaces)")
    sizes = {"sequential": 10000 if a.full else 300, "concurrent": 100 if a.full else 20,
             "churn": 3600 if a.full else 100}
    results, ok = {}, True
    tmp = tempfile.mkdtemp(prefix="svm-soak-")
    os.chmod(tmp, 0o755)
    open_to_sandbox_user(tmp)  # the audit, its rotation and the control socket, after setup
    ns = None
    try:
        for case in a.cases.split(","):  # each case in a namespace of its own
            ns = Netns(f"svmsoak{os.getpid() % 100000}{case[:3]}")
            quiet_namespace(ns)
            t0 = time.monotonic()
            print(f"soak: {case} ({sizes[case]})", flush=True)
            if case == "churn":  # --short: 1000 names, learned in 6 s, renewed from 66 s on
                r = churn(ns, tmp, sizes[case], 10000 if a.full else 1000)
            else:
                r = {"sequential": sequential, "concurrent": concurrent}[case](
                    ns, tmp, sizes[case])
            ns.delete()
            ns = None
            r["wall_s"] = round(time.monotonic() - t0, 1)
            results[case] = r
            ok &= r["ok"]
            shown = {k: v for k, v in r.items() if k != "samples"}
            print(f"soak: {case}: {json.dumps(shown)}", flush=True)
    finally:
        if ns:
            ns.delete()
        subprocess.run(["rm", "-rf", tmp])
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    print("soak: " + ("every case passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
