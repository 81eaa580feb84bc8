#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh — compares network paths of a namespace "VM": veth, null relay, sock-vmnet (tap and user back-ends), slirp4netns, pasta
#
# Every path gets its own three network namespaces, made here and deleted on exit:
#
#   svmb-PID-TAG-vm    the "VM": one interface (a TAP, or the veth of the baseline),
#                      runs the iperf3 client, ping and udhcpc
#   svmb-PID-TAG-host  the host: the forwarder under test (pump + null-relay/sock-vmnet,
#                      slirp4netns, pasta) and only a veth to the wan namespace
#   svmb-PID-TAG-wan   the far end: the iperf3 server on 198.19.0.1
#
# No route leads out of them, and nothing outside them is touched. 198.18.0.0/15 is the
# range RFC 2544 sets aside for benchmarks.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

usage() {
	cat <<EOF
usage: bench/run.sh [options]
  --quick             smoke test: 1 run of 2 s per figure, 5 s idle sample, 10 instances
  --runs N            runs per figure, the median is reported (default 3)
  --duration S        seconds per iperf3 run (default 10)
  --paths LIST        comma-separated, from: veth,null,null-offload,sock-vmnet,svm-offload,
                      svm-user,svm-user-offload,slirp4netns,pasta (default all; svm-user:
                      sock-vmnet's user back-end, libslirp; *-offload: the VM offloads, see
                      below)
  --mtus LIST         comma-separated MTUs (default 1500,65520)
  --tests LIST        comma-separated, from: tcp-up,tcp-down,udp-up,udp-down (default all;
                      up = VM->host, down = host->VM)
  --udp-rate R        iperf3 -b for the UDP tests: a rate (e.g. 1G; 0 = unpaced) or
                      "search" (default): the highest rate with < 0.1 % loss, see udp_search
  --pings N           pings per path for the RTT (default 100, 10 ms apart)
  --rr-seconds S      request/response run per path (bench/rr.c, like netperf TCP_RR: 1 byte
                      each way over one TCP connection, back to back; default 5, 0 = skip)
  --idle-seconds S    idle resource sample of each forwarder (default 30)
  --instances N       idle sock-vmnet instances for the RSS figure (default 100, 0 = skip)
  --sock-vmnet PATH   the binary (default build/sock-vmnet of the tree)
  --results DIR       where <timestamp>.json/.md/.png go (default bench/results)
  --max-minutes M     stop the whole run after M minutes (default 90; --quick: 15)
  --pump-opts "OPTS"  extra options for the pump and the null relay (e.g. "--batch 8"), for
                      tuning sweeps
  --svm-opts "OPTS"   extra options for sock-vmnet (e.g. "--offload=off"), for the same
  --null-opts "OPTS"  extra options for the null relay alone (e.g. "--one-thread": both
                      directions in one thread, as sock-vmnet's relay, not a thread each)
  --keep-work         keep the scratch directory (logs, raw iperf3 JSON)
The *-offload paths give the VM the offloads of a virtio-net guest of krunkit with
offloading=on: the pump opens its TAP with IFF_VNET_HDR and TSO4 + checksum offload, so the
VM's TCP sends and takes 64 KiB packets. null-offload passes the virtio-net header through the
socket to a TAP of its own (--offload=vnet-hdr both ends); svm-offload and svm-user-offload
run the pump as krunkit does (--offload=krunkit: no header on the socket) and sock-vmnet with
--vm-offload=on.
EOF
}

# ---- options -------------------------------------------------------------------------
RUNS=3
DURATION=10
PATHS=veth,null,null-offload,sock-vmnet,svm-offload,svm-user,svm-user-offload,slirp4netns,pasta
MTUS=1500,65520
TESTS=tcp-up,tcp-down,udp-up,udp-down
PINGS=100
RR_SECS=5
IDLE_SECS=30
INSTANCES=100
SVM_BIN=$ROOT/build/sock-vmnet
RESULTS=$HERE/results
MAX_MINUTES=
KEEP_WORK=0
QUICK=0
PUMP_OPTS=
NULL_OPTS=
SVM_OPTS=
UDP_RATE=search
# udp_search: the loss a rate may have, and how many paced tries of 2 s go into the search
UDP_MAX_LOSS=0.1
UDP_SEARCH_TRIES=6

while (($#)); do
	case $1 in
	--quick) QUICK=1 RUNS=1 DURATION=2 IDLE_SECS=5 INSTANCES=10 ;;
	--runs) RUNS=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	--paths) PATHS=$2; shift ;;
	--mtus) MTUS=$2; shift ;;
	--tests) TESTS=$2; shift ;;
	--pings) PINGS=$2; shift ;;
	--rr-seconds) RR_SECS=$2; shift ;;
	--idle-seconds) IDLE_SECS=$2; shift ;;
	--instances) INSTANCES=$2; shift ;;
	--sock-vmnet) SVM_BIN=$2; shift ;;
	--results) RESULTS=$2; shift ;;
	--max-minutes) MAX_MINUTES=$2; shift ;;
	--keep-work) KEEP_WORK=1 ;;
	--pump-opts) PUMP_OPTS=$2; shift ;;
	--svm-opts) SVM_OPTS=$2; shift ;;
	--null-opts) NULL_OPTS=$2; shift ;;
	--udp-rate) UDP_RATE=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
