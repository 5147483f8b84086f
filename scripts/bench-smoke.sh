#!/usr/bin/env bash
# Smoke-run every benchmark for about a second (CI). Benchmarks are programs, not timed
# tests: this checks that they run, verify their data and print their JSON lines.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build -j"$(nproc)" --target switch-bench disconnect-bench latency iperf-like ethdev-view vnetif-switch >/dev/null
out=$(mktemp)
trap 'rm -f "$out" "$out.bad"' EXIT
build/bench/switch-bench --seconds 0.05 --sizes 64,1514 --bursts 32 --threads 1,2 --mode both \
  --testpmd 0.5 | tee "$out"
# interleaved rounds: the five figures twice each, medians and the rounds' best ratios
build/bench/switch-bench --seconds 0.05 --sizes 64 --bursts 32 --threads 2 --mode learning \
  --testpmd off --placement pinned --rounds 2 | tee -a "$out" |
  grep '"rounds":2,.*"ringnc_mpps":[0-9.]*,.*"ratios_best":\[[0-9.]*,[0-9.]*\]' >/dev/null
build/bench/disconnect-bench -m 4096,16384 | tee -a "$out"
build/bench/latency -n 2000 -t 0.2 | tee -a "$out"
build/bench/ethdev-view -t 0.2 -b 32 | tee -a "$out"
build/bench/iperf-like -t 1 -i 0.5 | tee -a "$out"
build/bench/iperf-like -t 1 -i 0.5 --mode sync --json | tee -a "$out"
# interleaved rounds: two of each path, the median ratio
build/bench/iperf-like -t 0.5 --rounds 2 --quiet --json | tee -a "$out" | grep '"rounds":2,"ratios":\[.*"cpu_ratios":\[' >/dev/null
# goodput under impairments on the switch path and the direct wire (about 40 s): lwIP
# recovers on both, data verified
for spec in loss=0.01,seed=7 reorder=0.02,seed=3 delay=1ms rate=200mbit,queue=256 \
            cut_after=1M,cut=1s; do
  timeout 120 build/bench/iperf-like -n 4M --impair "$spec" --quiet | tee -a "$out"
done
# the check of the data catches wrong bytes: bits flipped where no checksum looks (tuned
# stacks, checksums off) must fail the run on both paths
if [ -e build/stacks/lwip/vnetif-lwip/libvnetif-lwip-glue-tuned.so ]; then
  rc=0
  timeout 60 build/bench/iperf-like -n 1M --impair corrupt=0.05,seed=5 --lwip tuned --checksums off \
    --quiet --json > "$out.bad" || rc=$?
  [ "$rc" -eq 1 ] && [ "$(grep -o '"verified":false' "$out.bad" | wc -l)" -eq 2 ] || {
    echo "bench-smoke: iperf-like passed corrupted data (exit $rc)" >&2; cat "$out.bad" >&2; exit 1; }
  rm -f "$out.bad"
else
  echo "bench-smoke: no tuned lwIP in this build: the check of corrupted data is skipped"
fi
# memif through vnetif-switch, if testpmd is installed (about 10 s): both cases moved frames
if command -v dpdk-testpmd >/dev/null; then
  VNETIF_SWITCH=build/tools/vnetif-switch tools/bench-memif.sh 2 | tee -a "$out"
  grep '"bench":"memif"' "$out" | grep -vqE '"(direct|through_switch)_best_mpps":0(\.0+)?[,}]'
fi
build/bench/iperf-like -t 1 -i 0.5 --lwip debian --ping 20 | tee -a "$out"
# against Linux's veth (needs root for the namespaces; ~10 s)
if [ "$(id -u)" -eq 0 ] && command -v iperf3 >/dev/null; then
  bench/vs-linux.sh -t 1 | tee -a "$out"
fi
grep -q '"bench":"switch"' "$out" && grep -q '"bench":"disconnect"' "$out" && grep -q '"bench":"latency"' "$out" &&
  grep -q '"bench":"ethdev_view".*"verified":true' "$out" && grep -q '"verified":true' "$out"
bench/plot.sh switch "$out" build/switch-bench.png
echo "bench-smoke: all benchmarks ran"
