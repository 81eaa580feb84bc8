#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# report.py — turns the raw TSV files of bench/run.sh into <out>.json, <out>.md and a <out>.png bar chart
"""Aggregate bench/run.sh measurements: medians, ratios to veth, a Markdown report and a chart.

Input (all in --work): meta.json, throughput.tsv, ping.tsv, rr.tsv, ready.tsv, idle.tsv,
instances.tsv, skipped.tsv, as run.sh writes them. Output: --out + .json/.md/.png.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

PATH_ORDER = ["veth", "null", "null-offload", "sock-vmnet", "svm-offload", "svm-user",
              "svm-user-offload", "slirp4netns", "pasta"]
LABELS = {
    "veth": "veth",
    "null": "null relay",
    "null-offload": "null relay, VM offload",
    "sock-vmnet": "sock-vmnet",
    "svm-offload": "sock-vmnet, VM offload",
    "svm-user": "sock-vmnet user",
    "svm-user-offload": "sock-vmnet user, VM offload",
    "slirp4netns": "slirp4netns",
    "pasta": "pasta",
}
TEST_ORDER = ["tcp-up", "tcp-down", "udp-up", "udp-down"]
TEST_LABELS = {
    "tcp-up": "TCP VM→host",
    "tcp-down": "TCP host→VM",
    "udp-up": "UDP VM→host",
    "udp-down": "UDP host→VM",
}


def read_tsv(path):
    """Rows of a tab-separated file, as lists of strings; [] if it is missing."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def median(values):
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    return "—" if value is None else f"{value:.{digits}f}"


def throughput(rows):
    """Median Gbit/s (and forwarder CPU) per (path, mtu, test), with every run kept."""
    groups = {}
    for path, mtu, test, run, gbps, extra, cpu_fwd, cpu_pump in rows:
        g = groups.setdefault((path, int(mtu), test), [])
        g.append(
            {
                "run": int(run),
                "gbps": float(gbps),
                "extra": float(extra),
                "cpu_forwarder_pct": int(cpu_fwd),
                "cpu_pump_pct": int(cpu_pump),
            }
        )
    out = []
    for (path, mtu, test), runs in groups.items():
        proto = test.split("-")[0]
        out.append(
            {
                "path": path,
                "mtu": mtu,
                "test": test,
                "median_gbps": median([r["gbps"] for r in runs]),
                "median_" + ("retransmits" if proto == "tcp" else "lost_percent"): median(
                    [r["extra"] for r in runs]
                ),
                "median_cpu_forwarder_pct": median([r["cpu_forwarder_pct"] for r in runs]),
                "median_cpu_pump_pct": median([r["cpu_pump_pct"] for r in runs]),
                "runs": runs,
            }
        )
    base = {(t["mtu"], t["test"]): t["median_gbps"] for t in out if t["path"] == "veth"}
    for t in out:
        b = base.get((t["mtu"], t["test"]))
        t["ratio_to_veth"] = t["median_gbps"] / b if b else None
    return out


def pings(rows):
    out = {}
    for path, mtu, count, rtts in rows:
        values = [int(v) for v in rtts.split()]
        out[path] = {
            "mtu": int(mtu),
            "sent": int(count),
            "received": len(values),
            "median_us": median(values),
            "mean_us": statistics.fmean(values),
            "min_us": min(values),
            "max_us": max(values),
        }
    base = out.get("veth", {}).get("median_us")
    for p in out.values():
        p["added_over_veth_us"] = p["median_us"] - base if base is not None else None
    return out


# What a forwarder's own round trip is measured against: sock-vmnet's paths against the null
# relay of the same offload mode (the pump and the datagram socket are the hypervisor's hop,
# which slirp4netns and pasta, sitting on the VM's TAP, do not have), the others against veth.
RR_BASELINE = {"sock-vmnet": "null", "svm-user": "null", "svm-offload": "null-offload",
               "svm-user-offload": "null-offload"}