[[ -n $MAX_MINUTES ]] || { ((QUICK)) && MAX_MINUTES=15 || MAX_MINUTES=90; }
for v in RUNS DURATION PINGS RR_SECS IDLE_SECS INSTANCES MAX_MINUTES; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: --${v,,} must be a number" >&2; exit 2; }
done
((RUNS >= 1 && RUNS <= 50 && DURATION >= 1 && DURATION <= 600 && INSTANCES <= 500)) ||
	{ echo "run.sh: runs 1..50, duration 1..600 s, instances 0..500" >&2; exit 2; }
IFS=, read -ra PATH_LIST <<<"$PATHS"
IFS=, read -ra MTU_LIST <<<"$MTUS"
IFS=, read -ra TEST_LIST <<<"$TESTS"
for p in "${PATH_LIST[@]}"; do
	[[ $p =~ ^(veth|null|null-offload|sock-vmnet|svm-offload|svm-user|svm-user-offload|slirp4netns|pasta)$ ]] || { echo "run.sh: unknown path $p" >&2; exit 2; }
done
for m in "${MTU_LIST[@]}"; do
	if ! [[ $m =~ ^[0-9]+$ ]] || ((m < 576 || m > 65520)); then
		echo "run.sh: MTU $m not in 576..65520" >&2
		exit 2
	fi
done
for t in "${TEST_LIST[@]}"; do
	[[ $t =~ ^(tcp|udp)-(up|down)$ ]] || { echo "run.sh: unknown test $t" >&2; exit 2; }
done

# ---- constants -----------------------------------------------------------------------
PFX="svmb-$$"               # every namespace made here starts with this
TARGET=198.19.0.1           # iperf3 server, on the wan namespace's loopback
WAN_IP=198.18.0.1           # wan end of the host<->wan veth
UPLINK_IP=198.18.0.2        # host end of it
VM_NET=192.168.64.0/24      # VM subnet of the veth and null-relay paths (sock-vmnet's default too)
VM_GW=192.168.64.1
VM_IP=192.168.64.2
VM_MAC=52:54:00:12:34:56
IPERF_PORT=5201
RR_PORT=5202

# log MESSAGE: to the script's own stderr, also from a trap that fires while a command's
# stderr is redirected (the trap inherits the redirections of the function it interrupts)
exec {LOG_FD}>&2
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&"$LOG_FD"; }
now_ns() { date +%s%N; }

# ---- cleanup -------------------------------------------------------------------------
BG_PIDS=()
WORK=
WATCHDOG=

our_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PFX}-" || true; }

