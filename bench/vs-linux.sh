#!/usr/bin/env bash
# iperf-like against what users would pick instead: Linux's own stack over a veth pair
# between two network namespaces, measured right before and right after the lwIP run in
# the same sitting (iperf3 for throughput, ping for round trips, tcp-rr -- this
# project's bench/tcp_rr.c over the kernel's sockets -- for TCP request/response against
# latency's tcp-rr between two lwIP stacks through the switch, both loops alike: 64-byte
# request and response, one outstanding, TCP_NODELAY).
#
#   bench/vs-linux.sh [-t SECONDS] [-b BUILD_DIR] [-- IPERF_LIKE_OPTIONS...]
#   e.g. bench/vs-linux.sh -t 5 -- --lwip tuned --checksums off
#        bench/vs-linux.sh -t 5 -- --lwip tuned --checksums off --tso off  (stacks without TSO;
#        veth keeps Linux's TSO/GRO)
#
# The veth pair runs the MTU the stacks run (iperf-like's --mtu; Linux's TSO/GRO make
# its rate much the same at 1500 and 9000). Needs root (namespaces), iproute2, iperf3
# and ping. Creates vsl-<pid>-a/-b and the veth pair vsl<pid>a/vsl<pid>b, removed on
# exit (also on Ctrl-C or failure).
# Prints a human summary and one JSON line:
#   {"bench":"vs-linux","mtu":..,"tso":..,"lwip_gbps":..,"veth_gbps":[before,after],"ratio":..,
#    "lwip_ping_p50_us":..,"veth_ping_p50_us":[before,after],
#    "lwip_rr":{"sync":..,"async":..},"veth_rr":[before,after],"rr_ratio":{..},...}
set -euo pipefail
secs=5
build="$(cd "$(dirname "$0")/.." && pwd)/build"
while [ $# -gt 0 ]; do
  case "$1" in
    -t) secs="$2"; shift 2 ;;
    -b) build="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "vs-linux: unknown option $1 (iperf-like options go after --)" >&2; exit 2 ;;
  esac
done
iperf_like="$build/bench/iperf-like" latency="$build/bench/latency" tcp_rr="$build/bench/tcp-rr"
for b in "$iperf_like" "$latency" "$tcp_rr"; do
  [ -x "$b" ] || { echo "vs-linux: $b not built" >&2; exit 2; }
done
for t in ip iperf3 ping; do
  command -v "$t" >/dev/null || { echo "vs-linux: needs $t (scripts/deps.sh installs it)" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "vs-linux: needs root (network namespaces)" >&2; exit 2; }

# Like for like: the veth pair gets the MTU the stacks run (iperf-like's --mtu, else 1500).
mtu=1500 prev=
for a in "$@"; do
  case "$prev" in --mtu) mtu="$a" ;; esac
  case "$a" in --mtu=*) mtu="${a#--mtu=}" ;; esac
  prev="$a"
done

ns_a="vsl-$$-a" ns_b="vsl-$$-b" if_a="vsl$$a" if_b="vsl$$b"
ip_a=10.254.$(( $$ % 250 )).1 ip_b=10.254.$(( $$ % 250 )).2
cleanup() {
  ip netns pids "$ns_b" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add "$if_a" netns "$ns_a" type veth peer name "$if_b" netns "$ns_b"
ip -n "$ns_a" addr add "$ip_a/24" dev "$if_a"
ip -n "$ns_b" addr add "$ip_b/24" dev "$if_b"
for n in "$ns_a" "$ns_b"; do ip -n "$n" link set lo up; done
ip -n "$ns_a" link set "$if_a" mtu "$mtu"
ip -n "$ns_b" link set "$if_b" mtu "$mtu"
ip -n "$ns_a" link set "$if_a" up
ip -n "$ns_b" link set "$if_b" up

# Wait until something listens on TCP port $1 in namespace $2.
listening() {
  for _ in $(seq 50); do
    ip netns exec "$2" ss -ltn 2>/dev/null | grep -q ":$1 " && return 0
    sleep 0.1
  done
  return 1
}

# One veth measurement: "<gbit/s> <ping p50 us> <tcp-rr trans/s>"
veth() {
  local port=$(( 20000 + $$ % 20000 )) out gbps p50 rr
  ip netns exec "$ns_b" iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
  local srv=$!
  listening "$port" "$ns_b" || true
  out=$(ip netns exec "$ns_a" iperf3 -c "$ip_b" -p "$port" -t "$secs" -f g 2>&1) || {
    echo "vs-linux: iperf3 failed: $out" >&2; kill "$srv" 2>/dev/null; return 1; }
  wait "$srv" 2>/dev/null || true
  gbps=$(echo "$out" | awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i+1) == "Gbits/sec") print $i }' | tail -n1)
  p50=$(ip netns exec "$ns_a" ping -n -c 200 -i 0.002 "$ip_b" |
        sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)] * 1000 }')
  ip netns exec "$ns_b" "$tcp_rr" -l "$port" &
  srv=$!
  listening "$port" "$ns_b" || true
  rr=$(ip netns exec "$ns_a" "$tcp_rr" -c "$ip_b" -p "$port" -t "$secs") || {
    echo "vs-linux: tcp-rr failed" >&2; kill "$srv" 2>/dev/null; return 1; }
  wait "$srv" 2>/dev/null || true
  echo "$gbps $p50 $rr"
}

