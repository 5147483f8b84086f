#!/usr/bin/env bash
# Build libvnetif and run the main demo: examples/loopback — a server lwIP stack and a
# client lwIP stack on one in-process switch (no hugepages, no NIC, no root needed to run)
# resolve each other by ARP, ping, and talk TCP.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target loopback hello
echo "--- examples/hello"
build/examples/hello
echo "--- examples/loopback"
build/examples/loopback/loopback
