#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh — builds the libFuzzer targets, replays their regression inputs, then runs each for a while: tests/fuzz/run.sh [SECONDS]
#
# SECONDS (default 30) is split between the targets. CI runs it briefly; by hand, run it
# longer and keep the corpus: FUZZ_CORPUS=$HOME/svm-corpus tests/fuzz/run.sh 3600
# Environment: FUZZ_BUILD_DIR (default build-fuzz at the top of the tree), FUZZ_CORPUS
# (default: a temporary directory, removed afterwards), FUZZ_JOBS (parallel workers, 1).
# First every target runs once on each of its inputs in tests/fuzz/regressions/TARGET/
# (inputs that once crashed it, or made a sanitizer speak): any failure stops the script.
# A crash, leak or timeout leaves its input in BUILD/fuzz-artifacts/TARGET/ (crash-*, leak-*,
# timeout-*, oom-*) and fails the script; nothing is written into the source tree.
# Any sanitizer report fails: UndefinedBehaviorSanitizer halts on its first one
# (UBSAN_OPTIONS=halt_on_error=1, before anything UBSAN_OPTIONS already says).
set -eu

seconds=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-1}
targets="fuzz_guard fuzz_policy fuzz_offload fuzz_vnet_hdr fuzz_dhcp_msg fuzz_dns_msg fuzz_vm_stream fuzz_dns fuzz_dhcp fuzz_server_name fuzz_control fuzz_names fuzz_name_check fuzz_policy_file fuzz_ipv6 fuzz_ndp fuzz_tcp_lite fuzz_expose fuzz_reject fuzz_arp"

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzz=true -Db_sanitize=address,undefined -Dwerror=true
fi
build=$(cd "$build" && pwd) # the fuzzers run in the artifacts' directory (below)
# shellcheck disable=SC2046
ninja -C "$build" $(for t in $targets; do echo "tests/fuzz/$t"; done)

# The libraries are built with recoverable UBSan (only the targets' own files are not):
# without this, a report from the code under test would be printed and the run go on.
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export UBSAN_OPTIONS
artifacts=$build/fuzz-artifacts
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
corpus=${FUZZ_CORPUS:-$scratch/corpus}
case $corpus in /*) ;; *) corpus=$PWD/$corpus ;; esac
# libFuzzer writes its -jobs logs (fuzz-N.log) into the current directory: not the tree's
mkdir -p "$artifacts"
cd "$artifacts"

# ---- the regression inputs, each run once by its target ------------------------------------
regressions=$root/tests/fuzz/regressions
for target in $targets; do
	[ -d "$regressions/$target" ] || continue
	# shellcheck disable=SC2046
	set -- $(find "$regressions/$target" -type f | sort)
	[ $# -gt 0 ] || continue
	mkdir -p "$artifacts/$target"
	if ! "$build/tests/fuzz/$target" -timeout=10 -artifact_prefix="$artifacts/$target/" \
		"$@" >"$scratch/$target.replay.log" 2>&1; then
		tail -n 60 "$scratch/$target.replay.log"
		echo "$target: a regression input fails again" >&2
		exit 1
	fi
	echo "== $target: $# regression input(s) pass"
done

# ---- fuzzing ----------------------------------------------------------------------------------
/usr/bin/python3 "$root/tests/fuzz/make_seeds.py" "$scratch/seeds"

count=$(echo $targets | wc -w)
per_target=$((seconds / count))
[ "$per_target" -ge 1 ] || per_target=1
for target in $targets; do
	name=${target#fuzz_}
	mkdir -p "$corpus/$name" "$artifacts/$target"
	echo "== $target: ${per_target}s, corpus $corpus/$name"
	# -max_total_time bounds the run; -timeout flags any input slower than 10 s
	parallel=""
	[ "$jobs" -le 1 ] || parallel="-jobs=$jobs -workers=$jobs"
	# shellcheck disable=SC2086
	"$build/tests/fuzz/$target" -max_total_time="$per_target" -timeout=10 $parallel \
		-artifact_prefix="$artifacts/$target/" -print_final_stats=1 \
		"$corpus/$name" "$scratch/seeds/$name" \
		2>"$scratch/$name.log" || {
		tail -n 60 "$scratch/$name.log"
		echo "$target: FAILED; its input is in $artifacts/$target/" >&2
		exit 1
	}
	grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^#[0-9]+.*DONE" \
		"$scratch/$name.log" || tail -n 3 "$scratch/$name.log"
done
echo "fuzz: all targets ran ${per_target}s each without a crash"
