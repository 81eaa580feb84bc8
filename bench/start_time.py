#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# start_time.py — sock-vmnet's own start-to-ready time, without the harness's pump and polling
"""Usage: bench/start_time.py [SOCK_VMNET] [REPEATS]   (as root)

Times launch (`ip netns exec NS sock-vmnet --fd=...`) until the "ready" log line, read from
its stderr as it comes, in network namespaces made for it and deleted afterwards:
  first, new database   the first VM on a host: bridge, NAT table and lease database made
  first, database there the first VM in a fresh namespace, the lease database already there
  second                another VM on the same bridge (bridge and NAT exist: nothing to add)
and `ip netns exec NS true` alone, which every figure includes. Prints each time in ms.
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVM = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "sock-vmnet")
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
PREFIX = f"svmst-{os.getpid()}"


def start(ns, db, mac):
    """Launch sock-vmnet in @ns on a fresh socketpair; return (process, our end, ms to ready)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    p = subprocess.Popen(["ip", "netns", "exec", ns, SVM, f"--fd={theirs.fileno()}", f"--mac={mac}",
                          f"--lease-db={db}"], pass_fds=[theirs.fileno()], stderr=subprocess.PIPE,
                         text=True)
    theirs.close()
    for line in p.stderr:
        if " INFO ready " in line:
            return p, ours, (time.monotonic() - t0) * 1000
    p.wait()
    raise SystemExit(f"sock-vmnet exited {p.returncode} before it was ready")


def stop(*procs):
    for p in procs:
        p.terminate()
        p.wait(5)


def main():
    times = {"ip netns exec true": [], "first, new database": [], "first, database there": [],
             "second": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(REPEATS):
            db = f"{tmp}/leases-{rep}.db"
            for i, case in enumerate(("a", "b")):
                ns = f"{PREFIX}-{rep}{case}"
                subprocess.run(["ip", "netns", "add", ns], check=True)
                try:
                    t0 = time.monotonic()
                    subprocess.run(["ip", "netns", "exec", ns, "true"], check=True)
                    times["ip netns exec true"].append((time.monotonic() - t0) * 1000)
                    if i == 0:
                        p1, s1, ms = start(ns, db, "52:54:00:00:00:01")
                        times["first, new database"].append(ms)
                        p2, s2, ms = start(ns, db, "52:54:00:00:00:02")
                        times["second"].append(ms)
                        stop(p1, p2)
                    else:
                        p, s, ms = start(ns, db, "52:54:00:00:00:03")
                        times["first, database there"].append(ms)
                        stop(p)
                finally:
                    subprocess.run(["ip", "netns", "del", ns])
    for name, v in times.items():
        print(f"{name:24} median {statistics.median(v):5.1f} ms   " + " ".join(f"{x:.1f}" for x in v))


if __name__ == "__main__":
    main()
