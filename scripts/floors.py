#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# floors.py — the floors of sock-vmnet's source, written once, and the check that every #include points down
"""The floors of the tree, from the roof down, and the check that keeps them.

    scripts/floors.py            check every #include of src/ and sim/, and docs/architecture.md
    scripts/floors.py --picture  print the picture (what docs/architecture.md shows)
    scripts/floors.py --write    put the picture into docs/architecture.md

A file may include a header of its own folder, of a folder on a lower floor, or of its
parent folder (a sub-folder implements its parent's interface: os/linux implements os/*.h).
Anything else — a header one floor up, or a neighbour on the same floor — is an error that
names the file, the line and both floors. Every folder that holds C must be on a floor.
Exit status: 0 when every include points down, 1 otherwise.
"""
import os
import re
import sys

# From the roof down. Each floor: its name, its folders, and what they hold.
FLOORS = [
    ("main", ["src"], "main.c: which subcommand runs"),
    ("app", ["app"], "the command line (struct config), the service's setup order, run, "
     "leases, ctl, the control socket and what its requests do, the forwards in force"),
    ("back-ends", ["backend/linux", "backend/vmnet", "backend/user"],
     "tap (a TAP on a shared bridge), vmnet (vmnet.framework), user (libslirp)"),
    ("back-end interface", ["backend"], "backend.h: ops, backend_info, its config section; "
     "the registry and --backend=auto"),
    ("frame path", ["datapath"], "the relay: VM port -> guard -> responders or back-end port"),
    ("frame-path parts", ["responder", "transport", "sim/vmnet"],
     "local responders (DHCPv4, DNS); the VM's socket; vmnet.framework simulated on Linux"),
    ("state and host", ["guard", "leases", "hostnet", "hostnet/linux", "vmnet"],
     "verdicts and the policy; the lease database; the host's ports, ARP probes, bridges, "
     "NAT and forwards; vmnet's conventions without vmnet"),
    ("OS", ["os", "os/linux", "os/darwin", "sim/xnu"], "the OS interfaces (os/*.h) and each "
     "OS's implementation of them and of core/loop.h; XNU's kqueue simulated on Linux"),
    ("ground", ["core"], "loop API and timers, clock, log, frame ports and batches, the "
     "counters, the VM's config section"),
    ("pure", ["proto"], "pure functions on bytes: addresses, wire constants, frames, "
     "checksums, DHCP and DNS messages, offload"),
]

ROOTS = ["src", "sim"]
DOC = "docs/architecture.md"
BEGIN, END = "<!-- floors: begin (scripts/floors.py --write) -->", "<!-- floors: end -->"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def floor_of():
    """{folder: (rank, floor name)}, rank 0 the lowest."""
    ranks = {}
    for rank, (name, folders, _) in enumerate(reversed(FLOORS)):
        for f in folders:
            ranks[f] = (rank, name)
    return ranks


def folder_of(path):
    """The folder a source file sits in, as FLOORS names it ("src" for src/main.c)."""
    rel = os.path.relpath(os.path.dirname(path))
    if rel == "src":
        return "src"
    if rel.startswith("src/"):
        return rel[len("src/"):]
    if rel.startswith("sim/"):
        return "/".join(rel.split("/")[:2])  # sim/vmnet/include/... -> sim/vmnet
    return rel


def target_of(header, here):
    """The folder an include names: "core/loop.h" -> core; "sim.h" -> the includer's own."""
    if "/" not in header:
        return here
    return os.path.dirname(header)


def check(root):
    ranks = floor_of()
    errors = []
    for top in ROOTS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                here = folder_of(path)
                if path.startswith(("sim/vmnet/include/", "sim/xnu/include/")):
                    continue  # stand-ins for system headers (<dispatch/dispatch.h>...)
                if here not in ranks:
                    errors.append(f"{path}: folder \"{here}\" is on no floor (scripts/floors.py)")
                    continue
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    for no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        there = target_of(m.group(1), here)
                        if there == here or here.startswith(there + "/"):
                            continue  # its own folder, or the interface it implements
                        if there not in ranks:
                            errors.append(f"{path}:{no}: includes \"{m.group(1)}\" from "
                                          f"\"{there}\", which is on no floor")
                        elif ranks[there][0] >= ranks[here][0]:
                            way = "up" if ranks[there][0] > ranks[here][0] else "sideways"
                            errors.append(f"{path}:{no}: includes \"{m.group(1)}\": {way} "
                                          f"from {here} (floor \"{ranks[here][1]}\") to "
                                          f"{there} (floor \"{ranks[there][1]}\")")
    return errors


def picture():
    """The floors, roof first: number, name, folders (the tree in the doc says what each holds)."""
    width = max(len(name) for name, _, _ in FLOORS)
    lines = [f"{len(FLOORS) - 1 - i}  {name:<{width}}  {'  '.join(folders)}"
             for i, (name, folders, _) in enumerate(FLOORS)]
    return "```\n" + "\n".join(lines) + "\n```"


def doc_block(text):
    if BEGIN not in text or END not in text:
        return None
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip("\n")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    if "--picture" in sys.argv:
        print(picture())
        return 0
    with open(DOC, encoding="utf-8") as f:
        doc = f.read()
    if "--write" in sys.argv:
        if doc_block(doc) is None:
            print(f"{DOC}: no {BEGIN} ... {END} block", file=sys.stderr)
            return 1
        new = doc[:doc.index(BEGIN) + len(BEGIN)] + "\n" + picture() + "\n" + doc[doc.index(END):]
        with open(DOC, "w", encoding="utf-8") as f:
            f.write(new)
        return 0
    errors = check(root)
    if doc_block(doc) != picture():
        errors.append(f"{DOC}: the picture of the floors differs from scripts/floors.py's "
                      "(scripts/floors.py --write puts it there)")
    for e in errors:
        print(f"floors: {e}", file=sys.stderr)
    if not errors:
        print(f"floors: every #include in src/ and sim/ points down ({len(FLOORS)} floors)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
