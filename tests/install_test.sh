#!/bin/sh
# Integration test of the install: as a user of each library would, through pkg-config
# and through the CMake package.
#   1. `cmake --install <build-dir> --prefix TMP` of this build: pkg-config finds the
#      relocated .pc files; a program runs (one frame across a switch).
#   2. A Debian-style tree: the sources configured with --prefix /usr and the multiarch
#      libdir lib/<triplet>, installed with DESTDIR (a second, library-only build). Against
#      it, consumers of vnetif, vnetif-ethdev and vnetif-lwip (and the static libvnetif.a)
#      are built with pkg-config and with find_package(vnetif), and run. Checked on the
#      way: no DPDK flag in `pkg-config --cflags` or the CMake targets' compile flags;
#      the lwIP shim and glue (the shim exports malloc) live in libdir/vnetif-lwip/, not
#      in libdir; a program linked with --as-needed and -rpath that calls only
#      libvnetif-lwip loads (libvnetif-lwip.so finds libvnetif.so itself); the version
#      macros, vnetif_version() and the .pc/CMake versions agree.
#   install_test.sh <build-dir> <sanitizer: ''|address|thread> <cc> <version> <source-dir> [lwip: ON|OFF]
set -eu
build=$1
san=${2:-}
cc=${3:-cc}
version=$4
src=$5
lwip=${6:-ON}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vnetif-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "install_test: $*" >&2; exit 1; }

case "$san" in
  "") sanflags="" ;;
  address) sanflags="-fsanitize=address,undefined -fno-omit-frame-pointer" ;;
  thread) sanflags="-fsanitize=thread -fno-omit-frame-pointer" ;;
  *) fail "unknown sanitizer '$san'" ;;
esac
triplet=$("$cc" -print-multiarch 2>/dev/null || true)
[ -n "$triplet" ] || triplet=x86_64-linux-gnu

# --- the consumers ---------------------------------------------------------------------
mkdir "$tmp/c"
cat >"$tmp/c/hello.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vnetif.h>

struct got {
	int frames;
	size_t len;
	unsigned char buf[64];
};

static void on_frame(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct got *g = arg;

	(void)port;
	g->frames++;
	g->len = len;
	memcpy(g->buf, frame, len < sizeof(g->buf) ? len : sizeof(g->buf));
}

static int check(int rc, const char *what)
{
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", what, vnetif_strerror(rc));
	return rc < 0;
}

int main(void)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	unsigned char frame[60] = {0};
	struct got g = {0};

	if (vnetif_version() != VNETIF_VERSION_HEX) {
		fprintf(stderr, "library %s (0x%06x), header 0x%06x\n", vnetif_version_string(),
			vnetif_version(), VNETIF_VERSION_HEX);
		return 1;
	}
	vnetif_switch_config_init(&cfg);
	cfg.pool_size = 1023;
	if (check(vnetif_switch_create(&cfg, &sw), "switch_create") ||
	    check(vnetif_connect(sw, NULL, &a), "connect a") ||
	    check(vnetif_connect(sw, NULL, &b), "connect b") ||
	    check(vnetif_listen(b, on_frame, &g), "listen") ||
	    check(vnetif_mac(b, frame), "mac b") || check(vnetif_mac(a, frame + 6), "mac a"))
		return 1;
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, "hello, vnetif", 13);
	if (check(vnetif_write(a, frame, sizeof(frame)), "write"))
		return 1;
	if (g.frames != 1 || g.len != sizeof(frame) || memcmp(g.buf, frame, sizeof(frame)) != 0) {
		fprintf(stderr, "frame not received intact (%d frames)\n", g.frames);
		return 1;
	}
	if (check(vnetif_switch_destroy(sw), "switch_destroy"))
		return 1;
	printf("version=%s %d.%d.%d\n", vnetif_version_string(), VNETIF_VERSION_MAJOR,
	       VNETIF_VERSION_MINOR, VNETIF_VERSION_PATCH);
	printf("pid=%d ok\n", (int)getpid());
	return 0;
}
C
cat >"$tmp/c/ethdev.c" <<'C'
#include <stdio.h>
#include <unistd.h>
#include <vnetif_ethdev.h>

int main(void)
{
	struct vnetif_switch_config cfg;
	struct vnetif_ethdev_config ecfg;
	vnetif_switch *sw;
	vnetif_ethdev *e;
	int rc;

	vnetif_switch_config_init(&cfg);
	cfg.pool_size = 4095;
	vnetif_ethdev_config_init(&ecfg);
	ecfg.poll_mode = VNETIF_ETHDEV_APP_POLL;
	rc = vnetif_switch_create(&cfg, &sw);
	if (rc == 0 && (rc = vnetif_ethdev_attach(sw, "net_null0", &ecfg, &e)) != 0)
		fprintf(stderr, "attach: %s\n", vnetif_ethdev_last_error());
	if (rc == 0 && (rc = vnetif_ethdev_poll(e, 32)) > 0)
		rc = 0; /* net_null's rx gives frames */
	if (rc == 0 && (rc = vnetif_ethdev_detach(e)) != 0)
		fprintf(stderr, "detach: %s\n", vnetif_ethdev_last_error());
	if (rc == 0)
		rc = vnetif_switch_destroy(sw);
	if (rc != 0) {
		fprintf(stderr, "ethdev: %s\n", vnetif_strerror(rc));
		return 1;
	}
	printf("pid=%d ok\n", (int)getpid());
	return 0;
}
C
# Calls only libvnetif-lwip: linked with --as-needed, the program itself needs no libvnetif.
cat >"$tmp/c/lwip.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vnetif_lwip.h>

