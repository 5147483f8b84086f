#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Assemble a small Linux guest for QEMU from Debian packages, at run time (nothing binary
# is kept in the repository): Debian's kernel (linux-image-amd64, unpacked with
# dpkg-deb -x, not installed) and an initramfs of busybox-static plus the kernel's
# virtio-net modules (built as modules in Debian's kernel, loaded by /init).
#
#   make-guest.sh OUTDIR [--add DIR]
#
# writes OUTDIR/vmlinuz and OUTDIR/initrd.gz. Files under DIR are copied into the
# initramfs (e.g. DIR/guest.d/ROLE, a script /init runs when the kernel command line
# says vm.role=ROLE). The .deb files are fetched with `apt-get download` into
# OUTDIR/debs (or $VNETIF_VM_DEBS) once and reused.
#
# Kernel command line the guest's /init reads:
#   vm.ip=10.0.0.11/24   address of eth0 (the virtio-net device); none: eth0 stays down
#   vm.role=NAME         run /guest.d/NAME, then power off; none: a shell on the console
# /init prints "vm: ready <seconds since boot>" once eth0 is up.
set -euo pipefail

out=${1:?usage: make-guest.sh OUTDIR [--add DIR]}
shift
add=
if [ "${1:-}" = --add ]; then
	add=${2:?--add needs a directory}
fi
debs=${VNETIF_VM_DEBS:-$out/debs}
mkdir -p "$out" "$debs"
out=$(cd "$out" && pwd)
debs=$(cd "$debs" && pwd)

# The kernel image package linux-image-amd64 points to, and busybox-static.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "make-guest: apt-cache knows no linux-image-amd64 (run apt-get update)" >&2; exit 1; }
for p in "$kpkg" busybox-static; do
	if ! ls "$debs/${p}_"*.deb >/dev/null 2>&1; then
		(cd "$debs" && apt-get download "$p" >/dev/null 2>&1) ||
			{ echo "make-guest: apt-get download $p failed" >&2; exit 1; }
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$(ls "$debs/${kpkg}_"*.deb | head -1)" "$work/k"
dpkg-deb -x "$(ls "$debs/busybox-static_"*.deb | head -1)" "$work/bb"
cp "$work"/k/boot/vmlinuz-* "$out/vmlinuz"

root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,www,lib/modules,etc}
cp "$work/bb/bin/busybox" "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done

# virtio-net and what it needs, in load order (Debian builds them as modules; the
# packaged tree has no modules.dep, so the order is fixed here and checked below).
mods="drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko
drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko
drivers/virtio/virtio_pci.ko net/core/failover.ko drivers/net/net_failover.ko
drivers/net/virtio_net.ko"
kdir=$(echo "$work"/k/lib/modules/*/kernel)
loaded=" "
for m in $mods; do
	f=$kdir/$m
	[ -f "$f" ] || f=$f.xz
	[ -f "$f" ] || { echo "make-guest: $m not in $kpkg" >&2; exit 1; }
	case $f in *.xz) xz -dc "$f" >"$root/lib/modules/$(basename "$m")" ;;
		*) cp "$f" "$root/lib/modules/" ;; esac
	deps=$(tr '\0' '\n' <"$root/lib/modules/$(basename "$m")" | sed -n 's/^depends=//p' | tr , ' ')
	for d in $deps; do
		case $loaded in *" $d "*) ;; *) echo "make-guest: $m needs $d first" >&2; exit 1 ;; esac
	done
	loaded="$loaded$(basename "$m" .ko) "
	echo "$(basename "$m")" >>"$root/lib/modules/order"
done

cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m; done
ip=; role=
for w in $(cat /proc/cmdline); do
	case $w in vm.ip=*) ip=${w#vm.ip=} ;; vm.role=*) role=${w#vm.role=} ;; esac
done
ip link set lo up
if [ -n "$ip" ]; then
	i=0
	while ! ip link show eth0 >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
	ip addr add "$ip" dev eth0
	ip link set eth0 up
fi
echo "vm: ready $(cut -d' ' -f1 /proc/uptime)"
if [ -n "$role" ] && [ -x "/guest.d/$role" ]; then
	"/guest.d/$role"
	echo "vm: $role exited $?"
	poweroff -f
fi
exec setsid cttyhack sh
INIT
chmod +x "$root/init"
[ -z "$add" ] || cp -a "$add"/. "$root"/
(cd "$root" && find . | "$work/bb/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$out/initrd.gz"
echo "make-guest: $out/vmlinuz ($kpkg), $out/initrd.gz"
