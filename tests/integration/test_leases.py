# SPDX-License-Identifier: MIT
# test_leases.py — the shared lease database: races, exhaustion, dead owners, duplicates, bad files, `leases`
import ipaddress
import json
import os
import random
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import SOCK_VMNET, ScapyVM, run

SMALL_POOL = ["--end-addr=192.168.64.11"]  # .2 to .11: ten addresses


def random_mac(rng):
    return "52:54:00:%02x:%02x:%02x" % (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def leases_cli(db, *args, required=True):
    """`sock-vmnet leases`. While main.c does not dispatch the subcommand: a skip, or None
    when the caller can do without it."""
    probe = run([SOCK_VMNET, "leases", "--help"], check=False)
    if "Usage: sock-vmnet leases" not in probe.stdout:
        if required:
            pytest.skip("main.c does not dispatch `sock-vmnet leases` yet")
        return None
    r = run([SOCK_VMNET, "leases", f"--lease-db={db}"] + list(args), check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_50_instances_started_at_once_get_distinct_addresses(topo):
    macs = ["52:54:00:50:00:%02x" % i for i in range(50)]
    nets = [topo.start_vmnet(mac=mac, ready=False) for mac in macs]
    for net in nets:
        net.wait_ready(timeout=60)
    # every VM asks at the same moment
    with ThreadPoolExecutor(max_workers=50) as pool:
        addrs = list(pool.map(lambda net: ScapyVM(net).dhcp(timeout=10), nets))
    assert None not in addrs, [n.stderr() for n, a in zip(nets, addrs) if a is None][:1]
    assert len(set(addrs)) == 50
    for a in addrs:
        assert ipaddress.ip_address("192.168.64.2") <= ipaddress.ip_address(a) <= \
            ipaddress.ip_address("192.168.64.254")
    listing = leases_cli(topo.lease_db, "--json", required=False)
    if listing is not None:
        rows = json.loads(listing)
        assert len(rows) == 50
        assert {r["state"] for r in rows} == {"running"}
        assert {r["mac"]: r["address"] for r in rows} == dict(zip(macs, addrs))


def test_500_sequential_vms_share_a_pool_of_10(topo):
    """500 short-lived VMs with random MACs, up to 4 alive at once, every third ended with
    SIGKILL (its address is never released): every one of them gets an address."""
    rng = random.Random(0x5e9)
    alive, served, killed = [], 0, 0
    t0 = time.monotonic()
    for i in range(500):
        net = topo.start_vmnet(SMALL_POOL, mac=random_mac(rng))
        addr = ScapyVM(net).dhcp(timeout=5)
        assert addr is not None, f"VM {i} got no address:\n{net.stderr()}"
        assert ipaddress.ip_address("192.168.64.2") <= ipaddress.ip_address(addr) <= \
            ipaddress.ip_address("192.168.64.11")
        served += 1
        alive.append(net)
        if len(alive) == 4:
            old = alive.pop(0)
            if rng.random() < 1 / 3:
                old.stop(signal.SIGKILL)
                killed += 1
            else:
                assert old.stop() == 0, old.stderr()
            old.close()
            topo.instances.remove(old)
    elapsed = time.monotonic() - t0
    print(f"\n{served} sequential VMs on a pool of 10 ({killed} ended by SIGKILL) in {elapsed:.1f} s")
    assert served == 500


def test_killed_instance_frees_its_address_and_exhaustion_is_logged(topo):
    one = ["--end-addr=192.168.64.2"]  # a pool of one address
    first = ScapyVM(topo.start_vmnet(one))
    assert first.dhcp() == "192.168.64.2"

    # the pool is exhausted by a running VM: no offer, the log says why, nothing crashes
    second = ScapyVM(topo.start_vmnet(one, mac="52:54:00:00:00:02"))
    assert second.dhcp(timeout=1) is None
    assert "pool exhausted" in second.net.stderr()
    assert second.net.proc.poll() is None

    # its owner is killed (no chance to release anything): the address is free again
    first.net.stop(signal.SIGKILL)
    listing = leases_cli(topo.lease_db, "--json", required=False)
    if listing is not None:
        rows = json.loads(listing)
        assert [(r["address"], r["state"]) for r in rows] == [("192.168.64.2", "gone")]
    assert second.dhcp() == "192.168.64.2"
    assert "has an address for the VM again" in second.net.stderr()


def test_second_instance_with_the_same_mac_is_refused(topo):
    first = topo.start_vmnet()
    taps_before = topo.host.links()
    second = topo.start_vmnet(ready=False)
    assert second.proc.wait(timeout=10) == 1
    err = second.stderr()
    assert f"--mac: 52:54:00:12:34:56 is already served on bridge svmnet0 by a running " \
           f"sock-vmnet (pid {first.proc.pid})" in err, err
    assert topo.host.links() == taps_before  # refused before any TAP was made
    # once the first one is gone, the MAC may be served again, and gets its address back
    addr = ScapyVM(first).dhcp()
    first.stop(signal.SIGKILL)
    third = ScapyVM(topo.start_vmnet())
    assert third.dhcp() == addr


def start_raw(topo, args, prefix=()):
    """Run sock-vmnet in the host namespace (optionally under @prefix) until it exits."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        argv = topo.host.cmd(list(prefix) + [SOCK_VMNET, f"--fd={theirs.fileno()}",
                                             "--mac=52:54:00:12:34:56"] + list(args))
        return subprocess.run(argv, pass_fds=[theirs.fileno()], capture_output=True, text=True,
                              timeout=20)
    finally:
        mine.close()
        theirs.close()


def test_corrupt_database_is_an_error_at_start(topo):
    db = topo.tmp / "corrupt.db"
    db.write_bytes(b"SQLite format 3\0" + os.urandom(4096))
    r = start_raw(topo, [f"--lease-db={db}"])
    assert r.returncode == 1
    assert f'--lease-db: "{db}"' in r.stderr, r.stderr
    assert "tap ready" not in r.stderr

    db = topo.tmp / "text.db"
    db.write_text("hello\n" * 200)
    r = start_raw(topo, [f"--lease-db={db}"])
    assert r.returncode == 1
    assert "is not a database" in r.stderr, r.stderr


def test_unwritable_database_is_an_error_at_start(topo):
    # a lease database on a read-only mount, in a mount namespace of this test's own
    d = topo.tmp / "ro"
    d.mkdir()
    db = d / "leases.db"
    ScapyVM(topo.start_vmnet(lease_db=db)).net.stop()
    assert db.exists()
    r = start_raw(topo, [f"--lease-db={db}"],
                  prefix=["unshare", "-m", "--propagation", "private", "sh", "-c",
                          'mount --bind -o ro "$0" "$0" && exec "$@"', d])
    assert r.returncode == 1
    assert "--lease-db" in r.stderr and "tap ready" not in r.stderr, r.stderr


def test_database_directory_is_created_private(topo):
    db = topo.tmp / "a" / "b" / "leases.db"
    net = topo.start_vmnet(lease_db=db)
    assert oct((topo.tmp / "a").stat().st_mode & 0o777) == "0o700"
    assert oct((topo.tmp / "a" / "b").stat().st_mode & 0o777) == "0o700"
    assert db.stat().st_mode & 0o077 == 0
    net.stop()


def test_leases_cli_lists_leases(topo):
    vm = ScapyVM(topo.start_vmnet())
    addr = vm.dhcp()
    text = leases_cli(topo.lease_db)
    header, row = text.splitlines()
    assert header.split() == ["NETWORK", "ADDRESS", "MAC", "STATE", "PID", "BOUND", "EXPIRES"]
    assert row.split()[:6] == ["svmnet0", addr, vm.mac, "running", str(vm.net.proc.pid), "yes"]
    [entry] = json.loads(leases_cli(topo.lease_db, "--json"))
    assert entry["address"] == addr and entry["state"] == "running" and entry["bound"]
    assert entry["expires"] > time.time() + 500
    vm.net.stop()
    [entry] = json.loads(leases_cli(topo.lease_db, "--json"))
    assert entry["state"] == "free" and entry["pid"] is None and entry["mac"] == vm.mac
    # errors
    r = run([SOCK_VMNET, "leases", f"--lease-db={topo.tmp / 'missing.db'}"], check=False)
    assert r.returncode == 1 and "--lease-db" in r.stderr
    r = run([SOCK_VMNET, "leases", "--bogus"], check=False)
    assert r.returncode == 2
