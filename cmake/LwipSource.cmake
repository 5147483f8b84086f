# The tuned lwIP: lwIP's core compiled from Debian's own source package with
# stacks/lwip/tuned/lwipopts.h. Included by stacks/lwip/CMakeLists.txt.
#
#   -DVNETIF_LWIP=tuned|debian   which build stacks use by default (both are built when
#                                the source is there; a stack can pick either at create).
#   -DVNETIF_LWIP_SOURCE_DIR=DIR an unpacked lwIP source (lwip-2.1.3+dfsg1/) to use
#                                instead of fetching one.
#   -DVNETIF_LWIP_CACHE=DIR      where scripts/lwip-source.sh puts what it fetches
#                                (default: <build>/lwip-src; never inside the source tree).
#
# Sets VNETIF_LWIP_TUNED_OK and, when ON, the target vnetif_lwip_core_tuned (a static,
# position-independent lwIP that the tuned glue links). When the source cannot be
# fetched, VNETIF_LWIP falls back to debian with a message saying why.
set(VNETIF_LWIP "tuned" CACHE STRING "lwIP build stacks use by default: tuned or debian")
set_property(CACHE VNETIF_LWIP PROPERTY STRINGS tuned debian)
set(VNETIF_LWIP_SOURCE_DIR "" CACHE PATH "Unpacked lwIP source to build the tuned lwIP from (empty: fetch it)")
set(VNETIF_LWIP_CACHE "${CMAKE_BINARY_DIR}/lwip-src" CACHE PATH "Where the lwIP source package is fetched")
if(NOT VNETIF_LWIP MATCHES "^(tuned|debian)$")
  message(FATAL_ERROR "VNETIF_LWIP must be 'tuned' or 'debian'")
endif()

set(VNETIF_LWIP_TUNED_OK OFF)
set(_src "${VNETIF_LWIP_SOURCE_DIR}")
if(_src STREQUAL "")
  file(GLOB _have LIST_DIRECTORIES true "${VNETIF_LWIP_CACHE}/lwip-*/src/core")
  if(NOT _have)
    message(STATUS "lwIP: fetching Debian's lwIP source package (apt-get source lwip) into ${VNETIF_LWIP_CACHE}")
  endif()
  execute_process(COMMAND "${PROJECT_SOURCE_DIR}/scripts/lwip-source.sh" "${VNETIF_LWIP_CACHE}"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err
    OUTPUT_STRIP_TRAILING_WHITESPACE TIMEOUT 300)
  if(_rc EQUAL 0 AND _out MATCHES "lwip-source: ([^ \n]+)")
    set(_src "${CMAKE_MATCH_1}")
    message(STATUS "${_out}")
  else()
    string(STRIP "${_err}" _err)
    message(STATUS "lwIP: could not fetch lwIP's source package: ${_err}")
  endif()
endif()
if(NOT _src STREQUAL "" AND EXISTS "${_src}/src/core/tcp.c" AND EXISTS "${_src}/port/sys_arch.c")
  set(VNETIF_LWIP_TUNED_OK ON)
endif()

if(NOT VNETIF_LWIP_TUNED_OK)
  if(VNETIF_LWIP STREQUAL "tuned")
    message(WARNING "lwIP: the tuned lwIP needs lwIP's source (apt-get source lwip, with "
      "dpkg-dev and network access to a Debian mirror, or -DVNETIF_LWIP_SOURCE_DIR=...). "
      "Falling back to Debian's binary liblwip: stacks run, with Debian's options.")
  endif()
  set(VNETIF_LWIP_DEFAULT "debian")
  return()
endif()
set(VNETIF_LWIP_DEFAULT "${VNETIF_LWIP}")
message(STATUS "lwIP: tuned lwIP from ${_src} (stacks/lwip/tuned/lwipopts.h); default build: ${VNETIF_LWIP}")

# lwIP's core, IPv4, IPv6, sequential/socket API and Ethernet (what lwIP's own
# src/Filelists.cmake calls lwipcore/core4/core6/api + netif/ethernet.c; read directly:
# that file also looks for Doxygen and talks about it)
file(GLOB _lwip_srcs "${_src}/src/core/*.c" "${_src}/src/core/ipv4/*.c"
  "${_src}/src/core/ipv6/*.c" "${_src}/src/api/*.c")
