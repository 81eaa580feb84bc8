# SPDX-License-Identifier: MIT
# test_ipv6.py — IPv6 for the VM: RA and NDP answered by sock-vmnet, SLAAC, NAT66 to the wan host, DNS
"""The VM here is scapy (ipv6_vm.VM6): every frame is built and read by hand. The wan host has
2001:db8:100::2 (a documentation prefix, refused unless --allow 2001:db8:100::/64)."""
import json
import os
import subprocess
import time

import pytest
from scapy.layers.inet import UDP
from scapy.layers.inet6 import (ICMPv6MLQuery2, ICMPv6MLReport, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptPrefixInfo, ICMPv6NDOptSrcLLAddr, IPv6,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting)
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import BACKEND, PYTHON, ScapyVM, wait_line
from ipv6_vm import (HOST_WAN6, UDP6_ECHO, VM6, WAN6, WAN6_ALLOW, link_local, with_v6_wan)

ECHO_PORT = 7777


def vm6_on(topo, *args, mac="52:54:00:12:34:56"):
    vm = ScapyVM(topo.start_vmnet(list(args), mac=mac))
    return VM6(vm)


def test_router_advertisement_and_the_gateway(topo):
    vm6 = vm6_on(topo)
    ra = vm6.solicit()
    assert ra is not None, "no RA for the RS:\n" + vm6.net.stderr()
    # a unique local /64 (RFC 4193) from the host and the network, for SLAAC
    assert ra.prefix.startswith("fd") and ra.prefixlen == 64 and ra.autonomous
    assert ra.src == "fe80::1"
    assert ra.lifetime == 9000
    assert ra.mtu == 1500
    assert ra.dns == [ra.gateway]
    assert f"ndp ready prefix={ra.prefix}/64" in vm6.net.stderr()
    # the gateway's global and link-local addresses answer as a router, with the RA's MAC
    for target in (ra.gateway, "fe80::1"):
        vm6.send(Ether(src=vm6.mac, dst="33:33:ff:00:00:01")
                 / IPv6(src=vm6.ll, dst="ff02::1:ff00:1", hlim=255)
                 / ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=vm6.mac))
        na = vm6.recv(3, lambda p: p.haslayer(ICMPv6ND_NA) and p[ICMPv6ND_NA].tgt == target)
        assert na is not None, f"no NA for {target}"
        assert na[ICMPv6ND_NA].R == 1 and na[ICMPv6ND_NA].S == 1
        assert na[ICMPv6NDOptDstLLAddr].lladdr == ra.mac
    # the same network again: the same prefix
    vm6.net.stop()
    again = vm6_on(topo).solicit()
    assert again.prefix == ra.prefix


def test_slaac_nat66_and_dns(topo):
    with_v6_wan(topo)
    echo = topo.wan_popen(UDP6_ECHO, str(ECHO_PORT))
    wait_line(echo)
    vm6 = vm6_on(topo, *WAN6_ALLOW)
    ra = vm6.solicit()
    assert ra is not None
    assert vm6.claim(vm6.slaac), "the VM's own address was defended"
    # the gateway (the host's bridge holds it) answers ping
    assert vm6.ping6(ra.gateway), "no echo reply from the gateway:\n" + vm6.net.stderr()
    # the wan host, through NAT66: it sees the host's address
    got = vm6.udp6(WAN6, ECHO_PORT, b"hello6")
    assert got == f"echo:hello6 from {HOST_WAN6}".encode(), got
    # from the link-local address too (the guard lets it; the host does not route it)
    assert vm6.ping6("fe80::1", src=vm6.ll)
    stats = vm6.net.live_stats()
    assert stats["ndp"]["frames"] >= 2


def test_ipv6_off_is_the_old_behaviour(topo):
    vm6 = vm6_on(topo, "--ipv6=off")
    assert vm6.solicit(timeout=1) is None
    stats = vm6.net.live_stats()
    assert stats["drops"]["ipv6"] >= 1
    assert "ndp ready" not in vm6.net.stderr()
    if BACKEND == "tap":
        out = topo.host.run(["ip", "-6", "addr", "show", "dev", "svmnet0"]).stdout
        assert "fe80::1/64" not in out and " fd" not in out
        assert topo.host.run(["nft", "list", "table", "ip6", "sock_vmnet"], check=False).returncode != 0


