#!/usr/bin/env bash
# Smoke-run every benchmark for about a second (CI). Benchmarks are programs, not timed
# tests: this checks that they run, verify their data and print their JSON lines.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build -j"$(nproc)" --target switch-bench disconnect-bench latency iperf-like vnetif-switch >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
build/bench/switch-bench --seconds 0.05 --sizes 64,1514 --bursts 32 --threads 1,2 --mode both | tee "$out"
build/bench/disconnect-bench -m 4096,16384 | tee -a "$out"
build/bench/latency -n 2000 -t 0.2 | tee -a "$out"
build/bench/iperf-like -t 1 -i 0.5 | tee -a "$out"
build/bench/iperf-like -t 1 -i 0.5 --mode sync --json | tee -a "$out"
# memif through vnetif-switch, if testpmd is installed (about 10 s): both cases moved frames
if command -v dpdk-testpmd >/dev/null; then
  VNETIF_SWITCH=build/tools/vnetif-switch tools/bench-memif.sh 2 | tee -a "$out"
  grep '"bench":"memif"' "$out" | grep -vqE '"(direct|through_switch)_best_mpps":0(\.0+)?[,}]'
fi
grep -q '"bench":"switch"' "$out" && grep -q '"bench":"disconnect"' "$out" && grep -q '"bench":"latency"' "$out" && grep -q '"verified":true' "$out"
bench/plot.sh switch "$out" build/switch-bench.png
echo "bench-smoke: all benchmarks ran"
