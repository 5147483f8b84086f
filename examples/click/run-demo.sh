#!/bin/bash
# run-demo.sh -- two libvnetif segments joined by a Click middlebox.
#
#   netns vnA (10.200.78.1) -tap- [vnetif-switch A] -memif- Click -memif- [vnetif-switch B] -tap- netns vnB (10.200.78.2)
#
# Usage: sudo ./run-demo.sh            with a DPDK-enabled click (Click or FastClick)
#        sudo ./run-demo.sh --testpmd  dpdk-testpmd (io forwarding) stands in for Click
#        ./run-demo.sh --check         only say what is missing
# Environment: CLICK=/path/to/click, VNETIF_SWITCH=/path/to/vnetif-switch.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=click
case "${1:-}" in
  "") ;;
  --testpmd) mode=testpmd ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  *) echo "run-demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package $2)"); }

[ "$(id -u)" = 0 ] || missing+=("root: tap interfaces and network namespaces need CAP_NET_ADMIN")
[ -c /dev/net/tun ] || missing+=("/dev/net/tun (the tun kernel module)")
need_cmd ip iproute2
need_cmd ping iputils-ping

# vnetif-switch: $VNETIF_SWITCH, PATH, or a build directory of this repository.
sw=${VNETIF_SWITCH:-}
if [ -z "$sw" ]; then
  sw=$(command -v vnetif-switch 2>/dev/null || true)
  for d in "$repo"/build*/tools; do
    [ -z "$sw" ] && [ -x "$d/vnetif-switch" ] && sw="$d/vnetif-switch"
  done
fi
[ -n "$sw" ] && [ -x "$sw" ] || missing+=("vnetif-switch: build it (cmake -S $repo -B $repo/build && cmake --build $repo/build) or set VNETIF_SWITCH")

# The middlebox.
click=${CLICK:-$(command -v click 2>/dev/null || true)}
# DPDK-enabled: linked to librte_eal (dynamic), or EAL's option parser is inside it
# (static: its "file-prefix" option string). Not `click --help`: FastClick's aborts.
click_ok() {
  [ -n "$click" ] && [ -x "$click" ] || return 1
  ldd "$click" 2>/dev/null | grep -q librte_eal || grep -aq file-prefix "$click"
}
if [ "$mode" != testpmd ]; then
  if [ -z "$click" ]; then
    missing+=("a DPDK-enabled click (Click Modular Router built with --enable-dpdk, or FastClick): not in PATH; set CLICK=/path/to/click. See $here/README.md")
  elif ! click_ok; then
    missing+=("$click is not a DPDK-enabled Click (no --dpdk option; Debian's 'click' package is an unrelated tool). Build Click or FastClick with DPDK: see $here/README.md")
  fi
else
  need_cmd dpdk-testpmd dpdk
fi

if [ ${#missing[@]} -gt 0 ]; then
  what=$mode; [ "$mode" = check ] && what=click
  echo "run-demo.sh: cannot run the $what demo; missing:"
  for m in "${missing[@]}"; do echo "  - $m"; done
  [ "$mode" = click ] && echo "Without Click, the same topology runs with dpdk-testpmd standing in: sudo $0 --testpmd"
  exit 1
fi
if [ "$mode" = check ]; then
  echo "run-demo.sh: everything the Click demo needs is here (click: $click, vnetif-switch: $sw)"
  exit 0
fi

run=$(mktemp -d /tmp/vnetif-click.XXXXXX)
prefix=vnetif-click-$$
pids=()
# shellcheck disable=SC2317  # called through the trap
cleanup() {
  set +e
  [ -n "${mb_pid:-}" ] && kill -INT "$mb_pid" 2>/dev/null && sleep 1 && kill -KILL "$mb_pid" 2>/dev/null
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del vnA 2>/dev/null
  ip netns del vnB 2>/dev/null
  rm -rf "$run" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT INT TERM

wait_for() { # file text seconds
  for _ in $(seq $(( $3 * 10 ))); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "run-demo.sh: timed out waiting for '$2' in $1:"; cat "$1"; return 1
}

for seg in A B; do
  ip netns del "vn$seg" 2>/dev/null
  "$sw" --memif "$run/$seg.sock" --tap "vn${seg}0" >"$run/switch$seg.log" 2>&1 &
  pids+=($!)
done
for seg in A B; do wait_for "$run/switch$seg.log" switching 20 || exit 1; done
addr=1
for seg in A B; do
  ip netns add "vn$seg"
  ip link set "vn${seg}0" netns "vn$seg"
  ip netns exec "vn$seg" sh -c "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"
  ip -n "vn$seg" addr add "10.200.78.$addr/24" dev "vn${seg}0"
  ip -n "vn$seg" link set "vn${seg}0" up
  addr=$((addr + 1))
done

eal=(--no-huge -m 512 --no-pci "--file-prefix=$prefix"
     "--vdev=net_memif0,role=client,socket=$run/A.sock,socket-abstract=no"
     "--vdev=net_memif1,role=client,socket=$run/B.sock,socket-abstract=no")
if [ "$mode" = click ]; then
  echo "+ $click --dpdk -l 0 ${eal[*]} -- $here/middlebox.click"
  "$click" --dpdk -l 0 "${eal[@]}" -- "$here/middlebox.click" >"$run/middlebox.log" 2>&1 &
else
  echo "+ dpdk-testpmd -l 0-1 ${eal[*]} -- --forward-mode=io --auto-start --total-num-mbufs=16384 --stats-period=1"
  dpdk-testpmd -l 0-1 "${eal[@]}" -- --forward-mode=io --auto-start \
    --total-num-mbufs=16384 --stats-period=1 >"$run/middlebox.log" 2>&1 &
fi
mb_pid=$!
for seg in A B; do wait_for "$run/switch$seg.log" "memif .* up " 20 || { cat "$run/middlebox.log"; exit 1; }; done

echo "== ping from vnA (10.200.78.1) to vnB (10.200.78.2) through the middlebox"
ip netns exec vnA ping -c 5 -i 0.2 -W 2 10.200.78.2
rc=$?
if [ "$mode" = click ]; then
  echo "== TCP to port 24: forwarded, vnB answers with a reset (connection refused)"
  ip netns exec vnA timeout 3 bash -c 'exec 3<>/dev/tcp/10.200.78.2/24' 2>&1 | tail -1
  echo "== TCP to port 23: dropped by the middlebox's rule (times out)"
  # (not `... | tail -1 || echo`: that tests tail's status, never timeout's)
  out=$(ip netns exec vnA timeout 3 bash -c 'exec 3<>/dev/tcp/10.200.78.2/23' 2>&1)
  st=$?
  [ -z "$out" ] || echo "$out" | tail -1
  if [ $st = 124 ]; then echo "timed out, as the rule says"; else echo "not dropped (status $st)"; fi
fi
sleep 1.2
echo "== counters"
for seg in A B; do echo "-- switch $seg"; grep -E '^ +[0-9.]+s port' "$run/switch$seg.log" | tail -2; done
echo "-- middlebox"
tail -5 "$run/middlebox.log"
exit $rc
