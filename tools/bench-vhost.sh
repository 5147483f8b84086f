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
wait_flow "$run/direct-rx.log" 'Rx-pps: *[1-9]' "${pids[-1]}"
sleep "$((secs + 2))"
cleanup
read -r direct direct_best < <(testpmd_rx_mpps "$run/direct-rx.log")

# 2. through the switch: testpmd (virtio-user, txonly) -> vnetif-switch [vhost -> null sink]
start_switch --vhost "$run/s.sock"
testpmd tx "0@0,1@0" "net_virtio_user0,path=$run/s.sock,queues=1" txonly "$run/switch-tx.log"
wait_flow "$run/switch.log" 'port 1 vdev .* out [1-9]' "${pids[-1]}"
sleep "$((secs + 2))"
cleanup
read -r switched switched_best < <(switch_sink_mpps "$run/switch.log")

echo "direct virtio-user -> vhost-user testpmd:         median $direct Mpps, best second $direct_best Mpps (64-byte frames)"
echo "virtio-user -> vhost -> vnetif-switch -> sink:    median $switched Mpps, best second $switched_best Mpps (64-byte frames)"
echo "{\"bench\":\"vhost\",\"frame_bytes\":64,\"seconds\":$secs,\"direct_mpps\":$direct,\"direct_best_mpps\":$direct_best,\"through_switch_mpps\":$switched,\"through_switch_best_mpps\":$switched_best}"
