#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# obs_cost.sh — what --pcap, --pcap-drops and --audit cost the frame path: sock-vmnet's TCP throughput with them off and on, interleaved in one run
#
#   bench/obs_cost.sh [ROUNDS] [SECONDS]        (default 3 rounds of 10 s per figure)
#
# Each round runs bench/run.sh once per configuration (sock-vmnet only, TCP both ways, MTU
# 1500), in the order off, pcap, audit, all — so that drift of the shared machine falls on
# every configuration alike — and prints the median Gbit/s of each and its ratio to "off".
# The captures and the audit write into a scratch directory (removed at the end), the
# captures with --pcap-size=1G so that no rotation hides what a full-speed capture costs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rounds=${1:-3}
seconds=${2:-10}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

declare -A opts=(
	[off]=""
	[pcap]="--pcap=$scratch/pass.pcap --pcap-drops=$scratch/drops.pcap --pcap-size=1G --metrics=$scratch/m.prom"
	[audit]="--audit=$scratch/audit.jsonl --control=$scratch/ctl.sock"
	[all]="--pcap=$scratch/pass.pcap --pcap-drops=$scratch/drops.pcap --pcap-size=1G --audit=$scratch/audit.jsonl --control=$scratch/ctl.sock --metrics=$scratch/m.prom"
)
order=(off pcap audit all)
for round in $(seq "$rounds"); do
	for cfg in "${order[@]}"; do
		echo "obs_cost: round $round, $cfg" >&2
		rm -f "$scratch"/*.pcap* "$scratch"/*.jsonl "$scratch"/m.prom
		"$HERE/run.sh" --paths sock-vmnet --tests tcp-up,tcp-down --mtus 1500 --runs 1 \
			--duration "$seconds" --pings 10 --idle-seconds 1 --instances 0 \
			--results "$scratch/results-$cfg-$round" --svm-opts "${opts[$cfg]}" \
			>"$scratch/log-$cfg-$round" 2>&1 ||
			{ tail -n 30 "$scratch/log-$cfg-$round"; exit 1; }
		# what the capture wrote and lost (the metrics' last write, at exit)
		if [ -f "$scratch/m.prom" ]; then
			grep -E '^sock_vmnet_pcap_(frames|lost)_total\{.*capture="pcap"' "$scratch/m.prom" |
				sed 's/{.*}//; s/^/obs_cost:   /' >&2
		fi
	done
done
/usr/bin/python3 - "$scratch" "$rounds" <<'PY'
import glob, json, statistics, sys
scratch, rounds = sys.argv[1], int(sys.argv[2])
figures = {}
for path in glob.glob(f"{scratch}/results-*/*.json"):
    cfg = path.split("/results-")[1].split("-")[0]
    for t in json.load(open(path))["throughput"]:
        figures.setdefault((cfg, t["test"]), []).append(t["median_gbps"])
print("| configuration | TCP VM->host Gbit/s | ratio | TCP host->VM Gbit/s | ratio |")
print("|---|---:|---:|---:|---:|")
base = {test: statistics.median(figures[("off", test)]) for test in ("tcp-up", "tcp-down")}
for cfg in ("off", "pcap", "audit", "all"):
    cells = []
    for test in ("tcp-up", "tcp-down"):
        m = statistics.median(figures[(cfg, test)])
        cells += [f"{m:.2f} ({' '.join(f'{v:.2f}' for v in figures[(cfg, test)])})",
                  f"{m / base[test]:.2f}"]
    print(f"| {cfg} | " + " | ".join(cells) + " |")
PY
