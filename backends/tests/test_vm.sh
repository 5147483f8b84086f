#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two Linux guests (QEMU, TCG) on vhost-user ports of vnetif-switch, with an lwIP stack
# on the same switch:
#   - the guests ping each other and the lwIP stack;
#   - guest B fetches 8 MiB of random bytes from guest A over TCP (busybox httpd and
#     wget) and the MD5 sums must match; the rate is printed;
#   - a NAT uplink (--nat 10.0.0.0/24: gateway 10.0.0.2) on the same switch: guest B
#     takes a DHCP lease from it, fetches a file from an HTTP server the test runs on the
#     host's 127.0.0.1 (MD5 checked), and the host fetches guest A's file through a port
#     forward (curl http://127.0.0.1:P/ -> 10.0.0.11:80, MD5 checked);
#   - guest B is killed (SIGKILL) in the middle of an endless TCP transfer; guest A must
#     then still reach the lwIP stack through the switch, and the switch must stop
#     cleanly (exit 0) on SIGTERM.
# The guest (Debian's kernel, a busybox initramfs) is assembled by
# examples/vm/make-guest.sh, cached in $VNETIF_VM_DIR (default: ./vm-guest).
#
#   test_vm.sh VNETIF_SWITCH_BINARY SOURCE_DIR
#
# Exit 77 (skipped) when qemu-system-x86_64 or the Debian packages are not available.
# Takes about a minute on two shared cores (each guest boots in ~12 s under TCG).
set -u
sw_bin=${1:?usage: test_vm.sh VNETIF_SWITCH SOURCE_DIR}
src=${2:?usage: test_vm.sh VNETIF_SWITCH SOURCE_DIR}
vmdir=${VNETIF_VM_DIR:-$PWD/vm-guest}
export VNETIF_VM_DEBS=${VNETIF_VM_DEBS:-$vmdir/debs} # the .deb files, fetched once

command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
for t in dpkg-deb apt-get gzip python3 curl; do
	command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }
done