int main(void)
{
	struct vnetif_lwip_config ca, cb;
	vnetif_lwip_stack *a, *b;
	uint8_t mac[6], mac_b[6];
	int rc;

	vnetif_lwip_config_init(&ca);
	vnetif_lwip_config_init(&cb);
	ca.ipv4 = "10.9.0.1";
	cb.ipv4 = "10.9.0.2";
	ca.netmask = cb.netmask = "255.255.255.0";
	rc = vnetif_lwip_create_wired(&ca, &cb, VNETIF_LWIP_WIRE_THREAD, &a, &b);
	if (rc != 0) {
		fprintf(stderr, "create_wired: %s\n", vnetif_lwip_strerror(rc));
		return 1;
	}
	rc = vnetif_lwip_arp_resolve(a, "10.9.0.2", mac, 5000);
	if (rc == 0)
		rc = vnetif_lwip_mac(b, mac_b);
	if (rc != 0 || memcmp(mac, mac_b, 6) != 0) {
		fprintf(stderr, "ARP across the wire: %s\n", vnetif_lwip_strerror(rc));
		return 1;
	}
	if (vnetif_lwip_destroy(a) != 0 || vnetif_lwip_destroy(b) != 0)
		return 1;
	printf("pid=%d ok\n", (int)getpid());
	return 0;
}
C

# Run a built program; it loads the libraries of $libdir; EAL's runtime dir is gone after.
# run <program> [--no-env]: --no-env runs it without LD_LIBRARY_PATH (its own rpath).
run() {
  if [ "${2:-}" = --no-env ]; then
    out=$("$1" 2>&1) || fail "$1 failed: $out"
    deps=$(ldd "$1")
  else
    out=$(LD_LIBRARY_PATH="$libdir" "$1" 2>&1) || fail "$1 failed: $out"
    deps=$(LD_LIBRARY_PATH="$libdir" ldd "$1")
  fi
  case "$1" in
    *_static) echo "$deps" | grep -q "libvnetif.so" && fail "$1 loads libvnetif.so" ;;
    *) echo "$deps" | grep -q "$libdir/libvnetif.so" || fail "$1 does not load $libdir/libvnetif.so: $deps" ;;
  esac
  pid=$(echo "$out" | sed -n 's/^pid=\([0-9]*\) ok$/\1/p')
  [ -n "$pid" ] || fail "$1: unexpected output '$out'"
  for d in /var/run/dpdk "${XDG_RUNTIME_DIR:-/tmp}/dpdk" /tmp/dpdk; do
    if ls -d "$d/vnetif-$pid-"* >/dev/null 2>&1; then
      fail "EAL runtime directory $d/vnetif-$pid-* left behind"
    fi
  done
}

# cc_pc <out> <source> <pkg-config packages> [extra link flags]: build with pkg-config.
cc_pc() {
  # shellcheck disable=SC2086 # a list of packages
  flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs $3) || fail "pkg-config $3 failed"
  # shellcheck disable=SC2086
  "$cc" -std=gnu11 -Wall -Wextra -Werror $sanflags ${4:-} -o "$1" "$2" $flags \
    || fail "cannot build $2 against the installed library with: $flags ${4:-}"
}

# --- 1. this build, relocated with --prefix --------------------------------------------
cmake --install "$build" --prefix "$tmp/p1" >"$tmp/install1.log" || { cat "$tmp/install1.log"; fail "cmake --install failed"; }
pc=$(find "$tmp/p1" -name vnetif.pc | head -n 1)
[ -n "$pc" ] || fail "no vnetif.pc installed"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
v=$(PKG_CONFIG_PATH="$pcdir" pkg-config --modversion vnetif) || fail "pkg-config cannot read vnetif.pc"
[ "$v" = "$version" ] || fail "pkg-config says version $v, want $version"
cc_pc "$tmp/c/hello1" "$tmp/c/hello.c" vnetif
run "$tmp/c/hello1"

# --- 2. a /usr tree with Debian's multiarch libdir, installed with DESTDIR -------------
cmake -S "$src" -B "$tmp/b2" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR="lib/$triplet" -DVNETIF_SANITIZE="$san" \
  -DVNETIF_WITH_LWIP="$lwip" -DVNETIF_BUILD_TESTS=OFF -DVNETIF_BUILD_EXAMPLES=OFF \
  -DVNETIF_BUILD_BENCH=OFF >"$tmp/b2.log" 2>&1 || { cat "$tmp/b2.log"; fail "configuring the /usr build failed"; }
