/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vnetif_lwip.h
 * libvnetif-lwip: independent lwIP TCP/IP stacks on a libvnetif switch, in one process.
 *
 * Each stack is its own lwIP 2.1 instance (its own globals and tcpip thread), loaded into
 * a private link-map namespace with dlmopen(), with its own netif attached either to a
 * port of a vnetif switch (vnetif_lwip_create()) or to a peer stack by a direct in-memory
 * wire without a switch (vnetif_lwip_create_wired(), the baseline of benchmarks).
 * Traffic between two stacks always crosses the link: nothing is short-cut inside lwIP.
 *
 * @par Errors
 * Stack calls (create, destroy, stats, ping, ARP) return 0 or a negative errno, as in
 * libvnetif (vnetif_strerror() names it). The socket calls (vnetif_lwip_socket() ...)
 * follow POSIX instead, so application code reads like sockets code: they return -1 and
 * set errno. Their arguments are the system's (<sys/socket.h>, <netinet/in.h>,
 * <poll.h>, <fcntl.h>): struct sockaddr_in/in6, AF_INET, SOCK_STREAM, SOL_SOCKET,
 * SO_RCVTIMEO, TCP_NODELAY, MSG_DONTWAIT, POLLIN, O_NONBLOCK... Socket descriptors are
 * per stack (small integers from 1) and are not kernel file descriptors. A socket call on
 * a stack being destroyed fails with EBADF.
 * errno is always a positive POSIX value: EBADF for a NULL or dead stack or a descriptor
 * that is not open (poll() too, where POSIX would report POLLNVAL); EFAULT for a NULL
 * buffer, address, length pointer, option value, iovec base or pollfd array where the call
 * has something to move; EAFNOSUPPORT for a domain other than AF_INET/AF_INET6;
 * ENETDOWN when the frame could not leave (the port is disconnected, the wire's peer is
 * gone; lwIP itself reports -1 there); ENOBUFS when the link had no buffer for it; else
 * what lwIP reports (ENOTCONN, ECONNRESET, EWOULDBLOCK...). A stream socket whose
 * reading reached its end (a recv that returned 0, or shutdown(SHUT_RD)) returns 0 at
 * every later recv/recvfrom/readv, as POSIX says. lwIP differs from POSIX in one more
 * place: a blocking recv on a TCP socket that never connected waits (POSIX: ENOTCONN).
 *
 * @par Input guard
 * Frames malformed where lwIP 2.1.3 trusts the sender never reach it: a UDP-Lite
 * checksum coverage other than 0 or 8..length (one such frame made lwIP abort the
 * process), headers and length fields that do not fit the frame, malformed IPv4, TCP and
 * IPv6 options, IPv6 extension headers out of place, fragments that would reassemble
 * into something unchecked. They are dropped and counted in vnetif_lwip_stats.rx_refused,
 * on every path into a stack (switch port, wire) and in the plain netif driver.
 *
 * @par Two lwIP builds
 * - *debian*: Debian's binary liblwip (liblwip-dev) as it is: 64 KiB window, checksums
 *   always, input through the tcpip thread's mailbox or the core lock.
 * - *tuned*: lwIP 2.1.3 compiled from Debian's own source package (fetched at configure
 *   time) with the project's lwipopts.h: 512 KiB windows with window scaling, MSS up to
 *   8960 (MTU 9000), input in the delivering thread (LWIP_TCPIP_CORE_LOCKING_INPUT),
 *   checksums switchable per stack.
 * Both are built side by side when the source could be fetched (configure option
 * VNETIF_LWIP=tuned|debian picks the default); vnetif_lwip_config::build or the
 * environment variable VNETIF_LWIP_BUILD=debian|tuned picks one per stack.
 *
 * @par Receive path
 * A stack on a switch sets a vnetif_listen_mbuf() listener on its port. A frame whose
 * mbufs are not shared (flooded frames are, by reference count) and not indirect is
 * handed to lwIP as it is (custom pbufs, both builds; each mbuf goes back to its pool
 * when lwIP frees it, at the latest when the stack is destroyed); other frames are
 * copied into an lwIP buffer. Then:
 * - ::VNETIF_LWIP_RX_DIRECT (the default): the delivering thread tries the stack's core
 *   lock and runs lwIP's input itself; if another thread holds the lock, the frame is
 *   left on a queue that the holder runs before it lets the lock go. It never waits for
 *   a lock, so it is safe in a sync listener (the writer's thread, possibly inside
 *   another stack's core lock) and there is no thread hand-off per frame: on a sync
 *   switch the sending thread carries a frame through the receiving stack. On an async
 *   switch a stack that sends to another stack of this process in DIRECT mode polls
 *   that stack's port itself right after the write (vnetif_poll(), exclusive per port:
 *   if the port's reader is at it, the sender moves on and the reader takes the frame),
 *   so no frame - an ACK, a ping, a request, a stream's data segments - waits for a
 *   reader's wake-up, and the sender carries its frames through the receiving stack,
 *   as on a sync switch. A thread that lets a stack's core lock go also polls that
 *   stack's port when its reader is not awake; frames from other ports are delivered
 *   by the reader thread or the application's poll loop.
 * - ::VNETIF_LWIP_RX_LOCKED: the same, but waits for the core lock when it is busy
 *   (async switch only: the reader context holds no lwIP lock).
 * - ::VNETIF_LWIP_RX_MAILBOX: posted to the stack's tcpip thread (one thread hand-off
 *   per frame; any switch mode).
 *
 * @par Send path
 * On a switch port, the frames a stack emits while one thread holds its core lock (a
 * window's worth of TCP segments, a datagram's IP fragments, the ACKs of a burst of
 * input, a timer's retransmissions) are built into mbufs (vnetif_gatherv()) and leave
 * together in one vnetif_tx_burst() - in the order lwIP emitted them - when 64 are
 * waiting and before the thread lets the lock go: no frame waits longer than the lock
 * hold that made it. The switch's work per call is then paid per burst, and on a sync
 * switch a listener gets the burst in one call. A frame emitted without the lock held
 * is sent at once (vnetif_writev()). The direct wire sends each frame at once.
 *
 * @par Checksums
 * A frame must be correct on a real wire. Checksums are computed and checked unless
 * both ends are in-process stacks that agree to skip them (vnetif_lwip_config::checksums,
 * tuned build only): ::VNETIF_LWIP_CSUM_AUTO means *off* on a direct wire between two
 * tuned stacks and *on* on a switch port (a switch may also carry tap, memif, pcap or
 * other ethdev ports: vnetif-switch, backends/). Set ::VNETIF_LWIP_CSUM_OFF on a switch
 * only when every port of it is a stack with checksums off: such a stack sends zero
 * checksums and accepts frames whose checksums are wrong.
 *
 * @par TCP segmentation offload
 * vnetif_lwip_config::tso (on by default with the tuned build, as Linux turns TSO on for a
 * veth), what a NIC's TSO gives a host stack: TCP
 * over IPv4 sends segments of up to the build's TCP MSS (8960 bytes) whatever the MTU,
 * so a stream on a 1500-byte LAN costs lwIP one segment per 8960 bytes instead of per
 * 1460. The stack's port gets vnetif_set_tso() (see "TCP segmentation offload" in
 * vnetif.h): ports with TSO (other stacks with it) take the segments whole, and the
 * switch cuts them to MTU size, with correct checksums, for every other port (a stack
 * without TSO, a tap, a capture's reader sees what that port received). Such a peer
 * advertises an MSS of MTU - 40, which lwIP would obey: a stack with TSO reads that one
 * MSS as its own (it raises it in the peer's SYN), since the switch cuts to that size
 * anyway; a smaller MSS it obeys. IPv6, UDP, ICMP and the rest keep the MTU (IPv4
 * datagrams longer than it are fragmented by lwIP as before). A stack with TSO also
 * receives TCP/IPv4 frames of up to 65535 bytes from other TSO ports; longer ones
 * (lwIP's buffers hold at most 65535 bytes) are dropped and counted in rx_drop. On a
 * direct wire, which cuts nothing, only when both stacks have it.
 *
 * @par Limits
 * One namespace per live stack. glibc allows 15 namespaces besides the main one, and by
 * default only about 11 fit in the static TLS reserve: creating more fails with -EMFILE.
 * Starting the program with `GLIBC_TUNABLES=glibc.rtld.nns=16` (read at exec time) raises
 * the limit to 15. A destroyed stack's namespace is reused by the next stack.
 * After fork() the child must not use any stack (only exec or _exit).
 *
 * @par Threads
 * Every function is thread-safe unless its comment says otherwise. Socket calls on one
 * stack may run in many threads at once, as with lwIP's own socket API (one thread per
 * socket at a time for blocking reads, as lwIP requires).
 */
#ifndef VNETIF_LWIP_H
#define VNETIF_LWIP_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "vnetif.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VNETIF_LWIP_BUILDING)
#define VNETIF_LWIP_API __attribute__((visibility("default")))
#else
#define VNETIF_LWIP_API
#endif

/** Opaque lwIP stack instance. */
typedef struct vnetif_lwip_stack vnetif_lwip_stack;

/** How received frames enter a stack (see "Receive path"). */
enum vnetif_lwip_rx {
	/** ::VNETIF_LWIP_RX_LOCKED on an async switch, ::VNETIF_LWIP_RX_MAILBOX on a sync
	 *  one (the mode is read with vnetif_switch_config_get()). */
	VNETIF_LWIP_RX_AUTO = 0,    /**< ::VNETIF_LWIP_RX_DIRECT. */
	VNETIF_LWIP_RX_MAILBOX = 1, /**< Post to the tcpip thread (any switch mode). */
	VNETIF_LWIP_RX_LOCKED = 2,  /**< Input under the core lock, waiting for it (async only). */
	VNETIF_LWIP_RX_DIRECT = 3,  /**< Try the core lock, else leave it to the holder (any). */
};

/** Which lwIP a stack runs (see "Two lwIP builds"). */
enum vnetif_lwip_build {
	/** $VNETIF_LWIP_BUILD ("debian" or "tuned") if set, else the configured default. */
	VNETIF_LWIP_BUILD_DEFAULT = 0,
	VNETIF_LWIP_BUILD_DEBIAN = 1, /**< Debian's binary liblwip. */
	VNETIF_LWIP_BUILD_TUNED = 2,  /**< lwIP from Debian's source with libvnetif's options. */
};

/** Checksums of a stack (see "Checksums"). */
enum vnetif_lwip_csum {
	VNETIF_LWIP_CSUM_AUTO = 0, /**< Off on a wire between two tuned stacks, else on. */
	VNETIF_LWIP_CSUM_ON = 1,   /**< Computed on send, checked on receive. */
	VNETIF_LWIP_CSUM_OFF = 2,  /**< Neither (tuned build only). */
};

/** TCP segmentation offload of a stack (see "TCP segmentation offload"). */
enum vnetif_lwip_tso {
	VNETIF_LWIP_TSO_AUTO = 0, /**< On with the tuned build, off with Debian's. */
	VNETIF_LWIP_TSO_ON = 1,   /**< On (tuned build only). */
	VNETIF_LWIP_TSO_OFF = 2,  /**< Off: TCP segments fit the MTU. */
};

/** Stack configuration. Fill with vnetif_lwip_config_init() first. */
struct vnetif_lwip_config {
	const char *ipv4;    /**< Address, dotted quad (required), e.g. "10.0.0.100". */
	const char *netmask; /**< Contiguous, non-zero, e.g. "255.255.255.0" (required). */
	const char *gateway; /**< Default gateway in the subnet; NULL or "": none. */
	const char *ipv6;    /**< Optional IPv6 address (a link-local one is added too);
			      *   NULL: IPv6 stays off. */
	/** MTU, ::VNETIF_MTU_MIN..::VNETIF_MTU_MAX (576 at least); 0: the switch's default
	 *  (1500 on a wire). lwIP's TCP MSS is compiled in: at most 1460 in the debian
	 *  build, 8960 in the tuned one: MTU - 40 below MTU 9000, unless the stack has TSO
	 *  (tso). */
	unsigned mtu;
	/** MAC address; all zero: the switch assigns one (a wire: 02:4c:xx:xx:xx:xx). */
	uint8_t mac[VNETIF_ETHER_ADDR_LEN];
	/** Seed of the instance's rand() (ephemeral ports, IP ids); 0: derived from the
	 *  address, the time and a counter (every instance differs). */
	unsigned seed;
	enum vnetif_lwip_rx rx; /**< Default ::VNETIF_LWIP_RX_AUTO. */
	/** Ignored (kept for source compatibility): the switch's mode is read from it. */
	bool switch_async;
	/** Async switch: do not start a reader thread for the port; the application calls
	 *  vnetif_poll()/vnetif_switch_poll() itself, from a thread that holds no lwIP core
	 *  lock. Default false (a reader thread per stack). Ignored on a sync switch. */
	bool no_reader;
	enum vnetif_lwip_build build;     /**< Default ::VNETIF_LWIP_BUILD_DEFAULT. */
	enum vnetif_lwip_csum checksums;  /**< Default ::VNETIF_LWIP_CSUM_AUTO. */
	/** TCP segmentation offload (see "TCP segmentation offload"): TCP over IPv4 sends
	 *  segments of up to the build's TCP MSS (8960 bytes) whatever the MTU; the port
	 *  gets vnetif_set_tso(), so in-process peers with TSO take them whole and the
	 *  switch cuts them to MTU size for every other port. IPv6, UDP, ICMP keep the MTU.
	 *  On a direct wire, only when both stacks have it. Default
	 *  ::VNETIF_LWIP_TSO_AUTO (on with the tuned build); ::VNETIF_LWIP_TSO_ON with the
	 *  debian build: -EINVAL. */
	enum vnetif_lwip_tso tso;
};

/** How a direct wire hands frames to the peer stack. */
enum vnetif_lwip_wire {
	/** A bounded ring and a delivery thread per direction; ethernet_input() under the
	 *  receiver's core lock (the same receive path as an async switch). */
	VNETIF_LWIP_WIRE_THREAD = 0,
	/** The sender posts to the receiver's tcpip mailbox (as on a sync switch). */
	VNETIF_LWIP_WIRE_MAILBOX = 1,
};

/** Counters of a stack. */
struct vnetif_lwip_stats {
	uint64_t rx_frames;     /**< Frames handed to lwIP. */
	uint64_t rx_drop;       /**< Received frames dropped before lwIP: mailbox full, no
				 *   memory, too many segments, link down, too long (above
				 *   65535 bytes, or above ::VNETIF_MTU_MAX + 14 and not
				 *   TCP/IPv4: only TSO frames come longer). */
	uint64_t rx_direct;     /**< Of rx_frames: run by the delivering thread (core lock taken). */
	uint64_t rx_deferred;   /**< Of rx_frames: left to the core lock's holder. */
	uint64_t rx_mailbox;    /**< Of rx_frames: posted to the tcpip thread. */
	uint64_t rx_zero_copy;  /**< Frames handed to lwIP in their mbufs, not copied. */
	uint64_t tx_frames;     /**< Frames lwIP sent that the link took. */
	uint64_t tx_drop;       /**< Frames lwIP sent that the link refused (see the port's
				 *   vnetif_stats for why) or the wire dropped (ring full); also
				 *   queued frames ("Send path") whose port was disconnected before
				 *   their burst left, which tx_frames counted when it took them. */
	uint64_t heap_bytes;    /**< Heap lwIP holds now (pbufs, PCBs, timers, sockets...). */
	uint64_t heap_blocks;
	uint64_t heap_peak_bytes; /**< Highest heap_bytes since the stack was created. */
	unsigned sockets;       /**< Sockets open now. */
	/** Received frames the input guard refused before lwIP saw them (not in rx_drop):
	 *  malformed where lwIP 2.1.3 trusts the sender — a UDP-Lite checksum coverage
	 *  other than 0 or 8..length (one such frame would make lwIP abort the process),
	 *  IPv4/IPv6/UDP/TCP/ICMP/ARP headers or length fields that do not fit the frame,
	 *  malformed IPv4, TCP or IPv6 options, IPv6 extension headers out of place, and
	 *  fragments that would reassemble into a UDP-Lite datagram or (IPv6) into anything
	 *  but TCP, UDP or ICMPv6. See "Input guard" in the README. */
	uint64_t rx_refused;
	/** Frees of memory lwIP's allocator never handed out (a double free inside lwIP),
	 *  since the stack was created: ignored (reported once per process on stderr; the
	 *  block, if it is one, leaks), never a process abort. 0 unless lwIP has a bug. */
	uint64_t heap_bad_frees;
	/** Heap lwIP freed that the stack keeps for reuse (not in heap_bytes): blocks of up
	 *  to 64 KiB, by size class, at most 8 MiB per stack, so that a pbuf per segment is
	 *  not a call into the C library per segment. Given back at vnetif_lwip_destroy().
	 *  Always 0 in ASan builds, whose allocator then sees every free. */
	uint64_t heap_cached_bytes;
};

/** Text for a negative errno of this library: vnetif_strerror(), except for the codes
 *  whose meaning is specific here (-EMFILE, -ELIBACC). Never NULL. Thread-safe. */
VNETIF_LWIP_API const char *vnetif_lwip_strerror(int err);

/** Fill @p cfg with the defaults (no address: ipv4 and netmask must be set). */
VNETIF_LWIP_API void vnetif_lwip_config_init(struct vnetif_lwip_config *cfg);

/**
 * Create a stack attached to a new port of @p sw and bring it up.
 * @return 0, *out set; -EINVAL bad configuration (NULL, unparsable or unusable address:
 *         0.0.0.0, loopback, multicast, broadcast, the subnet's network or broadcast
 *         address; zero or non-contiguous netmask; gateway outside the subnet; MTU out of
 *         range; bad MAC; ::VNETIF_LWIP_RX_LOCKED on a sync switch, where it could
 *         deadlock; ::VNETIF_LWIP_CSUM_OFF or tso with the debian build; a bad build,
 *         checksums or rx value, or VNETIF_LWIP_BUILD set to something else than
 *         "debian" or "tuned"); -EMFILE no namespace left for another stack in this process
 *         (see "Limits"); -ENOSPC the switch has no free port; -EADDRINUSE MAC in use on
 *         the switch; -ELIBACC the lwIP glue objects cannot be loaded (or the tuned
 *         build was asked for and not built); -ENOMEM;
 *         -EAGAIN no thread for lwIP; -ETIMEDOUT lwIP did not start.
 *         vnetif_lwip_strerror() names them.
 */
VNETIF_LWIP_API int vnetif_lwip_create(vnetif_switch *sw, const struct vnetif_lwip_config *cfg,
				       vnetif_lwip_stack **out);

/**
 * Create two stacks joined by a direct in-memory wire (no switch): @p a's frames go to
 * @p b and back. Configurations as for vnetif_lwip_create() (mtu 0 means 1500; the rx
 * field is ignored: see @p mode). The stacks are destroyed separately; a stack whose
 * peer is gone drops what it sends.
 * @return 0, *out_a and *out_b set; the errors of vnetif_lwip_create(); -EINVAL
 *         same MAC on both sides or a bad mode.
 */
VNETIF_LWIP_API int vnetif_lwip_create_wired(const struct vnetif_lwip_config *a,
					     const struct vnetif_lwip_config *b,
					     enum vnetif_lwip_wire mode,
					     vnetif_lwip_stack **out_a, vnetif_lwip_stack **out_b);

/**
 * Impair what stack @p s receives over its direct wire (the direction from its peer to
 * it), with the same engine, effects, counters and seed semantics as vnetif_impair_set()
 * on a switch port (see "Impairments, monitor and capture" in vnetif.h): loss, small-frame
 * loss, the drop window (cut_after/cut), padding, max_frame, corruption, duplication,
 * delay, jitter, rate and reordering. Each direction has its own PRNG from @p im->seed.
 * Held frames leave in due order through the next frame on that direction or the end's
 * thread (the delivery thread of a ::VNETIF_LWIP_WIRE_THREAD wire; on a
 * ::VNETIF_LWIP_WIRE_MAILBOX wire the first delay, jitter, rate or reorder starts a
 * release thread), never later than their release time plus scheduling; frames still
 * held when the end is cut (vnetif_lwip_destroy()) are freed and counted
 * (dropped_disconnected). An impaired wire copies each frame once more (it is no longer
 * the lean baseline). Corrupted frames reach lwIP only as checked as the stacks'
 * checksums are (::VNETIF_LWIP_CSUM_ON to have them dropped).
 * Thread-safe, not concurrently with vnetif_lwip_destroy() of @p s.
 * @param im the impairment; NULL: off (held frames still leave when due).
 * @return 0; -EINVAL @p s is not a stack or @p im is out of range (as for
 *         vnetif_impair_set()); -ENOTSUP @p s is on a switch port (use vnetif_impair_set()
 *         on vnetif_lwip_port()); -ENOTCONN the wire end is cut; -ENOMEM; -EAGAIN no
 *         thread for the release.
 */
VNETIF_LWIP_API int vnetif_lwip_wire_impair(vnetif_lwip_stack *s, const struct vnetif_impair *im);

/**
 * The counters of vnetif_lwip_wire_impair() on what @p s receives (all 0 if never
 * impaired). Thread-safe.
 * @return 0, *st set; -EINVAL NULL or not a stack; -ENOTSUP @p s is on a switch port.
 */
VNETIF_LWIP_API int vnetif_lwip_wire_impair_stats(const vnetif_lwip_stack *s,
						  struct vnetif_impair_stats *st);

/**
 * Destroy a stack, also with connections open: every TCP connection is reset (the peer
 * gets a RST), threads blocked in socket calls on it are woken (their call fails or
 * returns 0), its sockets are closed, its port is disconnected (or its wire end cut),
 * its tcpip thread ends, every byte of heap lwIP still held is freed and its namespace is
 * made ready for the next stack. Afterwards the handle is dead for good: calls with it
 * fail (socket calls with EBADF, the others with -EINVAL, vnetif_lwip_port() NULL), also
 * after a later create reused the stack's memory (a handle carries a generation, so it
 * never reaches a newer stack). A thread woken by the destroy may thus safely make one
 * more call.
 * @return 0; -EINVAL not a stack; -EBUSY a thread stayed inside a socket call of this
 *         stack for more than 2 s after being woken (nothing freed: call again once it
 *         returned); -ETIMEDOUT the port could not be disconnected (call again).
 * Must not run concurrently with another destroy of the same stack; must not be called
 * from a listener or from inside lwIP. Destroy every stack of a switch before the switch
 * (vnetif_switch_destroy() invalidates the stacks' ports).
 */
VNETIF_LWIP_API int vnetif_lwip_destroy(vnetif_lwip_stack *s);

/** The stack's port; NULL on a wire or if @p s is not a stack. */
VNETIF_LWIP_API vnetif_port *vnetif_lwip_port(const vnetif_lwip_stack *s);

/** The stack's MAC address. @return 0; -EINVAL. */
VNETIF_LWIP_API int vnetif_lwip_mac(const vnetif_lwip_stack *s, uint8_t mac[VNETIF_ETHER_ADDR_LEN]);

/** The receive path in use (never ::VNETIF_LWIP_RX_AUTO); -EINVAL. */
VNETIF_LWIP_API int vnetif_lwip_rx_mode(const vnetif_lwip_stack *s);

/** The lwIP build the stack runs (::VNETIF_LWIP_BUILD_DEBIAN or _TUNED); -EINVAL. */
VNETIF_LWIP_API int vnetif_lwip_build(const vnetif_lwip_stack *s);

/** Whether the stack computes and checks checksums: 1 yes, 0 no; -EINVAL. */
VNETIF_LWIP_API int vnetif_lwip_checksums(const vnetif_lwip_stack *s);

/** Whether the stack uses TCP segmentation offload (vnetif_lwip_config::tso; on a
 *  wire, both ends have it): 1 yes, 0 no; -EINVAL. */
VNETIF_LWIP_API int vnetif_lwip_tso(const vnetif_lwip_stack *s);

/** The stack's counters. @return 0; -EINVAL. */
VNETIF_LWIP_API int vnetif_lwip_stats_get(const vnetif_lwip_stack *s, struct vnetif_lwip_stats *st);

/**
 * Look @p ipv4 up in the stack's ARP cache; if it is not there, send an ARP request and
 * wait for the answer at most @p timeout_ms (0: do not wait).
 * @return 0, @p mac set; -ENOENT not resolved in time; -EINVAL bad argument or not a
 *         (live) stack.
 */
VNETIF_LWIP_API int vnetif_lwip_arp_resolve(vnetif_lwip_stack *s, const char *ipv4,
					    uint8_t mac[VNETIF_ETHER_ADDR_LEN], unsigned timeout_ms);

/**
 * Send one ICMP echo request to @p ipv4 from the stack and wait for the reply at most
 * @p timeout_ms. @p rtt_us (may be NULL) gets the round-trip time.
 * @return 0; -ETIMEDOUT no reply; -EINVAL bad argument or not a (live) stack;
 *         -ENETDOWN the request could not leave (port disconnected, wire peer gone);
 *         -ENOBUFS no buffer for it; another negative errno of the socket layer (see
 *         "Errors"). Never a positive value.
 */
VNETIF_LWIP_API int vnetif_lwip_ping(vnetif_lwip_stack *s, const char *ipv4, unsigned timeout_ms,
				     unsigned *rtt_us);

/* --- sockets: POSIX semantics (-1 and errno) on the stack's own lwIP ------------------ */

VNETIF_LWIP_API int vnetif_lwip_socket(vnetif_lwip_stack *s, int domain, int type, int protocol);
VNETIF_LWIP_API int vnetif_lwip_bind(vnetif_lwip_stack *s, int fd, const struct sockaddr *addr,
				     socklen_t len);
VNETIF_LWIP_API int vnetif_lwip_listen(vnetif_lwip_stack *s, int fd, int backlog);
VNETIF_LWIP_API int vnetif_lwip_accept(vnetif_lwip_stack *s, int fd, struct sockaddr *addr,
				       socklen_t *len);
VNETIF_LWIP_API int vnetif_lwip_connect(vnetif_lwip_stack *s, int fd,
					const struct sockaddr *addr, socklen_t len);
VNETIF_LWIP_API ssize_t vnetif_lwip_send(vnetif_lwip_stack *s, int fd, const void *buf,
					 size_t len, int flags);
VNETIF_LWIP_API ssize_t vnetif_lwip_recv(vnetif_lwip_stack *s, int fd, void *buf, size_t len,
					 int flags);
VNETIF_LWIP_API ssize_t vnetif_lwip_sendto(vnetif_lwip_stack *s, int fd, const void *buf,
					   size_t len, int flags, const struct sockaddr *addr,
					   socklen_t addrlen);
VNETIF_LWIP_API ssize_t vnetif_lwip_recvfrom(vnetif_lwip_stack *s, int fd, void *buf, size_t len,
					     int flags, struct sockaddr *addr, socklen_t *addrlen);
VNETIF_LWIP_API ssize_t vnetif_lwip_writev(vnetif_lwip_stack *s, int fd, const struct iovec *iov,
					   int iovcnt);
VNETIF_LWIP_API ssize_t vnetif_lwip_readv(vnetif_lwip_stack *s, int fd, const struct iovec *iov,
					  int iovcnt);
VNETIF_LWIP_API int vnetif_lwip_shutdown(vnetif_lwip_stack *s, int fd, int how);
VNETIF_LWIP_API int vnetif_lwip_close(vnetif_lwip_stack *s, int fd);
VNETIF_LWIP_API int vnetif_lwip_setsockopt(vnetif_lwip_stack *s, int fd, int level, int name,
					   const void *val, socklen_t len);
VNETIF_LWIP_API int vnetif_lwip_getsockopt(vnetif_lwip_stack *s, int fd, int level, int name,
					   void *val, socklen_t *len);
VNETIF_LWIP_API int vnetif_lwip_getsockname(vnetif_lwip_stack *s, int fd, struct sockaddr *addr,
					    socklen_t *len);
VNETIF_LWIP_API int vnetif_lwip_getpeername(vnetif_lwip_stack *s, int fd, struct sockaddr *addr,
					    socklen_t *len);
/** poll() over sockets of this stack (lwIP 2.1 here has no select()). */
VNETIF_LWIP_API int vnetif_lwip_poll(vnetif_lwip_stack *s, struct pollfd *fds, nfds_t nfds,
				     int timeout_ms);
/** fcntl() with F_GETFL / F_SETFL (O_NONBLOCK). */
VNETIF_LWIP_API int vnetif_lwip_fcntl(vnetif_lwip_stack *s, int fd, int cmd, int val);
/** ioctl() with FIONREAD / FIONBIO. */
VNETIF_LWIP_API int vnetif_lwip_ioctl(vnetif_lwip_stack *s, int fd, long cmd, void *argp);

#ifdef __cplusplus
}
#endif

#endif /* VNETIF_LWIP_H */
