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
prog=bench-vhost.sh tag=bvh
# shellcheck source=tools/bench-lib.sh
. "$here/bench-lib.sh"

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
