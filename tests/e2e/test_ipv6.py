# SPDX-License-Identifier: MIT
# test_ipv6.py: the QEMU guest's Linux kernel on IPv6: SLAAC, DAD, privacy addresses, ping6, NAT66, DNS.
"""One boot with the guest kernel's IPv6 on (tests/e2e/e2e_net.py, Lab(ipv6=True)): the kernel
solicits a router, takes the advertised prefix (SLAAC, RFC 4862) for its EUI-64 address and a
temporary one (RFC 8981, use_tempaddr=2), checks both with duplicate address detection, then
pings the gateway (global and link-local), fetches a page from the wan host's IPv6 address
through NAT66 and asks sock-vmnet's DNS over IPv6 for an AAAA record. Its IPv4 (DHCP) runs
beside it.

What reached the far side is what is asserted: the wan server's log (the masqueraded source),
the lease database's claims while the guest runs (duplicate address detection as claims),
sock-vmnet's counters (no IPv6 frame of an honest kernel dropped).
Artifacts: build/e2e-artifacts/ipv6.console.log and .sock-vmnet.log.
"""

import ipaddress
import sqlite3

import pytest

import e2e_net as en
from e2e_fixtures import features, image  # noqa: F401 (fixtures)

EUI64_IID = "5054:ff:fe12:3456"  # of en.VM_MAC, 52:54:00:12:34:56 (RFC 4291 appendix A)

# The kernel's IPv6 comes back with privacy addresses on; then up to 20 s for SLAAC and DAD
# of two addresses (DAD: 1 s each by default; the RS goes out within 1 s of link up).
SCENARIO = en._TRY_PING + f"""
ip link set eth0 down
echo 2 > /proc/sys/net/ipv6/conf/eth0/use_tempaddr
ip link set eth0 up
i=0
while [ $i -lt 200 ]; do
    n=$(ip -6 addr show dev eth0 scope global | grep inet6 | grep -vc tentative)
    [ "$n" -ge 2 ] && break
    sleep 0.1
    i=$((i + 1))
done
ip -6 addr show dev eth0
k=0
for a in $(ip -6 -o addr show dev eth0 scope global | awk '{{print $4}}'); do
    svm_result "addr6_$k" "$a"
    k=$((k + 1))
done
svm_result addr6_count "$k"
svm_result dadfailed "$(ip -6 addr show dev eth0 | grep -c dadfailed)"
svm_result ll6 "$(ip -6 -o addr show dev eth0 scope link | awk '{{print $4}}')"
ip -6 route show dev eth0
svm_result route6 "$(ip -6 route show default | head -n 1)"
prefix=$(ip -6 route show dev eth0 | awk '/\\/64/ && !/^fe80/ {{print $1}}' | head -n 1)
svm_result prefix6 "$prefix"
gw6=${{prefix%/64}}1
svm_result gw6 "$gw6"
svm_dhcp || svm_result dhcp fail
try_ping ping6_gw "$gw6" -6
try_ping ping6_ll fe80::1 -6 -I eth0
svm_http web6 {en.WAN6} {en.HTTP_PORT} /over-ipv6
out=$(nslookup -type=aaaa {en.DNS_NAME} "$gw6" 2>&1)
echo "$out"
svm_result dns6_server "$(echo "$out" | sed -n 's/^Server:[[:space:]]*//p' | head -n 1)"
svm_result dns6 "$(echo "$out" | sed -n '/^Name:/,$p' | grep -o '{en.DNS_ANSWER6}' | head -n 1)"
svm_http web4 {en.WAN_IP} {en.HTTP_PORT} /over-ipv4
svm_result checkpoint 1
sleep 1
"""