run=$(mktemp -d /tmp/vnetif-vm.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$run"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$run"/*.log; do echo "--- $f"; grep -av '^\[ *[0-9.]*\]' "$f" | tail -25; done
	exit 1
}

# The guests' scripts (run by the guest's /init, see make-guest.sh).
mkdir -p "$run/add/guest.d" "$run/add/www/cgi-bin"
cat >"$run/add/guest.d/server" <<'G'
#!/bin/sh
dd if=/dev/urandom of=/www/d bs=1M count=8 2>/dev/null
echo "A-MD5 $(md5sum /www/d | cut -d' ' -f1)"
httpd -p 80 -h /www
ping -c 2 -W 2 10.0.0.12 >/dev/null 2>&1 # the other guest may not be up yet
while true; do
	ping -c 1 -W 1 10.0.0.1 >/dev/null 2>&1 && echo "A-LWIP-OK $(cut -d' ' -f1 /proc/uptime)"
	ping -c 1 -W 1 10.0.0.12 >/dev/null 2>&1 && echo "A-B-OK"
	sleep 1
done
G
cat >"$run/add/guest.d/client" <<'G'
#!/bin/sh
i=0
until ping -c 1 -W 1 10.0.0.11 >/dev/null 2>&1; do
	i=$((i+1)); [ $i -lt 120 ] || { echo "B-NO-A"; exit 1; }
done
ping -c 3 -W 2 10.0.0.11 >/dev/null 2>&1 && echo "B-PING-A ok"
ping -c 3 -W 2 10.0.0.1 >/dev/null 2>&1 && echo "B-PING-LWIP ok"
t0=$(cut -d' ' -f1 /proc/uptime)
wget -q -O /tmp/d http://10.0.0.11/d
t1=$(cut -d' ' -f1 /proc/uptime)
echo "B-MD5 $(md5sum /tmp/d | cut -d' ' -f1) $(wc -c </tmp/d) $t0 $t1"
rm /tmp/d
# The NAT uplink: a lease, then the host's server through the gateway address.
hp=$(sed -n 's/.*vm.hostport=\([0-9]*\).*/\1/p' /proc/cmdline)
udhcpc -i eth0 -n -q -t 5 -s /bin/true 2>&1 | grep -o "lease of [0-9.]* obtained" | sed 's/^/B-DHCP /'
ip route add default via 10.0.0.2
wget -q -O /tmp/h "http://10.0.0.2:$hp/hostfile" && echo "B-HOST-MD5 $(md5sum /tmp/h | cut -d' ' -f1)"
echo "B-ENDLESS-START"
wget -q -O /dev/null http://10.0.0.11/cgi-bin/zero
echo "B-ENDLESS-ENDED"
G
cat >"$run/add/www/cgi-bin/zero" <<'G'
#!/bin/sh
printf 'Content-Type: application/octet-stream\r\n\r\n'
exec cat /dev/zero
G
chmod +x "$run/add/guest.d/"* "$run/add/www/cgi-bin/zero"

t=$(date +%s.%N)
if ! "$src/examples/vm/make-guest.sh" "$run/guest" --add "$run/add" >"$run/make-guest.out" 2>&1; then
	# No Debian packages (offline, no apt lists): skip rather than fail.
	cat "$run/make-guest.out"
	echo "SKIP: cannot assemble the guest"
	exit 77
fi
echo "guest assembled in $(echo "$(date +%s.%N) - $t" | bc) s"

# Two free ports on 127.0.0.1: the host's HTTP server, and the forward into guest A.
read -r hport fport < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$run/www"
head -c 1048576 /dev/urandom >"$run/www/hostfile"
hostmd5=$(md5sum <"$run/www/hostfile" | cut -d' ' -f1)
python3 -m http.server --bind 127.0.0.1 --directory "$run/www" "$hport" \
	>"$run/http.out" 2>&1 &
pids+=($!)

"$sw_bin" --vhost "$run/a.sock" --vhost "$run/b.sock" --stack 10.0.0.1/24 \
	--nat 10.0.0.0/24 --hostfwd "tcp:127.0.0.1:$fport-10.0.0.11:80" \
	--interval 2 --duration 600 >"$run/switch.log" 2>&1 &
swpid=$!
pids+=($swpid)
for i in $(seq 100); do
	[ -S "$run/a.sock" ] && [ -S "$run/b.sock" ] && break
	kill -0 $swpid 2>/dev/null || fail "the switch did not start"
	sleep 0.1
done

# vectors=0: QEMU 7.2 with TCG crashes in vhost_net_start with MSI-X (msix_set_vector_
# notifiers); legacy interrupts avoid it.
boot() { # NAME SOCKET MAC IP ROLE
	qemu-system-x86_64 -machine pc,accel=tcg -cpu qemu64 -m 256 -smp 1 -nographic \
		-no-reboot -object memory-backend-memfd,id=mem,size=256M,share=on \
		-numa node,memdev=mem -chardev socket,id=c0,path="$2" \
		-netdev vhost-user,id=n0,chardev=c0 \
		-device virtio-net-pci,netdev=n0,mac="$3",romfile=,vectors=0 \
		-kernel "$run/guest/vmlinuz" -initrd "$run/guest/initrd.gz" \
		-append "console=ttyS0 panic=-1 mitigations=off vm.ip=$4 vm.role=$5 vm.hostport=$hport" \
		-serial file:"$run/$1.log" -monitor none -display none </dev/null \
		>"$run/$1.qemu.out" 2>&1 &
	pids+=($!)
}
t0=$(date +%s.%N)
boot vmA "$run/a.sock" 52:54:00:00:00:11 10.0.0.11/24 server
qa=${pids[-1]}
boot vmB "$run/b.sock" 52:54:00:00:00:12 10.0.0.12/24 client
qb=${pids[-1]}

# wait_for FILE PATTERN SECONDS
wait_for() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		grep -aq -- "$2" "$1" 2>/dev/null && return 0
		kill -0 $swpid 2>/dev/null || fail "the switch died"
		sleep 0.2
	done
	return 1
}
wait_for "$run/vmA.log" "vm: ready" 120 || fail "guest A did not boot in 120 s"
echo "guest A up after $(echo "$(date +%s.%N) - $t0" | bc) s (both booting at once)"
wait_for "$run/vmB.log" "vm: ready" 120 || fail "guest B did not boot in 120 s"
echo "guest B up after $(echo "$(date +%s.%N) - $t0" | bc) s"

