#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# make_seeds.py — writes the seed corpora of the fuzz targets: DIR/<target without fuzz_>/*
"""Usage: make_seeds.py DIR

offload seeds: VM frames to join (bulk TCP segments) and host packets to cut (see
fuzz_offload.c).
vnet_hdr seeds: a VM's 64 KiB TSO packet behind its virtio-net header, a partial UDP checksum,
a header that lies, and krunkit's headerless frames, IPv4 and IPv6 (see fuzz_vnet_hdr.c).
guard seeds: a control byte (bit 0 host side, bit 1 leased, bits 2-4 rule set; see
fuzz_guard.c) and an Ethernet frame, one of each kind the guard has a rule for.
policy seeds: rule lines, a NUL, and 7-byte queries (see fuzz_policy.c).
dhcp_msg seeds: DHCP client messages (UDP payloads to port 67).
dns_msg seeds: DNS queries and answers, compressed names and CNAME chains among them.
server_name seeds: first bytes of connections: real TLS ClientHellos, HTTP requests, SSH.
name_check seeds: events of a checked flow (fuzz_name_check.c): requests, decoys, evasions.
names seeds: DNS answers with A and AAAA records and CNAME chains, rebinding addresses among them.
control seeds: control socket request lines.
ipv6 seeds: a control byte (bit 0 host side, bit 1 claimed addresses, bits 2-3 rule set; see
fuzz_ipv6.c) and an IPv6 frame: ND, MLD, extension header chains, attacks.
ndp seeds: command sequences for the NDP responder behind the guard (fuzz_ndp.c).
policy_file seeds: --policy files (rules, comments, CRs, bad lines).
vm_stream seeds: an MTU byte, then stream bytes interleaved with piece sizes (fuzz_vm_stream.c).
dns and dhcp seeds: command sequences for the responders (fuzz_dns.c, fuzz_dhcp.c).
tcp_lite seeds: command sequences of a connection (fuzz_tcp_lite.c): open, data, close, resets.
expose seeds: --expose SPECs, good and bad.
reject seeds: four bytes of a sequence number, then a VM frame a policy refused.
arp seeds: ARP frames of the host's side (a request, a reply, a DAD probe, a short one).
Standard library only, so CI needs nothing more than python3.
"""
import socket
import struct
import sys
from pathlib import Path

VM = bytes.fromhex("525400123456")
OTHER = bytes.fromhex("525400aabbcc")
BRIDGE = bytes.fromhex("020000000001")
BCAST = b"\xff" * 6
MDNS = bytes.fromhex("01005e0000fb")
LEASE, GATEWAY, WAN, GLOBAL = "192.168.64.50", "192.168.64.1", "203.0.113.2", "8.8.8.8"


def ip4(a):
    return socket.inet_aton(a)


def eth(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, l4, options=b"", frag=0):
    options += b"\0" * (-len(options) % 4)
    ihl = 5 + len(options) // 4
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(l4), 1, frag, 64, proto, 0,
                       ip4(src), ip4(dst)) + options + l4


def udp(sport, dport, payload=b"seed"):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, payload=b"seed"):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x02, 1024, 0, 0) + payload


def icmp(kind, payload=b"seed"):
    return struct.pack("!BBHHH", kind, 0, 0, 1, 1) + payload


def arp(op, sha, spa, tpa, tha=b"\0" * 6):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, ip4(spa), tha, ip4(tpa))


def vm_ip(dst_mac, *args, **kw):
    return eth(dst_mac, VM, 0x0800, ipv4(*args, **kw))


def host_ip(dst_mac, *args, **kw):
    return eth(dst_mac, BRIDGE, 0x0800, ipv4(*args, **kw))