def claims(db):
    """The addresses the lease database says an instance holds (duplicate address detection)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return sorted(str(ipaddress.IPv6Address(bytes(r[0])))
                      for r in con.execute("SELECT address FROM addr_claims"))
    finally:
        con.close()


@pytest.fixture(scope="module")
def guest6(image, features, tmp_path_factory):
    if not features.dhcp:
        pytest.skip(en.SKIP_NO_DHCP)
    tmp = tmp_path_factory.mktemp("ipv6")
    lab = en.Lab(tmp, "ipv6", ipv6=True)
    try:
        run = lab.boot(SCENARIO, "run", image=image, timeout=150, name="ipv6", ipv6=True,
                       vmnet_extra=en.WAN6_ALLOW, live_stats_after="checkpoint",
                       checkpoint=lambda log: claims(tmp / "leases.db"))
        run.wan_log = lab.wan_log.read_text()
    finally:
        lab.cleanup()
    assert run.result.done, f"the guest did not finish its scenario {run.where()}"
    return run


def addresses(run):
    r = run.r
    return [r[f"addr6_{k}"] for k in range(int(r.get("addr6_count", "0")))]


def test_slaac_and_privacy_addresses_in_the_advertised_prefix(guest6):
    r = guest6.r
    prefix = ipaddress.IPv6Network(r.get("prefix6", "::/128"))
    assert prefix.prefixlen == 64 and prefix.subnet_of(ipaddress.IPv6Network("fd00::/8")), \
        f"not the default unique local /64: {r.get('prefix6')} {guest6.where()}"
    got = [ipaddress.IPv6Interface(a) for a in addresses(guest6)]
    assert len(got) == 2, f"{addresses(guest6)} {guest6.where()}"
    assert all(a.network == prefix for a in got), got
    eui = ipaddress.IPv6Address(int(prefix.network_address) | int(ipaddress.IPv6Address("::" + EUI64_IID)))
    assert eui in [a.ip for a in got], f"no EUI-64 address {got}"
    assert r.get("dadfailed") == "0", guest6.where()
    assert r.get("ll6") == "fe80::" + EUI64_IID + "/64", guest6.where()
    assert "via fe80::1 dev eth0" in r.get("route6", ""), guest6.where()


def test_dad_made_claims_in_the_lease_database(guest6):
    got = [str(ipaddress.IPv6Interface(a).ip) for a in addresses(guest6)]
    assert guest6.checkpoint is not None, guest6.where()
    assert sorted(got) == [a for a in guest6.checkpoint if not a.startswith("fe80")], \
        f"claims {guest6.checkpoint}, the guest's {got}"


def test_ping6_the_gateway(guest6):
    assert guest6.r.get("gw6", "").endswith("::1"), guest6.where()
    assert guest6.r.get("ping6_gw") == "ok", guest6.where()
    assert guest6.r.get("ping6_ll") == "ok", guest6.where()


def test_http_over_nat66_to_the_wan_host(guest6):
    assert guest6.r.get("web6") == "ok", guest6.where()
    # the wan host saw the request from the host's address: NAT66 (masquerade) did it
    assert f"page /over-ipv6 for {en.HOST_WAN6}" in guest6.wan_log, guest6.wan_log
    assert guest6.r.get("web4") == "ok", guest6.where()
    assert f"page /over-ipv4 for {en.HOST_WAN_IP}" in guest6.wan_log, guest6.wan_log


def test_dns_over_ipv6(guest6):
    assert guest6.r.get("dns6_server") == guest6.r.get("gw6"), guest6.where()
    assert guest6.r.get("dns6") == en.DNS_ANSWER6, guest6.where()


def test_dual_stack_with_dhcp(guest6):
    assert guest6.r.get("dhcp_event") == "bound", guest6.where()


@pytest.mark.parametrize("when", ["live", "at_exit"])
def test_nothing_of_an_honest_kernel_dropped(guest6, when):
    stats = guest6.live_stats if when == "live" else guest6.stats
    assert stats is not None, f"no counters {when} {guest6.where()}"
    shown = {k: v for k, v in stats["drops"].items() if v}
    # (host-ndp counts the host side's own MLD reports, RS and DAD, not the VM's)
    ipv6_reasons = {k: v for k, v in shown.items()
                    if k.startswith(("ip6", "ipv6", "ndp", "rogue"))}
    assert not ipv6_reasons, shown
    assert stats["ndp"]["frames"] > 0, stats["ndp"]
