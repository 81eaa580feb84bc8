# SPDX-License-Identifier: MIT
# test_run.py: "sock-vmnet run" as a supervisor: usage errors, the child's fd and signals, exit status.
"""No QEMU here: the "hypervisor" is a small command that reports what it was given.
Runs that get as far as serving do so in a fresh network namespace (the service makes a
bridge and a TAP there)."""

import json
import os
import signal
import subprocess
import time

import pytest

import e2e_net as en

MAC = ["--mac", en.VM_MAC]

# The "hypervisor": what fds it has, what fd N is, its signal state, its death signal.
CHILD = r"""
import ctypes, fcntl, json, os, socket, sys
n = int(sys.argv[1])
listed = [int(x) for x in os.listdir("/proc/self/fd")]
fds = []
for fd in sorted(listed):
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
        fds.append(fd)
    except OSError:
        pass  # the fd listdir used
s = socket.socket(fileno=n)
info = {"fds": fds, "family": int(s.family), "type": int(s.type),
        "cloexec": bool(fcntl.fcntl(n, fcntl.F_GETFD) & fcntl.FD_CLOEXEC),
        "rcvbuf": s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
        "sndbuf": s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)}
s.detach()
sig = ctypes.c_int(0)
ctypes.CDLL(None).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
info["pdeathsig"] = sig.value
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
info["sigblk"] = status["SigBlk"].strip()
info["sigign_of_sh"] = os.environ.get("SIGIGN", "")
print(json.dumps(info), flush=True)
"""