# Copy lwIP source file IN to OUT with the text FROM replaced by TO; stop if FROM is not
# there (another lwIP version: the edit would silently not happen).
function(vnetif_lwip_edit in out from to)
  file(READ "${in}" _text)
  string(FIND "${_text}" "${from}" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "lwIP: ${in} is not as expected (another lwIP version?); looked for:\n${from}")
  endif()
  string(REPLACE "${from}" "${to}" _text "${_text}")
  file(CONFIGURE OUTPUT "${out}" CONTENT "${_text}" @ONLY)
endfunction()

# Debian's port (sys_arch.c) with a larger mailbox: a TCP connection's receive mailbox
# holds one message per segment, and 128 would cap the window at 128 segments.
vnetif_lwip_edit("${_src}/port/sys_arch.c" "${CMAKE_CURRENT_BINARY_DIR}/lwip-port/sys_arch.c"
  "#define SYS_MBOX_SIZE 128" "#define SYS_MBOX_SIZE 1024 /* libvnetif: was 128 */")

# api_msg.c with the writer woken by ACKs only once there is room worth writing into:
# lwIP 2.1.3 calls lwip_netconn_do_writemore() on every ACK while a blocking write waits,
# and each call's tcp_write() walks the whole unsent queue to find its tail (tcp_out.c:
# "@todo: this could be sped up by keeping last_unsent in the pcb"); with ACKs drained
# in a burst behind hundreds of unsent segments that walk was 17% of all CPU of a
# stream between two stacks on a sync switch. Now: once the free send buffer reaches
# TCP_SNDLOWAT (the level lwIP itself uses to report a socket writable again), or
# nothing is left unsent. Each ACK only adds room, and the last one frees it all, so the
# waiting write always goes on (lwIP's poll callback stays the backstop).
vnetif_lwip_edit("${_src}/src/api/api_msg.c" "${CMAKE_CURRENT_BINARY_DIR}/lwip-port/api_msg.c"
  "  if (conn) {\n    if (conn->state == NETCONN_WRITE) {\n      lwip_netconn_do_writemore(conn  WRITE_DELAYED);"
  "  if (conn) {\n    if (conn->state == NETCONN_WRITE && /* libvnetif: was on every ACK */\n        (tcp_sndbuf(pcb) >= TCP_SNDLOWAT || pcb->unsent == NULL)) {\n      lwip_netconn_do_writemore(conn  WRITE_DELAYED);")
list(REMOVE_ITEM _lwip_srcs "${_src}/src/api/api_msg.c")

add_library(vnetif_lwip_core_tuned STATIC ${_lwip_srcs}
  "${_src}/src/netif/ethernet.c" "${CMAKE_CURRENT_BINARY_DIR}/lwip-port/sys_arch.c"
  "${CMAKE_CURRENT_BINARY_DIR}/lwip-port/api_msg.c")
target_include_directories(vnetif_lwip_core_tuned SYSTEM PUBLIC
  "${CMAKE_CURRENT_SOURCE_DIR}/tuned" "${_src}/src/include" "${_src}/port/include")
# lwIP's own warnings are not ours to fix; never sanitizer flags (it goes into the glue).
target_compile_options(vnetif_lwip_core_tuned PRIVATE -O2 -fvisibility=hidden -w)
# The glue defines the thread start and the core lock functions: rename the port's.
set_source_files_properties("${CMAKE_CURRENT_BINARY_DIR}/lwip-port/sys_arch.c" PROPERTIES
  COMPILE_DEFINITIONS "sys_thread_new=vnl_port_unused_thread_new;sys_lock_tcpip_core=vnl_port_unused_lock;sys_unlock_tcpip_core=vnl_port_unused_unlock;sys_mark_tcpip_thread=vnl_port_unused_mark;sys_check_core_locking=vnl_port_unused_check")
# The glue's tcp_shutdown() fixes lwIP 2.1.3's double free on shutdown+EOF+close (see
# glue.c) and calls lwIP's own under this name for everything else.
set_source_files_properties("${_src}/src/core/tcp.c" PROPERTIES
  COMPILE_DEFINITIONS "tcp_shutdown=vnl_lwip_tcp_shutdown")
set_target_properties(vnetif_lwip_core_tuned PROPERTIES POSITION_INDEPENDENT_CODE ON)
