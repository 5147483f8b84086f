# bench-lib.sh -- what the testpmd benchmarks of tools/ share: find vnetif-switch, start
# testpmd instances, wait for a socket and for frames, stop everything, summarise the
# per-second rates. Sourced with $prog (the script's name, for messages), $tag (its
# DPDK file-prefix tag) and $here (tools/) set; bash.
# shellcheck shell=bash disable=SC2154  # $prog, $tag, $here: set by the sourcing script
sw=${VNETIF_SWITCH:-}
if [ -z "$sw" ]; then
  for d in "$here"/../build*/tools; do [ -x "$d/vnetif-switch" ] && sw="$d/vnetif-switch" && break; done
fi
command -v dpdk-testpmd >/dev/null || { echo "$prog: dpdk-testpmd not found (Debian package dpdk)"; exit 1; }
if [ -z "$sw" ] || [ ! -x "$sw" ]; then
  echo "$prog: vnetif-switch not built (or set VNETIF_SWITCH)"; exit 1
fi

run=$(mktemp -d /tmp/vnetif-$tag.XXXXXX)
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
  rm -rf /var/run/dpdk/vnetif-$tag-*
}
trap 'cleanup; rm -rf "$run"' EXIT INT TERM

testpmd() { # prefix lcores vdev mode log
  dpdk-testpmd --lcores="$2" --no-huge -m 512 --no-pci --file-prefix="vnetif-$tag-$1" \
    --vdev="$3" -- --forward-mode="$4" --auto-start --total-num-mbufs=16384 \
    --stats-period=1 >"$5" 2>&1 &
  pids+=($!)
}

# Wait until the server (pid $2) listens on socket $1: up to 60 s, however loaded
# the machine is; fail if the server exits first.
wait_socket() {
  for _ in $(seq 600); do
    [ -S "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "$prog: the server on $1 exited:"; cat "$3"; exit 1; }
    sleep 0.1
  done
  echo "$prog: no socket $1 after 60 s"; cat "$3"; exit 1
}

# Wait until frames flow: log $1 has a line matching $2 (up to 60 s: the client's EAL
# start and memif connection take seconds on a loaded machine); fail if process $3 exits.
wait_flow() {
  for _ in $(seq 600); do
    grep -qE "$2" "$1" && return 0
    kill -0 "$3" 2>/dev/null || { echo "$prog: the client exited:"; cat "$1"; exit 1; }
    sleep 0.1
  done
  echo "$prog: no frames after 60 s"; tail -n 20 "$1"; exit 1
}

# Median and best of per-second rates in Mpps from the first non-zero sample on, less one
# warm-up sample; reads numbers in pps (one per line) on stdin. The best second is the
# least disturbed by other work on a shared machine.
stats_mpps() {
  awk '$1 > 0 { on = 1 } on' | tail -n +2 | sort -n | awk '{ v[n++] = $1 / 1e6 }
    END { if (!n) { print "0 0"; exit } printf "%.2f %.2f", v[int(n / 2)], v[n - 1] }'
}


# Median and best Mpps of the frames testpmd's log $1 reports received per second.
testpmd_rx_mpps() {
  grep -oE 'Rx-pps: *[0-9]+' "$1" | grep -oE '[0-9]+$' | stats_mpps
}

# Start vnetif-switch on CPU 1 with a port $1 (--memif or --vhost) on socket $2 and a
# null sink as port 1, logging to $run/switch.log; returns when the socket is there.
start_switch() {
  taskset -c 1 "$sw" "$1" "$2" --vdev net_null0,no-rx=1 >"$run/switch.log" 2>&1 &
  pids+=($!)
  wait_socket "$2" "${pids[-1]}" "$run/switch.log"
}

# Median and best Mpps of what vnetif-switch's log $1 says its sink port (port 1) sent
# per second: "... out N (X Mpps) ..." (or kpps, pps).
switch_sink_mpps() {
  grep -E 'port 1 vdev' "$1" | grep -oE 'out [0-9]+ \([0-9.]+ [kM]?pps' |
    awk '{ r = substr($3, 2); u = $4; print (u == "Mpps" ? r * 1e6 : u == "kpps" ? r * 1e3 : r) }' |
    stats_mpps
}
