#!/usr/bin/env bash
# Build every fuzz target with clang's libFuzzer (+ ASan/UBSan) in build-fuzz/ and run
# each for SECONDS (default 60), seeded from its committed corpus. New inputs go to a
# scratch directory; a crash, leak or sanitizer report fails the run and its input is
# kept in build-fuzz/findings/ (add it to the target's corpus once fixed).
#   scripts/fuzz.sh [SECONDS] [NAME-FILTER]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
filter="${2:-}"
scripts/deps.sh
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
CC=clang cmake -S . -B build-fuzz -DVNETIF_SANITIZE=fuzzer -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVNETIF_WERROR=ON \
  -DVNETIF_BUILD_EXAMPLES=OFF -DVNETIF_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)"
mkdir -p build-fuzz/findings
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ran=0
while read -r exe corpus; do
  [ -n "$exe" ] || continue
  name=$(basename "$exe")
  case "$name" in *"$filter"*) ;; *) continue ;; esac
  scratch=$(mktemp -d)
  echo "=== $name: ${secs} s from $corpus"
  if ! "$exe" -max_total_time="$secs" -rss_limit_mb=4096 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/findings/$name-" "$scratch" "$corpus" 2>&1 | tail -25; then
    echo "fuzz.sh: $name found a problem (see build-fuzz/findings/)" >&2
    rm -rf "$scratch"
    exit 1
  fi
  rm -rf "$scratch"
  ran=$((ran + 1))
done < build-fuzz/fuzzers.txt
if [ "$ran" -eq 0 ]; then
  [ -z "$filter" ] && { echo "fuzz.sh: no fuzz targets"; exit 0; }
  echo "fuzz.sh: no fuzz target matched '$filter'" >&2
  exit 1
fi
echo "fuzz.sh: $ran targets, no finding"
