#!/usr/bin/env bash
# Run the suites DPDK allows under valgrind memcheck (see tests/README.md, "valgrind"):
# a plain build (no sanitizer; VALGRIND_BUILD=<dir>, default build-valgrind/), each
# suite once with
#   --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
# and the DPDK suppressions of tests/valgrind.supp. Threads run one at a time under
# valgrind, so the stress suites run at the TSan scale (VNETIF_TEST_SCALE=tsan), and
# checks that depend on the kernel's scheduler are skipped (VNETIF_TEST_VALGRIND=1).
#   scripts/valgrind.sh [SUITE-FILTER]
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-}"
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
bdir="${VALGRIND_BUILD:-build-valgrind}"
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$bdir" -j"$(nproc)" >/dev/null

# Suites that run under valgrind. Not here: test_ethdev_netns, test_ethdev_testpmd,
# test_peer_faults, test_vnetif_switch, test_slirp*, test_vhost, test_vm (child processes
# with their own EAL and timing bounds a 20-50x slower process misses), test_eal (it starts
# EAL in children on purpose with bad arguments: DPDK leaks what a failed rte_eal_init()
# allocated), test_lifecycle (it checks that churn keeps the RSS flat, and valgrind's own
# allocator grows it), test_lwip_errors (it frees a foreign pointer on purpose to show the
# shim survives it), test_lwip_impair (rates and delays measured against the clock),
# install_test (a build).
# Threads: --fair-sched=yes. The default lock valgrind serialises threads with is unfair:
# a thread spinning in a yield function (a user's, or the tests') can keep the thread it
# waits for from ever running, and a bounded wait then times out.
suites=(
  tests/test_switch tests/test_port tests/test_fwd tests/test_delivery tests/test_errors
  tests/test_policy tests/test_pool tests/test_accounting tests/test_impair tests/test_capture
  tests/test_regress tests/test_portsec tests/test_stress tests/test_soak tests/test_threads
  tests/test_tso
  tests/fuzz/fuzz_switch_replay:tests/fuzz/corpus/fuzz_switch
  tests/fuzz/fuzz_tso_replay:tests/fuzz/corpus/fuzz_tso
  tests/fuzz/fuzz_switch_opts_replay:tests/fuzz/corpus/fuzz_switch_opts
  backends/tests/test_ethdev backends/tests/test_ethdev_view
  # lwIP suites: memory errors are checked, leaks not (=noleak): blocks allocated inside
  # the stacks' dlmopen namespaces are reported "definitely lost" without symbols
  # (valgrind does not read the symbols of objects loaded with dlmopen), so a report
  # could not be told from noise; ASan's LeakSanitizer covers these suites.
  stacks/lwip/tests/test_lwip_wire=noleak stacks/lwip/tests/test_lwip_switch=noleak
  stacks/lwip/tests/test_lwip_paths=noleak stacks/lwip/tests/test_lwip_guard=noleak
  stacks/lwip/tests/test_lwip_close=noleak stacks/lwip/tests/test_lwip_netif=noleak
  stacks/lwip/tests/test_lwip_tso=noleak
  stacks/lwip/tests/fuzz_lwip_frames_replay:stacks/lwip/tests/corpus/fuzz_lwip_frames=noleak
)
mkdir -p $bdir/valgrind
failed=0 ran=0
for s in "${suites[@]}"; do
  leak=full
  [[ "$s" == *=noleak ]] && { leak=no; s="${s%=noleak}"; }
  exe="$bdir/${s%%:*}"
  arg=""
  [[ "$s" == *:* ]] && arg="${s#*:}"
  name=$(basename "$exe")
  case "$name" in *"$filter"*) ;; *) continue ;; esac
  [ -x "$exe" ] || { echo "--- $name: not built, skipped"; continue; }
  log="$bdir/valgrind/$name.log"
  start=$(date +%s)
  rc=0
  CK_FORK=no CK_DEFAULT_TIMEOUT=1200 VNETIF_TEST_SCALE=tsan VNETIF_TEST_GRACE_MS=30000 VNETIF_TEST_VALGRIND=1 timeout 1800 \
    valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=$leak --errors-for-leak-kinds=definite \
      --show-leak-kinds=definite --suppressions=tests/valgrind.supp \
      "$exe" $arg >"$log" 2>&1 || rc=$?
  ran=$((ran + 1))
  verdict=ok
  [ "$rc" -eq 0 ] || { verdict="FAILED (exit $rc, see $log)"; failed=$((failed + 1)); }
  echo "--- $name: $verdict, $(( $(date +%s) - start )) s"
done
echo "valgrind.sh: $ran suites, $failed failed"
[ "$failed" -eq 0 ]