@pytest.fixture
def topo(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    if not en.SOCK_VMNET.exists():
        pytest.skip(f"{en.SOCK_VMNET} is not built")
    t = en.Topology(tmp_path)
    yield t
    t.cleanup()


class Running:
    """A "sock-vmnet run" in the host namespace; its stderr goes to a file."""

    def __init__(self, topo, tmp_path, command, extra=(), preexec_fn=None):
        argv = [en.SOCK_VMNET, "run"] + MAC + ["--lease-db", str(tmp_path / "leases.db")] + \
            list(extra) + ["--"] + list(command)
        self.err_path = tmp_path / "sock-vmnet.stderr"
        with open(self.err_path, "w") as err:
            self.proc = topo.host.popen(argv, stdout=subprocess.PIPE, stderr=err, text=True,
                                        preexec_fn=preexec_fn)
        topo.procs.append(self.proc)

    def stderr(self) -> str:
        return self.err_path.read_text()

    def wait_ready(self, timeout=10):
        assert _wait_for(lambda: " INFO ready " in self.stderr() or
                         self.proc.poll() is not None, timeout), self.stderr()
        assert " INFO ready " in self.stderr(), self.stderr()

    def finish(self, timeout=30):
        out, _ = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, self.stderr()


def vmnet_run(topo, tmp_path, command, extra=(), preexec_fn=None, timeout=30):
    return Running(topo, tmp_path, command, extra, preexec_fn).finish(timeout)


def in_netns(topo, args, timeout=10):
    """Even runs meant to fail early go in the test's namespace: should one get as far as
    serving, its bridge, TAP and NAT must not land on the machine."""
    r = topo.host.run([en.SOCK_VMNET, "run"] + list(args), check=False, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("args,code,words", [
    (MAC, 2, ['run', 'missing "--"']),
    (MAC + ["true"], 2, ["run", "unexpected argument"]),
    (MAC + ["--"], 2, ["run", "no hypervisor command"]),
    (MAC + ["--fd=0", "--", "true"], 2, ["run", "--fd"]),
    (["--", "true"], 2, ["run", "--mac"]),
    (MAC + ["--", "/nonexistent/svm-hypervisor"], 127, ["run", "command not found"]),
    (MAC + ["--", "svm-no-such-command-anywhere"], 127, ["run", "command not found"]),
    (MAC + ["--", "{not_executable}"], 126, ["run", "cannot run"]),
])
def test_usage_errors(topo, tmp_path, args, code, words):
    not_executable = tmp_path / "not-executable"
    not_executable.write_text("#!/bin/sh\n")
    not_executable.chmod(0o644)
    args = [a.format(not_executable=not_executable) for a in args]
    rc, _, err = in_netns(topo, args)
    assert rc == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], err


def test_run_help(topo):
    rc, out, _ = in_netns(topo, ["--help"])
    assert rc == 0 and "run" in out


def _hostile_parent():
    """Block and ignore what a careless parent might: the child must not inherit it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGUSR1})
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


@pytest.mark.parametrize("number", [3, 5])
def test_child_gets_the_socket_and_a_clean_slate(topo, tmp_path, number):
    extra = [] if number == 3 else ["--vm-fd-number", str(number)]
    cmd = ["sh", "-c", 'SIGIGN=$(grep ^SigIgn /proc/self/status | cut -f2) exec "$@"', "sh",
           en.PYTHON, "-c", CHILD, str(number)]
    rc, out, err = vmnet_run(topo, tmp_path, cmd, extra, preexec_fn=_hostile_parent)
    assert rc == 0, err
    info = json.loads(out.strip().splitlines()[-1])
    assert info["fds"] == sorted({0, 1, 2, number}), info
    assert info["family"] == 1 and info["type"] == 2, info  # AF_UNIX, SOCK_DGRAM
    assert not info["cloexec"]
    assert info["rcvbuf"] >= 4 << 20 and info["sndbuf"] >= 1 << 20, info
    assert info["pdeathsig"] == signal.SIGTERM
    assert int(info["sigblk"], 16) == 0, info
    assert int(info["sigign_of_sh"], 16) == 0, info
    assert " INFO ready " in err
    assert err.rstrip().splitlines()[-1].startswith("{"), "no counters at exit"


@pytest.mark.parametrize("command,code", [
    (["sh", "-c", "exit 7"], 7),
    (["sh", "-c", "kill -KILL $$"], 128 + 9),
    (["true"], 0),
])
def test_exit_status_is_the_commands(topo, tmp_path, command, code):
    rc, _, err = vmnet_run(topo, tmp_path, command)
    assert rc == code, err
    assert "hypervisor pid=" in err


def _wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signals_are_passed_on(topo, tmp_path, sig):
    r = Running(topo, tmp_path, ["sleep", "30"])
    r.wait_ready()
    r.proc.send_signal(sig)
    rc, _, err = r.finish(timeout=10)
    assert rc == 128 + sig, err
    assert "passed on to pid=" in err
    assert err.rstrip().splitlines()[-1].startswith("{"), "no counters at exit"


def test_child_dies_with_us(topo, tmp_path):
    pidfile = tmp_path / "child.pid"
    r = Running(topo, tmp_path, ["sh", "-c", f'echo $$ > {pidfile}; exec sleep 30'])
    r.wait_ready()
    assert _wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), 10)
    child = int(pidfile.read_text())
    r.proc.kill()  # SIGKILL: none of our cleanup runs; PR_SET_PDEATHSIG must
    r.proc.wait(timeout=10)

    def gone():
        try:
            with open(f"/proc/{child}/stat") as f:
                return f.read().split(") ", 1)[1].startswith("Z")
        except FileNotFoundError:
            return True
    assert _wait_for(gone, 5), f"pid {child} outlived sock-vmnet"


# A "krunkit" that sends one 3000-byte IPv4 UDP frame on fd 3 (larger than the MTU: only
# a socket with large packets takes it as one) and waits a little for it to be judged.
BIG_FRAME = r"""
import socket, struct, sys, time
s = socket.socket(fileno=3)
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
payload = bytes(3000 - 14 - 20 - 8)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 1, 0, 64, 17, 0,
                 bytes([192, 168, 64, 50]), bytes([203, 0, 113, 5]))
udp = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0)
s.send(b"\xff" * 6 + mac + b"\x08\x00" + ip + udp + payload)
time.sleep(0.5)
"""


@pytest.mark.parametrize("device,extra,reason", [
    # krunkit told to offload on our fd: --vm-offload=on, a large frame is judged (not TCP:
    # no TSO packet it could be)
    ("virtio-net,type=unixgram,fd=3,mac={mac},offloading=on", [], "gso-type"),
    # offloading off (krunkit's unixgram default), or --vm-offload=off said: plain frames
    ("virtio-net,type=unixgram,fd=3,mac={mac}", [], "oversize"),
    ("virtio-net,type=unixgram,fd=3,mac={mac},offloading=on", ["--vm-offload=off"], "oversize"),
])
def test_run_takes_krunkits_offloading(topo, tmp_path, device, extra, reason):
    cmd = [en.PYTHON, "-c", BIG_FRAME, en.VM_MAC, "--device", device.format(mac=en.VM_MAC)]
    rc, _, err = vmnet_run(topo, tmp_path, cmd, extra)
    assert rc == 0, err
    said = "has offloading on: --vm-offload=on" in err
    assert said == (reason == "gso-type" and not extra), err
    drops = json.loads(err.rstrip().splitlines()[-1])["drops"]
    assert drops[reason] == 1, drops
