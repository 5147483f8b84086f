#!/usr/bin/env bash
# Build libvnetif and run every test suite with ctest.
#   scripts/test.sh                      default build (build/)
#   scripts/test.sh --sanitize thread    ThreadSanitizer build (build-tsan/)
#   scripts/test.sh --sanitize address   AddressSanitizer + UBSan build (build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
san=""
[ "${1:-}" = "--sanitize" ] && san="${2:?address or thread}"
scripts/deps.sh
case "$san" in
  "") dir=build ;;
  thread) dir=build-tsan ;;
  address) dir=build-asan ;;
  *) echo "test.sh: --sanitize takes 'thread' or 'address'" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -DVNETIF_SANITIZE="$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVNETIF_WERROR=ON >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure -j2 --timeout 900
