# SPDX-License-Identifier: MIT
# test_sandbox.py — after setup: no root, only what the back-end needs kept, a seccomp allow-list
"""sock-vmnet started as root gives root up when its setup is done (the sandbox user, else
nobody; CAP_NET_ADMIN kept where the back-end changes the host's network at run time) and
installs its system-call allow-list on every thread. What it does at exit still happens
after that; a system call outside the list ends it; --sandbox=off leaves both out.

Every other test of the suite runs with the sandbox on (the default): they prove the list."""
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (BACKEND, SANDBOX_USER, SOCK_VMNET, WAN_ALLOW, ScapyVM, run)
from test_expose import BACKENDS, backend_args, wait_answer

CAP_NET_ADMIN = 1 << 12
# what each back-end keeps after the drop (README, "The sandbox")
KEPT = {"tap": CAP_NET_ADMIN, "vmnet": CAP_NET_ADMIN, "user": 0}


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def status(pid, task=None):
    """/proc/PID/status (or a thread's) as a dict of its fields."""
    path = f"/proc/{pid}/task/{task}/status" if task else f"/proc/{pid}/status"
    return dict(line.split(":\t", 1) for line in Path(path).read_text().splitlines()
                if ":\t" in line)


def test_after_setup_it_is_unprivileged_and_filtered_on_every_thread(topo, backend):
    net = topo.start_vmnet(backend_args(backend) + [f"--pcap={topo.tmp}/all.pcap"])
    vm = ScapyVM(net)
    assert vm.dhcp() and vm.arp_gateway()  # it serves, sandboxed
    pid = net.proc.pid
    st = status(pid)
    uid, gid = SANDBOX_USER.pw_uid, SANDBOX_USER.pw_gid
    assert st["Uid"].split() == [str(uid)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(gid)] * 4 and st["Groups"].split() == [str(gid)], st
    assert int(st["CapEff"], 16) == KEPT[backend] and int(st["CapPrm"], 16) == KEPT[backend]
    assert int(st["CapBnd"], 16) == KEPT[backend], st["CapBnd"]  # no way back through exec
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
    # every thread (the capture's writer; the simulation's queues): filtered, root given up,
    # nothing kept but on the loop's thread
    tasks = os.listdir(f"/proc/{pid}/task")
    assert len(tasks) >= 2, tasks  # the capture's writer at least
    for task in tasks:
        t = status(pid, task)
        assert t["Seccomp"] == "2" and t["NoNewPrivs"] == "1", (task, t)
        assert t["Uid"].split() == [str(uid)] * 4, (task, t["Uid"])
        if task != str(pid):
            assert int(t["CapEff"], 16) == 0 and int(t["CapPrm"], 16) == 0, (task, t)
    err = net.stderr()
    name = SANDBOX_USER.pw_name
    kept = "CAP_NET_ADMIN" if KEPT[backend] else "no capability"
    assert f"INFO sandbox: running as {name} (uid {uid} gid {gid}) with {kept}" in err, err
    assert "INFO sandbox: seccomp allow-list installed" in err, err


def test_nothing_is_lost_at_exit_after_the_drop(topo, backend):
    """The forward, the TAP, the lease, the control socket, the metrics' and counters' last
    values: all of it undone or written by the process that is no longer root."""
    from dhcp_vm import TapVM
    from test_expose import VM_SERVERS, PYTHON
    ctl_path, prom = topo.tmp / "ctl.sock", topo.tmp / "vm.prom"
    net = topo.start_vmnet(backend_args(backend) + WAN_ALLOW + [
        "--expose=8090:80", f"--control={ctl_path}", f"--metrics={prom}",
        "--metrics-interval=3600"])
    vm = TapVM(topo, net)
    try:
        vm.udhcpc_start()
        vm.wait_event(vm.udhcpc_events, {"bound"})
        srv = vm.popen([PYTHON, "-c", VM_SERVERS, "80"], stdout=subprocess.PIPE, text=True)
        assert "ready" in srv.stdout.readline()
        assert wait_answer(topo.host, "127.0.0.1", 8090, want="80:").startswith("80:hi")
        tap = net.tap_name()
        def rules():
            return topo.host.run(["nft", "list", "ruleset"]).stdout
        if backend != "user":
            assert tap in topo.host.links() and "8090" in rules()
        assert status(net.proc.pid)["Seccomp"] == "2"
        assert net.stop() == 0, net.stderr()
    finally:
        vm.cleanup()
    err = net.stderr()
    assert "ERROR" not in err and "WARN" not in err, err
    if backend != "user":
        assert tap not in topo.host.links()
        assert "8090" not in rules(), rules()  # the forward's DNAT, gone
    listening = topo.host.run(["ss", "-Hltnu"]).stdout
    assert ":8090" not in listening, listening
    assert not ctl_path.exists()
    # the lease given back (the user back-end's network is its own, as the tap's is its bridge)
    [entry] = json.loads(run([SOCK_VMNET, "leases", f"--lease-db={topo.lease_db}",
                              "--json"]).stdout)
    assert entry["state"] == "free" and entry["pid"] is None, entry
    # the counters at exit: on stderr, and in the metrics (written again at exit, not only
    # once an hour)
    frames = net.stats()["vm_to_host"]["frames"]
    assert frames > 0
    samples = re.findall(r'^sock_vmnet_frames_total\{.*direction="vm_to_host"\} (\d+)$',
                         prom.read_text(), re.M)
    assert samples == [str(frames)], prom.read_text()

