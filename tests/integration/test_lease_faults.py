# SPDX-License-Identifier: MIT
# test_lease_faults.py — the lease database misbehaving under running VMs: locked, full, raced, restarted
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from conftest import GATEWAY, SOCK_VMNET, ScapyVM, run


def dhcp_request(vm, addr, renewing=True, timeout=2):
    """A REQUEST for @addr: RENEWING (ciaddr, unicast to the server) or SELECTING. Returns
    the reply's message type (5 ACK, 6 NAK) or None, and the seconds it took."""
    xid = int.from_bytes(os.urandom(4), "big")
    chaddr = bytes.fromhex(vm.mac.replace(":", ""))
    if renewing:
        frame = (Ether(src=vm.mac, dst=vm.gateway_mac) / IP(src=addr, dst=GATEWAY)
                 / UDP(sport=68, dport=67) / BOOTP(chaddr=chaddr, xid=xid, ciaddr=addr)
                 / DHCP(options=[("message-type", "request"), "end"]))
    else:
        frame = (Ether(src=vm.mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
                 / UDP(sport=68, dport=67) / BOOTP(chaddr=chaddr, xid=xid, flags=0x8000)
                 / DHCP(options=[("message-type", "request"), ("requested_addr", addr),
                                 ("server_id", GATEWAY), "end"]))
    t0 = time.monotonic()
    vm.net.send(frame)
    reply = vm.net.recv(timeout, lambda p: p.haslayer(DHCP) and p[BOOTP].xid == xid)
    if reply is None:
        return None, time.monotonic() - t0
    kind = [o[1] for o in reply[DHCP].options if isinstance(o, tuple) and o[0] == "message-type"]
    return kind[0], time.monotonic() - t0


def dhcp_discover(vm, timeout=2):
    """A DISCOVER; returns the offered address or None."""
    xid = int.from_bytes(os.urandom(4), "big")
    chaddr = bytes.fromhex(vm.mac.replace(":", ""))
    vm.net.send(Ether(src=vm.mac, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
                / UDP(sport=68, dport=67) / BOOTP(chaddr=chaddr, xid=xid, flags=0x8000)
                / DHCP(options=[("message-type", "discover"), "end"]))
    offer = vm.net.recv(timeout, lambda p: p.haslayer(DHCP) and p[BOOTP].xid == xid)
    return offer[BOOTP].yiaddr if offer is not None else None


class DatabaseLock:
    """Holds the lease database's write lock, as an operator's open transaction would."""

    def __init__(self, path):
        self.con = sqlite3.connect(str(path), timeout=10, isolation_level=None,
                                   check_same_thread=False)
        self.con.execute("BEGIN IMMEDIATE")

    def release(self):
        self.con.execute("ROLLBACK")
        self.con.close()


def leases_json(db, prefix=()):
    r = run(list(prefix) + [SOCK_VMNET, "leases", f"--lease-db={db}", "--json"])
    return json.loads(r.stdout)


def test_locked_database_stops_nothing(topo):
    """Issue 11 item 1: the VM takes its offer, renews and talks while another process holds
    the database's lock; a new VM gets its address as soon as the lock is gone."""
    vm = ScapyVM(topo.start_vmnet())
    other = ScapyVM(topo.start_vmnet(mac="52:54:00:00:00:31"))
    offered = dhcp_discover(vm)
    assert offered
    lock = DatabaseLock(topo.lease_db)
    try:
        time.sleep(0.1)
        # acknowledging the offer needs a write: answered at once all the same
        kind, took = dhcp_request(vm, offered, renewing=False)
        assert kind == 5, vm.net.stderr()
        assert took < 1.0, took  # (before: SQLite's 2 s busy wait, then no answer at all)
        vm.ip = offered
        assert vm.arp_gateway()
        kind, took = dhcp_request(vm, offered)
        assert kind == 5 and took < 1.0, (kind, took)
        assert vm.ping(GATEWAY, timeout=1, seq=7)
        # a VM that needs a new address waits for the lock...
        assert dhcp_discover(other, timeout=1) is None
        assert other.net.proc.poll() is None
    finally:
        lock.release()
    # ...and gets it as soon as the lock is gone; the first VM's lease is written too
    assert other.dhcp(timeout=5) is not None
    rows = wait_rows(topo.lease_db, lambda rows: rows.get(vm.mac, {}).get("bound"))
    assert rows[vm.mac]["address"] == offered, rows


def test_instance_started_under_a_lock_says_locked(topo):
    ScapyVM(topo.start_vmnet()).net.stop()  # the database exists
    lock = DatabaseLock(topo.lease_db)
    try:
        net = topo.start_vmnet(mac="52:54:00:00:00:32", ready=False)
        assert net.proc.wait(timeout=15) == 1
        err = net.stderr()
        assert "is locked by another process" in err, err
        assert "not writable" not in err and "another program" not in err, err
    finally:
        lock.release()
    # a lock that goes within the start's wait is only a delay
    lock = DatabaseLock(topo.lease_db)
    threading.Timer(1.0, lock.release).start()
    net = topo.start_vmnet(mac="52:54:00:00:00:33", ready=False)
    net.wait_ready(timeout=10)


def wait_rows(db, done, prefix=(), timeout=15):
    """`sock-vmnet leases --json` by MAC, once @done(rows) holds (the database's debts are
    paid with a backoff of up to 10 s)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = {r["mac"]: r for r in leases_json(db, prefix)}
        if done(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def fill(path):
    """Write zeros into @path until its file system is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def test_full_database_keeps_the_vm_online(topo):
    """Issue 11 item 2: the lease database on a small file system that fills up: the VM's
    renewals are still acknowledged (from memory), a new VM gets no address until there is
    room, and the database is told what it missed once there is."""
    d = topo.tmp / "small"
    d.mkdir()
    db = d / "leases.db"
    prefix = ["unshare", "-m", "--propagation", "private", "sh", "-c",
              'mount -t tmpfs -o size=512k tmpfs "$0" && exec "$@"', str(d)]
    net = topo.start_vmnet(lease_db=db, prefix=prefix)
    # its mount namespace, and its root directory: a setns() into a mount namespace moves to
    # the namespace's root, which is not the test's when it runs in a chroot (CI)
    same_mounts = ["nsenter", "-t", str(net.proc.pid), "-m", "-r", "-w"]
    # a second instance in the same mount namespace, started while there is room
    other = ScapyVM(topo.start_vmnet(mac="52:54:00:00:00:34", lease_db=db, prefix=same_mounts))
    vm = ScapyVM(net)
    offered = dhcp_discover(vm)
    assert offered
    inside = f"/proc/{net.proc.pid}/root{d}"  # the tmpfs, as sock-vmnet's namespace has it
    filler = f"{inside}/filler"
    fill(filler)
    # the VM takes the offer while the database cannot grow: acknowledged all the same
    kind, _ = dhcp_request(vm, offered, renewing=False)
    assert kind == 5, net.stderr()
    vm.ip = offered
    assert vm.arp_gateway() and vm.ping(GATEWAY)
    kind, _ = dhcp_request(vm, offered)
    assert kind == 5, net.stderr()
    # a new VM cannot be given an address that cannot be recorded
    assert dhcp_discover(other, timeout=1) is None
    os.unlink(filler)
    assert other.dhcp(timeout=5) is not None
    # what the database owed (the VM's lease, acknowledged) was written once it could be
    rows = wait_rows(db, lambda rows: rows.get(vm.mac, {}).get("bound"), prefix=same_mounts)
    assert rows[vm.mac]["address"] == offered and rows[vm.mac]["state"] == "running", rows


def test_simultaneous_first_starts_all_succeed(topo):
    """Issue 11 item 3: instances started at the same moment on a database that does not
    exist yet all start (the switch to WAL and the schema check raced)."""
    db = topo.tmp / "new" / "leases.db"
    nets = [topo.start_vmnet(mac="52:54:00:00:01:%02x" % i, lease_db=db, ready=False)
            for i in range(32)]
    for net in nets:
        net.wait_ready(timeout=60)
    assert all(net.proc.poll() is None for net in nets)


def test_restart_right_after_the_predecessor_is_signalled(topo):
    """Issue 11 item 5: a hypervisor restarting a VM at once must not be refused while the
    previous sock-vmnet is still exiting."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        first = topo.start_vmnet()
        addr = ScapyVM(first).dhcp()
        first.proc.send_signal(sig)
        second = topo.start_vmnet(ready=False)  # at once: the first is still exiting
        second.wait_ready(timeout=10)
        first.proc.wait(timeout=5)
        assert ScapyVM(second).dhcp() == addr
        second.stop()
        topo.instances.clear()


def test_discover_keeps_a_bound_lease_bound(topo):
    """Issue 11 item 13: a VM holding an acknowledged lease sends DISCOVER again (a reboot):
    the lease stays bound in the database and in `sock-vmnet leases`."""
    vm = ScapyVM(topo.start_vmnet())
    addr = vm.dhcp()
    assert [r["bound"] for r in leases_json(topo.lease_db)] == [True]
    assert dhcp_discover(vm) == addr
    [row] = leases_json(topo.lease_db)
    assert row["address"] == addr and row["bound"] and row["state"] == "running"


def test_leases_cli_states_match_readme(topo):
    """Issue 11 item 8: BOUND says "-" for an address nobody holds (it said "offered")."""
    vm = ScapyVM(topo.start_vmnet())
    addr = vm.dhcp()
    out = run([SOCK_VMNET, "leases", f"--lease-db={topo.lease_db}"]).stdout
    assert out.splitlines()[1].split()[3:6] == ["running", str(vm.net.proc.pid), "yes"]
    vm.net.stop()
    out = run([SOCK_VMNET, "leases", f"--lease-db={topo.lease_db}"]).stdout
    fields = out.splitlines()[1].split()
    assert fields[1] == addr and fields[3:6] == ["free", "-", "-"], out
    readme = (SOCK_VMNET.parent.parent / "README.md").read_text()
    for word in ("`running`", "`gone`", "`free`", "`quarantined`", "`yes`", "`offered`"):
        assert word in readme