def request_response(rows):
    """bench/rr.c per path: transactions, mean/median/p99 µs, the median added over veth, and
    the forwarder's own share (over RR_BASELINE's path)."""
    out = {}
    for path, mtu, n, mean, med, p99 in rows:
        out[path] = {"mtu": int(mtu), "transactions": int(n), "mean_us": float(mean),
                     "median_us": float(med), "p99_us": float(p99)}
    base = out.get("veth", {}).get("median_us")
    for path, r in out.items():
        r["added_over_veth_us"] = r["median_us"] - base if base is not None else None
        own = out.get(RR_BASELINE.get(path, "veth"), {}).get("median_us")
        r["own_share_us"] = r["median_us"] - own if own is not None and path != "veth" else None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", required=True, help="run.sh scratch directory")
    ap.add_argument("--out", required=True, help="output path without extension")
    args = ap.parse_args()
    w = lambda name: os.path.join(args.work, name)  # noqa: E731

    with open(w("meta.json"), encoding="utf-8") as f:
        report = json.load(f)
    report["throughput"] = throughput(read_tsv(w("throughput.tsv")))
    report["ping"] = pings(read_tsv(w("ping.tsv")))
    report["rr"] = request_response(read_tsv(w("rr.tsv")))
    ready = {}
    for path, mtu, svc_ms, vm_ms in read_tsv(w("ready.tsv")):
        ready.setdefault(path, []).append((int(svc_ms), int(vm_ms)))
    report["start_to_ready_ms"] = {
        p: {
            "forwarder_median": median([a for a, _ in v]),
            "vm_online_median": median([b for _, b in v]),
            "samples": [{"forwarder": a, "vm_online": b} for a, b in v],
        }
        for p, v in ready.items()
    }
    report["idle"] = {
        path: {
            "seconds": int(secs),
            "cpu_pct": float(cpu),
            "ctx_switches_per_s": float(ctx),
            "rss_kb": int(rss),
            "pss_kb": int(pss),
            "threads": int(threads),
        }
        for path, secs, cpu, ctx, rss, pss, threads in read_tsv(w("idle.tsv"))
    }
    report["instances"] = [
        {"path": p, "count": int(n), "rss_kb_total": int(rss), "pss_kb_total": int(pss),
         "start_ms": int(ms)}
        for p, n, rss, pss, ms in read_tsv(w("instances.tsv"))
    ]
    report["skipped"] = [
        {"path": p, "mtu": m, "reason": r} for p, m, r in read_tsv(w("skipped.tsv"))
    ]

    with open(args.out + ".json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
        f.write("\n")

    md = markdown(report)
    with open(args.out + ".md", "w", encoding="utf-8") as f:
        f.write(md)
    sys.stdout.write(md)
    chart(report, args.out, args.work)


def present_paths(report):
    seen = {t["path"] for t in report["throughput"]} | {s["path"] for s in report["skipped"]}
    return [p for p in PATH_ORDER if p in seen or p in report["config"]["paths"]]


def markdown(report):
    c = report["config"]
    paths = present_paths(report)
    tp = {(t["path"], t["mtu"], t["test"]): t for t in report["throughput"]}
    lines = [
        f"## sock-vmnet benchmark {report['timestamp']}",
        "",
        f"{report['machine']['cpus']} CPUs ({report['machine']['cpu']}), kernel "
        f"{report['machine']['kernel']}; median of {c['runs']} run(s) of {c['duration_s']} s"
        + (" (--quick)" if c["quick"] else "")
        + f"; sock-vmnet {report['versions']['sock-vmnet']}, passt {report['versions']['passt']}, "
        f"{report['versions']['slirp4netns']}, {report['versions']['iperf3']}.",
        "",
    ]
    m = report["machine"]
    if max(m.get("busy_pct_before", 0), m.get("busy_pct_after", 0)) > 10:
        lines += [
            f"**The machine was busy with other work** ({m['busy_pct_before']}% of its CPU "
            f"before the run, {m['busy_pct_after']}% after; load {m['loadavg_after']}): "
            "the figures are low and noisy.",
            "",
        ]
    lines += [
        "Throughput in Gbit/s (ratio to veth). VM→host is the iperf3 client in the VM sending; "
        + ("UDP is the highest rate that lost < 0.1 % (iperf3 -b, bisected below what arrived unpaced)"
           if c.get("udp_rate") == "search"
           else f"UDP is paced at -b {c['udp_rate']}" if c.get("udp_rate", "0") != "0" else "UDP is unpaced (-b 0)")
        + " with one frame per datagram, and counts what arrived.",
        "",
        "| test | MTU | " + " | ".join(LABELS[p] for p in paths) + " |",
        "|---|---:|" + "---:|" * len(paths),
    ]
    for mtu in c["mtus"]:
        for test in TEST_ORDER:
            cells = []
            for p in paths:
                t = tp.get((p, mtu, test))
                if t is None:
                    cells.append("—")
                elif t["ratio_to_veth"] is None:
                    cells.append(fmt(t["median_gbps"]))
                else:
                    cells.append(f"{fmt(t['median_gbps'])} ({t['ratio_to_veth']:.2f})")
            if any(cell != "—" for cell in cells):
                lines.append(f"| {TEST_LABELS[test]} | {mtu} | " + " | ".join(cells) + " |")

    cpu_rows = []
    for mtu in c["mtus"]:
        for test in TEST_ORDER:
            cells = []
            for p in paths:
                t = tp.get((p, mtu, test))
                if t is None or p == "veth":
                    cells.append("—")
                elif t["median_cpu_pump_pct"]:
                    cells.append(f"{t['median_cpu_forwarder_pct']:.0f} + {t['median_cpu_pump_pct']:.0f}")
                else:
                    cells.append(f"{t['median_cpu_forwarder_pct']:.0f}")
            if any(cell != "—" for cell in cells):
                cpu_rows.append(f"| {TEST_LABELS[test]} | {mtu} | " + " | ".join(cells) + " |")
    if cpu_rows:
        lines += [
            "",
            "CPU % of the forwarder during the runs (+ the pump, for the paths that use it; "
            "100 = one core of the 2):",
            "",
            "| test | MTU | " + " | ".join(LABELS[p] for p in paths) + " |",
            "|---|---:|" + "---:|" * len(paths),
        ] + cpu_rows

    if report["ping"]:
        lines += [
            "",
            f"Ping RTT, {c['pings']} pings 10 ms apart, µs:",
            "",
            "| path | median | mean | min | max | added over veth (median) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for p in paths:
            r = report["ping"].get(p)
            if r:
                lines.append(
                    f"| {LABELS[p]} | {r['median_us']:.0f} | {r['mean_us']:.0f} | {r['min_us']} | "
                    f"{r['max_us']} | {fmt(r['added_over_veth_us'], 0)} |"
                )

    if report["rr"]:
        lines += [
            "",
            f"Request/response (bench/rr.c, like netperf TCP_RR): 1 byte each way over one TCP "
            f"connection, back to back, {c.get('rr_s', '?')} s, µs per round trip. *The "
            f"forwarder's own share*: sock-vmnet's paths over the null relay of the same offload "
            f"mode (the pump and the socket are the hypervisor's hop, which slirp4netns and pasta "
            f"on the VM's TAP do not have), the others over veth:",
            "",
            "| path | transactions/s | median | mean | p99 | added over veth (median) | "
            "the forwarder's own share |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for p in paths:
            r = report["rr"].get(p)
            if r:
                rate = r["transactions"] / c["rr_s"] if c.get("rr_s") else 0
                lines.append(
                    f"| {LABELS[p]} | {rate:.0f} | {r['median_us']:.1f} | {r['mean_us']:.1f} | "
                    f"{r['p99_us']:.1f} | {fmt(r['added_over_veth_us'], 1)} | "
                    f"{fmt(r.get('own_share_us'), 1)} |"
                )

    if report["idle"] or report["start_to_ready_ms"]:
        lines += [
            "",
            f"The forwarder at rest ({c['idle_s']} s sample after the MTU {c['mtus'][0]} runs), "
            "and its start: *ready* is launch until the forwarder is ready (null relay: its TAP "
            "on the bridge; sock-vmnet: its \"ready\" log line; slirp4netns, pasta: the VM's "
            "address configured), *VM online* is launch until the VM's first ping is answered "
            "(for sock-vmnet after a DHCP exchange with busybox udhcpc). Medians over the MTUs.",
            "",
            "| path | CPU % | context switches/s | RSS kB | PSS kB | threads | ready ms | VM online ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for p in paths:
            i = report["idle"].get(p)
            r = report["start_to_ready_ms"].get(p)
            if not i and not r:
                continue
            ready = (f"{fmt(r['forwarder_median'], 0)} | {fmt(r['vm_online_median'], 0)}"
                     if r else "— | —")
            if i:
                lines.append(
                    f"| {LABELS[p]} | {i['cpu_pct']:.4f} | {i['ctx_switches_per_s']:.2f} | "
                    f"{i['rss_kb']} | {i['pss_kb']} | {i['threads']} | {ready} |"
                )
            else:
                lines.append(f"| {LABELS[p]} | — | — | — | — | — | {ready} |")

    for inst in report["instances"]:
        n = max(inst["count"], 1)
        lines += [
            "",
            f"{inst['count']} idle {inst['path']} instances: RSS {inst['rss_kb_total'] / 1024:.1f} MiB in "
            f"all ({inst['rss_kb_total'] / n:.0f} kB each), PSS {inst['pss_kb_total'] / 1024:.1f} MiB "
            f"({inst['pss_kb_total'] / n:.0f} kB each); started one after the other in {inst['start_ms']} ms.",
        ]

    if report["skipped"]:
        lines += ["", "Skipped:", ""]
        lines += [f"- {LABELS.get(s['path'], s['path'])}"
                  + (f", MTU {s['mtu']}" if s["mtu"] != "-" else "") + f": {s['reason']}"
                  for s in report["skipped"]]
    return "\n".join(lines) + "\n"


def chart(report, out, work):
    """Clustered bars, one group per test and MTU, one bar per path, via gnuplot."""
    tp = {(t["path"], t["mtu"], t["test"]): t["median_gbps"] for t in report["throughput"]}
    # only paths with a figure: gnuplot 5.4 crashes on a column with no valid point
    paths = [p for p in present_paths(report) if any(k[0] == p for k in tp)]
    dat = os.path.join(work, "chart.dat")
    rows = 0
    with open(dat, "w", encoding="utf-8") as f:
        f.write("test " + " ".join(f'"{LABELS[p]}"' for p in paths) + "\n")
        for mtu in report["config"]["mtus"]:
            for test in TEST_ORDER:
                vals = [tp.get((p, mtu, test)) for p in paths]
                if all(v is None for v in vals):
                    continue
                label = TEST_LABELS[test].replace("→", "->") + f"\\n{mtu}"
                f.write(f'"{label}" ' + " ".join("-" if v is None else f"{v:.3f}" for v in vals) + "\n")
                rows += 1
    if rows == 0:
        return
    script = f"""
set terminal pngcairo size 1280,640 font ",10"
set output "{out}.png"
set title "sock-vmnet benchmark {report['timestamp']} (median Gbit/s)"
set datafile missing "-"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top
set key autotitle columnhead
set ylabel "Gbit/s"
set yrange [0:*]
set grid ytics
set bmargin 4
set xrange [-0.6:{rows - 0.4}]
set xtics noenhanced
set key noenhanced
n = {len(paths)}
plot for [i=2:n + 1] "{dat}" using i:xtic(1) title columnheader(i), \
     for [i=2:n + 1] "{dat}" using ($0 + (i - 2 - (n - 1) / 2.0) / (n + 1)):(column(i)):(sprintf("%.1f", column(i))) \
         with labels font ",8" offset 0,0.6 notitle
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


if __name__ == "__main__":
    main()