# An LD_PRELOAD shim standing for code an attacker got to run inside sock-vmnet: when the
# policy file is read the second time (SIGHUP, long after setup), it runs a shell command.
SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int reads;

static void maybe_escape(const char *path)
{
	const char *policy = getenv("SHIM_POLICY");

	if (policy && strcmp(path, policy) == 0 && ++reads == 2)
		execl("/bin/sh", "sh", "-c", getenv("SHIM_COMMAND"), (char *)NULL);
}

#define WRAP(name)                                                                  \
	int name(const char *path, int flags, ...)                                  \
	{                                                                           \
		static int (*real)(const char *, int, ...);                         \
		va_list ap;                                                         \
		mode_t mode;                                                        \
		if (!real)                                                          \
			real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name); \
		va_start(ap, flags);                                                \
		mode = va_arg(ap, mode_t);                                          \
		va_end(ap);                                                         \
		maybe_escape(path);                                                 \
		return real(path, flags, mode);                                     \
	}
WRAP(open)
WRAP(open64)
"""


@pytest.fixture
def escape_shim(topo):
    src, lib = topo.tmp / "shim.c", topo.tmp / "shim.so"
    src.write_text(SHIM)
    run(["cc", "-shared", "-fPIC", "-O1", "-o", lib, src, "-ldl"])
    lib.chmod(0o755)
    policy, marker = topo.tmp / "vm.policy", topo.tmp / "escaped"
    policy.write_text("allow 203.0.113.0/24\n")
    env = ["env", f"LD_PRELOAD={lib}", f"SHIM_POLICY={policy}",
           f"SHIM_COMMAND=touch {marker}"]
    return env, policy, marker


@pytest.mark.skipif(bool(os.environ.get("SVM_SANITIZER")),
                    reason="LD_PRELOAD goes before a sanitizer's runtime")
def test_a_system_call_outside_the_list_ends_it(topo, escape_shim):
    env, policy, marker = escape_shim
    net = topo.start_vmnet([f"--policy={policy}"], prefix=env)
    pid = net.proc.pid
    net.proc.send_signal(signal.SIGHUP)
    assert net.proc.wait(timeout=10) == -signal.SIGSYS, net.stderr()
    time.sleep(0.2)  # (a shell, had it run, would have made the file by now: it did not run)
    assert not marker.exists()
    # the kernel logs it (audit type 1326: the process, the call), where it may be read;
    # without an audit daemon through printk, whose rate limit may drop it on a busy host
    seen, suppressed = kernel_log_of(pid)
    if seen or not suppressed:
        assert seen and "syscall=59 " in seen[-1] and "sig=31" in seen[-1], seen  # execve


def kernel_log_of(pid):
    """The kernel's seccomp lines (audit type 1326) about @pid, and whether it said that it
    dropped some (or cannot be read: dmesg_restrict)."""
    for _ in range(20):
        log = run(["dmesg"], check=False)
        if log.returncode != 0:
            return [], True
        lines = log.stdout.splitlines()
        seen = [l for l in lines if "type=1326" in l and f" pid={pid} " in l]
        if seen:
            return seen, False
        time.sleep(0.1)
    return [], any("kauditd_printk_skb:" in l and "suppressed" in l for l in lines[-200:])


@pytest.mark.skipif(bool(os.environ.get("SVM_SANITIZER")),
                    reason="LD_PRELOAD goes before a sanitizer's runtime")
def test_sandbox_off_leaves_root_and_no_filter(topo, escape_shim):
    """For debugging: no identity switch, no filter, the log says so. The same shim then
    gets its shell, which shows the test above catches what it claims to."""
    env, policy, marker = escape_shim
    net = topo.start_vmnet(["--sandbox=off", f"--policy={policy}"], prefix=env)
    st = status(net.proc.pid)
    assert st["Uid"].split() == ["0"] * 4 and st["Seccomp"] == "0", st
    assert "INFO sandbox: off (--sandbox=off)" in net.stderr()
    assert "running as" not in net.stderr()
    net.proc.send_signal(signal.SIGHUP)
    assert net.proc.wait(timeout=10) == 0  # sock-vmnet became the shell, which ended well
    assert marker.exists()


def test_user_root_keeps_root_under_the_filter(topo):
    net = topo.start_vmnet(["--user=root"])
    st = status(net.proc.pid)
    assert st["Uid"].split() == ["0"] * 4 and st["Seccomp"] == "2", st
    assert "INFO sandbox: running as root (uid 0 gid 0) with root's privileges" in net.stderr()


def test_a_directory_it_could_not_write_after_the_drop_is_refused_at_start(topo):
    """The metrics are renamed into place: in a directory only root may write, they would
    stop at the drop. Refused at start, naming the option, nothing left behind."""
    locked = topo.tmp / "locked"
    locked.mkdir(mode=0o700)
    net = topo.start_vmnet([f"--metrics={locked}/vm.prom"], ready=False)
    assert net.proc.wait(timeout=10) == 1
    err = net.stderr()
    assert (f'ERROR --metrics: "{locked}/vm.prom": its directory is not writable by '
            f"{SANDBOX_USER.pw_name}, which sock-vmnet runs as after setup") in err, err
    assert not [l for l in topo.host.links() if l.startswith("svm") and l != "svmnet0"]


def test_bad_sandbox_value_exits_2(topo):
    r = topo.host.run([SOCK_VMNET, "--sandbox=maybe", "--fd=0", "--mac=52:54:00:12:34:56"],
                      check=False)
    assert r.returncode == 2 and '--sandbox: "maybe" is neither on nor off' in r.stderr, r.stderr


def test_a_forward_added_at_run_time_below_1024_is_refused_after_the_drop(topo, backend):
    """Its host port is bound when `ctl expose add` asks, as the user sock-vmnet runs as
    then, without CAP_NET_BIND_SERVICE; on the command line (bound during setup) it works."""
    if backend == "vmnet":
        pytest.skip("vmnet holds its ports itself (on a Mac: its own daemon, as root)")
    ctl_path = topo.tmp / "ctl.sock"
    topo.start_vmnet(backend_args(backend) + ["--expose=82:80", f"--control={ctl_path}"])

    def ctl(*args):
        r = run([SOCK_VMNET, "ctl", ctl_path] + list(args), check=False)
        return json.loads(r.stdout)

    assert ctl("exposes")["ok"]
    refused = ctl("expose", "add", "83:80")
    assert not refused["ok"] and "Permission denied" in refused["error"], refused
    assert ctl("expose", "add", "8083:80")["ok"]


# The hypervisor of `run`: its socket's end used once, then it waits for its TERM and says so.
HYPERVISOR = r"""
import os, signal, socket, sys, time
s = socket.socket(fileno=3)
s.send(b"\xff" * 6 + bytes.fromhex("525400123456") + b"\x08\x06" + bytes(46))
def term(*_):
    open(sys.argv[1], "w").write(str(os.getuid()))
    sys.exit(5)
