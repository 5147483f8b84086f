#!/bin/sh
# Integration test: install the build into a temporary prefix, then build a small
# program out of tree against it, once with pkg-config and once with the CMake package,
# and run it: a switch, two ports, one frame across.
#   install_test.sh <build-dir> <sanitizer: ''|address|thread> <cc> <version>
set -eu
build=$1
san=${2:-}
cc=${3:-cc}
version=${4:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vnetif-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "install_test: $*" >&2; exit 1; }

case "$san" in
  "") sanflags="" ;;
  address) sanflags="-fsanitize=address,undefined -fno-omit-frame-pointer" ;;
  thread) sanflags="-fsanitize=thread -fno-omit-frame-pointer" ;;
  *) fail "unknown sanitizer '$san'" ;;
esac

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install failed"; }
pc=$(find "$tmp/prefix" -name vnetif.pc | head -n 1)
[ -n "$pc" ] || fail "no vnetif.pc installed"
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
[ -f "$tmp/prefix/include/vnetif.h" ] || fail "vnetif.h not installed in include/"
ls "$libdir"/libvnetif.so* >/dev/null 2>&1 || fail "libvnetif.so not installed in $libdir"
[ -f "$libdir/libvnetif.a" ] || fail "libvnetif.a not installed in $libdir"
[ -f "$libdir/cmake/vnetif/vnetifConfig.cmake" ] || fail "CMake package not installed"

cat >"$tmp/hello.c" <<'C'
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
	printf("pid=%d ok\n", (int)getpid());
	return 0;
}
C

# Run a built program against the installed library; check EAL's runtime dir is gone.
run() {
  LD_LIBRARY_PATH="$libdir" ldd "$1" | grep -q "$libdir/libvnetif.so" || fail "$1 does not load the installed libvnetif"
  out=$(LD_LIBRARY_PATH="$libdir" "$1") || fail "$1 failed: $out"
  pid=$(echo "$out" | sed -n 's/^pid=\([0-9]*\) ok$/\1/p')
  [ -n "$pid" ] || fail "$1: unexpected output '$out'"
  for d in /var/run/dpdk "${XDG_RUNTIME_DIR:-/tmp}/dpdk" /tmp/dpdk; do
    if ls -d "$d/vnetif-$pid-"* >/dev/null 2>&1; then
      fail "EAL runtime directory $d/vnetif-$pid-* left behind"
    fi
  done
}

# 1. pkg-config, as a user of the installed library would
if [ -n "$version" ]; then
  v=$(PKG_CONFIG_PATH="$pcdir" pkg-config --modversion vnetif) || fail "pkg-config cannot read vnetif.pc"
  [ "$v" = "$version" ] || fail "pkg-config says version $v, want $version"
fi
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs vnetif) || fail "pkg-config --cflags --libs vnetif failed"
# shellcheck disable=SC2086
"$cc" -std=gnu11 -Wall -Wextra -Werror $sanflags -o "$tmp/hello" "$tmp/hello.c" $flags \
  || fail "cannot build against the installed library with: $flags"
run "$tmp/hello"

# 2. the CMake package
mkdir "$tmp/cmk"
cp "$tmp/hello.c" "$tmp/cmk/"
cat >"$tmp/cmk/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(hello C)
find_package(vnetif REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE vnetif::vnetif)
CM
cmake -S "$tmp/cmk" -B "$tmp/cmk/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$sanflags" >"$tmp/cmk.log" 2>&1 \
  || { cat "$tmp/cmk.log"; fail "find_package(vnetif) failed"; }
cmake --build "$tmp/cmk/build" >>"$tmp/cmk.log" 2>&1 || { cat "$tmp/cmk.log"; fail "build with the CMake package failed"; }
run "$tmp/cmk/build/hello"
echo "install_test: ok"
