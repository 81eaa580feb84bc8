#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# demo.py: "make demo": a QEMU guest on "sock-vmnet run" gets a lease, fetches a page, is refused a spoof.
"""Run as root: /usr/bin/python3 tests/e2e/demo.py

Builds the test guest if needed (tests/guest/), makes private network namespaces (host
and wan, nothing on the machine's own interfaces), boots the guest under QEMU (TCG)
through ``sock-vmnet run``, and prints what happened: the DHCP lease, a page fetched from
the wan host through NAT, a forged source address that the guard refused, and
sock-vmnet's counters. Removes everything it made, on every path.

Exit status: 0 when all of that worked, 1 when something did not, 2 when this machine
cannot run the demo (not root, sock-vmnet not built, no QEMU).
"""

import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e_net as en  # noqa: E402
import qemu_guest as qg  # noqa: E402

FORGED_IP = "192.168.64.200"

SCENARIO = en._TRY_PING + f"""
if ! svm_dhcp; then
    svm_result dhcp none
    svm_static {en.STATIC_CIDR} {en.GATEWAY}
    echo 'nameserver {en.GATEWAY}' > /etc/resolv.conf
fi
svm_ping ping_gw {en.GATEWAY} 2
out=$(nslookup {en.DNS_NAME} 2>&1)
svm_result dns "$(echo "$out" | sed -n '/^Name:/,$p' | grep -o '{en.DNS_ANSWER}' | head -n 1)"
svm_http web {en.WAN_IP} {en.HTTP_PORT} /index.html
svm_result page "$(printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | timeout 15 nc -w 5 {en.WAN_IP} {en.HTTP_PORT} | tail -n 1)"
ip addr add {FORGED_IP}/24 dev eth0
try_ping spoof {en.GATEWAY} -I {FORGED_IP}
ip addr del {FORGED_IP}/24 dev eth0
try_ping after_spoof {en.GATEWAY}
"""


def say(text=""):
    print(text, flush=True)


def check_machine():
    import os
    if os.geteuid() != 0:
        return "the demo needs root (network namespaces, a bridge inside them)"
    if not en.SOCK_VMNET.exists():
        return f"{en.SOCK_VMNET} is not built (ninja -C build)"
    return qg.skip_reason()


def transcript(run) -> bool:
    """Print what the guest did; return True when the demo worked."""
    r, ok = run.r, True
    t = run.result
    say(f"  guest booted in {t.boot_time or 0:.1f} s (QEMU, TCG), eth0 up"
        f"{'' if t.ready_time is None else f' at {t.ready_time:.1f} s'}")
    if r.get("dhcp_event") == "bound":
        say(f"  DHCP lease     {r['lease']}  router {r['lease_router']}  dns {r['lease_dns']}"
            f"  for {r['lease_time']} s")
    else:
        say(f"  DHCP lease     none: no DHCP server answered ({en.STATIC_CIDR} set by hand)")
        ok = False
    say(f"  ping gateway   {en.GATEWAY}: {r.get('ping_gw', '?')}")
    ok &= r.get("ping_gw") == "ok"
    dns = r.get("dns") or "no answer"
    say(f"  DNS            {en.DNS_NAME} -> {dns}  (gateway -> dnsmasq on {en.WAN_IP})")
    say(f"  page fetched   http://{en.WAN_IP}:{en.HTTP_PORT}/index.html -> "
        f"{r.get('web_status') or 'nothing'}")
    page = r.get("page", "")
    if page:
        say(f"                 \"{page}\"")
        if en.HOST_WAN_IP in page:
            say(f"                 (the wan host saw {en.HOST_WAN_IP}, the host's address: NAT)")
    ok &= r.get("web") == "ok"
    refused = r.get("spoof") == "fail"
    say(f"  spoof          ping from a second address {FORGED_IP}: "
        f"{'refused, no reply' if refused else 'NOT refused: it got through'}")
    say(f"                 honest ping afterwards: {r.get('after_spoof', '?')}")
    ok &= refused and r.get("after_spoof") == "ok"
    stats = run.stats
    if stats:
        drops = {k: v for k, v in stats["drops"].items() if v}
        say("  counters       (sock-vmnet's JSON on stderr at exit; SIGUSR1 prints it live)")
        for d in ("vm_to_host", "host_to_vm", "dhcp"):
            say(f"                 {d:<11} {stats[d]['frames']:>6} frames {stats[d]['bytes']:>9} bytes")
        say("                 drops       " + (", ".join(f"{k} {v}" for k, v in
                                                         sorted(drops.items())) or "none"))
        if refused and not stats["drops"].get("ip-src"):
            say("                 (no ip-src drop counted for the forged address)")
            ok = False
    else:
        say("  counters       none printed")
        ok = False
    return ok


def main() -> int:
    why = check_machine()
    if why:
        say(f"demo: cannot run here: {why}")
        return 2
    # SIGTERM (e.g. from make's caller) cleans up like Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    say("sock-vmnet demo: a QEMU guest on `sock-vmnet run`, in private network namespaces")
    say("  preparing the test guest (tests/guest/build-guest.sh) ...")
    image = qg.ensure_guest()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="svm-demo-") as tmp:
        lab = en.Lab(tmp, "demo")
        try:
            args = ["run"] + lab.vmnet_args() + ["--", "qemu-system-x86_64", "...",
                                                "-netdev", "dgram,id=n0,local.type=fd,local.str=3"]
            say("  $ sock-vmnet " + shlex.join(str(a) for a in args))
            say(f"  wan host {en.WAN_IP}: dnsmasq, a web server; host side {en.HOST_WAN_IP}")
            say("  booting (about 10-20 s under TCG) ...")
            run = lab.boot(SCENARIO, "run", image=image, timeout=90, name="demo")
        except (AssertionError, RuntimeError, OSError) as e:
            say(f"demo FAILED: {e}")
            return 1
        finally:
            lab.cleanup()
    say()
    ok = run.result.done and transcript(run)
    say()
    say(f"demo {'ok' if ok else 'FAILED'} in {time.monotonic() - t0:.0f} s "
        f"(console: {run.result.console_log}, sock-vmnet log: {run.vmnet_log.path})")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("demo: interrupted; everything it made is removed")
        sys.exit(130)
