#!/usr/bin/env bash
# Render PNG plots from the JSON lines the benchmarks print (gnuplot, Debian: gnuplot-nox).
#   bench/plot.sh switch  results.jsonl out.png   throughput vs frame size (switch-bench)
#   bench/plot.sh iperf   results.jsonl out.png   bitrate over time (iperf-like --json)
set -euo pipefail
kind=${1:?switch or iperf} in=${2:?JSON lines file} out=${3:?PNG file}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field NAME LINE: the value of a flat JSON field (numbers and strings)
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$2"; }

case "$kind" in
switch)
  # one series per (mode, threads, burst, placement): size -> Mpps; baselines from the same runs
  while IFS= read -r l; do
    [[ $l == *'"bench":"switch"'* ]] || continue
    key="$(field mode "$l")-t$(field threads "$l")-b$(field burst "$l")-$(field placement "$l" | tr -c "a-z0-9\n" _)"
    echo "$(field size "$l") $(field mpps "$l") $(field ring_mpps "$l") $(field minsw_mpps "$l")" >>"$tmp/$key.dat"
  done <"$in"
  plots=()
  for f in "$tmp"/*.dat; do
    [ -e "$f" ] || { echo "plot.sh: no switch-bench lines in $in" >&2; exit 1; }
    sort -n -o "$f" "$f"
    k=$(basename "$f" .dat)
    plots+=("'$f' using 1:2 with linespoints title 'switch $k'")
    plots+=("'$f' using 1:4 with lines dashtype 2 title 'minimal switch $k'")
  done
  gnuplot <<GP
set terminal pngcairo size 1000,600
set output '$out'
set title 'libvnetif switch-bench: throughput vs frame size'
set xlabel 'frame size (bytes)'
set ylabel 'Mpps'
set key outside right
set grid
plot $(IFS=,; echo "${plots[*]}")
GP
  ;;
iperf)
  for run in switch direct; do
    grep "\"run\":\"$run\"" "$in" | while IFS= read -r l; do
      iv=$(sed -n 's/.*"interval":\[\([^],]*\),\([^]]*\)\].*/\2/p' <<<"$l")
      echo "$iv $(field gbps "$l")"
    done >"$tmp/$run.dat"
  done
  [ -s "$tmp/switch.dat" ] || { echo "plot.sh: no iperf-like interval lines in $in (run with --json)" >&2; exit 1; }
  gnuplot <<GP
set terminal pngcairo size 1000,500
set output '$out'
set title 'libvnetif iperf-like: bitrate over time'
set xlabel 'time (s)'
set ylabel 'Gbit/s'
set yrange [0:*]
set grid
plot '$tmp/switch.dat' using 1:2 with linespoints title 'through the switch', \
     '$tmp/direct.dat' using 1:2 with linespoints title 'direct wire (baseline)'
GP
  ;;
*) echo "plot.sh: first argument is 'switch' or 'iperf'" >&2; exit 2 ;;
esac
echo "plot.sh: wrote $out"