read -r before_g before_p before_rr < <(veth)
lw=$("$iperf_like" -t "$secs" --ping 200 --json --quiet "$@" | tail -n1)
# latency's tcp-rr on the same lwIP build as iperf-like used
rr_out=$(VNETIF_LWIP_BUILD=$(echo "$lw" | sed -n 's/.*"lwip":"\([a-z]*\)".*/\1/p') "$latency" -r -t "$secs")
read -r after_g after_p after_rr < <(veth)

num() { echo "$lw" | sed -n "s/.*\"switch\":{[^}]*\"$1\":\([0-9.]*\).*/\1/p"; }
lw_g=$(num gbps) lw_p=$(num ping_p50_us)
verified=$(echo "$lw" | sed -n 's/.*"switch":{[^}]*"verified":\([a-z]*\).*/\1/p')
mode=$(echo "$lw" | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p')
build_used=$(echo "$lw" | sed -n 's/.*"lwip":"\([a-z]*\)".*/\1/p')
tso=$(echo "$lw" | sed -n 's/.*"tso":\([a-z]*\).*/\1/p')
direct_g=$(echo "$lw" | sed -n 's/.*"direct":{[^}]*"gbps":\([0-9.]*\).*/\1/p')
read -r veth_g veth_p ratio pratio < <(awk -v a="$before_g" -v b="$after_g" -v pa="$before_p" \
  -v pb="$after_p" -v l="$lw_g" -v lp="$lw_p" 'BEGIN {
    g = (a + b) / 2; p = (pa + pb) / 2
    printf "%.3f %.1f %.3f %.3f\n", g, p, (g > 0 ? l / g : 0), (p > 0 ? lp / p : 0) }')
rr_of() { echo "$rr_out" | sed -n "s/.*\"case\":\"tcp-rr-$1\",\"trans_per_s\":\([0-9.]*\).*/\1/p"; }
rr_sync=$(rr_of sync) rr_async=$(rr_of async)
read -r veth_rr rr_rs rr_ra < <(awk -v a="$before_rr" -v b="$after_rr" -v s="$rr_sync" \
  -v y="$rr_async" 'BEGIN { v = (a + b) / 2
    printf "%.1f %.3f %.3f\n", v, (v > 0 ? s / v : 0), (v > 0 ? y / v : 0) }')
echo "Linux veth (MTU $mtu, iperf3, 1 stream): ${before_g} Gbit/s before, ${after_g} after; ping p50 ${before_p} / ${after_p} us; tcp-rr ${before_rr} / ${after_rr} trans/s"
echo "lwIP ($build_used, $mode switch, iperf-like ${*:-defaults}): ${lw_g} Gbit/s (data verified: $verified), direct wire ${direct_g}; ping p50 ${lw_p} us"
echo "lwIP tcp-rr through the switch (latency -r): sync ${rr_sync}, async ${rr_async} trans/s"
echo "lwIP / veth: throughput ${ratio}x, ping p50 ${pratio}x (lower is better), tcp-rr sync ${rr_rs}x, async ${rr_ra}x"
echo "{\"bench\":\"vs-linux\",\"seconds\":$secs,\"mtu\":$mtu,\"tso\":${tso:-false},\"lwip\":\"$build_used\",\"mode\":\"$mode\",\"lwip_gbps\":$lw_g,\"direct_gbps\":$direct_g,\"verified\":$verified,\"veth_gbps\":[$before_g,$after_g],\"ratio\":$ratio,\"lwip_ping_p50_us\":$lw_p,\"veth_ping_p50_us\":[$before_p,$after_p],\"ping_ratio\":$pratio,\"lwip_rr\":{\"sync\":$rr_sync,\"async\":$rr_async},\"veth_rr\":[$before_rr,$after_rr],\"rr_ratio\":{\"sync\":$rr_rs,\"async\":$rr_ra}}"
[ "$verified" = true ]
