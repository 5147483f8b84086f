#!/usr/bin/env bash
# Install the Debian 12 packages libvnetif needs to build, test and benchmark.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail
# dpkg-dev and the archive keyring: the tuned lwIP's source (scripts/lwip-source.sh)
pkgs=(build-essential cmake pkg-config libdpdk-dev dpdk-dev check liblwip-dev
      dpkg-dev debian-archive-keyring iproute2 iputils-ping iperf3 gnuplot-nox tshark
      clang                                 # scripts/fuzz.sh: libFuzzer targets
      valgrind                              # scripts/valgrind.sh
      libslirp-dev                          # the NAT uplink (backends/slirp.c)
      qemu-system-x86 curl python3)         # test_vm: guests on vhost-user ports
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -q
# env inside sudo: sudo's env_reset would drop a variable set before it
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
