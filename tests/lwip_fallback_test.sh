#!/bin/sh
# The tuned lwIP's fallback (stacks/lwip/README.md, "Choosing"): where lwIP's source
# cannot be fetched, the configure step says so in a warning, the default lwIP build
# falls back to Debian's binary one, everything else builds, and stacks run. A fresh
# build tree asks for the tuned build but cannot fetch the source (its fetch directory
# lies under a regular file, so scripts/lwip-source.sh fails as it does without a mirror
# or network); two lwIP suites are built and run in it with the Debian default, and a
# stack that asks for the tuned build gets -ELIBACC (test_lwip_paths).
#   lwip_fallback_test.sh <source-dir> <c-compiler>
set -eu
src=$1 cc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "lwip_fallback_test: $*" >&2; exit 1; }

: >"$tmp/not-a-dir"
cmake -S "$src" -B "$tmp/b" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVNETIF_LWIP=tuned -DVNETIF_LWIP_CACHE="$tmp/not-a-dir/lwip-src" \
  -DVNETIF_BUILD_EXAMPLES=OFF -DVNETIF_BUILD_BENCH=OFF >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; fail "configure failed instead of falling back"; }
grep -q "could not fetch lwIP's source package" "$tmp/configure.log" ||
  { cat "$tmp/configure.log"; fail "configure did not say the fetch failed"; }
grep -q "Falling back to Debian's binary liblwip" "$tmp/configure.log" ||
  { cat "$tmp/configure.log"; fail "configure did not warn that it falls back"; }
! grep -q "tuned lwIP from" "$tmp/configure.log" || fail "configure claims a tuned lwIP"
cmake --build "$tmp/b" -j2 --target test_lwip_wire test_lwip_paths >"$tmp/build.log" 2>&1 ||
  { tail -n 40 "$tmp/build.log"; fail "build failed"; }
! find "$tmp/b" -name 'libvnetif-lwip-glue-tuned.so' | grep -q . || fail "a tuned glue was built"
# one run per suite, with the Debian build as the default: no _debian/_tuned variants
tests=$(ctest --test-dir "$tmp/b" -N -R '^test_lwip_(wire|paths)' | sed -n 's/^ *Test *#[0-9]*: //p' | sort | tr '\n' ' ')
[ "$tests" = "test_lwip_paths test_lwip_wire " ] || fail "unexpected lwIP tests: $tests"
ctest --test-dir "$tmp/b" -R '^test_lwip_(wire|paths)$' --output-on-failure ||
  fail "the lwIP suites failed on the Debian fallback"
echo "lwip_fallback_test: fetch failed, fell back to Debian's lwIP, suites passed"