def guard_seeds():
    leased = 2
    vm = {
        "dhcp-discover": (0, vm_ip(BCAST, "0.0.0.0", "255.255.255.255", 17, udp(68, 67, b"\0" * 240))),
        "dhcp-renew": (leased, vm_ip(BRIDGE, LEASE, GATEWAY, 17, udp(68, 67, b"\0" * 240))),
        "arp-gateway": (leased, eth(BCAST, VM, 0x0806, arp(1, VM, LEASE, GATEWAY))),
        "arp-probe": (leased, eth(BCAST, VM, 0x0806, arp(1, VM, "0.0.0.0", LEASE))),
        "arp-reply": (leased, eth(BRIDGE, VM, 0x0806, arp(2, VM, LEASE, GATEWAY, BRIDGE))),
        "tcp-global": (leased, vm_ip(BRIDGE, LEASE, GLOBAL, 6, tcp(40000, 443))),
        "udp-dns-gw": (leased, vm_ip(BRIDGE, LEASE, GATEWAY, 17, udp(40000, 53))),
        "udp-wan": (leased | 1 << 2, vm_ip(BRIDGE, LEASE, WAN, 17, udp(40000, 7))),
        "tcp-wan-443": (leased | 3 << 2, vm_ip(BRIDGE, LEASE, WAN, 6, tcp(40000, 443))),
        "ping-gw": (leased, vm_ip(BRIDGE, LEASE, GATEWAY, 1, icmp(8))),
        "redirect": (leased, vm_ip(BRIDGE, LEASE, GATEWAY, 1, icmp(5))),
        "rogue-dhcp": (leased, vm_ip(BCAST, LEASE, "255.255.255.255", 17, udp(67, 68))),
        "spoof": (leased, vm_ip(BRIDGE, "192.168.64.77", GLOBAL, 17, udp(1, 53))),
        "lsrr": (leased, vm_ip(BRIDGE, LEASE, GLOBAL, 17, udp(1, 53),
                               options=bytes([131, 7, 4]) + ip4(WAN))),
        "router-alert": (leased | 4 << 2, vm_ip(MDNS, LEASE, "224.0.0.22", 2, b"\x22" + b"\0" * 7,
                                               options=bytes([148, 4, 0, 0]))),
        "frag-first": (leased | 3 << 2, vm_ip(BRIDGE, LEASE, WAN, 17, udp(1, 53, b"x" * 32),
                                              frag=0x2000)),
        "frag-later": (leased | 3 << 2, vm_ip(BRIDGE, LEASE, WAN, 17, b"x" * 32, frag=4)),
        "mdns": (leased | 5 << 2, vm_ip(MDNS, LEASE, "224.0.0.251", 17, udp(5353, 5353))),
        "vlan": (leased, eth(BRIDGE, VM, 0x8100, b"\0\x01\x08\x00" + ipv4(LEASE, GLOBAL, 17, udp(1, 53)))),
        "ipv6": (leased, eth(BRIDGE, VM, 0x86DD, b"\x60" + b"\0" * 39)),
    }
    host = {
        "host-tcp": (leased, host_ip(VM, GLOBAL, LEASE, 6, tcp(443, 40000))),
        "host-arp-req": (leased, eth(BCAST, BRIDGE, 0x0806, arp(1, BRIDGE, GATEWAY, LEASE))),
        "host-arp-other": (leased, eth(BCAST, OTHER, 0x0806, arp(1, OTHER, "192.168.64.51", GATEWAY))),
        "host-offer": (leased, host_ip(BCAST, GATEWAY, "255.255.255.255", 17, udp(67, 68, b"\0" * 240))),
        "host-mdns": (leased | 5 << 2, host_ip(MDNS, "192.168.64.51", "224.0.0.251", 17, udp(5353, 5353))),
        "host-frag": (leased, host_ip(VM, GLOBAL, LEASE, 17, b"x" * 32, frag=100)),
    }
    for name, (control, frame) in vm.items():
        yield name, bytes([control]) + frame
    for name, (control, frame) in host.items():
        yield name, bytes([control | 1]) + frame


def checksum(data):
    data += b"\0" * (len(data) % 2)
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_segment(seq, payload, flags=0x10, ip_id=1, df=True):
    """A VM's TCP segment with correct IP and TCP checksums."""
    th = struct.pack("!HHIIBBHHH", 40000, 5201, seq, 7, 0x50, flags, 501, 0, 0)
    pseudo = ip4(LEASE) + ip4(WAN) + struct.pack("!BBH", 0, 6, len(th) + len(payload))
    th = th[:16] + struct.pack("!H", checksum(pseudo + th + payload)) + th[18:]
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(th) + len(payload), ip_id,
                     0x4000 if df else 0, 64, 6, 0, ip4(LEASE), ip4(WAN))
    ih = ih[:10] + struct.pack("!H", checksum(ih)) + ih[12:]
    return eth(BRIDGE, VM, 0x0800, ih + th + payload)


def udp_datagram(payload, ip_id=1):
    """A VM's UDP datagram with correct IP and UDP checksums."""
    uh = struct.pack("!HHHH", 40000, 443, 8 + len(payload), 0)
    pseudo = ip4(LEASE) + ip4(WAN) + struct.pack("!BBH", 0, 17, len(uh) + len(payload))
    uh = uh[:6] + struct.pack("!H", checksum(pseudo + uh + payload) or 0xffff)
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(uh) + len(payload), ip_id, 0, 64, 17, 0,
                     ip4(LEASE), ip4(WAN))
    ih = ih[:10] + struct.pack("!H", checksum(ih)) + ih[12:]
    return eth(BRIDGE, VM, 0x0800, ih + uh + payload)


def offload_seeds():
    def frames(*fs):
        return b"\0" + b"".join(struct.pack("!H", len(f)) + f for f in fs)
    bulk = [tcp_segment(1000 + i * 1448, bytes([i]) * 1448, ip_id=10 + i, df=False)
            for i in range(4)]
    yield "bulk", frames(*bulk)
    yield "push-short", frames(tcp_segment(1, b"a" * 100), tcp_segment(101, b"b" * 100),
                               tcp_segment(201, b"c" * 7, flags=0x18))
    yield "gap", frames(bulk[0], bulk[2], bulk[3])
    yield "udp", frames(*(udp_datagram(bytes([i]) * 1200, ip_id=5 + i) for i in range(3)),
                        udp_datagram(b"end", ip_id=8))
    whole = tcp_segment(1, bytes(range(256)) * 16, flags=0x19)
    yield "host-gso", b"\1" + struct.pack("!BBHHH", 1 | 4, 0, 1448, 34, 16) + whole
    yield "host-csum", b"\1" + struct.pack("!BBHHH", 4, 0, 0, 34, 6) + \
        eth(VM, BRIDGE, 0x0800, ipv4(WAN, LEASE, 17, udp(53, 40000)))
    # IPv6: a checksum left to us (either family), and a TSO6 packet the splitter refuses
    yield "host-csum6", b"\1" + struct.pack("!BBHHH", 4, 0, 0, 54, 6) + \
        udp6_datagram(b"r" * 200, partial=True)
    yield "host-gso6", b"\1" + struct.pack("!BBHHH", 3 | 4, 0, 1428, 54, 16) + \
        tcp6_segment(1, bytes(range(256)) * 16, partial=True)


