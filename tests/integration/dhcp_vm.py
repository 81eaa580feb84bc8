# SPDX-License-Identifier: MIT
# dhcp_vm.py — a "VM" with a real kernel network stack: a TAP in its own namespace, relayed to sock-vmnet's socketpair
"""A VM namespace whose tap0 carries the frames of a sock-vmnet socketpair.

    [netns vm] tap0 <-> relay (this file run as a script) ==socketpair==> sock-vmnet [netns host]

Real DHCP clients (udhcpc, dhclient) and the kernel's own UDP/TCP stack run on tap0, so
tests see what a guest would. Run as a script it is the relay:

    dhcp_vm.py FD MAC MTU SECONDS

It creates tap0 in the current namespace, prints "ready", then copies frames both ways
until the socket closes or SECONDS pass.
"""
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3"

TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
TUNSETVNETHDRSZ = 0x400454D8
TUNSETVNETLE = 0x400454DC
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
TUN_F_CSUM = 0x01
TUN_F_TSO4 = 0x02
TUN_F_TSO6 = 0x04
VNET_HDR_LEN = 12

# A shell script for udhcpc (-s): applies the lease, then records the event and its variables.
UDHCPC_SCRIPT = r"""#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface" ;;
bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
# recorded last, so that a test seeing the event also sees the address applied
out="$(dirname "$0")/udhcpc.events"
{ echo "event=$1"; env | grep -E '^(interface|ip|subnet|mask|router|dns|mtu|domain|lease|serverid|opt53)=' ; echo "--"; } >> "$out"
exit 0
"""

# The same for dhclient (-sf): its variables are new_* for the lease it got.
DHCLIENT_SCRIPT = r"""#!/bin/sh
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
    ip -4 addr flush dev "$interface"
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    ;;
RELEASE|EXPIRE|FAIL|STOP) ip -4 addr flush dev "$interface" ;;
esac
out="$(dirname "$0")/dhclient.events"
{ echo "event=$reason"; env | grep -E '^new_(ip_address|subnet_mask|routers|domain_name_servers|interface_mtu|domain_name|dhcp_lease_time|dhcp_server_identifier)=' ; echo "--"; } >> "$out"
exit 0
"""

DHCLIENT_CONF = """request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers,
        interface-mtu, dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time;
timeout 20;
retry 1;
"""


def parse_events(path):
    """The events a client script recorded: a list of dicts, oldest first."""
    events, cur = [], {}
    if not Path(path).exists():
        return events
    for line in Path(path).read_text().splitlines():
        if line == "--":
            events.append(cur)
            cur = {}
        elif "=" in line:
            k, v = line.split("=", 1)
            cur[k] = v
    return events