# ---- attacks: none reaches the host side, each is counted, the legitimate frames do ----------

def mark_opt(text):
    """An ND option of an experimental type (RFC 4727: 253) carrying @text: receivers skip it."""
    body = text + b"\0" * (-(len(text) + 2) % 8)
    return Raw(bytes([253, (len(body) + 2) // 8]) + body)


def test_attacks_never_reach_the_host(topo):
    from test_guard import SETTLE_S, Capture, assert_counted, expected_counts, marker

    token = os.urandom(4).hex()
    with_v6_wan(topo)
    echo = topo.wan_popen(UDP6_ECHO, str(ECHO_PORT))
    wait_line(echo)
    victim = vm6_on(topo, *WAN6_ALLOW, mac="52:54:00:00:00:0b")
    assert victim.solicit() and victim.claim(victim.slaac)
    vm6 = vm6_on(topo, *WAN6_ALLOW)
    ra = vm6.solicit()
    assert ra and vm6.claim(vm6.slaac)
    capture = Capture(topo, vm6.net.tap_name())
    me, sa, la, xb, gw = vm6.mac, vm6.slaac, vm6.ll, victim.slaac, ra.gateway
    gw_mac = ra.mac

    def m(name):
        return marker(name, token)

    def to_all(src, payload, hlim=255, dst="ff02::1", mac="33:33:00:00:00:01"):
        return Ether(src=me, dst=mac) / IPv6(src=src, dst=dst, hlim=hlim) / payload

    def udp_from(src, dst, name, sport=40000, dport=ECHO_PORT):
        return Ether(src=me, dst=gw_mac) / IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(m(name))

    rogue_ra = ICMPv6ND_RA() / ICMPv6NDOptPrefixInfo(prefix="2001:db8:bad::", prefixlen=64)
    frag_ra = bytes(rogue_ra / mark_opt(m("ra-fragment-tail")))
    # a truncated chain: a Hop-by-Hop header whose length runs past the packet
    truncated = bytearray(bytes(to_all(la, IPv6ExtHdrHopByHop(nh=17) / Raw(m("truncated")))))
    truncated[14 + 40 + 1] = 20  # (20 + 1) * 8 bytes: far past the end
    attacks = [
        ("rogue-ra", "rogue-ra", to_all(la, rogue_ra / mark_opt(m("rogue-ra")))),
        ("ra-behind-hbh", "rogue-ra", to_all(la, IPv6ExtHdrHopByHop() / rogue_ra
                                             / mark_opt(m("ra-behind-hbh")))),
        ("ra-first-fragment", "fragment", to_all(la, IPv6ExtHdrFragment(nh=58, m=1, id=77)
                                                 / Raw(frag_ra[:8] + m("ra-first-fragment")))),
        ("ra-later-fragment", "fragment", to_all(la, IPv6ExtHdrFragment(nh=58, offset=3, id=77)
                                                 / Raw(frag_ra[24:]))),
        ("ra-long-chain", "ipv6-chain-long", to_all(la, IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                    / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                                    / IPv6ExtHdrDestOpt() / rogue_ra
                                                    / mark_opt(m("ra-long-chain")))),
        ("na-gateway", "ndp-spoof", to_all(sa, ICMPv6ND_NA(tgt=gw, R=1, S=0, O=1)
                                           / ICMPv6NDOptDstLLAddr(lladdr=me)
                                           / mark_opt(m("na-gateway")))),
        ("ns-other-vm", "ndp-target", to_all(sa, ICMPv6ND_NS(tgt=xb) / ICMPv6NDOptSrcLLAddr(lladdr=me)
                                             / mark_opt(m("ns-other-vm")))),
        ("na-other-vm", "ndp-spoof", to_all(sa, ICMPv6ND_NA(tgt=xb, R=0, S=0, O=1)
                                            / ICMPv6NDOptDstLLAddr(lladdr=me)
                                            / mark_opt(m("na-other-vm")))),
        ("src-outside-claims", "ip6-src", udp_from(ra.address(0xdead), WAN6, "src-outside-claims")),
        ("src-other-vm", "ip6-src", udp_from(xb, WAN6, "src-other-vm")),
        ("redirect", "icmp-redirect", Ether(src=me, dst=gw_mac) / IPv6(src=la, dst="fe80::1", hlim=255)
         / ICMPv6ND_Redirect(tgt=la, dst=WAN6) / mark_opt(m("redirect"))),
        ("truncated-chain", "ipv6-chain-truncated", Raw(bytes(truncated))),
        ("first-fragment-cut", "ipv6-chain-truncated",
         Ether(src=me, dst=gw_mac) / IPv6(src=sa, dst=WAN6) / IPv6ExtHdrFragment(nh=60, m=1, id=5)
         / Raw(b"\x11\x14" + b"\0" * 6 + m("first-fragment-cut"))),  # runs past the fragment
        ("later-fragment-header", "ipv6-frag-upper",
         Ether(src=me, dst=gw_mac) / IPv6(src=sa, dst=WAN6) / IPv6ExtHdrFragment(nh=60, offset=5, id=6)
         / Raw(m("later-fragment-header") + b"\0" * 8)),
        ("routing-type-0", "ip-source-route",
         Ether(src=me, dst=gw_mac) / IPv6(src=sa, dst=WAN6)
         / IPv6ExtHdrRouting(type=0, segleft=1, addresses=[WAN6]) / UDP(sport=1, dport=ECHO_PORT)
         / Raw(m("routing-type-0"))),
        ("dhcpv6-server", "rogue-dhcp", Ether(src=me, dst="33:33:00:01:00:02")
         / IPv6(src=la, dst="ff02::1:2") / UDP(sport=547, dport=546) / Raw(m("dhcpv6-server"))),
        ("mld-query", "rogue-mld", to_all(la, ICMPv6MLQuery2() / Raw(m("mld-query")), hlim=1)),
        ("not-allowed", "policy-block", udp_from(sa, "2001:db8:200::1", "not-allowed")),
        ("site-multicast", "multicast", Ether(src=me, dst="33:33:00:01:00:03")
         / IPv6(src=sa, dst="ff05::1:3") / UDP(sport=1, dport=547) / Raw(m("site-multicast"))),
        ("mapped-destination", "ipv6-malformed",
         Ether(src=me, dst=gw_mac) / IPv6(src=sa, dst="::ffff:203.0.113.2") / UDP(sport=1, dport=ECHO_PORT)
         / Raw(m("mapped-destination"))),
    ]
    for _, _, frame in attacks:
        vm6.send(frame)
    # DAD for the other VM's address: defended, never the attacker's
    assert not vm6.claim(xb)
    # the legitimate control frames of the same run do reach the host
    legit_na = b"LEGIT-na-" + token.encode()
    legit_mld = b"LEGIT-mld-" + token.encode()
    vm6.send(to_all(sa, ICMPv6ND_NA(tgt=sa, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=me)
                    / mark_opt(legit_na)))
    vm6.send(to_all(la, ICMPv6MLReport(mladdr="ff02::fb") / Raw(legit_mld), hlim=1,
                    dst="ff02::fb", mac="33:33:00:00:00:fb"))
    legit = b"LEGIT-" + token.encode()
    assert vm6.udp6(WAN6, ECHO_PORT, legit) == b"echo:" + legit + f" from {HOST_WAN6}".encode()
    for needle in (legit, legit_na, legit_mld):
        assert capture.wait_for(needle, SETTLE_S), f"{needle!r} never reached the host"
    frames = capture.stop()
    leaked = [name for name, _, _ in attacks if any(m(name) in f for f in frames)]
    assert not leaked, f"attack frames reached the host: {leaked}"
    counts = expected_counts(attacks)
    counts["ndp-claimed"] = 1
    assert_counted(vm6.net.live_stats(), counts)
    # the victim keeps its address
    assert victim.udp6(WAN6, ECHO_PORT, b"still mine") is not None


def test_host_side_ipv6_not_for_the_vm(topo):
    from test_guard import SEND_RAW, SETTLE_S, assert_counted, expected_counts, marker

    token = os.urandom(4).hex()
    vm6 = vm6_on(topo)
    ra = vm6.solicit()
    assert ra and vm6.claim(vm6.slaac)
    bridge = "svmnet0"
    bridge_mac = topo.host.run(["cat", f"/sys/class/net/{bridge}/address"]).stdout.strip()
    me, sa = vm6.mac, vm6.slaac

    def m(name):
        return mark_opt(marker(name, token))

    def from_bridge(src, dst, dst_mac, payload, hlim=255):
        return Ether(src=bridge_mac, dst=dst_mac) / IPv6(src=src, dst=dst, hlim=hlim) / payload

    attacks = [
        ("host-ra", "rogue-ra", from_bridge("fe80::99", "ff02::1", "33:33:00:00:00:01",
                                            ICMPv6ND_RA() / ICMPv6NDOptPrefixInfo(prefix="2001:db8:bad::",
                                                                                  prefixlen=64)
                                            / m("host-ra"))),
        ("host-redirect", "icmp-redirect", from_bridge("fe80::1", sa, me, ICMPv6ND_Redirect(tgt="fe80::99", dst=WAN6)
                                                       / m("host-redirect"))),
        ("na-about-gateway", "host-ndp", from_bridge(ra.gateway, sa, me,
                                                     ICMPv6ND_NA(tgt=ra.gateway, R=1, S=1, O=1)
                                                     / ICMPv6NDOptDstLLAddr(lladdr="52:54:00:66:66:66")
                                                     / m("na-about-gateway"))),
        ("ns-for-another", "host-ndp", from_bridge(ra.gateway, "ff02::1:ff00:99", "33:33:ff:00:00:99",
                                                   ICMPv6ND_NS(tgt=ra.address(0x99)) / m("ns-for-another"))),
        ("dhcpv6-reply", "host-dhcp", from_bridge("fe80::99", sa, me, UDP(sport=547, dport=546)
                                                  / Raw(marker("dhcpv6-reply", token)), hlim=64)),
        ("another-address", "not-for-vm", from_bridge(ra.gateway, ra.address(0x99), me,
                                                      UDP(sport=1, dport=2) / Raw(marker("another-address", token)),
                                                      hlim=64)),
    ]
    legit = f"LEGIT-{token}".encode()
    frames = [f for _, _, f in attacks] + [from_bridge(ra.gateway, sa, me, UDP(sport=1, dport=2) / Raw(legit),
                                                       hlim=64)]
    topo.host.run([PYTHON, "-c", SEND_RAW, bridge],
                  input="".join(bytes(f).hex() + "\n" for f in frames))
    got = []
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        pkt = vm6.net.recv(timeout=0.5)
        if pkt is None:
            continue
        got.append(bytes(pkt))
        if legit in got[-1]:
            break
    assert any(legit in f for f in got), "the legitimate frame never reached the VM"
    leaked = [name for name, _, _ in attacks if any(marker(name, token) in f for f in got)]
    assert not leaked, f"frames not for the VM reached it: {leaked}"
    assert_counted(vm6.net.live_stats(), expected_counts(attacks))


# ---- a real IPv6 client: dhcpcd in a namespace VM ---------------------------------------------

# dhcpcd's hook script (-c): records each event and its variables, changes nothing else.
DHCPCD_SCRIPT = r"""#!/bin/sh
out="$(dirname "$0")/dhcpcd.events"
{ echo "event=$reason"; env | grep -E '^(interface|reason|nd[0-9]+_[a-z0-9_]+)=' ; echo "--"; } >> "$out"
exit 0
"""

# IPv6 only, no DHCPv4, no hooks of its own: what it does with the RA is what is checked.
DHCPCD_CONF = """ipv6only
noipv4ll
noup
"""

TCP6_ECHO = """
import socketserver, socket, sys
class S(socketserver.TCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
class H(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"echo:" + self.request.recv(65535) + b" from " +
                             self.client_address[0].encode())
srv = S(("::", int(sys.argv[1])), H)
print("ready", flush=True)
srv.serve_forever()
"""

TCP6_CLIENT = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(sys.argv[3].encode())
print(s.recv(1000).decode())
"""

DNS6_CLIENT = r"""
import json, socket, struct, sys
server, name, qtype = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = struct.pack("!HHHHHH", 0x6006, 0x0100, 1, 0, 0, 0)
for label in name.split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack("!HH", qtype, 1)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, (server, 53))
try:
    m = s.recv(65535)
except socket.timeout:
    print(json.dumps(None)); sys.exit()
an = struct.unpack("!H", m[6:8])[0]
i = len(q)
out = []
for _ in range(an):
    i += 2 if m[i] & 0xc0 == 0xc0 else len(m[i:].split(b"\0", 1)[0]) + 1
    rtype, _, _, rdlen = struct.unpack("!HHIH", m[i:i + 10])
    if rtype == 28:
        out.append(socket.inet_ntop(socket.AF_INET6, m[i + 10:i + 26]))
    i += 10 + rdlen
print(json.dumps({"id": struct.unpack("!H", m[:2])[0], "aaaa": out}))
"""


def dhcpcd_start(vm):
    """dhcpcd -6 on tap0, its state and run files in a mount namespace of their own (tmpfs
    over /run and /var/lib/dhcpcd): nothing of the host's is read or written."""
    script = vm.script("dhcpcd.sh", DHCPCD_SCRIPT)
    conf = vm.dir / "dhcpcd.conf"
    conf.write_text(DHCPCD_CONF)
    inner = (f"mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib/dhcpcd && "
             f"exec dhcpcd -6 -B -d -t 30 -f {conf} -c {script} tap0")
    return vm.popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def dhcpcd_events(vm):
    from dhcp_vm import parse_events
    return parse_events(vm.dir / "dhcpcd.events")


def global_ipv6(vm, prefix):
    """tap0's global addresses in @prefix that passed duplicate address detection."""
    out = vm.run(["ip", "-6", "-o", "addr", "show", "dev", "tap0", "scope", "global"]).stdout
    addrs = []
    for line in out.splitlines():
        words = line.split()
        addr = words[words.index("inet6") + 1].split("/")[0]
        if addr.startswith(prefix.rstrip(":")) and "tentative" not in words and "dadfailed" not in words:
            addrs.append(addr)
    return addrs


def test_dhcpcd_slaac_dns_and_nat66(topo):
    from dhcp_vm import TapVM
    with_v6_wan(topo)
    echo = topo.wan_popen(TCP6_ECHO, "7778")
    wait_line(echo)
    p = topo.host.popen(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                         "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
                         "--port=53", "--user=root", "--group=root", "--pid-file=",
                         f"--address=/svm6.test/{WAN6}"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    topo.procs.append(p)
    vmnet = topo.start_vmnet(["--dns=127.0.0.1"] + WAN6_ALLOW)
    vm = TapVM(topo, vmnet, ipv6=True)
    try:
        client = dhcpcd_start(vm)
        deadline = time.monotonic() + 30
        prefix = None
        while time.monotonic() < deadline and not prefix:
            ra = [e for e in dhcpcd_events(vm) if e.get("event") == "ROUTERADVERT"]
            if ra:
                prefix = ra[-1].get("nd1_prefix_information1_prefix")
            time.sleep(0.2)
        assert prefix, f"dhcpcd saw no RA: {dhcpcd_events(vm)}\n{vmnet.stderr()}"
        ra = [e for e in dhcpcd_events(vm) if e.get("event") == "ROUTERADVERT"][-1]
        gateway = prefix.rstrip(":") + "::1" if prefix.endswith("::") else None
        assert ra.get("nd1_from") == "fe80::1"
        assert ra.get("nd1_rdnss1_servers") == gateway, ra
        assert ra.get("nd1_mtu") == "1500", ra
        # SLAAC: an address in the prefix that passed DAD (dhcpcd's RFC 7217 one)
        addrs = []
        while time.monotonic() < deadline and not addrs:
            addrs = global_ipv6(vm, prefix)
            time.sleep(0.2)
        assert addrs, vm.run(["ip", "-6", "addr"]).stdout
        # the gateway, the wan host through NAT66, DNS over IPv6 (an AAAA answer)
        assert vm.run(["ping", "-6", "-c", "1", "-W", "3", gateway], check=False).returncode == 0
        out = vm.run([PYTHON, "-c", TCP6_CLIENT, WAN6, "7778", "hi6"], check=False).stdout.strip()
        assert out == f"echo:hi6 from {HOST_WAN6}", out
        got = json.loads(vm.run([PYTHON, "-c", DNS6_CLIENT, gateway, "svm6.test", "28"]).stdout)
        assert got == {"id": 0x6006, "aaaa": [WAN6]}, got
        # the claims the guard holds: the address dhcpcd uses, in the shared table
        stats = vmnet.live_stats()
        assert stats["drops"].get("ip6-src", 0) == 0, stats["drops"]
        client.kill()
    finally:
        vm.cleanup()


def test_aaaa_answers_open_a_name_rule(topo):
    """--allow by name holds for IPv6: the AAAA answer the VM is given opens its address."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    with_v6_wan(topo)
    echo = topo.wan_popen(UDP6_ECHO, str(ECHO_PORT))
    wait_line(echo)
    p = topo.host.popen(["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                         "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
                         "--port=53", "--user=root", "--group=root", "--pid-file=",
                         f"--address=/svm6.test/{WAN6}", "--address=/rebind6.test/fe80::99"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    topo.procs.append(p)
    vm6 = vm6_on(topo, "--dns=127.0.0.1", "--block", "0.0.0.0/0",
                 "--allow", f"udp:svm6.test:{ECHO_PORT}", "--allow", "udp:rebind6.test")
    ra = vm6.solicit()
    assert ra and vm6.claim(vm6.slaac)
    assert vm6.udp6(WAN6, ECHO_PORT, b"before", timeout=1) is None  # not asked for yet

    def ask(name, qid):
        for _ in range(20):  # dnsmasq may take a moment to listen
            vm6.send(vm6.frame(vm6.slaac, ra.gateway, UDP(sport=5353 + qid, dport=53)
                               / DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype="AAAA"))))
            got = vm6.recv(1, lambda p: p.haslayer(DNS) and p[DNS].id == qid)
            if got is not None:
                return [r.rdata for r in got[DNS].an if isinstance(r, DNSRR)] if got[DNS].an else []
        return None

    assert ask("svm6.test", 0x77) == [WAN6]
    got = vm6.udp6(WAN6, ECHO_PORT, b"after")
    assert got == f"echo:after from {HOST_WAN6}".encode(), got
    assert vm6.udp6(WAN6, ECHO_PORT + 1, b"other port", timeout=1) is None
    # a name pointed at a link-local address opens nothing (DNS rebinding)
    assert ask("rebind6.test", 0x78) == ["fe80::99"]
    stats = vm6.net.live_stats()
    assert stats["names"]["learned"] == 1 and stats["names"]["rebinding"] == 1, stats["names"]
    assert stats["drops"]["policy-block"] >= 2


def test_audit_records_ipv6_flows(topo):
    """The audit and `ctl flows` see IPv6 flows as they see IPv4 ones: the destination's
    16 bytes (RFC 5952 text), its port, and the verdict; a refusal names its rule."""
    from test_ops import audit_lines, ctl_json, wait_for

    audit, sock = topo.tmp / "audit.jsonl", topo.tmp / "ctl.sock"
    with_v6_wan(topo)
    echo = topo.wan_popen(UDP6_ECHO, str(ECHO_PORT))
    wait_line(echo)
    vm6 = vm6_on(topo, f"--audit={audit}", f"--control={sock}", *WAN6_ALLOW)
    assert vm6.solicit() is not None and vm6.claim(vm6.slaac)
    assert vm6.udp6(WAN6, ECHO_PORT, b"audit6") is not None
    vm6.send(vm6.frame(vm6.slaac, "2001:db8:200::9", UDP(sport=40100, dport=53) / b"x"))
    lines = wait_for(lambda: [l for l in audit_lines(audit) if ":" in l["dst"]])
    flow = next(l for l in lines if l["event"] == "flow" and l["dst"] == WAN6)
    assert (flow["proto"], flow["dst_port"], flow["verdict"]) == ("udp", ECHO_PORT, "allow")
    assert flow["rule"] == "allow 2001:db8:100::/64", flow
    refused = wait_for(lambda: [l for l in audit_lines(audit)
                                if l["event"] == "refused" and l["dst"] == "2001:db8:200::9"])
    assert refused[0]["verdict"] == "block" and refused[0]["reason"] == "policy-block"
    flows = ctl_json(sock, "flows")["flows"]
    assert any(f["dst"] == WAN6 and f["packets_in"] >= 1 for f in flows), flows
