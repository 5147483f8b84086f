#!/bin/bash
# bench-vhost.sh -- vhost-user throughput: DPDK's virtio-user client (what a VM's
# virtio-net driver is to a vhost-user port, in a DPDK process) through vnetif-switch
# --vhost, against a direct virtio-user -> vhost-user testpmd pair. 64-byte frames,
# txonly client.
#
# Usage: bench-vhost.sh [SECONDS]   (default 10; needs dpdk-testpmd and a built vnetif-switch;
#                                    VNETIF_SWITCH=/path overrides where it is looked for)
# Pinning on a 2-CPU machine: the sending testpmd's forwarding lcore on CPU 0, the
# receiver (vnetif-switch's polling loop, or the receiving testpmd's lcore) on CPU 1.
# Prints per case the median and the best per-second rate (the best is the least
# disturbed by other work on a shared machine), and one JSON line.
set -u
secs=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
sw=${VNETIF_SWITCH:-}
if [ -z "$sw" ]; then
  for d in "$here"/../build*/tools; do [ -x "$d/vnetif-switch" ] && sw="$d/vnetif-switch" && break; done
fi
command -v dpdk-testpmd >/dev/null || { echo "bench-vhost.sh: dpdk-testpmd not found (Debian package dpdk)"; exit 1; }
if [ -z "$sw" ] || [ ! -x "$sw" ]; then
  echo "bench-vhost.sh: vnetif-switch not built (or set VNETIF_SWITCH)"; exit 1
fi

run=$(mktemp -d /tmp/vnetif-bvh.XXXXXX)
pids=()
# shellcheck disable=SC2317  # called through the trap
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  for _ in $(seq 50); do # up to 5 s to exit cleanly (runtime directories removed)
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  pids=()
  rm -rf /var/run/dpdk/vnetif-bvh-*
}
trap 'cleanup; rm -rf "$run"' EXIT INT TERM

testpmd() { # prefix lcores vdev mode log
  dpdk-testpmd --lcores="$2" --no-huge -m 512 --no-pci --file-prefix="vnetif-bvh-$1" \
    --vdev="$3" -- --forward-mode="$4" --auto-start --total-num-mbufs=16384 \
    --stats-period=1 >"$5" 2>&1 &
  pids+=($!)
}

# Wait until the vhost-user server (pid $2) listens on socket $1: up to 60 s, however loaded
# the machine is; fail if the server exits first.
wait_socket() {
  for _ in $(seq 600); do
    [ -S "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "bench-vhost.sh: the server on $1 exited:"; cat "$3"; exit 1; }
    sleep 0.1
  done
  echo "bench-vhost.sh: no socket $1 after 60 s"; cat "$3"; exit 1
}

# Median and best of per-second rates in Mpps, after the first two (warm-up) samples;
# reads numbers in pps (one per line) on stdin. The best second is the least disturbed
# by other work on a shared machine.
stats_mpps() {
  tail -n +3 | sort -n | awk '{ v[n++] = $1 / 1e6 }
    END { if (!n) { print "0 0"; exit } printf "%.2f %.2f", v[int(n / 2)], v[n - 1] }'
}

# 1. direct pair: testpmd (vhost-user server, rxonly) <- testpmd (virtio-user, txonly)
testpmd rx "0@1,1@1" "net_vhost0,iface=$run/d.sock,queues=1" rxonly "$run/direct-rx.log"
wait_socket "$run/d.sock" "${pids[-1]}" "$run/direct-rx.log"
testpmd tx "0@0,1@0" "net_virtio_user0,path=$run/d.sock,queues=1" txonly "$run/direct-tx.log"
sleep "$((secs + 2))"
cleanup
read -r direct direct_best < <(grep -oE 'Rx-pps: *[0-9]+' "$run/direct-rx.log" |
  grep -oE '[0-9]+$' | stats_mpps)

# 2. through the switch: testpmd (virtio-user, txonly) -> vnetif-switch [vhost -> null sink]
taskset -c 1 "$sw" --vhost "$run/s.sock" --vdev net_null0,no-rx=1 >"$run/switch.log" 2>&1 &
pids+=($!)
wait_socket "$run/s.sock" "${pids[-1]}" "$run/switch.log"
testpmd tx "0@0,1@0" "net_virtio_user0,path=$run/s.sock,queues=1" txonly "$run/switch-tx.log"
sleep "$((secs + 2))"
cleanup
# vnetif-switch's line for the sink port: "... out N (X Mpps) ..." (or kpps)
read -r switched switched_best < <(grep -E 'port 1 vdev' "$run/switch.log" |
  grep -oE 'out [0-9]+ \([0-9.]+ [kM]?pps' | awk '{ r = substr($3, 2); u = $4;
    print (u == "Mpps" ? r * 1e6 : u == "kpps" ? r * 1e3 : r) }' | stats_mpps)

echo "direct virtio-user -> vhost-user testpmd:         median $direct Mpps, best second $direct_best Mpps (64-byte frames)"
echo "virtio-user -> vhost -> vnetif-switch -> sink:    median $switched Mpps, best second $switched_best Mpps (64-byte frames)"
echo "{\"bench\":\"vhost\",\"frame_bytes\":64,\"seconds\":$secs,\"direct_mpps\":$direct,\"direct_best_mpps\":$direct_best,\"through_switch_mpps\":$switched,\"through_switch_best_mpps\":$switched_best}"