def partial(frame):
    """@frame (a TCP or UDP segment from tcp_segment()/udp_datagram()) with its checksum left
    partial: the pseudo-header sum, as a VM with checksum offload sends it."""
    ihl = (frame[14] & 0xf) * 4
    proto = frame[23]
    l4 = len(frame) - 14 - ihl
    pseudo = frame[26:34] + struct.pack("!BBH", 0, proto, l4)
    s = sum(struct.unpack("!6H", pseudo))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    off = 14 + ihl + (16 if proto == 6 else 6)
    return frame[:off] + struct.pack("!H", s) + frame[off + 2:]


def vnet_hdr_seeds():
    def hdr(flags, gso_type, gso_size, start, off):
        return struct.pack("<BBHHHHH", flags, gso_type, 0, gso_size, start, off, 0)
    large = partial(tcp_segment(1, bytes(range(256)) * 80, flags=0x18))
    yield "tso", b"\0" + hdr(1, 1, 1448, 34, 16) + large
    yield "tso-9000", b"\4" + hdr(1, 1, 8960, 34, 16) + large
    yield "csum-udp", b"\0" + hdr(1, 0, 0, 34, 6) + partial(udp_datagram(b"q" * 300))
    yield "plain", b"\0" + hdr(0, 0, 0, 0, 0) + tcp_segment(1, b"hello")
    yield "lies", b"\0" + hdr(1, 1, 0, 40, 16) + large
    yield "krunkit-tso", b"\1" + large
    yield "krunkit-whole", b"\1" + tcp_segment(1, bytes(range(256)) * 80)
    yield "krunkit-small", b"\1" + partial(tcp_segment(1, b"x" * 900))
    # IPv6: TSO6 (gso_type 4, csum_start 54), a partial UDP checksum, extension headers
    large6 = tcp6_segment(1, bytes(range(256)) * 80, partial=True)
    yield "tso6", b"\0" + hdr(1, 4, 1428, 54, 16) + large6
    yield "tso6-lies", b"\0" + hdr(1, 1, 1428, 54, 16) + large6
    yield "csum6-udp", b"\0" + hdr(1, 0, 0, 54, 6) + udp6_datagram(b"q" * 300, partial=True)
    yield "csum6-ext", b"\0" + hdr(1, 0, 0, 62, 16) + \
        tcp6_segment(1, b"e" * 100, partial=True, dstopts=True)
    yield "krunkit-tso6", b"\1" + large6
    yield "krunkit-small6", b"\1" + tcp6_segment(1, b"x" * 900, partial=True)
    yield "krunkit-whole6", b"\1" + tcp6_segment(1, bytes(range(256)) * 80)