wait_for "$run/vmB.log" "B-PING-A ok" 90 || fail "guest B cannot ping guest A"
wait_for "$run/vmB.log" "B-PING-LWIP ok" 30 || fail "guest B cannot ping the lwIP stack"
wait_for "$run/vmA.log" "A-LWIP-OK" 30 || fail "guest A cannot ping the lwIP stack"
wait_for "$run/vmA.log" "A-B-OK" 30 || fail "guest A cannot ping guest B"
wait_for "$run/vmB.log" "B-MD5" 120 || fail "guest B did not get the file"
# (a serial console ends its lines with \r)
sent=$(grep -a "^A-MD5" "$run/vmA.log" | tr -d '\r' | awk '{print $2}')
read -r _ got len b0 b1 < <(grep -a "^B-MD5" "$run/vmB.log" | tr -d '\r' | tail -1)
[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "MD5 differs: sent $sent, received $got"
[ "$len" = 8388608 ] || fail "received $len bytes, not 8388608"
echo "8 MiB guest to guest over TCP, MD5 equal: $(echo "scale=1; 8 / ($b1 - $b0)" | bc) MiB/s" \
	"(TCG guests, $(echo "$b1 - $b0" | bc) s)"

# The NAT uplink, both ways.
wait_for "$run/vmB.log" "B-DHCP lease of 10.0.0.15 obtained" 60 ||
	fail "guest B got no DHCP lease from the NAT uplink"
wait_for "$run/vmB.log" "B-HOST-MD5" 60 || fail "guest B could not fetch from the host's 127.0.0.1"
got=$(grep -a "^B-HOST-MD5" "$run/vmB.log" | tr -d '\r' | awk '{print $2}')
[ "$got" = "$hostmd5" ] || fail "host file MD5 differs: $hostmd5 sent, $got received"
echo "guest B: DHCP lease from the NAT uplink, 1 MiB from the host's 127.0.0.1, MD5 equal"
got=$(curl -s --max-time 30 "http://127.0.0.1:$fport/d" | md5sum | cut -d' ' -f1)
[ "$got" = "$sent" ] || fail "through the port forward: MD5 $got, guest A has $sent"
echo "host: curl http://127.0.0.1:$fport/d reached guest A through the forward, MD5 equal"

# Kill guest B in the middle of an endless transfer.
wait_for "$run/vmB.log" "B-ENDLESS-START" 30 || fail "guest B did not start the endless transfer"
sleep 2
grep -aq "B-ENDLESS-ENDED" "$run/vmB.log" && fail "the endless transfer ended by itself"
kill -9 $qb
wait $qb 2>/dev/null
n0=$(grep -ac "A-LWIP-OK" "$run/vmA.log")
end=$((SECONDS + 30))
while [ "$(grep -ac "A-LWIP-OK" "$run/vmA.log")" -lt $((n0 + 3)) ]; do
	[ $SECONDS -lt $end ] || fail "after guest B was killed, guest A no longer reaches the lwIP stack"
	kill -0 $swpid 2>/dev/null || fail "the switch died when guest B was killed"
	sleep 0.5
done
echo "guest B killed mid-transfer; guest A still reaches the lwIP stack"

kill $qa
wait $qa 2>/dev/null
kill -TERM $swpid
wait $swpid
rc=$?
[ $rc = 0 ] || fail "the switch exited with $rc"
grep -a "^final" "$run/switch.log"
echo "PASS"