cmake --build "$tmp/b2" -j2 >>"$tmp/b2.log" 2>&1 || { cat "$tmp/b2.log"; fail "the /usr build failed"; }
DESTDIR="$tmp/root" cmake --install "$tmp/b2" >>"$tmp/b2.log" 2>&1 || { cat "$tmp/b2.log"; fail "DESTDIR install failed"; }
prefix=$tmp/root/usr
libdir=$prefix/lib/$triplet
pcdir=$libdir/pkgconfig
pkgs="vnetif vnetif-ethdev"
[ "$lwip" = ON ] && pkgs="$pkgs vnetif-lwip"
for p in $pkgs; do
  [ -f "$pcdir/$p.pc" ] || fail "$p.pc not in $pcdir"
  for var in prefix libdir includedir; do
    d=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=$var "$p")
    want=$prefix
    [ $var = libdir ] && want=$libdir
    [ $var = includedir ] && want=$prefix/include
    [ "$(realpath -m "$d")" = "$want" ] || fail "$p.pc: $var is $d ($(realpath -m "$d")), want $want"
  done
  v=$(PKG_CONFIG_PATH="$pcdir" pkg-config --modversion "$p")
  [ "$v" = "$version" ] || fail "$p.pc says version $v, want $version"
  cflags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags "$p")
  case "$cflags" in
    *march*|*rte_config*|*dpdk*) fail "pkg-config --cflags $p passes on DPDK's flags: $cflags" ;;
  esac
done
[ -f "$prefix/include/vnetif.h" ] || fail "vnetif.h not in $prefix/include"
[ -f "$libdir/libvnetif.a" ] || fail "libvnetif.a not in $libdir"
[ -f "$libdir/cmake/vnetif/vnetifConfig.cmake" ] || fail "CMake package not in $libdir/cmake/vnetif"
if [ "$lwip" = ON ]; then
  for so in libvnetif-lwip-shim.so libvnetif-lwip-glue.so; do
    [ -f "$libdir/vnetif-lwip/$so" ] || fail "$so not in $libdir/vnetif-lwip/"
    [ ! -e "$libdir/$so" ] || fail "$so installed in the public libdir $libdir"
  done
fi

cc_pc "$tmp/c/hello" "$tmp/c/hello.c" vnetif
run "$tmp/c/hello"
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/c/hello" | sed -n 's/^version=//p')
[ "$out" = "$version $version" ] || fail "vnetif_version_string() and the header's macros say '$out', want $version"
# static libvnetif.a: pkg-config --static gives what it needs (DPDK's libraries)
sflags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --static --libs vnetif | sed "s|-lvnetif |$libdir/libvnetif.a |")
cflags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags vnetif)
# shellcheck disable=SC2086
"$cc" -std=gnu11 -Wall -Wextra -Werror $sanflags -o "$tmp/c/hello_static" "$tmp/c/hello.c" \
  $cflags $sflags || fail "static link failed with: $sflags"
run "$tmp/c/hello_static"
cc_pc "$tmp/c/ethdev" "$tmp/c/ethdev.c" vnetif-ethdev
run "$tmp/c/ethdev"
if [ "$lwip" = ON ]; then
  # --as-needed drops libvnetif from the program: libvnetif-lwip.so must find it itself.
  cc_pc "$tmp/c/lwip" "$tmp/c/lwip.c" vnetif-lwip "-Wl,--as-needed -Wl,-rpath,$libdir"
  readelf -d "$tmp/c/lwip" | grep -q 'NEEDED.*libvnetif\.so' && fail "lwip consumer links libvnetif directly: the case is not tested"
  run "$tmp/c/lwip" --no-env
fi

# The CMake package, from the same tree
mkdir "$tmp/cmk"
cp "$tmp/c/"*.c "$tmp/cmk/"
cat >"$tmp/cmk/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.25)
project(consumers C)
find_package(vnetif $version REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE vnetif::vnetif)
add_executable(hello_static hello.c)
target_link_libraries(hello_static PRIVATE vnetif::vnetif_static)
add_executable(ethdev ethdev.c)
target_link_libraries(ethdev PRIVATE vnetif::vnetif-ethdev)
if("$lwip" STREQUAL "ON")
  add_executable(lwip lwip.c)
  target_link_libraries(lwip PRIVATE vnetif::vnetif-lwip)
endif()
CM
cmake -S "$tmp/cmk" -B "$tmp/cmk/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$sanflags" >"$tmp/cmk.log" 2>&1 \
  || { cat "$tmp/cmk.log"; fail "find_package(vnetif) failed"; }
cmake --build "$tmp/cmk/build" >>"$tmp/cmk.log" 2>&1 || { cat "$tmp/cmk.log"; fail "build with the CMake package failed"; }
if grep -E 'march|rte_config|include/dpdk' "$tmp/cmk/build/compile_commands.json"; then
  fail "the CMake targets pass on DPDK's compile flags"
fi
if grep -rq "$build\|$tmp/b2" "$libdir/cmake/vnetif"; then
  fail "the CMake package refers to the build tree"
fi
for p in hello hello_static ethdev; do
  run "$tmp/cmk/build/$p"
done
[ "$lwip" = ON ] && run "$tmp/cmk/build/lwip"
echo "install_test: ok"