class TapVM:
    """A VM namespace attached to a Vmnet (from conftest) through a TAP relay."""

    def __init__(self, topo, vmnet, mtu=1500, seconds=600, offload=None, ipv6=False,
                 slaac=False, tso6=False):
        """@offload: None, or the VM offloads as a virtio-net guest of krunkit does: its tap0
        sends 64 KiB TSO packets with partial checksums, and the relay passes them on as
        krunkit does ("krunkit": no header) or with the 12-byte header ("vnet-hdr").
        @tso6: its IPv6 TCP too (a guest with HOST_TSO6: krunkit's has TSO4 only).
        @slaac: with @ipv6, the kernel itself takes the RA (SLAAC, DAD, default route)."""
        from conftest import Netns  # the shared fixture module
        self.topo = topo
        self.vmnet = vmnet
        self.dir = topo.tmp / f"vm-{vmnet.mac.replace(':', '')}"
        self.dir.mkdir(exist_ok=True)
        self.ns = None
        self.procs = []
        try:
            self.ns = Netns(topo.id + "-vm" + vmnet.mac[-2:])
            if ipv6 and not slaac:
                # tap0 is born taking no RA: the IPv6 client under test (dhcpcd) does it
                for conf in ("all", "default"):
                    self.ns.run(["sysctl", "-q", "-w", f"net.ipv6.conf.{conf}.accept_ra=0"])
            fd = vmnet.sock.fileno()
            self.relay = self.ns.popen([PYTHON, str(Path(__file__).resolve()), fd, vmnet.mac, mtu,
                                        seconds] + ([offload] if offload else []) +
                                       (["tso6"] if offload and tso6 else []),
                                       pass_fds=[fd], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
            self.procs.append(self.relay)
            r, _, _ = select.select([self.relay.stdout], [], [], 10)
            if not r or "ready" not in self.relay.stdout.readline():
                raise AssertionError(f"tap relay did not start: {self.relay.stderr.read()}")
            # no IPv6 chatter (router solicitations) in this namespace's tap0, unless asked
            if not ipv6:
                self.ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.tap0.disable_ipv6=1"],
                            check=False)
        except Exception:
            self.cleanup()
            raise

    def run(self, argv, check=True, **kw):
        return self.ns.run(argv, check=check, **kw)

    def popen(self, argv, **kw):
        p = self.ns.popen(argv, **kw)
        self.procs.append(p)
        return p

    def ipv4(self):
        """The address on tap0 as "a.b.c.d/len", or None."""
        out = self.run(["ip", "-4", "-o", "addr", "show", "dev", "tap0"]).stdout.split()
        return out[out.index("inet") + 1] if "inet" in out else None

    def script(self, name, text):
        path = self.dir / name
        path.write_text(text)
        path.chmod(0o755)
        return path

    # --- udhcpc ---------------------------------------------------------------------------
    def udhcpc_start(self, *extra):
        """udhcpc in the foreground (killed at cleanup); its events go to udhcpc.events."""
        script = self.script("udhcpc.sh", UDHCPC_SCRIPT)
        return self.popen(["udhcpc", "-f", "-i", "tap0", "-s", script, "-t", "5", "-T", "1",
                           "-A", "1"] + list(extra),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def udhcpc_events(self):
        return parse_events(self.dir / "udhcpc.events")

    def wait_event(self, events_fn, names, count=1, timeout=15):
        """Wait until @count events named in @names were recorded; return the last one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [e for e in events_fn() if e.get("event") in names]
            if len(got) >= count:
                return got[count - 1]
            time.sleep(0.05)
        raise AssertionError(f"no {names} event #{count} after {timeout}s: {events_fn()}\n"
                             f"sock-vmnet:\n{self.vmnet.stderr()}")

    # --- dhclient -------------------------------------------------------------------------
    def dhclient(self, *args, timeout=40):
        """Run dhclient once (-1) with private lease/pid files; its events go to dhclient.events."""
        script = self.script("dhclient.sh", DHCLIENT_SCRIPT)
        conf = self.dir / "dhclient.conf"
        conf.write_text(DHCLIENT_CONF)
        argv = ["dhclient", "-4", "-v", "-cf", conf, "-sf", script, "-lf", self.dir / "dhclient.leases",
                "-pf", self.dir / "dhclient.pid"] + list(args) + ["tap0"]
        return self.run(argv, check=False, timeout=timeout)

    def dhclient_events(self):
        return parse_events(self.dir / "dhclient.events")

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        # dhclient may have left a daemon behind; Netns.delete() kills what runs inside
        if self.ns:
            self.ns.delete()


def relay_main(fd, mac, mtu, seconds, offload=None, tso6=False):
    tap = os.open("/dev/net/tun", os.O_RDWR)
    import fcntl
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", b"tap0",
                                            IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if offload else 0)))
    if offload:
        # libkrun's COMPAT_NET_FEATURES: CSUM and TSO4 towards the device, a 12-byte header
        fcntl.ioctl(tap, TUNSETVNETHDRSZ, struct.pack("i", VNET_HDR_LEN))
        fcntl.ioctl(tap, TUNSETVNETLE, struct.pack("i", 1))
        fcntl.ioctl(tap, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | (TUN_F_TSO6 if tso6 else 0))
    # krunkit drops the guest's header towards the socket and writes an empty one back
    strip = VNET_HDR_LEN if offload == "krunkit" else 0
    empty = bytes(VNET_HDR_LEN) if offload == "krunkit" else b""
    subprocess.run(["ip", "link", "set", "tap0", "address", mac, "mtu", str(mtu), "up"], check=True)
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    os.set_blocking(tap, False)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r, _, _ = select.select([tap, sock], [], [], 1.0)
        try:
            if tap in r:
                for _ in range(64):
                    try:
                        sock.send(os.read(tap, 65536 + 2 * VNET_HDR_LEN)[strip:])
                    except BlockingIOError:
                        break
            if sock in r:
                for _ in range(64):
                    try:
                        data = sock.recv(65536 + 2 * VNET_HDR_LEN)
                    except BlockingIOError:
                        break
                    if not data:
                        return
                    os.write(tap, empty + data)
        except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
            return  # sock-vmnet is gone
        except OSError as e:
            print(f"relay: {e}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    relay_main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
               sys.argv[5] if len(sys.argv) > 5 else None, sys.argv[6:] == ["tso6"])