signal.signal(signal.SIGTERM, term)
open(sys.argv[2], "w").close()  # its handler is in place
time.sleep(60)
"""


def test_run_stops_its_root_hypervisor_after_the_drop(topo):
    """`sock-vmnet run` started the hypervisor as root: stopping it at exit is a signal to a
    root process, which the CAP_KILL kept for it (and a filter that lets kill reach that one
    process only) allows."""
    stopped, waiting = topo.tmp / "stopped", topo.tmp / "waiting"
    log = topo.tmp / "run.stderr"
    proc = topo.host.popen([SOCK_VMNET, "run", "--mac=52:54:00:12:34:56",
                            f"--lease-db={topo.lease_db}", "--", "/usr/bin/python3", "-c",
                            HYPERVISOR, stopped, waiting], stderr=open(log, "w"))
    try:
        deadline = time.monotonic() + 10
        while not (" INFO ready " in log.read_text() and waiting.exists()) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        st = status(proc.pid)
        kept = CAP_NET_ADMIN if BACKEND != "user" else 0
        assert int(st["CapEff"], 16) == kept | 1 << 5, st  # CAP_KILL
        assert st["Seccomp"] == "2" and st["Uid"].split()[0] == str(SANDBOX_USER.pw_uid), st
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 5, log.read_text()  # the hypervisor's status
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert stopped.read_text() == "0"  # it ran as root, and was stopped by sock-vmnet
    assert "cannot stop the hypervisor" not in log.read_text()