def l4_over_ipv6(nh, l4, partial, dstopts):
    """@l4 (checksum field at 16 for TCP, 6 for UDP, zero) from the VM's ULA address to WAN6,
    its checksum whole or @partial; a Destination Options header in front when @dstopts."""
    src, dst = "fd00:5356::2", "2001:db8:100::2"
    off = 16 if nh == 6 else 6
    pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", len(l4), nh)
    if partial:
        s = sum(struct.unpack("!%dH" % (len(pseudo) // 2), pseudo))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
    else:
        s = checksum(pseudo + l4) or (0xffff if nh == 17 else 0)
    l4 = l4[:off] + struct.pack("!H", s) + l4[off + 2:]
    if dstopts:
        l4, nh = struct.pack("!BB", nh, 0) + b"\1\4\0\0\0\0" + l4, 60
    return eth(BRIDGE, VM, 0x86dd, ipv6(src, dst, nh, l4))


def tcp6_segment(seq, payload, partial=False, dstopts=False):
    th = struct.pack("!HHIIBBHHH", 40000, 5201, seq, 7, 0x50, 0x18, 501, 0, 0)
    return l4_over_ipv6(6, th + payload, partial, dstopts)


def udp6_datagram(payload, partial=False):
    uh = struct.pack("!HHHH", 40000, 443, 8 + len(payload), 0)
    return l4_over_ipv6(17, uh + payload, partial, False)


def query(addr, proto, port):
    return ip4(addr) + struct.pack("!BH", proto, port)


def policy_seeds():
    yield "defaults", b"\0" + query(GLOBAL, 6, 443) + query("10.0.0.1", 17, 53)
    yield "host-only", b"-0.0.0.0/0\n+@host\n\0" + query(GATEWAY, 17, 53) + query(GLOBAL, 6, 80)
    yield "ports", (b"+tcp:203.0.113.0/24:443\n-udp::0-1023\n+udp:@host:53\n+47:10.0.0.0/8\n\0"
                    + query(WAN, 6, 443) + query(WAN, 6, 80) + query(GLOBAL, 17, 53))
    yield "lpm", (b"+203.0.113.0/24\n-203.0.113.128/25\n+203.0.113.200\n-203.0.113.0/24\n\0"
                  + query("203.0.113.200", 1, 0) + query("203.0.113.129", 6, 22))
    yield "errors", b"10.0.0.0/33\ntcp:1.2.3.4:99999\nicmp:@host:8\n203.0.113.0/24:443\n@gw\n::\n"
    # IPv6: the queries are read again as 19-byte ones (fuzz_policy.c)
    q6 = lambda addr, proto, port: socket.inet_pton(socket.AF_INET6, addr) + \
        struct.pack("!BH", proto, port)
    yield "ipv6", (b"+2001:db8:100::/64\n+tcp:[2001:db8::/32]:443\n-[2001:db8::53]\n"
                   b"+icmpv6:\n+udp:[ff02::fb]:5353\n-fd00::/8\n\0" +
                   q6("2001:db8:100::2", 17, 9) + q6("2001:db8:7::1", 6, 443) +
                   q6("fd00:1:2:3::1", 17, 53) + q6("2606:4700::1111", 58, 0))
    yield "ipv6-sandbox", (b"-0.0.0.0/0\n+@host\n+64:ff9b::/96\n+tcp:[::]:22\n\0" +
                           q6("fe80::1", 17, 53) + q6("64:ff9b::808:808", 17, 53) +
                           q6("2a00::1", 6, 22) + q6("::ffff:1.2.3.4", 6, 443))


def dhcp_message(msg_type, options=b"", chaddr=VM, overload_fields=b""):
    fixed = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, 0x11223344, 0, 0x8000, 0, 0, 0, 0)
    fixed += chaddr + b"\0" * 10
    sname_file = overload_fields.ljust(192, b"\0")
    opts = bytes([53, 1, msg_type]) + options + b"\xff"
    return fixed + sname_file + struct.pack("!I", 0x63825363) + opts


def dhcp_msg_seeds():
    yield "discover", dhcp_message(1, bytes([55, 4, 1, 3, 6, 15]) + bytes([57, 2, 5, 220]))
    yield "request", dhcp_message(3, bytes([50, 4]) + ip4("192.168.64.2") + bytes([54, 4]) +
                                  ip4(GATEWAY) + bytes([61, 7, 1]) + VM)
    yield "decline", dhcp_message(4, bytes([50, 4]) + ip4("192.168.64.2"))
    yield "overload", dhcp_message(1, bytes([52, 1, 3]),
                                   overload_fields=bytes([12, 3]) + b"vm1" + b"\xff")
    yield "bootp", dhcp_message(1)[:-4] + b"\xff"


def dns_name(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def dns_seeds():
    q = struct.pack("!HHHHHH", 0xbeef, 0x0100, 1, 0, 0, 0) + dns_name("www.Example.com") + \
        struct.pack("!HH", 1, 1)
    yield "query", q
    # an answer: CNAME www -> cdn.example.net, A record for it; names compressed (0xc00c)
    ans = struct.pack("!HHHHHH", 0xbeef, 0x8180, 1, 2, 0, 0) + dns_name("www.example.com") + \
        struct.pack("!HH", 1, 1)
    target = dns_name("cdn.example.net")
    ans += b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, len(target)) + target
    ans += b"\xc0\x2d" + struct.pack("!HHIH", 1, 1, 60, 4) + ip4(WAN)
    yield "cname-answer", ans
    yield "pointer-loop", struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0) + b"\xc0\x0c" + \
        struct.pack("!HH", 1, 1)


def stream_seeds():
    def interleave(stream, pieces):
        out = bytearray()
        for i, b in enumerate(stream):
            out.append(b)
            out.append(pieces[i % len(pieces)])
        return bytes(out)
    frame = eth(BRIDGE, VM, 0x0800, ipv4(LEASE, GLOBAL, 17, udp(1, 53)))
    two = (struct.pack("!I", len(frame)) + frame) * 2
    yield "two-frames", b"\1" + interleave(two, [255])
    yield "split", b"\1" + interleave(two, [0, 2, 13, 60])
    yield "bad-length", b"\0" + interleave(two[:len(frame) + 4] + struct.pack("!I", 0) + two,
                                             [7])


def responder_seeds():
    """fuzz_dns: a UDP query answered by echo; a TCP connection with a query and a FIN.
    fuzz_dhcp: DISCOVER, then REQUEST for the offer (well-formed messages, built by the target)."""
    q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + dns_name("www.example.com") + \
        struct.pack("!HH", 1, 1)
    udp = bytes([0, 0, len(q)]) + q + bytes([3, 0, 0])                 # query, echo on socket 0
    tq = struct.pack("!H", len(q)) + q
    tcp = (bytes([1, 0, 1, 0]) + bytes([1, 2 * 4, 0])                 # SYN, ACK
           + bytes([1, 1 * 4, len(tq) | 1]) + tq + b"\0"[:len(tq) % 2 == 0]   # data + FIN
           + bytes([5, 0, 0, 3, 0, 0, 4, 0, 0, 1, 2 * 4, 0]))          # connected, echo, close, ACK
    yield "dns", "udp-query", udp
    yield "dns", "tcp-half-close", tcp
    yield "dhcp", "discover-request", bytes([1, 3, 0, 0, 0, 1, 3, 2, 0, 14, 4, 0])
    yield "dhcp", "renew-after-lock", bytes([1, 3, 0, 0, 0, 1, 3, 2, 0, 14, 3, 0, 2, 30, 0,
                                             0x81, 3, 2, 0, 1, 4, 0, 3, 0, 4, 0])


def server_name_seeds():
    data = Path(__file__).resolve().parents[1] / "data"
    yield "tls-github", (data / "client-hello-github.com.bin").read_bytes()
    yield "tls-no-sni", (data / "client-hello-no-sni.bin").read_bytes()
    yield "http-host", b"GET / HTTP/1.1\r\nHost: Example.com:8080\r\nAccept: */*\r\n\r\n"
    yield "http-no-host", b"POST /x HTTP/1.0\r\nContent-Length: 0\r\n\r\n"
    yield "ssh", b"SSH-2.0-OpenSSH_9.2p1\r\n"


def checked_flow(*events):
    """fuzz_name_check.c's input: (op, offset, payload) events of one checked flow."""
    out = b""
    for op, offset, payload in events:
        out += struct.pack("<BH", op, offset)
        if op in (0, 1):
            out += bytes([len(payload)]) + payload
    return out


def name_check_seeds():
    ok = b"GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n"
    evil = b"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n"
    hello = (Path(__file__).resolve().parents[1] / "data" / "client-hello-github.com.bin").read_bytes()
    yield "one-request", checked_flow((0, 0, ok), (2, 0, b""))
    yield "keep-alive", checked_flow((0, 0, ok), (2, 0, b""), (0, len(ok), evil))
    yield "pipelined", checked_flow((0, 0, ok + evil[:20]), (0, len(ok) + 20, evil[20:]))
    yield "split-head", checked_flow((0, 0, ok[:10]), (0, 10, ok[10:]), (2, 0, b""))
    yield "decoy-lost", checked_flow((1, 0, ok), (0, 0, evil))
    yield "decoy-lost-old-ack", checked_flow((1, 0, ok), (3, len(ok), b""), (0, 0, evil))
    yield "leading-crlf", checked_flow((0, 0, b"\r\n" + evil))
    yield "absolute-uri", checked_flow((0, 0, b"GET http://evil.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n"))
    yield "post-body", checked_flow((0, 0, b"POST / HTTP/1.1\r\nHost: allowed.test\r\n"
                                           b"Content-Length: 5\r\n\r\nhello"), (0, 69, evil))
    yield "chunked", checked_flow((0, 0, b"POST / HTTP/1.1\r\nHost: allowed.test\r\n"
                                         b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
                                  (0, 84, ok))
    yield "tls-split", checked_flow((0, 0, hello[:200]), (0, 200, hello[200:400]),
                                    (0, 400, hello[400:]), (2, 0, b""))


def dns_answer(qname, records):
    """A response to an A question for @qname with @records: (owner, type, ttl, rdata)."""
    msg = struct.pack("!HHHHHH", 0x1234, 0x8180, 1, len(records), 0, 0) + dns_name(qname)
    msg += struct.pack("!HH", 1, 1)
    for owner, rtype, ttl, rdata in records:
        msg += dns_name(owner) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return msg


def names_seeds():
    a = lambda text: ip4(text)
    yield "a", dns_answer("allowed.test", [("allowed.test", 1, 30, a("1.2.3.4"))])
    yield "cname-chain", dns_answer("www.cdn.test", [
        ("www.cdn.test", 5, 300, dns_name("edge.example")),
        ("edge.example", 1, 60, a("203.0.113.5")), ("edge.example", 1, 60, a("1.2.3.4"))])
    yield "rebinding", dns_answer("x.cdn.test", [("x.cdn.test", 1, 5, a("169.254.169.254")),
                                                ("x.cdn.test", 1, 5, a("127.0.0.1"))])
    yield "block", dns_answer("bad.cdn.test", [("bad.cdn.test", 1, 30, a("9.9.9.9"))])
    yield "aaaa", dns_answer("allowed.test", [("allowed.test", 28, 30, ip6("2001:db8::1234"))])
    yield "rebinding6", dns_answer("allowed.test", [
        ("allowed.test", 28, 5, ip6(x)) for x in
        ("::1", "fe80::1", "fd00:1:2:3::5", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe",
         "2002:7f00:1::1", "ff02::1", "fec0::1")])


def control_seeds():
    yield "stats", b'{"cmd":"stats"}'
    yield "rule-add", b'{"cmd":"rule-add","verdict":"allow","rule":"tcp:*.github.com:443"}'
    yield "rule-del", b'{"cmd":"rule-del","verdict":"block","rule":"10.0.0.0/8"}'
    yield "bad", b'{"cmd":"rule-add","verdict":"allow","rule":1}'
    yield "expose-add", b'{"cmd":"expose-add","spec":"127.0.0.1:8080-8081:80-81/udp"}'
    yield "exposes", b'{"cmd":"exposes"}'
    yield "flows", b'{"cmd":"flows"}'
    yield "metrics", b'{"cmd":"metrics"}'
    yield "reload", b'{"cmd":"reload"}'
    yield "pcap-start", b'{"cmd":"pcap-start","file":"/var/tmp/vm1.pcap"}'
    yield "pcap-start-rel", b'{"cmd":"pcap-start","file":"vm1.pcap"}'
    yield "pcap-stop", b'{"cmd":"pcap-stop"}'


def policy_file_seeds():
    yield "build-vm", (b"# the build VM: GitHub and Debian, nothing else\n"
                       b"block 0.0.0.0/0\n"
                       b"allow tcp:github.com:443, tcp:*.github.com:443   # GitHub\n"
                       b"\tallow\ttcp:deb.debian.org:80\r\n"
                       b"allow @host\n\n")
    yield "ports", b"allow udp:10.0.0.0/8:53-54\nblock icmp:@host\nblock 47\n"
    yield "bad-line", b"allow 10.0.0.0/8\npermit 1.2.3.4\n"
    yield "empty-rule", b"allow ,\nblock 1.2.3.4,,\n"
    yield "host-bits", b"block 10.0.0.1/8 # wrong\n"
    yield "no-newline", b"block udp::53"


# ---- IPv6 (fuzz_ipv6.c, fuzz_ndp.c) ---------------------------------------------------------
PREFIX6 = "fd00:1:2:3::"
VM_LL6, GW6, GW_LL6 = "fe80::5054:ff:fe12:3456", "fd00:1:2:3::1", "fe80::1"
CLAIMED6 = "fd00:1:2:3:200::10"     # the first of fuzz_ipv6.c's claimed addresses
WAN6 = "2001:db8::1"
ALL_NODES6, ALL_ROUTERS6, MLDV2 = "ff02::1", "ff02::2", "ff02::16"
GW_MAC6 = bytes.fromhex("027376400001")


def ip6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def mcast_mac6(a):
    return b"\x33\x33" + ip6(a)[12:]


def solicited6(a):
    return socket.inet_ntop(socket.AF_INET6, ip6("ff02::1:ff00:0")[:13] + ip6(a)[13:])


def ipv6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, ip6(src), ip6(dst)) + \
        payload


def ext(nh, body=b"\0" * 6):
    """An extension header of 8-byte units: next header, length, then @body (padded)."""
    body += b"\0" * (-(len(body) + 2) % 8)
    return struct.pack("!BB", nh, (len(body) + 2) // 8 - 1) + body


def frag6(nh, offset=0, more=False, ident=7):
    return struct.pack("!BBHI", nh, 0, offset << 3 | int(more), ident)


def icmp6(src, dst, kind, body, code=0):
    pseudo = ip6(src) + ip6(dst) + struct.pack("!IxxxB", 4 + len(body), 58)
    csum = checksum(pseudo + struct.pack("!BBH", kind, code, 0) + body)
    return struct.pack("!BBH", kind, code, csum) + body


def nd(src, dst, kind, body, via=b"", nh_first=58):
    """ND message (hop limit 255), after the extension headers @via (their first is @nh_first)."""
    return ipv6(src, dst, nh_first if via else 58, via + icmp6(src, dst, kind, body), 255)


def ns_body(target, sllao=None):
    return b"\0" * 4 + ip6(target) + (b"\x01\x01" + sllao if sllao else b"")


def na_body(target, flags, tllao=VM):
    return bytes([flags, 0, 0, 0]) + ip6(target) + b"\x02\x01" + tllao


def ra_body():
    pio = struct.pack("!BBBBIII16s", 3, 4, 64, 0xc0, 86400, 14400, 0, ip6("2001:db8:bad::"))
    return struct.pack("!BBHII", 64, 0, 1800, 0, 0) + b"\x01\x01" + OTHER + pio


def vm6(dst_mac, ip_packet):
    return eth(dst_mac, VM, 0x86dd, ip_packet)


def host6(dst_mac, ip_packet):
    return eth(dst_mac, BRIDGE, 0x86dd, ip_packet)


def ipv6_seeds():
    vm, host, claimed = b"\x02", b"\x03", b"\x02"  # control bytes: VM, host, with claims
    yield "rs", b"\x00" + vm6(mcast_mac6(ALL_ROUTERS6), nd(VM_LL6, ALL_ROUTERS6, 133, b"\0" * 4 +
                                                           b"\x01\x01" + VM))
    yield "rs-unspecified", b"\x00" + vm6(mcast_mac6(ALL_ROUTERS6),
                                          nd("::", ALL_ROUTERS6, 133, b"\0" * 4))
    yield "dad", b"\x00" + vm6(mcast_mac6(solicited6(CLAIMED6)),
                               nd("::", solicited6(CLAIMED6), 135, ns_body(CLAIMED6)))
    yield "ns-gateway", claimed + vm6(mcast_mac6(solicited6(GW6)),
                                      nd(CLAIMED6, solicited6(GW6), 135, ns_body(GW6, VM)))
    yield "na-own", claimed + vm6(GW_MAC6, nd(CLAIMED6, GW_LL6, 136, na_body(CLAIMED6, 0x60)))
    yield "na-gateway", claimed + vm6(mcast_mac6(ALL_NODES6),
                                      nd(CLAIMED6, ALL_NODES6, 136, na_body(GW6, 0xa0)))
    mld = struct.pack("!HH", 0, 1) + struct.pack("!BBH16s", 4, 0, 0, ip6("ff02::1:ff12:3456"))
    hbh_ra = ext(58, b"\x05\x02\x00\x00\x01\x00")  # Router Alert, PadN
    yield "mld2-report", b"\x00" + vm6(mcast_mac6(MLDV2), ipv6(VM_LL6, MLDV2, 0, hbh_ra + icmp6(
        VM_LL6, MLDV2, 143, mld), 1))
    yield "ra", b"\x00" + vm6(mcast_mac6(ALL_NODES6), nd(VM_LL6, ALL_NODES6, 134, ra_body()))
    yield "ra-hbh", b"\x00" + vm6(mcast_mac6(ALL_NODES6), nd(VM_LL6, ALL_NODES6, 134, ra_body(),
                                                           ext(58), 0))
    yield "ra-fragment", b"\x00" + vm6(mcast_mac6(ALL_NODES6), nd(
        VM_LL6, ALL_NODES6, 134, ra_body(), frag6(58, 0, True), 44))
    yield "ra-long-chain", b"\x00" + vm6(mcast_mac6(ALL_NODES6), nd(
        VM_LL6, ALL_NODES6, 134, ra_body(), b"".join(ext(60) for _ in range(8)) + ext(58), 60))
    yield "later-fragment", b"\x00" + vm6(mcast_mac6(ALL_NODES6), ipv6(
        VM_LL6, ALL_NODES6, 44, frag6(58, 8) + b"\x86\0\0\0" + bytes(16), 255))
    yield "later-fragment-header", b"\x00" + vm6(mcast_mac6(ALL_NODES6), ipv6(
        VM_LL6, ALL_NODES6, 44, frag6(60, 8) + ext(58) + bytes(16), 255))
    yield "truncated", b"\x00" + vm6(GW_MAC6, ipv6(VM_LL6, WAN6, 0, ext(60)[:6]))
    yield "routing0", claimed + vm6(GW_MAC6, ipv6(CLAIMED6, WAN6, 43, struct.pack(
        "!BBBB4x16s", 17, 2, 0, 1, ip6("2001:db8::99")) + udp(1000, 53)))
    yield "ah-udp", claimed + vm6(GW_MAC6, ipv6(CLAIMED6, WAN6, 51, struct.pack(
        "!BBHII", 17, 2, 0, 1, 1) + b"\0" * 4 + udp(1000, 53)))
    yield "redirect", claimed + vm6(GW_MAC6, nd(CLAIMED6, VM_LL6, 137, b"\0" * 4 + ip6(WAN6) +
                                                ip6(GW6)))
    yield "dhcp6-server", claimed + vm6(mcast_mac6("ff02::1:2"), ipv6(
        VM_LL6, "ff02::1:2", 17, udp(547, 546)))
    yield "ping-wan", bytes([0x02 | 4]) + vm6(GW_MAC6, ipv6(
        CLAIMED6, WAN6, 58, icmp6(CLAIMED6, WAN6, 128, b"\0\1\0\1ping")))
    yield "dns-gateway", claimed + vm6(GW_MAC6, ipv6(CLAIMED6, GW6, 17, udp(4000, 53, b"\0" * 12)))
    yield "syn-443", bytes([0x02 | 12]) + vm6(GW_MAC6, ipv6(CLAIMED6, WAN6, 6, tcp(4000, 443, b"")))
    yield "mapped", claimed + vm6(GW_MAC6, ipv6(CLAIMED6, "::ffff:10.0.0.1", 17, udp(1, 2)))
    yield "host-ns", host + host6(mcast_mac6(solicited6(CLAIMED6)), nd(
        GW_LL6, solicited6(CLAIMED6), 135, ns_body(CLAIMED6, GW_MAC6)))
    yield "host-na", host + host6(VM, nd(GW_LL6, CLAIMED6, 136, na_body(WAN6, 0x60, GW_MAC6)))
    yield "host-echo-reply", host + host6(VM, ipv6(WAN6, CLAIMED6, 58, icmp6(
        WAN6, CLAIMED6, 129, b"\0\1\0\1ping")))
    yield "host-ra", host + host6(mcast_mac6(ALL_NODES6), nd(GW_LL6, ALL_NODES6, 134, ra_body()))
    yield "host-mdns", bytes([0x03 | 4]) + host6(mcast_mac6("ff02::fb"), ipv6(
        "fe80::99", "ff02::fb", 17, udp(5353, 5353)))


def ndp_seeds():
    """Commands of fuzz_ndp.c: [command, length, bytes...]; time passes by the length."""
    def c(cmd, *args):
        return bytes([cmd, len(args)]) + bytes(args)

    def wait(seconds):
        return bytes([3, seconds]) + bytes(seconds)
    rs, ns, lock, loop, active, other = 1, 2, 4, 5, 6, 7
    yield "rs", c(rs, 0, 1) + c(rs, 0, 1) + wait(4) + c(rs, 0, 0)
    yield "dad-then-use", c(ns, 3, 0) + c(ns, 1, 3 | 8) + c(ns, 1, 3 | 4 | 8) + c(active)
    yield "dad-gateway", c(ns, 1, 0) + c(ns, 2, 0)
    yield "dad-taken", c(other, 4) + c(ns, 4, 0) + wait(61) + c(ns, 4, 0) + c(other, 4)
    yield "dad-locked", c(lock) + c(ns, 5, 0) + c(loop) + c(lock) + c(loop) + c(ns, 5, 0)
    yield "ns-spoofed", c(ns, 1, 1 | 8 | 16) + c(ns, 6, 2)
    yield "refresh", c(active) + wait(90) + c(active) + wait(95) * 40 + c(active)
    yield "raw-dad", b"\x00" + bytes([len(dad := vm6(mcast_mac6(solicited6(CLAIMED6)), nd(
        "::", solicited6(CLAIMED6), 135, ns_body(CLAIMED6))))]) + dad


def tcp_lite_seeds():
    mss = bytes([2, 4, 0x05, 0xb4])
    syn = bytes([0, 1]) + mss  # a SYN with its MSS option (arg & 15 = 1 word)
    ack = bytes([2, 0xff])
    data = bytes([1, 10]) + b"q" * 70  # 70 bytes in order
    fin = bytes([1, 1]) + b"z" * 7  # 7 bytes and the FIN
    write, read, tick = bytes([5, 3]), bytes([4, 200]), bytes([7, 10])
    yield "query-answer", syn + ack + data + read + write + ack + bytes([6, 0]) + ack + fin + ack
    yield "lost-ack", syn + ack + write + tick + tick + tick + ack + bytes([8, 0])
    yield "window-closed", syn + bytes([2, 0]) + write + tick + bytes([2, 0x40]) + tick
    yield "raw-rst", syn + ack + bytes([3, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0x10])
    yield "out-of-order", syn + ack + bytes([3, 1, 0, 50, 0, 0, 0, 0, 0x18, 2, 0, 0x20]) + b"x" * 194
    yield "syn-options", bytes([0, 4, 1, 1, 8, 10]) + b"\0" * 8 + bytes([2, 4, 0, 0]) + ack


def expose_seeds():
    for i, spec in enumerate(["2222:22", "127.0.0.1:8080:80", "5000-5009:5000-5009/udp",
                              "8080:80/tcp", "0:1", "1-1024:1-1024", "65535:65535/udp",
                              "1.2.3.4:5:6:7", "10.0.0.1:99999:1", "80-79:80-79", "80:80/sctp"]):
        yield f"spec{i}", spec.encode()


def reject_seeds():
    seq = struct.pack("!I", 12345)
    yield "tcp-syn", seq + vm_ip(BRIDGE, LEASE, WAN, 6, tcp(40000, 443))
    yield "tcp-ack", seq + vm_ip(BRIDGE, LEASE, WAN, 6, struct.pack(
        "!HHIIBBHHH", 40000, 443, 7, 9, 0x50, 0x18, 1024, 0, 0) + b"data")
    yield "udp", seq + vm_ip(BRIDGE, LEASE, WAN, 17, udp(40000, 7))
    yield "udp-options", seq + vm_ip(BRIDGE, LEASE, WAN, 17, udp(1, 7), options=bytes([148, 4, 0, 0]))
    yield "ping", seq + vm_ip(BRIDGE, LEASE, WAN, 1, icmp(8))
    yield "icmp-error", seq + vm_ip(BRIDGE, LEASE, WAN, 1, icmp(3))
    yield "frag-later", seq + vm_ip(BRIDGE, LEASE, WAN, 17, b"x" * 32, frag=4)
    yield "short", seq + vm_ip(BRIDGE, LEASE, WAN, 47, b"")


def arp_seeds():
    yield "request", eth(BCAST, BRIDGE, 0x0806, arp(1, BRIDGE, GATEWAY, LEASE))
    yield "reply", eth(VM, BRIDGE, 0x0806, arp(2, BRIDGE, GATEWAY, LEASE, VM))
    yield "probe", eth(BCAST, VM, 0x0806, arp(1, VM, "0.0.0.0", LEASE))
    yield "short", eth(BCAST, BRIDGE, 0x0806, arp(1, BRIDGE, GATEWAY, LEASE))[:30]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    for target, seeds in (("guard", guard_seeds()), ("policy", policy_seeds()),
                          ("offload", offload_seeds()), ("dhcp_msg", dhcp_msg_seeds()),
                          ("dns_msg", dns_seeds()), ("vm_stream", stream_seeds()),
                          ("server_name", server_name_seeds()), ("names", names_seeds()),
                          ("control", control_seeds()), ("name_check", name_check_seeds()),
                          ("policy_file", policy_file_seeds()),
                          ("ipv6", ipv6_seeds()), ("ndp", ndp_seeds()),
                          ("vnet_hdr", vnet_hdr_seeds()), ("tcp_lite", tcp_lite_seeds()),
                          ("expose", expose_seeds()), ("reject", reject_seeds()),
                          ("arp", arp_seeds())):
        (out / target).mkdir(parents=True, exist_ok=True)
        for name, data in seeds:
            (out / target / name).write_bytes(data)
    for target, name, data in responder_seeds():
        (out / target).mkdir(parents=True, exist_ok=True)
        (out / target / name).write_bytes(data)


if __name__ == "__main__":
    main()