# kill_pids PID...: TERM, up to 3 s for them to go, then KILL. Only pids we started.
kill_pids() {
	local pid alive i
	(($#)) || return 0
	kill -TERM "$@" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		alive=0
		for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		((alive)) || return 0
		sleep 0.02
	done
	kill -KILL "$@" 2>/dev/null
	return 0
}

# ns_destroy NS...: end what runs inside (all of it started here), then delete.
ns_destroy() {
	local ns pids=()
	for ns in "$@"; do
		[[ -e /run/netns/$ns ]] || continue
		mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null)
	done
	kill_pids "${pids[@]}"
	for ns in "$@"; do
		[[ -e /run/netns/$ns ]] && ip netns del "$ns" 2>/dev/null
	done
	return 0
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[[ -n $WATCHDOG ]] && kill "$WATCHDOG" 2>/dev/null
	# still-running children of ours only: a pid that ended may belong to anyone by now
	local live=() pid
	for pid in "${BG_PIDS[@]}"; do
		[[ $(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ') == "$$" ]] && live+=("$pid")
	done
	kill_pids "${live[@]}"
	local stale
	mapfile -t stale < <(our_namespaces)
	ns_destroy "${stale[@]}"
	if [[ -n $(our_namespaces) ]]; then
		log "warning: could not delete: $(our_namespaces | tr '\n' ' ')"
	fi
	if [[ -n $WORK && -d $WORK ]]; then
		if ((KEEP_WORK || rc != 0)); then
			log "scratch directory kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---- prerequisites -------------------------------------------------------------------
[[ $(id -u) == 0 ]] || { echo "run.sh: needs root (network namespaces, TAP devices)" >&2; exit 1; }

# command -> Debian package that provides it
declare -A NEED_PKG=([iperf3]=iperf3 [jq]=jq [ping]=iputils-ping [gnuplot]=gnuplot-nox
	[slirp4netns]=slirp4netns [pasta]=passt [udhcpc]=udhcpc [ss]=iproute2)
missing=()
for cmd in "${!NEED_PKG[@]}"; do
	command -v "$cmd" >/dev/null || missing+=("${NEED_PKG[$cmd]}")
done
[[ -x /usr/bin/python3 ]] || missing+=(python3)
if ((${#missing[@]})); then
	log "installing missing packages: ${missing[*]}"
	apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } ||
		{ echo "run.sh: could not install ${missing[*]}" >&2; exit 1; }
fi
[[ -c /dev/net/tun ]] || { echo "run.sh: /dev/net/tun missing" >&2; exit 1; }

# Namespaces left by an earlier run of this script that was killed outright (SIGKILL leaves
# no chance to clean up): svmb-PID-* whose PID is gone. Only this script makes such names.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^svmb-[0-9]+-' || true); do
	owner=${ns#svmb-}
	owner=${owner%%-*}
	if ! kill -0 "$owner" 2>/dev/null; then
		log "removing $ns, left by an earlier run (pid $owner is gone)"
		ns_destroy "$ns"
	fi
done

# the pump and the null relay are built with sock-vmnet (bench/meson.build)
ninja -C "$ROOT/build" bench/pump bench/null-relay bench/rr >/dev/null ||
	{ echo "run.sh: building pump, null-relay and rr failed (make first)" >&2; exit 1; }
PUMP=$ROOT/build/bench/pump
NULL_RELAY=$ROOT/build/bench/null-relay
RR=$ROOT/build/bench/rr

WORK=$(mktemp -d "/tmp/svmb-$$.XXXXXX")
mkdir -p "$RESULTS"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
TPUT=$WORK/throughput.tsv   # path mtu test run gbps extra cpu_forwarder cpu_pump
PING=$WORK/ping.tsv         # path mtu n rtt_us...
RRT=$WORK/rr.tsv            # path mtu transactions mean_us median_us p99_us
READY=$WORK/ready.tsv       # path mtu forwarder_ready_ms vm_online_ms
IDLE=$WORK/idle.tsv         # path seconds cpu_pct ctxsw_per_s rss_kb pss_kb threads
INST=$WORK/instances.tsv    # path count rss_kb pss_kb seconds_to_start
SKIP=$WORK/skipped.tsv      # path mtu reason
: >"$TPUT"; : >"$PING"; : >"$RRT"; : >"$READY"; : >"$IDLE"; : >"$INST"; : >"$SKIP"

# The whole run is bounded: past MAX_MINUTES the watchdog stops us (cleanup still runs).
# One process, no child of its own: read waits on a FIFO nobody writes until the time is up.
mkfifo "$WORK/watchdog"
(read -rt $((MAX_MINUTES * 60)) <>"$WORK/watchdog"; kill -TERM $$) >/dev/null 2>&1 &
WATCHDOG=$!

skip() { log "skip $1 mtu $2: $3"; printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$SKIP"; }

# wait_until MS CMD...: run CMD every 10 ms until it succeeds or MS milliseconds pass.
wait_until() {
	local deadline=$(($(now_ns) + $1 * 1000000)); shift
	until "$@" >/dev/null 2>&1; do
		(($(now_ns) < deadline)) || return 1
		sleep 0.01
	done
}

# bg LOGNAME CMD...: start CMD in the background, its pid in BGPID.
bg() {
	local name=$1; shift
	"$@" >>"$WORK/$name.log" 2>&1 &
	BGPID=$!
	BG_PIDS+=("$BGPID")
}

# fg CMD...: run CMD and wait for it so that a signal to this script (Ctrl-C, the watchdog)
# is acted on at once: bash runs a trap only after a foreground command ends, and iperf3
# catches SIGINT and exits 0, which bash then takes as SIGINT handled.
fg() {
	"$@" &
	local pid=$! rc
	BG_PIDS+=("$pid")
	wait "$pid"
	rc=$?
	unset 'BG_PIDS[-1]' # it has ended and been reaped
	return "$rc"
}

# cpu_ns PID: nanoseconds the process's threads have run so far (schedstat: exact, where
# /proc/PID/stat counts 10 ms ticks and reads 0 for a forwarder at rest).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }  # %.0f: mawk's %d stops at 2^31

# ctx_switches PID: voluntary + involuntary context switches of all its threads.
ctx_switches() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s + 0}'
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

# ---- the testbed: three namespaces ----------------------------------------------------
# tb_create TAG MTU: makes NS_VM, NS_HOST, NS_WAN; host and wan joined by a veth of MTU,
# the iperf3 target on wan's loopback, host routing by default to wan.
tb_create() {
	local tag=$1 mtu=$2 ns
	NS_VM=$PFX-$tag-vm NS_HOST=$PFX-$tag-host NS_WAN=$PFX-$tag-wan
	for ns in "$NS_VM" "$NS_HOST" "$NS_WAN"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_HOST" link add up0 mtu "$mtu" type veth peer name wan0 mtu "$mtu" netns "$NS_WAN" &&
		ip -n "$NS_HOST" addr add "$UPLINK_IP/24" dev up0 &&
		ip -n "$NS_HOST" link set up0 up &&
		ip -n "$NS_WAN" addr add "$WAN_IP/24" dev wan0 &&
		ip -n "$NS_WAN" link set wan0 up &&
		ip -n "$NS_WAN" addr add "$TARGET/32" dev lo &&
		ip -n "$NS_HOST" route add default via "$WAN_IP" || return 1
	# per-namespace settings of namespaces we own: forwarding for the routed paths, and
	# ICMP echo sockets for every gid (slirp4netns and pasta relay ping through them)
	ip netns exec "$NS_HOST" sysctl -qw net.ipv4.ip_forward=1 \
		"net.ipv4.ping_group_range=0 2147483647" >/dev/null || return 1
}

tb_destroy() { ns_destroy "$NS_VM" "$NS_HOST" "$NS_WAN"; }

# vm_ping_ready: one ping from the VM answered (retrying every 5 ms for up to 10 s).
vm_ping_ready() { fg timeout 12 ip netns exec "$NS_VM" ping -n -q -c 1 -w 10 -i 0.005 "$TARGET" >/dev/null 2>&1; }

# routed_vm_config IF MTU: static address for the veth and null-relay paths, and the way back.
routed_vm_config() {
	ip -n "$NS_VM" link set "$1" mtu "$2" up &&
		ip -n "$NS_VM" addr add "$VM_IP/24" dev "$1" &&
		ip -n "$NS_VM" route add default via "$VM_GW" &&
		ip -n "$NS_WAN" route add "$VM_NET" via "$UPLINK_IP"
}

# ---- the paths ----------------------------------------------------------------------
# Each up_PATH MTU connects the VM and sets SVC_PID (the forwarder, 0 for none), PUMP_PID,
# and for user-space forwarders SVC_READY_MS (launch until the forwarder is ready: its TAP
# on the bridge, its "ready" line, the VM's address configured) and READY_MS (launch until
# the VM's first ping to the target is answered, DHCP included for sock-vmnet).
up_veth() {
	local mtu=$1
	SVC_PID=0 PUMP_PID=0
	ip -n "$NS_VM" link add eth0 mtu "$mtu" type veth peer name vh0 mtu "$mtu" netns "$NS_HOST" &&
		ip -n "$NS_HOST" addr add "$VM_GW/24" dev vh0 &&
		ip -n "$NS_HOST" link set vh0 up &&
		routed_vm_config eth0 "$mtu" && vm_ping_ready
}

# The host side of the pump paths: a bridge with the gateway address.
host_bridge() {
	ip -n "$NS_HOST" link add "$1" mtu "$2" type bridge &&
		ip -n "$NS_HOST" addr add "$VM_GW/24" dev "$1" &&
		ip -n "$NS_HOST" link set "$1" up
}

# pump_start LOGNAME MTU PROGRAM...: the pump in the host namespace, its TAP vm0 in the VM's;
# with PUMP_OFFLOAD (none, krunkit, vnet-hdr) the VM's TAP offloads (see usage).
pump_start() {
	local name=$1 mtu=$2; shift 2
	# shellcheck disable=SC2086 # PUMP_OPTS is a list of options
	bg "$name" ip netns exec "$NS_HOST" "$PUMP" --netns "$NS_VM" --tap vm0 --mtu "$mtu" \
		--mac "$VM_MAC" --stats --offload="${PUMP_OFFLOAD:-none}" $PUMP_OPTS -- "$@"
	PUMP_PID=$BGPID
	wait_until 5000 ip -n "$NS_VM" link show vm0 up || { log "vm0 did not appear"; return 1; }
}

# svc_of_pump: the pid of the program the pump runs.
svc_of_pump() {
	local i
	for ((i = 0; i < 100; i++)); do
		SVC_PID=$(pgrep -P "$PUMP_PID" | head -1)
		[[ -n $SVC_PID ]] && return 0
		sleep 0.01
	done
	return 1
}

# up_null MTU [OFFLOAD]: OFFLOAD vnet-hdr passes the VM's virtio-net header to the relay's TAP
up_null() {
	local mtu=$1 t0
	PUMP_OFFLOAD=${2:-none}
	host_bridge br0 "$mtu" || return 1
	t0=$(now_ns)
	# shellcheck disable=SC2086
	pump_start "null-relay-$PUMP_OFFLOAD-$mtu" "$mtu" "$NULL_RELAY" --fd=3 --bridge br0 --mtu "$mtu" \
		--offload="$PUMP_OFFLOAD" --stats $PUMP_OPTS $NULL_OPTS &&
		svc_of_pump &&
		wait_until 5000 ip -n "$NS_HOST" link show master br0 up || return 1
	SVC_READY_MS=$((($(now_ns) - t0) / 1000000))
	routed_vm_config vm0 "$mtu" && vm_ping_ready || return 1
	READY_MS=$((($(now_ns) - t0) / 1000000))
}

# udhcpc calls this with the lease in its environment
write_dhcp_script() {
	cat >"$WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
# configures the VM interface from busybox udhcpc's lease
case $1 in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
	for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
	;;
deconfig) ip addr flush dev "$interface" ;;
esac
exit 0
EOF
	chmod +x "$WORK/udhcpc.sh"
}

# up_sock_vmnet MTU [BACKEND [VM_OFFLOAD]]: sock-vmnet on the pump's socketpair (tap, or
# user: libslirp); VM_OFFLOAD on: the pump as krunkit with offloading=on, --vm-offload=on
up_sock_vmnet() {
	local mtu=$1 backend=${2:-tap} vo=${3:-off} t0 log=sock-vmnet-${2:-tap}-${3:-off}-$1
	local vo_opt=() # only when on: --sock-vmnet may be a build from before the option
	PUMP_OFFLOAD=none
	[[ $vo == on ]] && PUMP_OFFLOAD=krunkit vo_opt=(--vm-offload=on)
	if [[ ! -x $SVM_BIN ]]; then
		SKIP_REASON="$SVM_BIN not built yet"
		return 2
	fi
	write_dhcp_script
	t0=$(now_ns)
	# --allow: the benchmark range is refused by default (RFC 6890); --dns: should the VM
	# ever ask, its queries stay inside our namespaces
	# shellcheck disable=SC2086 # SVM_OPTS is a list of options
	pump_start "$log" "$mtu" "$SVM_BIN" --fd=3 --mac="$VM_MAC" --mtu="$mtu" --backend="$backend" \
		--lease-db="$WORK/leases-$backend-$vo-$mtu.db" --dns="$TARGET" --allow="$TARGET/32" \
		${vo_opt[@]+"${vo_opt[@]}"} $SVM_OPTS &&
		svc_of_pump || return 1
	wait_until 10000 grep -q ' INFO ready ' "$WORK/$log.log" || { log "no \"ready\" line in $WORK/$log.log"; return 1; }
	SVC_READY_MS=$((($(now_ns) - t0) / 1000000))
	fg timeout 20 ip netns exec "$NS_VM" udhcpc -i vm0 -f -q -n -t 5 -T 2 -s "$WORK/udhcpc.sh" \
		>>"$WORK/udhcpc.log" 2>&1 || { log "no DHCP lease from sock-vmnet"; return 1; }
	ip -n "$NS_VM" link set vm0 mtu "$mtu"
	vm_ping_ready || return 1
	READY_MS=$((($(now_ns) - t0) / 1000000))
}

up_slirp4netns() {
	local mtu=$1 t0
	t0=$(now_ns)
	# as its man page runs it: --configure gives tap0 10.0.2.100/24 via 10.0.2.2;
	# no host loopback and no DNS, so nothing but the wan route is reachable
	bg slirp4netns ip netns exec "$NS_HOST" slirp4netns --configure --mtu="$mtu" \
		--disable-host-loopback --disable-dns --netns-type=path "/run/netns/$NS_VM" tap0
	SVC_PID=$BGPID PUMP_PID=0
	wait_until 5000 bash -c "ip -n '$NS_VM' -4 addr show dev tap0 | grep -q inet" || return 1
	SVC_READY_MS=$((($(now_ns) - t0) / 1000000))
	vm_ping_ready || return 1
	READY_MS=$((($(now_ns) - t0) / 1000000))
}

up_pasta() {
	local mtu=$1 t0
	t0=$(now_ns)
	# --runas 0: as root pasta would switch to nobody, then cannot join the namespace;
	# -t/-u/-T/-U none: no automatic port forwarding; --no-map-gw: the gateway is not the host
	bg pasta ip netns exec "$NS_HOST" pasta --foreground --quiet --runas 0 \
		--log-file "$WORK/pasta-$mtu.log" --config-net --ipv4-only --no-map-gw \
		-t none -u none -T none -U none --mtu "$mtu" --ns-ifname tap0 --netns "$NS_VM"
	SVC_PID=$BGPID PUMP_PID=0
	wait_until 5000 bash -c "ip -n '$NS_VM' -4 addr show dev tap0 | grep -q inet" || return 1
	SVC_READY_MS=$((($(now_ns) - t0) / 1000000))
	ip -n "$NS_VM" link set tap0 mtu "$mtu" || return 1
	vm_ping_ready || return 1
	READY_MS=$((($(now_ns) - t0) / 1000000))
}

# ---- measurements --------------------------------------------------------------------
# iperf_json PATH MTU TEST TAG RATE SECONDS: one iperf3 run into $WORK/iperf-...-TAG.json,
# whose path it leaves in IPERF_JSON (not printed: a $(...) subshell would keep the server's
# pid from the cleanup); RATE is iperf3's -b for UDP. Returns 1 when the server did not start.
iperf_json() {
	local path=$1 mtu=$2 test=$3 tag=$4 rate=$5 secs=$6
	local proto=${test%-*} dir=${test#*-}
	local json=$WORK/iperf-$path-$mtu-$test-$tag.json
	local args=(-c "$TARGET" -p "$IPERF_PORT" -t "$secs" -J --connect-timeout 3000)
	[[ $dir == down ]] && args+=(-R)
	[[ $proto == udp ]] && args+=(-u -b "$rate" -l $((mtu - 28)))

	# a fresh one-off server per run: a wedged earlier run cannot block the next
	bg iperf3-server ip netns exec "$NS_WAN" iperf3 -s -1 -B "$TARGET" -p "$IPERF_PORT"
	local srv=$BGPID
	if ! wait_until 3000 bash -c "ip netns exec '$NS_WAN' ss -Hltn 'sport = :$IPERF_PORT' | grep -q LISTEN"; then
		log "iperf3 server did not start"
		kill_pids "$srv"
		return 1
	fi
	fg timeout $((secs + 20)) ip netns exec "$NS_VM" iperf3 "${args[@]}" >"$json" 2>>"$WORK/iperf3-client.log"
	# the server exits after one test; bounded wait, then it is ended
	wait_until 3000 bash -c "! kill -0 $srv" || kill_pids "$srv"
	IPERF_JSON=$json
}

# udp_search PATH MTU TEST: the highest UDP rate (iperf3 -b, Mbit/s) with < UDP_MAX_LOSS %
# loss, into UDP_FOUND[TEST]. What arrives unpaced (the path's capacity when overloaded) is
# tried first; if that loses too much, the rate is bisected between 0 and it with 2-second
# runs, UDP_SEARCH_TRIES in all (resolution 1/32 of it). If nothing passed, the next step
# down (half the lowest rate tried) is used, and the loss the runs then report says whether
# it held.
declare -A UDP_FOUND
udp_search() {
	local path=$1 mtu=$2 test=$3 json rate loss i lo=0 hi
	iperf_json "$path" "$mtu" "$test" probe 0 2 || return 1
	json=$IPERF_JSON
	hi=$(jq -r '.end.sum_received.bits_per_second // 0 | . / 1e6 | floor' "$json" 2>/dev/null)
	((hi > 0)) || hi=100
	rate=$hi
	for ((i = 1; i <= UDP_SEARCH_TRIES; i++)); do
		iperf_json "$path" "$mtu" "$test" "search$i" "${rate}M" 2 || return 1
		json=$IPERF_JSON
		loss=$(jq -r '.end.sum_received.lost_percent // 100' "$json" 2>/dev/null)
		if awk -v l="$loss" -v m="$UDP_MAX_LOSS" 'BEGIN {exit !(l < m)}'; then
			lo=$rate
			((rate == hi)) && break
		else
			hi=$rate
		fi
		rate=$(((lo + hi) / 2))
	done
	((lo > 0)) && rate=$lo
	UDP_FOUND[$test]=${rate}M
	log "  $path mtu $mtu $test: ${rate} Mbit/s chosen (highest that passed: $lo, 0 = none)"
}

# iperf_once PATH MTU TEST RUN: one iperf3 run, one line in $TPUT.
iperf_once() {
	local path=$1 mtu=$2 test=$3 run=$4 rate=$UDP_RATE json
	[[ $rate == search ]] && rate=${UDP_FOUND[$test]:-0}
	local s0=0 p0=0 s1 p1 t0 t1
	((SVC_PID)) && s0=$(cpu_ns "$SVC_PID")
	((PUMP_PID)) && p0=$(cpu_ns "$PUMP_PID")
	t0=$(now_ns)
	iperf_json "$path" "$mtu" "$test" "$run" "$rate" "$DURATION" || return 1
	json=$IPERF_JSON
	t1=$(now_ns)
	((SVC_PID)) && s1=$(cpu_ns "$SVC_PID")
	((PUMP_PID)) && p1=$(cpu_ns "$PUMP_PID")

	local proto=${test%-*} gbps extra err
	err=$(jq -r '.error // empty' "$json" 2>/dev/null)
	gbps=$(jq -r '.end.sum_received.bits_per_second // empty | . / 1e9' "$json" 2>/dev/null)
	if [[ -n $err || -z $gbps ]]; then
		log "  $path mtu $mtu $test run $run: failed: ${err:-no result}"
		return 1
	fi
	if [[ $proto == tcp ]]; then
		extra=$(jq -r '.end.sum_sent.retransmits // 0' "$json")
	else
		extra=$(jq -r '.end.sum_received.lost_percent // 0' "$json")
	fi
	local el=$((t1 - t0)) cs=0 cp=0
	((SVC_PID && el > 0)) && cs=$(((s1 - s0) * 100 / el))
	((PUMP_PID && el > 0)) && cp=$(((p1 - p0) * 100 / el))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$path" "$mtu" "$test" "$run" "$gbps" "$extra" "$cs" "$cp" >>"$TPUT"
	log "  $path mtu $mtu $test run $run: $(printf '%.2f' "$gbps") Gbit/s (forwarder ${cs}% CPU, pump ${cp}%)"
}

# ping_rtt PATH MTU: PINGS echo requests 10 ms apart; all RTTs in µs into $PING.
ping_rtt() {
	local out=$WORK/ping-$1.txt rtts
	fg timeout $((PINGS / 50 + 15)) ip netns exec "$NS_VM" ping -n -c "$PINGS" -i 0.01 -W 1 "$TARGET" >"$out" 2>&1
	rtts=$(sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$out" | awk '{printf "%d ", $1 * 1000}')
	if [[ -z $rtts ]]; then
		log "  $path: no ping replies"
		return 1
	fi
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$PINGS" "$rtts" >>"$PING"
}

# rr_once PATH MTU: RR_SECS of 1-byte request/response over one TCP connection (bench/rr.c)
# from the VM to the wan namespace, into $RRT.
rr_once() {
	local out=$WORK/rr-$1-$2.txt srv line
	bg rr-server ip netns exec "$NS_WAN" "$RR" --server "$TARGET" "$RR_PORT"
	srv=$BGPID
	if ! wait_until 3000 bash -c "ip netns exec '$NS_WAN' ss -Hltn 'sport = :$RR_PORT' | grep -q LISTEN"; then
		log "  $1: rr server did not start"
		kill_pids "$srv"
		return 1
	fi
	fg timeout $((RR_SECS + 15)) ip netns exec "$NS_VM" "$RR" --client "$TARGET" "$RR_PORT" "$RR_SECS" >"$out" 2>&1
	kill_pids "$srv"
	# transactions N per_s R mean_us M median_us D p99_us P
	line=$(awk '$1 == "transactions" {print $2 "\t" $6 "\t" $8 "\t" $10}' "$out")
	if [[ -z $line ]]; then
		log "  $1: rr failed: $(tail -1 "$out")"
		return 1
	fi
	printf '%s\t%s\t%s\n' "$1" "$2" "$line" >>"$RRT"
	log "  $1 rr: $(cut -f2- <<<"$line" | tr '\t' ' ') (transactions, mean, median, p99 µs)"
}

# idle_sample PATH PID SECONDS: CPU, context switches and memory of an idle forwarder.
idle_sample() {
	local path=$1 pid=$2 secs=$3 c0 c1 x0 x1 t0 t1
	c0=$(cpu_ns "$pid") x0=$(ctx_switches "$pid") t0=$(now_ns)
	fg sleep "$secs"
	c1=$(cpu_ns "$pid") x1=$(ctx_switches "$pid") t1=$(now_ns)
	kill -0 "$pid" 2>/dev/null || { log "  $path: forwarder died while idle"; return 1; }
	local el=$(((t1 - t0) / 1000000)) # ms
	local tasks=("/proc/$pid/task"/*) threads
	threads=${#tasks[@]}
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$path" "$secs" \
		"$(awk -v c=$((c1 - c0)) -v ms="$el" 'BEGIN {printf "%.4f", c / 10000 / ms}')" \
		"$(awk -v x=$((x1 - x0)) -v ms="$el" 'BEGIN {printf "%.2f", x * 1000 / ms}')" \
		"$(rss_kb "$pid")" "$(pss_kb "$pid")" "$threads" >>"$IDLE"
	log "  $path idle: $(tail -1 "$IDLE" | cut -f3-7 | tr '\t' ' ') (cpu% ctxsw/s rss_kB pss_kB threads)"
}

# many_instances N: N idle sock-vmnet processes, each with a sink pump as its hypervisor,
# in one host namespace, started one after the other (each waits for the previous one's
# "ready" line: they share the bridge, the NAT table and, as one bridge must, one lease
# database); the sum of their RSS and PSS.
many_instances() {
	local n=$1 i pids=() t0 c
	tb_create inst 1500 || return 1
	t0=$(now_ns)
	for ((i = 0; i < n; i++)); do
		bg "inst-$i" ip netns exec "$NS_HOST" "$PUMP" --sink -- "$SVM_BIN" --fd=3 \
			--mac="$(printf '52:54:00:00:%02x:%02x' $((i / 256)) $((i % 256)))" \
			--lease-db="$WORK/instances.db" --dns="$TARGET"
		if ! wait_until 10000 grep -q ' INFO ready ' "$WORK/inst-$i.log"; then
			log "  instance $i did not get ready: $(tail -1 "$WORK/inst-$i.log")"
			break
		fi
		c=$(pgrep -P "$BGPID" | head -1)
		[[ -n $c ]] && pids+=("$c")
	done
	local ms=$((($(now_ns) - t0) / 1000000))
	fg sleep 2 # let them settle into idle
	local rss=0 pss=0 p
	for p in "${pids[@]}"; do
		rss=$((rss + $(rss_kb "$p")))
		pss=$((pss + $(pss_kb "$p")))
	done
	printf 'sock-vmnet\t%s\t%s\t%s\t%s\n' "${#pids[@]}" "$rss" "$pss" "$ms" >>"$INST"
	log "  ${#pids[@]} instances: RSS ${rss} kB, PSS ${pss} kB in all (started one by one in ${ms} ms)"
	tb_destroy
}

# busy_pct: % of all CPU time over one second spent by anything (the machine is shared:
# a busy one gives low, noisy figures, so the report says how busy it was around the run).
busy_pct() {
	local a b
	read -ra a </proc/stat; sleep 1; read -ra b </proc/stat
	awk -v u=$((b[1] + b[2] + b[3] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[6] - a[7] - a[8])) \
		-v i=$((b[4] + b[5] - a[4] - a[5])) 'BEGIN {printf "%.0f", (u + i) ? 100 * u / (u + i) : 0}'
}

# ---- main ----------------------------------------------------------------------------
BUSY_BEFORE=$(busy_pct)
((BUSY_BEFORE > 10)) && log "warning: the machine is ${BUSY_BEFORE}% busy before we start: figures will be low and noisy"
log "sock-vmnet benchmark: paths ${PATHS}, MTUs ${MTUS}, ${RUNS} run(s) x ${DURATION} s, work dir $WORK"
for path in "${PATH_LIST[@]}"; do
	first_mtu=1
	for mtu in "${MTU_LIST[@]}"; do
		tag=${path//-/}-$mtu
		PUMP_OFFLOAD=none
		log "$path, MTU $mtu"
		if ! tb_create "$tag" "$mtu"; then
			skip "$path" "$mtu" "could not create namespaces"
			tb_destroy
			continue
		fi
		SKIP_REASON='' READY_MS='' SVC_READY_MS=''
		case $path in
		veth) up_veth "$mtu" ;;
		null) up_null "$mtu" ;;
		null-offload) up_null "$mtu" vnet-hdr ;;
		sock-vmnet) up_sock_vmnet "$mtu" ;;
		svm-offload) up_sock_vmnet "$mtu" tap on ;;
		svm-user) up_sock_vmnet "$mtu" user ;;
		svm-user-offload) up_sock_vmnet "$mtu" user on ;;
		slirp4netns) up_slirp4netns "$mtu" ;;
		pasta) up_pasta "$mtu" ;;
		esac
		rc=$?
		if ((rc != 0)); then
			skip "$path" "$mtu" "${SKIP_REASON:-setup failed (logs in $WORK)}"
			KEEP_WORK=1
			tb_destroy
			continue
		fi
		if [[ -n $READY_MS ]]; then
			printf '%s\t%s\t%s\t%s\n' "$path" "$mtu" "$SVC_READY_MS" "$READY_MS" >>"$READY"
			log "  forwarder ready in $SVC_READY_MS ms, VM online in $READY_MS ms"
		fi
		if [[ $UDP_RATE == search ]]; then
			UDP_FOUND=()
			for test in "${TEST_LIST[@]}"; do
				[[ $test == udp-* ]] && udp_search "$path" "$mtu" "$test"
			done
		fi
		for ((run = 1; run <= RUNS; run++)); do
			for test in "${TEST_LIST[@]}"; do
				iperf_once "$path" "$mtu" "$test" "$run"
			done
		done
		if ((first_mtu)); then
			ping_rtt "$path" "$mtu"
			((RR_SECS > 0)) && rr_once "$path" "$mtu"
			((SVC_PID && IDLE_SECS > 0)) && idle_sample "$path" "$SVC_PID" "$IDLE_SECS"
		fi
		first_mtu=0
		tb_destroy
	done
done

if ((INSTANCES > 0)); then
	if [[ -x $SVM_BIN ]] && [[ " ${PATH_LIST[*]} " == *" sock-vmnet "* ]]; then
		log "$INSTANCES idle sock-vmnet instances"
		many_instances "$INSTANCES"
	else
		skip sock-vmnet - "idle instances: $SVM_BIN not built or sock-vmnet not among the paths"
	fi
fi

# ---- report --------------------------------------------------------------------------
BUSY_AFTER=$(busy_pct)
((BUSY_AFTER > 10)) && log "warning: the machine is ${BUSY_AFTER}% busy after the run"
META=$WORK/meta.json
jq -n --arg stamp "$STAMP" --arg kernel "$(uname -r)" --arg cpus "$(nproc)" \
	--arg cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
	--arg rev "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)" \
	--arg iperf3 "$(iperf3 --version | head -1)" \
	--arg slirp "$(slirp4netns --version | head -1)" \
	--arg passt "$(dpkg-query -W -f='${Version}' passt 2>/dev/null)" \
	--arg runs "$RUNS" --arg duration "$DURATION" --arg quick "$QUICK" --arg pings "$PINGS" --arg rr "$RR_SECS" \
	--arg idle "$IDLE_SECS" --arg instances "$INSTANCES" --arg paths "$PATHS" --arg mtus "$MTUS" \
	--arg pump_opts "$PUMP_OPTS" --arg null_opts "$NULL_OPTS" --arg svm_opts "$SVM_OPTS" --arg udp_rate "$UDP_RATE" --arg busy0 "$BUSY_BEFORE" --arg busy1 "$BUSY_AFTER" \
	--arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
	'{timestamp: $stamp, machine: {kernel: $kernel, cpus: ($cpus | tonumber), cpu: $cpu,
	            busy_pct_before: ($busy0 | tonumber), busy_pct_after: ($busy1 | tonumber),
	            loadavg_after: $load},
	  versions: {"sock-vmnet": $rev, iperf3: $iperf3, slirp4netns: $slirp, passt: $passt},
	  config: {runs: ($runs | tonumber), duration_s: ($duration | tonumber), quick: ($quick == "1"),
	           pings: ($pings | tonumber), rr_s: ($rr | tonumber), idle_s: ($idle | tonumber), instances: ($instances | tonumber),
	           paths: ($paths | split(",")), mtus: ($mtus | split(",") | map(tonumber)),
	           pump_opts: $pump_opts, null_opts: $null_opts, svm_opts: $svm_opts, udp_rate: $udp_rate}}' >"$META"

/usr/bin/python3 "$HERE/report.py" --work "$WORK" --out "$RESULTS/$STAMP" || {
	log "report failed"
	exit 1
}
log "results: $RESULTS/$STAMP.json, $RESULTS/$STAMP.md, $RESULTS/$STAMP.png"
