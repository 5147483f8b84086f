/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vnetif.h
 * libvnetif: virtual NICs on an in-memory, lock-free software switch.
 *
 * A *switch* (mirage-vnetif's "backend") is created once. Every network stack or
 * packet-processing program *connects* a *port* to it and gets a MAC address; it then
 * writes Ethernet frames and receives them through a listener or by polling. Frames move
 * as DPDK mbufs over bounded rte_rings; the copying calls (vnetif_write(),
 * vnetif_listen()) sit on top of the zero-copy burst calls (vnetif_tx_burst(),
 * vnetif_rx_burst()): there is one datapath.
 *
 * @par Errors
 * Every call returns 0 (or a count) on success and a negative errno on failure;
 * vnetif_strerror() names it. A call that fails changes nothing, except where its
 * comment says otherwise. If a call that takes a callback fails, the callback is never
 * called. Bad arguments (NULL, zero or oversized lengths, bad MACs, handles of another
 * kind) give -EINVAL; a handle of a port that was disconnected gives -ENOTCONN, also
 * after a newer port took its place on the switch (a port handle carries the port's
 * connect number; see vnetif_connect()). Handles become invalid when their switch is
 * destroyed.
 *
 * @par Delivery modes (vnetif_switch_config::async_readers)
 * - *Sync* (false, the default): a write returns after the listener of every
 *   destination port has run, in the writer's thread. A listener that itself writes
 *   (a TCP stack sending an ACK from its receive callback) does not recurse: its frames
 *   are queued on the writing thread and delivered, in order, by the outermost write of
 *   that thread once that write's own frames have reached all of their destinations (a
 *   listener's reply reaches a third port after the frame that caused it, and after the
 *   rest of that write's burst; at most
 *   ::VNETIF_REENTRY_DEPTH frames wait; beyond that they are dropped and counted as
 *   tx_drop_reentry on the writing port). A listener may be called while the writer holds
 *   its own locks (a stack's core lock): a listener must not take a lock a writer may
 *   hold; hand the frame to another thread instead (the lwIP adapter does). In sync
 *   mode one port's listener **can run in two threads at once** when two threads write
 *   to it at the same moment. Ports without a listener get their frames on their ring.
 * - *Async* (true): a write enqueues each frame on every destination's bounded ring
 *   and returns at once. Listeners run in reader context: a reader thread per port
 *   (vnetif_reader_start()) or the application calling vnetif_poll() /
 *   vnetif_switch_poll() from its own loop. In async mode a port's listener **never**
 *   runs in two threads at once (vnetif_poll() of a port is exclusive; a second
 *   concurrent caller gets 0 frames).
 *
 * @par The yield function (vnetif_switch_config::yield)
 * Every wait of the library is a loop of checks and pauses; the yield function, if set,
 * is each pause, called with its argument. That is exactly:
 * - a reader thread (vnetif_reader_start()) each time its poll found no frame;
 * - a writer in ::VNETIF_FULL_BACKPRESSURE mode once before each retry of a full ring;
 * - control calls that wait, between checks: vnetif_disconnect() (flush, reader thread,
 *   grace period), vnetif_reader_stop(), vnetif_switch_destroy().
 *
 * Without one (NULL, the default), a wait spins for its first 256 pauses (a CPU pause
 * instruction each), calls sched_yield() for the next 64, and then sleeps: a reader
 * thread on a futex a writer wakes after enqueueing for it (at most 10 ms between
 * checks for a stop), a control call 50 µs per pause. A back-pressured writer calls
 * sched_yield() before every retry. A reader thread also times its yields: one that
 * lasts 0.5 ms or more gave the CPU to other threads for a good part of a time slice,
 * so its CPU is *crowded* (more runnable threads than CPUs). It then sleeps at once,
 * counts as not awake (vnetif_reader_awake()) and, while crowded, starts each wait at
 * the yields without spinning; a yield that returns sooner ends that. Spinning keeps
 * an idle reader ready at no cost while the CPU has nothing else to run; on a crowded
 * CPU it would take time from the threads that make the frames.
 *
 * It is never called while the library holds a lock. Control calls wait with no lock
 * held (they change the port's state under the switch's mutex, wait, then finish under
 * the mutex), so a yield function may call the library: vnetif_switch_stats_get()
 * (a scheduler looking at the switch) and the datapath always work; a control call that
 * cannot complete from where it is called returns -EDEADLK at once: on the port whose
 * control call is waiting, vnetif_switch_destroy() of that switch, and, from a writer's
 * back-pressure pause (which runs inside the datapath of its switch), any control call
 * of that switch that waits.
 *
 * @par Full rings
 * ::VNETIF_FULL_DROP (default): a frame whose destination ring is full is freed and
 * counted (rx_drop_ring_full on the destination). ::VNETIF_FULL_BACKPRESSURE: the
 * writer retries up to vnetif_switch_config::backpressure_retries times, calling yield
 * between tries, then drops and counts. Nothing blocks forever.
 *
 * @par Forwarding
 * ::VNETIF_FWD_LEARNING (default): the source MAC of every frame is learned on its
 * port; a frame to a known unicast MAC goes to that port only; unknown unicast,
 * broadcast and multicast are flooded to every other port by reference count (no
 * copy: received mbufs may be shared, treat them as read-only while
 * rte_mbuf_refcnt_read() > 1). A frame is never delivered back to its sender; a frame
 * for a MAC learned on the sender's own port is dropped (tx_drop_own_port). A port's
 * own MAC is known from the moment it connects. A burst (vnetif_tx_burst()) is forwarded
 * exactly as its frames sent one at a time would be: no frame's route depends on a later
 * frame of the burst. ::VNETIF_FWD_HUB: every frame goes to every other port
 * (mirage-vnetif's behaviour); a hub learns nothing (the fdb_* counters stay 0).
 *
 * @par Port security (off by default)
 * Per port, as Linux bridges and Open vSwitch offer it (vnetif_port_security_set()):
 * a *MAC lock* drops every frame whose source MAC is neither the port's own nor in its
 * allowed list (tx_drop_mac_lock), so a locked port cannot pose as another and steal
 * its traffic; a *learning limit* caps the MAC table entries that point to the port,
 * so a port sending from thousands of source MACs cannot fill the table and make every
 * other port's unicast flood (sources beyond it are not learned, their frames still
 * forwarded: tx_learn_limited). macs_moved_in counts addresses that moved to a port
 * from another one (a station that moved, or one port posing as another).
 *
 * @par TCP segmentation offload (off by default)
 * What a NIC's TSO and Linux's veth GSO give a stack: TCP segments larger than the wire's
 * MTU, cut to size only where a frame leaves for a port that needs MTU-sized frames. A
 * port with TSO on (vnetif_set_tso()) may send, besides frames of up to its MTU + 14
 * bytes, *TSO frames* of up to ::VNETIF_TSO_FRAME_MAX bytes: untagged TCP/IPv4 (IPv4 and
 * TCP options allowed), Ethernet, IPv4 and TCP headers in the frame's first segment, the
 * IPv4 total length the frame's length - 14, not a fragment, a TCP payload after the
 * headers. A longer frame that is not such a frame is dropped as oversize
 * (tx_drop_oversize; -EMSGSIZE for a write). Every port with TSO on receives a TSO frame
 * whole. Every other port receives it cut into TCP segments whose IPv4 packets fit both
 * the sender's and the receiver's MTU, as TSO hardware would send them: each with its
 * own IPv4 total length and header checksum, IPv4 id (counting up from the frame's), TCP
 * sequence number and TCP checksum (computed by the switch, so segments are correct on
 * any wire even when the sender left its checksums out), FIN and PSH on the last segment
 * only. Counters: tx_tso on the sender, rx_segmented and rx_drop_segment on the
 * receiver. A port that turns TSO on says that its consumer takes frames of up to
 * ::VNETIF_TSO_FRAME_MAX bytes (mbuf chains, see ::VNETIF_POOL_ROOM_MIN): the listener's
 * frame, vnetif_rx_burst()'s mbufs and a capture on the port may be that long.
 *
 * @par Threads and the datapath
 * Any thread may use the datapath; there is nothing to register. Datapath calls
 * (tx/rx burst, write, poll) are lock-free: many threads may write to one switch, even
 * through one port, at once. Ports may connect and disconnect while traffic flows: the
 * switch reclaims a port's ring only after a grace period (SRCU-style read-side
 * counters) in which every datapath call that could still see it has returned. Control
 * calls wait for a grace period at most vnetif_switch_config::grace_timeout_ms: a
 * thread stuck inside a listener makes them fail with -ETIMEDOUT, never hang. They hold
 * no lock while they wait. A control call that would wait for the calling thread itself
 * (called from a listener of the same switch, also one running nested inside a listener
 * of another switch, from the port's reader thread, or from a yield function; see
 * above) returns -EDEADLK instead.
 *
 * @par Mbuf caches
 * A thread EAL did not start has no mempool cache: its mbuf allocations and frees all go
 * to the pool's shared store (its stack or ring). vnetif_thread_register() gives a busy
 * thread the per-lcore caches (for every mempool call it makes, the application's own
 * included); the library's reader threads register themselves. Caches are flushed when
 * a thread unregisters or exits, and mbufs in a live thread's cache count as in the pool,
 * so they never make vnetif_switch_destroy() fail. See vnetif_thread_register() for the limits.
 * Behind the caches, the switch's own pool hands out the most recently freed mbuf first
 * (vnetif_switch_config::pool_order): a frame's buffer is then usually still in the CPU
 * caches when the next frame is written into it, even for threads that have no mbuf
 * cache. Set the environment variable VNETIF_DEBUG to see which mempool driver a switch
 * got.
 *
 * @par EAL
 * If the application has not initialised DPDK's EAL when the first switch is created,
 * the library starts it with an embedded default that needs no PCI device and no root:
 * `--no-pci --file-prefix=vnetif-<pid>-<n>`, all CPUs allowed, and memory from
 * hugepages when a hugetlbfs mount the process may write has at least 256 MB of free
 * pages (memory is then taken on demand, as long as pages are free), else
 * `--no-huge -m 256`. 256 MB hold three switches with the default pool_size (the
 * fourth fails with -ENOMEM): for more, use hugepages, smaller pools, or a larger `-m`
 * in VNETIF_EAL_ARGS. With the environment variable VNETIF_DEBUG set, the choice is
 * printed on stderr. Its runtime directory is removed at exit; and before it starts, the
 * embedded default removes the runtime directories `vnetif-<pid>-<n>` and hugepage files
 * of processes that no longer exist (a process killed by a signal cannot remove its
 * own) -- never one of a live process, never another prefix. The environment variable VNETIF_EAL_ARGS
 * (space-separated) replaces all these arguments (and the clean-up). If EAL is already
 * up (a DPDK application such as Click), the library uses it as it is.
 */
#ifndef VNETIF_H
#define VNETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VNETIF_BUILDING)
#define VNETIF_API __attribute__((visibility("default")))
#else
#define VNETIF_API
#endif

/** @name Version of this header
 * The build reads the version from these lines. vnetif_version() gives the version of
 * the library loaded at run time. @{ */
#define VNETIF_VERSION_MAJOR 0
#define VNETIF_VERSION_MINOR 1
#define VNETIF_VERSION_PATCH 0
/** The version as one number, 0xMMmmpp: compare with vnetif_version(). */
#define VNETIF_VERSION_HEX \
	((VNETIF_VERSION_MAJOR << 16) | (VNETIF_VERSION_MINOR << 8) | VNETIF_VERSION_PATCH)
/** @} */

struct rte_mbuf;
struct rte_mempool;

/** Opaque switch (mirage-vnetif's backend). */
typedef struct vnetif_switch vnetif_switch;
/** Opaque port (mirage-vnetif's vnetif): one virtual NIC on a switch. */
typedef struct vnetif_port vnetif_port;

#define VNETIF_ETHER_ADDR_LEN 6
#define VNETIF_ETHER_HDR_LEN 14
#define VNETIF_MTU_MIN 68      /**< Smallest MTU a port accepts (IPv4's minimum). */
#define VNETIF_MTU_MAX 9600    /**< Largest MTU a port accepts. */
/** Longest frame a port with TCP segmentation offload may send (see "TCP segmentation
 *  offload"): an IPv4 packet of 65535 bytes and its Ethernet header. */
#define VNETIF_TSO_FRAME_MAX (65535 + VNETIF_ETHER_HDR_LEN)
#define VNETIF_MAX_PORTS 1024  /**< Upper bound of vnetif_switch_config::max_ports. */
#define VNETIF_REENTRY_DEPTH 512 /**< Frames a sync-mode listener's writes may queue. */
#define VNETIF_PORT_ALLOWED_MAX 16 /**< Extra source MACs a locked port may be allowed. */
/** Least data room, after RTE_PKTMBUF_HEADROOM, of the mbufs of a caller's pool
 *  (vnetif_switch_config::pool): the Ethernet header fits the first segment and the
 *  longest frame at most 151 segments. */
#define VNETIF_POOL_ROOM_MIN 64
#define VNETIF_POOL_SIZE_MIN 64        /**< Smallest vnetif_switch_config::pool_size. */
/** Data room (after RTE_PKTMBUF_HEADROOM) of the mbufs of a switch's large pool
 *  (vnetif_switch_config::large_pool_size): a frame of ::VNETIF_MTU_MAX fits one. */
#define VNETIF_LARGE_ROOM 9728
#define VNETIF_POOL_SIZE_MAX (1u << 24) /**< Largest vnetif_switch_config::pool_size. */

/** Forwarding policy of a switch. */
enum vnetif_fwd_mode {
	VNETIF_FWD_LEARNING = 0, /**< MAC-learning switch (default). */
	VNETIF_FWD_HUB = 1,      /**< Every frame to every other port. */
};

/** What a writer does when a destination ring is full. */
enum vnetif_full_policy {
	VNETIF_FULL_DROP = 0,         /**< Drop and count (default). */
	VNETIF_FULL_BACKPRESSURE = 1, /**< Retry with yield, bounded, then drop and count. */
};

/** In what order the switch's own pool hands out its free mbufs (see "Mbuf caches"). */
enum vnetif_pool_order {
	/** Most recently freed first (default): DPDK's lock-free stack mempool (lf_stack).
	 *  A frame allocated by one thread and freed by another, by threads without mbuf
	 *  caches (a stack's application and tcpip threads), reuses buffers that are still
	 *  in the CPU caches; lock-free, so a preempted thread never holds up another.
	 *  Where DPDK lacks that mempool driver, the switch uses ::VNETIF_POOL_FIFO
	 *  (rte_mempool_get_ops(vnetif_switch_pool(sw)->ops_index)->name says which). */
	VNETIF_POOL_LIFO = 0,
	/** Least recently freed first: DPDK's head/tail-sync ring mempool (ring_mt_hts).
	 *  Its bulk refills and flushes cost less, which pays off when every thread that
	 *  allocates or frees has an mbuf cache (vnetif_thread_register()) and frames pass
	 *  between cores, as in a producer/consumer pipeline of small frames; without
	 *  caches every buffer goes round the whole pool and is cold when it comes back. */
	VNETIF_POOL_FIFO = 1,
};

/** A yield function: see "The yield function" above. */
typedef void (*vnetif_yield_fn)(void *arg);

/** Switch configuration. Fill with vnetif_switch_config_init() first. */
struct vnetif_switch_config {
	/** Name, unique in the process, at most 12 characters of [A-Za-z0-9_-];
	 *  it prefixes the switch's DPDK objects. NULL: "vs<N>", chosen by the library. */
	const char *name;
	bool async_readers;          /**< See "Delivery modes". Default false. */
	vnetif_yield_fn yield;       /**< See "The yield function". Default NULL. */
	void *yield_arg;             /**< Argument of yield. */
	enum vnetif_fwd_mode fwd_mode;       /**< Default ::VNETIF_FWD_LEARNING. */
	enum vnetif_full_policy full_policy; /**< Default ::VNETIF_FULL_DROP. */
	unsigned backpressure_retries; /**< Tries of a full ring in back-pressure mode. Default 1000. */
	unsigned ring_size;   /**< Frames per port ring, power of two, 64..65536. Default 1024. */
	unsigned max_ports;   /**< Ports at once, 2..::VNETIF_MAX_PORTS. Default 64. */
	unsigned fdb_size;    /**< MAC table entries (learning), 64..2^24. Default 4096. */
	unsigned default_mtu; /**< MTU of new ports. Default 1500. */
	/** Pool for frames the library allocates (vnetif_write()). NULL: the switch creates
	 *  its own with pool_size mbufs of RTE_MBUF_DEFAULT_BUF_SIZE and frees it on destroy.
	 *  A caller-owned pool must be a pktmbuf pool whose data room is at least
	 *  RTE_PKTMBUF_HEADROOM + ::VNETIF_POOL_ROOM_MIN bytes (frames longer than one mbuf
	 *  are chained), and must outlive the switch. */
	struct rte_mempool *pool;
	/** Mbufs in the switch's own pool, ::VNETIF_POOL_SIZE_MIN..::VNETIF_POOL_SIZE_MAX
	 *  (64..16,777,216; 2^q - 1 uses memory best). Each EAL lcore may cache up to
	 *  min(256, pool_size / 16) of them for itself. Default 16383. */
	unsigned pool_size;
	/** Order of the switch's own pool (ignored with a caller's pool). Default
	 *  ::VNETIF_POOL_LIFO. */
	enum vnetif_pool_order pool_order;
	/** Bound of every control-path wait, 1..3600000 ms. Default 1000. */
	unsigned grace_timeout_ms;
	/** Mbufs of ::VNETIF_LARGE_ROOM bytes in a second pool of the switch's own (only
	 *  with its own pool: ignored with a caller's), in pool_order, for the frames the
	 *  switch builds (vnetif_write(), vnetif_writev(), vnetif_gatherv()) that are
	 *  longer than one mbuf of the first: a jumbo frame, a stack's TSO segment, then
	 *  takes one mbuf instead of a chain of five (four pool operations and four mbuf
	 *  headers fewer per frame; lwIP stacks at MTU 9000 or with TSO move about a third
	 *  more, bench/README.md). While all are in use, such frames are chained as without
	 *  them. 0: no large pool; more than pool_size: pool_size. Default 1023 (about
	 *  10 MB). */
	unsigned large_pool_size;
};

/** Per-port counters. Drops caused by the frame or its sender are counted on the
 *  sending port (tx_drop_*); drops caused by the receiver on the receiving port
 *  (rx_drop_*). Every frame handed to the switch is either delivered or counted.
 *  Frames a port wrote (vnetif_write()/vnetif_writev() calls that returned 0, -EMSGSIZE
 *  or -ENOBUFS, vnetif_gatherv() calls that returned -EMSGSIZE or -ENOBUFS, plus every
 *  frame vnetif_tx_burst() took) = tx_packets +
 *  tx_drop_oversize + tx_drop_runt + tx_drop_bad_src + tx_drop_pool_empty +
 *  tx_drop_reentry; tx_drop_no_route and tx_drop_own_port are frames tx_packets
 *  counted first. */
struct vnetif_stats {
	uint64_t tx_packets;  /**< Frames accepted from this port (valid ones). */
	uint64_t tx_bytes;
	uint64_t rx_packets;  /**< Frames delivered to this port: handed to its listener or
			       *   put on its ring (so rx_drop_disconnected, frames left on
			       *   the ring, are part of it; rx_drop_ring_full are not). */
	uint64_t rx_bytes;
	uint64_t tx_flooded;  /**< Accepted frames that were flooded (subset of tx_packets). */
	uint64_t tx_learn_limited; /**< Accepted frames whose new source MAC was not learned:
				    *   the port had max_learned table entries (not a drop). */
	uint64_t macs_moved_in;    /**< MAC addresses that moved to this port from another. */
	uint64_t tx_drop_oversize;  /**< Longer than MTU + 14 and not a TSO frame of a port
				     *   with TSO on (and -EMSGSIZE for a write). */
	uint64_t tx_drop_runt;      /**< Shorter than 14 bytes, or header not in first segment. */
	uint64_t tx_drop_bad_src;   /**< Multicast or zero source MAC. */
	uint64_t tx_drop_no_route;  /**< No other port to deliver to. */
	uint64_t tx_drop_own_port;  /**< Destination MAC learned on this same port. */
	uint64_t tx_drop_pool_empty;/**< vnetif_write() found the pool empty (-ENOBUFS). */
	uint64_t tx_drop_reentry;   /**< Sync mode: a listener's writes overflowed the queue. */
	uint64_t rx_drop_ring_full; /**< This port's ring was full. */
	uint64_t rx_drop_disconnected; /**< Frames left on this port's ring at disconnect. */
	uint64_t tx_drop_mac_lock;  /**< Port security: source MAC not the port's own nor
				     *   allowed (see vnetif_port_security); part of
				     *   tx_packets, as tx_drop_own_port. */
	uint64_t tx_tso;            /**< Accepted frames longer than MTU + 14: TSO frames (a
				     *   subset of tx_packets; see "TCP segmentation offload"). */
	uint64_t rx_segmented;      /**< TSO frames this port received cut into segments
				     *   (the segments are in rx_packets and rx_bytes). */
	uint64_t rx_drop_segment;   /**< TSO frames for this port the switch could not cut:
				     *   the pool ran out of mbufs, or the headers leave no room
				     *   for payload within the MTU. */
};

/** Switch-wide counters. */
struct vnetif_switch_stats {
	unsigned ports;         /**< Connected ports. */
	unsigned fdb_entries;   /**< Learned MAC addresses. */
	uint64_t fdb_learned;   /**< Addresses learned (new ones). */
	uint64_t fdb_moved;     /**< Addresses that moved to another port. */
	uint64_t fdb_full;      /**< Addresses not learned: table full (their frames flood). */
	uint64_t drops;         /**< All drops, of every port ever connected. */
	uint64_t pool_in_use;   /**< Mbufs of the switch's pools (its large pool included)
				 *   not in them now (frames waiting on port rings included). */
};

/** Port configuration for vnetif_connect(); NULL means all defaults. */
struct vnetif_port_config {
	/** MAC address. All zero: the library assigns 02:50:00:XX:XX:XX, XX:XX:XX the port's
	 *  connect number (the n-th connect of a switch gets n, unless that address is
	 *  taken by another port: then the next free number). Otherwise a unicast, non-zero
	 *  address not used by another port of the switch. */
	uint8_t mac[VNETIF_ETHER_ADDR_LEN];
	unsigned mtu; /**< 0: the switch's default_mtu. */
	/** Impairments of the frames this port receives / sends from its first frame on
	 *  (see "impairments" below); NULL: none. Copied by vnetif_connect(). */
	const struct vnetif_impair *impair_rx;
	const struct vnetif_impair *impair_tx;
};

/** Port security settings (see "Port security"); all zero: off. */
struct vnetif_port_security {
	/** Accept only frames whose source MAC is the port's own or in allowed[]; drop
	 *  and count the others (tx_drop_mac_lock). */
	bool mac_lock;
	/** Further source MACs a locked port may send from (unicast, non-zero). */
	uint8_t allowed[VNETIF_PORT_ALLOWED_MAX][VNETIF_ETHER_ADDR_LEN];
	unsigned n_allowed; /**< Entries of allowed[] in use, 0..::VNETIF_PORT_ALLOWED_MAX. */
	/** The most MAC table entries pointing to this port, its own MAC included; 0: no
	 *  limit. A new source beyond it is not learned (frames to it flood, as for a full
	 *  table) and its frames count in tx_learn_limited. Entries the port has already
	 *  stay when the limit is lowered; they go when they move or the port disconnects. */
	unsigned max_learned;
};

/** Listener that borrows each frame: @p frame is valid during the call only. */
typedef void (*vnetif_listen_fn)(vnetif_port *port, const void *frame, size_t len, void *arg);
/** Listener that takes @p n mbufs: it owns them and must free them (or pass them on). */
typedef void (*vnetif_listen_mbuf_fn)(vnetif_port *port, struct rte_mbuf **pkts,
				      uint16_t n, void *arg);

/* --- errors ------------------------------------------------------------------------ */

/** Text for a negative errno returned by libvnetif. Never NULL. Thread-safe. */
VNETIF_API const char *vnetif_strerror(int err);

/* --- version ---------------------------------------------------------------------- */

/** The library's version as ::VNETIF_VERSION_HEX of the build it came from (a program
 *  can check it against the header it was compiled with). Thread-safe. */
VNETIF_API unsigned vnetif_version(void);

/** The same as "MAJOR.MINOR.PATCH". Never NULL. Thread-safe. */
VNETIF_API const char *vnetif_version_string(void);

/* --- EAL --------------------------------------------------------------------------- */

/**
 * Start DPDK's EAL with the given arguments unless it is running already. Optional:
 * vnetif_switch_create() starts it with the embedded default. Thread-safe.
 * @return 0 if EAL runs (started now, or already running); -EINVAL bad arguments
 *         (argc < 1, NULL argv, or arguments EAL rejects); otherwise rte_eal_init's
 *         error as a negative errno (-ENOMEM, -EACCES, ...). After a failed start, EAL
 *         never reads as running: a later call (this one or vnetif_switch_create())
 *         tries again and answers 0 only if EAL then starts, -EALREADY if DPDK cannot
 *         be started again in this process.
 */
VNETIF_API int vnetif_eal_init(int argc, char **argv);

/* --- switch ------------------------------------------------------------------------ */

/** Fill @p cfg with the defaults. */
VNETIF_API void vnetif_switch_config_init(struct vnetif_switch_config *cfg);

/**
 * Create a switch. Starts EAL if needed.
 * @return 0, *out set; -EINVAL bad config (out-of-range field, bad name, a caller pool
 *         that is not a pktmbuf pool or has less than ::VNETIF_POOL_ROOM_MIN bytes of data
 *         room); -EEXIST name in use; -ENOMEM; or EAL's error.
 * Thread-safe.
 */
VNETIF_API int vnetif_switch_create(const struct vnetif_switch_config *cfg,
				    vnetif_switch **out);

/**
 * Destroy a switch: disconnect every port (frames on rings are freed and counted),
 * free its DPDK objects and, if it created its pool, the pool. All its port handles
 * become invalid.
 * @return 0; -EINVAL NULL or not a switch; -EBUSY mbufs of the switch's own pool are
 *         still held outside the switch, or another thread's control call on the
 *         switch is waiting (nothing changed); -ETIMEDOUT a thread is still inside the
 *         datapath, e.g. a listener that does not return (nothing changed: call
 *         again); -EDEADLK called from a listener or reader thread of this switch, or
 *         from the yield function of a control call of this switch that is waiting
 *         (nothing changed).
 * Must not run concurrently with any other call on this switch or its ports.
 */
VNETIF_API int vnetif_switch_destroy(vnetif_switch *sw);

/** Switch counters. @return 0; -EINVAL. Thread-safe and lock-free: it never waits for
 *  a control call, so listeners and yield functions may call it. */
VNETIF_API int vnetif_switch_stats_get(vnetif_switch *sw, struct vnetif_switch_stats *st);

/** Copy the switch's configuration (defaults filled in; name is the switch's own,
 *  valid while it lives) into @p cfg. @return 0; -EINVAL. Thread-safe. */
VNETIF_API int vnetif_switch_config_get(vnetif_switch *sw, struct vnetif_switch_config *cfg);

/** The pool the switch allocates frames from (its own or the caller's); NULL if @p sw
 *  is not a switch. Thread-safe. */
VNETIF_API struct rte_mempool *vnetif_switch_pool(vnetif_switch *sw);

/**
 * Async mode: poll every port that has a listener and no reader thread, delivering
 * up to @p budget frames per port. The unikernel-style event-loop call.
 * @return frames delivered; -EINVAL.
 * Thread-safe; ports another thread is polling are skipped.
 */
VNETIF_API int vnetif_switch_poll(vnetif_switch *sw, unsigned budget);

/* --- ports ------------------------------------------------------------------------- */

/**
 * Connect a new port. @p cfg may be NULL.
 *
 * The switch keeps max_ports port slots and reuses them: connects and disconnects,
 * however many, do not grow memory, and a connect costs O(max_ports). The handle names
 * the switch, the slot and the port's connect number, so calls on the handle of a port
 * that left return -ENOTCONN also once its slot serves a newer port (a handle kept
 * across 4,194,304 later connects on the switch may, at worst, name a newer port).
 * @return 0, *out set; -EINVAL bad argument (NULL switch or out, multicast or
 *         broadcast MAC, MTU out of range, an impairment vnetif_impair_set() refuses);
 *         -EADDRINUSE MAC used by another port; -ENOSPC max_ports connected, or slots
 *         still held by ports whose disconnect has not finished; -ENOMEM; -EAGAIN the
 *         impairment clock thread could not be started; -EIO a running switch-wide
 *         capture could not write the port's interface.
 * Thread-safe, also while traffic flows.
 */
VNETIF_API int vnetif_connect(vnetif_switch *sw, const struct vnetif_port_config *cfg,
			      vnetif_port **out);

/**
 * Disconnect a port. From the moment this starts, no new frame is routed to the port
 * and it may not send (-ENOTCONN). With @p flush_timeout_ms > 0, frames already on its
 * ring keep reaching its listener (its reader thread, or the application's
 * vnetif_poll() / vnetif_switch_poll(), which keep working meanwhile) and
 * vnetif_rx_burst(), until the ring is empty and no poll is delivering, or the timeout
 * passes; a poll then stops after at most one more listener call. Frames left (and
 * frames a poll had taken but not delivered) are freed and counted as
 * rx_drop_disconnected. With 0 they are freed and counted at once. Then it stops the
 * reader thread, forgets the port's learned MACs and waits for a grace period. No lock
 * is held while it waits.
 *
 * Afterwards every call on the handle returns -ENOTCONN, except vnetif_stats_get(),
 * which returns the port's final counters until a later vnetif_connect() reuses its slot
 * (-ENOTCONN from then on, never another port's counters).
 * @return 0; -EINVAL; -ENOTCONN already disconnected; -EALREADY another thread's
 *         control call on this port is waiting; -ETIMEDOUT a thread is still inside
 *         the datapath or the listener after grace_timeout_ms (the port takes no new
 *         frames; call again to finish); -EDEADLK it would wait for the calling thread
 *         itself: called from a listener of this switch (also nested in another
 *         switch's listener), from the port's reader thread, or from the yield function
 *         of a control call waiting on this port.
 * Thread-safe with every call; concurrent control calls on the same port are safe (one
 * proceeds, the others get -EALREADY or -ENOTCONN).
 */
VNETIF_API int vnetif_disconnect(vnetif_port *port, unsigned flush_timeout_ms);

/** Copy the port's MAC into @p mac. @return 0; -EINVAL; -ENOTCONN. Thread-safe. */
VNETIF_API int vnetif_mac(const vnetif_port *port, uint8_t mac[VNETIF_ETHER_ADDR_LEN]);

/** @return the port's MTU (> 0); -EINVAL; -ENOTCONN. Thread-safe. */
VNETIF_API int vnetif_mtu(const vnetif_port *port);

/** Set the port's MTU (::VNETIF_MTU_MIN..::VNETIF_MTU_MAX). Applies to frames the port
 *  sends from then on. @return 0; -EINVAL; -ENOTCONN. Thread-safe. */
VNETIF_API int vnetif_set_mtu(vnetif_port *port, unsigned mtu);

/**
 * Turn the port's TCP segmentation offload on or off (see "TCP segmentation offload").
 * On: the port may send TSO frames, and receives TSO frames of other ports whole. Applies
 * to frames sent from then on; a frame on its way during the call is handled by the old
 * setting or the new one.
 * @return 0; -EINVAL; -ENOTCONN. Thread-safe, also while traffic flows.
 */
VNETIF_API int vnetif_set_tso(vnetif_port *port, bool on);

/** @return 1 if the port's TCP segmentation offload is on, 0 if off; -EINVAL; -ENOTCONN.
 *  Thread-safe. */
VNETIF_API int vnetif_tso(const vnetif_port *port);

/**
 * Set the port's security (see "Port security"); @p sec NULL turns it off. Applies to
 * frames sent from then on; a frame sent during the call is checked against the old
 * settings or the new ones, never a mix (a source both allow always passes).
 * @return 0; -EINVAL NULL or not a port, n_allowed > ::VNETIF_PORT_ALLOWED_MAX, an
 *         allowed MAC multicast or zero (nothing changed); -ENOTCONN.
 * Thread-safe, also while traffic flows.
 */
VNETIF_API int vnetif_port_security_set(vnetif_port *port, const struct vnetif_port_security *sec);

/** Copy the port's security settings into @p sec. @return 0; -EINVAL; -ENOTCONN.
 *  Thread-safe. */
VNETIF_API int vnetif_port_security_get(const vnetif_port *port, struct vnetif_port_security *sec);

/** @return how many MAC table entries point to the port now (its own MAC included;
 *  what max_learned limits; 0 on a hub switch, which keeps no table); -EINVAL;
 *  -ENOTCONN. Thread-safe. */
VNETIF_API int vnetif_port_learned(const vnetif_port *port);

/** The switch a port is on; NULL if @p port is not a port or is disconnected. Thread-safe. */
VNETIF_API vnetif_switch *vnetif_port_switch(const vnetif_port *port);

/** Read the port's counters. After vnetif_disconnect() returned, they stay readable
 *  until a later vnetif_connect() on the switch reuses the port's slot.
 *  @return 0; -EINVAL; -ENOTCONN the slot serves a newer port. Thread-safe. */
VNETIF_API int vnetif_stats_get(const vnetif_port *port, struct vnetif_stats *st);

/** Zero the port's counters. @return 0; -EINVAL; -ENOTCONN disconnected (or
 *  disconnecting). Thread-safe (a frame counted at the same moment may land before or
 *  after the reset). */
VNETIF_API int vnetif_stats_reset(vnetif_port *port);

/* --- datapath: zero-copy bursts (DPDK idiom) --------------------------------------- */

/**
 * Send @p n mbufs (one frame each, chains allowed, Ethernet header in the first
 * segment). The switch takes every frame: it delivers it or frees and counts it, so
 * the return value is @p n; on error nothing is taken and the mbufs stay the caller's.
 * @return n (0..65535); -EINVAL (NULL, n > 0 with NULL array); -ENOTCONN.
 * Lock-free; any number of threads, also on the same port.
 */
VNETIF_API int vnetif_tx_burst(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n);

/**
 * Take up to @p n frames from the port's ring (frames for ports without a listener, or
 * any port in async mode). The caller owns them.
 * Works while a disconnect flushes the port (see vnetif_disconnect()).
 * @return frames taken (0 if none); -EINVAL; -ENOTCONN.
 * Lock-free; safe from several threads, but frames then interleave between them.
 */
VNETIF_API int vnetif_rx_burst(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n);

/* --- datapath: copying calls (mirage-vnetif idiom) --------------------------------- */

/**
 * Send one frame copied from @p frame (an mbuf from the switch's pool, chained when
 * longer than one mbuf).
 * @return 0; -EINVAL NULL or len < 14; -EMSGSIZE len > MTU + 14 and not a TSO frame of a
 *         port with TSO on (counted);
 *         -ENOBUFS pool empty (counted); -ENOTCONN.
 * A frame accepted (0) can still be dropped downstream and counted there; a source MAC
 * that is multicast or zero is such a frame, not a bad argument: 0, and it is counted
 * as tx_drop_bad_src.
 * Lock-free; any number of threads.
 */
VNETIF_API int vnetif_write(vnetif_port *port, const void *frame, size_t len);

/** vnetif_write() gathering the frame from @p iovcnt buffers (1..64). Same returns. */
VNETIF_API int vnetif_writev(vnetif_port *port, const struct iovec *iov, int iovcnt);

/**
 * The frame vnetif_writev() would send, built but not sent: gathered from @p iovcnt
 * buffers (1..64) into an mbuf of the switch's pool (chained when longer than one mbuf),
 * returned in *@p m. The caller sends it with vnetif_tx_burst(), usually together with
 * others (a stack that emits frames one at a time collects them and sends them in one
 * burst: the switch's per-call work is then paid once per burst), or frees it
 * (rte_pktmbuf_free()). Until vnetif_tx_burst() takes it nothing counts it as sent.
 * @return 0; -EINVAL NULL @p port, @p iov or @p m, @p iovcnt out of range, or
 *         len < 14; -EMSGSIZE len > MTU + 14 and not a TSO frame of a port with
 *         TSO on (counted as tx_drop_oversize); -ENOBUFS pool empty (counted as
 *         tx_drop_pool_empty); -ENOTCONN.
 * Lock-free; any number of threads.
 */
VNETIF_API int vnetif_gatherv(vnetif_port *port, const struct iovec *iov, int iovcnt,
			      struct rte_mbuf **m);

/**
 * Set the port's listener (the frame borrowed for the call), replacing any listener;
 * @p fn NULL removes it (frames then stay on the ring for vnetif_rx_burst()).
 * @return 0; -EINVAL; -ENOTCONN; -ENOMEM.
 * Thread-safe. A listener being replaced may still finish a call already started; the
 * library frees what it kept for it after a grace period (memory stays bounded however
 * often listeners are replaced).
 */
VNETIF_API int vnetif_listen(vnetif_port *port, vnetif_listen_fn fn, void *arg);

/** As vnetif_listen(), with a listener that takes ownership of mbufs, in bursts. */
VNETIF_API int vnetif_listen_mbuf(vnetif_port *port, vnetif_listen_mbuf_fn fn, void *arg);

/**
 * Deliver up to @p budget frames waiting on the port's ring to its listener, in the
 * calling thread. Works while a disconnect flushes the port (see vnetif_disconnect()).
 * @return frames delivered (0 if none, or if another thread is polling this port);
 *         -EINVAL; -ENOTCONN; -ENOENT no listener set.
 * Thread-safe; exclusive per port.
 */
VNETIF_API int vnetif_poll(vnetif_port *port, unsigned budget);

/**
 * Start a reader thread that polls this port and runs its listener (async mode).
 * @return 0; -EINVAL; -ENOTCONN; -EALREADY one is running; -ENOENT no listener;
 *         -EAGAIN thread creation failed.
 * Thread-safe.
 */
VNETIF_API int vnetif_reader_start(vnetif_port *port);

/**
 * vnetif_reader_start() on chosen CPUs: the reader thread is created with its affinity
 * set to the @ncpus CPUs of @cpus (numbers as in sched_setaffinity(2); one CPU pins it).
 * @return as vnetif_reader_start(), and -EINVAL also for NULL @cpus, @ncpus 0, a CPU
 *         number this machine does not have, or a set with no CPU this process may use.
 * Thread-safe.
 */
VNETIF_API int vnetif_reader_start_on(vnetif_port *port, const unsigned *cpus,
				      unsigned ncpus);

/**
 * Give the calling thread mbuf caches: register it with DPDK as a non-EAL thread
 * (rte_thread_register) so that it gets an lcore id, and with it the per-lcore cache of
 * every mempool. Its mbuf allocations and frees - the library's and the application's
 * own rte_pktmbuf_alloc()/rte_pktmbuf_free() alike, frees of mbufs other threads
 * allocated included - then mostly stay off the pool's shared store. Without it a thread
 * EAL did not start has no cache (correct, but slower when busy). Reader threads of the
 * library register themselves.
 *
 * An lcore id is held until vnetif_thread_unregister() or the thread's exit (a
 * thread-specific-data destructor unregisters it); both first flush the thread's cache
 * of every mempool, so pools are whole once their threads are gone. Mbufs in the cache
 * of a live thread count as in the pool: they never make vnetif_switch_destroy() fail.
 * Ids are RTE_MAX_LCORE for the process, EAL's own lcores included: a thread that never
 * exits keeps one. DPDK allows this only in a process without secondary processes,
 * and refuses secondaries from then on.
 * @return 0 (also when the thread already has an lcore id: an EAL thread or one
 *         registered before); -ENOSPC no lcore id left (the thread works on, uncached);
 *         -ENOTSUP DPDK refused (multi-process in use); -ENOMEM; or an error of
 *         starting EAL (as vnetif_switch_create()).
 * Thread-safe; acts on the calling thread only.
 */
VNETIF_API int vnetif_thread_register(void);

/**
 * Flush the calling thread's mbuf caches back to their pools and give its lcore id
 * back (undoes vnetif_thread_register(); thread exit does the same).
 * @return 0; -ENOENT the thread was not registered by vnetif_thread_register().
 * Thread-safe; acts on the calling thread only.
 */
VNETIF_API int vnetif_thread_unregister(void);

/**
 * Whether the port's reader thread is awake: running, not asleep on its futex (it
 * is polling, pausing or yielding between polls), and its CPU is not crowded (see "The
 * yield function": its last yield did not give the CPU away for 0.5 ms or more). A
 * frame enqueued for an awake reader is taken without a wake-up; one enqueued for a
 * sleeping reader costs the writer a wake-up syscall and waits for the reader to be
 * scheduled, and one enqueued for a reader on a crowded CPU waits for its time slice.
 * A writer that may also poll the port itself (vnetif_poll()) can ask this first:
 * leave the frame to an awake reader (the work then runs in two threads), poll when it
 * is not (the frame is taken at once). The answer is a snapshot: the reader may fall
 * asleep or wake right after.
 * @return 1 awake; 0 no reader thread, or it sleeps, or its CPU is crowded; -EINVAL not
 *         a port handle; -ENOTCONN disconnected.
 * Lock-free; any number of threads.
 */
VNETIF_API int vnetif_reader_awake(const vnetif_port *port);

/** Stop the port's reader thread and wait for it (bounded by grace_timeout_ms), with no
 *  lock held.
 *  @return 0; -EINVAL; -ENOTCONN disconnected (or disconnecting); -ENOENT none
 *  running; -EALREADY another thread's control call on the port is waiting; -EDEADLK
 *  from inside a listener of this switch or the port's own reader thread (a reader
 *  runs listeners), or from the yield function of a control call waiting on this port;
 *  -ETIMEDOUT its listener did not return in time (it stops when it does).
 *  Thread-safe. */
VNETIF_API int vnetif_reader_stop(vnetif_port *port);

/* --- impairments, monitor, capture (testing a stack over a bad link) ---------------- */

/**
 * @defgroup impair Impairments, monitor and capture
 *
 * Each port has an optional *stage* that runs on the frames it sends (::VNETIF_DIR_TX,
 * right after the switch accepted them) and on the frames delivered to it
 * (::VNETIF_DIR_RX, right before its listener or ring). A port without impairment,
 * monitor or capture pays one pointer test per burst for it.
 *
 * @par Impairments, per direction, in this order per frame
 * link down (drop all) -> size limit (drop frames over max_frame) -> drop window (after
 * cut_after_bytes bytes passed, drop everything for cut_ns, once) -> uniform loss ->
 * loss of small frames -> corruption (one bit flipped after the Ethernet header) ->
 * trailing bytes (0..pad_max zero bytes appended) -> duplication -> rate limit
 * (token bucket of burst_bytes at rate_bps) -> delay + jitter (uniform in
 * [0, jitter_ns]) -> reordering (a frame is held reorder_ns longer, so frames behind it
 * overtake it). Every drop and every effect is counted (vnetif_impair_stats_get()).
 * Corruption and padding never touch a frame another port shares: such a frame is
 * copied first.
 *
 * @par Determinism
 * All randomness comes from vnetif_impair::seed through one PRNG per port and
 * direction, drawn only for effects that are configured, in the order above. With one
 * thread sending on a path, the same seed and the same frames give exactly the same
 * drops, flips, pads and delays: a failing run replays. With several threads sending
 * through one port direction at once, the frames interleave on the PRNG in whatever
 * order the threads reach it (each frame still gets one well-defined draw sequence).
 * Time-based effects (delay, rate, drop window) follow CLOCK_MONOTONIC, so when a held
 * frame is released depends on the machine's timing; which frames are affected does not.
 *
 * @par Held frames and their release
 * Delay, jitter, rate limit and reordering hold frames in a per-port, per-direction
 * timed queue (at most queue_limit frames; a frame that finds it full is dropped and
 * counted). Held frames are released in due-time order (ties in arrival order):
 * - by the next burst that passes the same port direction (due frames go first), and
 * - by the switch's *impairment clock*, a thread ("vnetif-clk") the library starts the
 *   first time a port of the switch gets a delay, jitter, rate or reorder, and stops in
 *   vnetif_switch_destroy(). It sleeps until the earliest due time (never longer than
 *   10 ms) and releases in both delivery modes: in sync mode it runs the destination's
 *   listener, in async mode it puts frames on the ring (and wakes the reader).
 * Frames still held when a port disconnects (or its switch is destroyed) are freed and
 * counted (dropped_disconnected); until then they count in
 * vnetif_switch_stats::pool_in_use, like frames on rings.
 * libvnetif-lwip's direct wire between two stacks runs the same engine (same effects,
 * seeds and counters) on what a stack receives: vnetif_lwip_wire_impair() in
 * vnetif_lwip.h.
 *
 * @par Monitor (mirage's monitor_fn)
 * vnetif_monitor() installs a callback that sees every frame the port sends (as the
 * port wrote it, before TX impairments) and every frame it receives (as delivered,
 * after RX impairments), one call at a time per port, in the order the switch moved
 * them.
 *
 * @par Capture
 * vnetif_capture_start() writes a port's or the whole switch's traffic as pcapng
 * (Wireshark, tshark) to a file descriptor: one interface per port (named
 * "<switch>:<port number>" with the port's MAC in the description), nanosecond
 * timestamps, direction flags (outbound: the port sent it; inbound: delivered to it),
 * optional snap length, in the order the switch moved the frames.
 * @{
 */

/** A direction of a port's traffic. */
enum vnetif_dir {
	VNETIF_DIR_RX = 0, /**< Frames delivered to the port. */
	VNETIF_DIR_TX = 1, /**< Frames the port sends. */
};

/** Impairment of one direction of a port. Fill with vnetif_impair_init() (everything
 *  off), set what you need, or parse a text spec with vnetif_impair_parse(). */
struct vnetif_impair {
	bool enabled;       /**< false: frames pass untouched (nothing counted). Default true. */
	bool link_down;     /**< On/off switch: true drops every frame (dropped_down). */
	uint64_t seed;      /**< PRNG seed (see Determinism). */
	uint32_t max_frame; /**< Drop frames longer than this many bytes (0: no limit). */
	uint32_t pad_max;   /**< Append 0..pad_max zero bytes (uniform) to every frame. */
	double loss;        /**< Probability a frame is lost, 0..1. */
	double small_loss;  /**< Probability a frame of at most small_len bytes is lost. */
	uint32_t small_len; /**< See small_loss. */
	uint64_t cut_after_bytes; /**< Drop window: starts once this many bytes passed (0: off)... */
	uint64_t cut_ns;    /**< ...and drops everything for this long, once. */
	double corrupt;     /**< Probability one bit of a frame is flipped. */
	double duplicate;   /**< Probability a frame is delivered twice. */
	uint64_t rate_bps;  /**< Rate limit in bits per second (0: none). */
	uint32_t burst_bytes; /**< Token bucket depth (0: one maximum frame, 1514). */
	uint64_t delay_ns;  /**< Fixed delay. */
	uint64_t jitter_ns; /**< Extra delay, uniform in [0, jitter_ns]. */
	double reorder;     /**< Probability a frame is held reorder_ns extra. */
	uint64_t reorder_ns; /**< Default 1 ms. */
	uint32_t queue_limit; /**< Frames held at once, 1..65536. Default 1024. */
};

/** Counters of one direction's impairment (since it was first set; a later
 *  vnetif_impair_set() keeps them). */
struct vnetif_impair_stats {
	uint64_t passed;          /**< Frames that went on (duplicates included). */
	uint64_t dropped_down;    /**< link_down. */
	uint64_t dropped_oversize;/**< Over max_frame (dropped, never truncated). */
	uint64_t dropped_cut;     /**< In the drop window. */
	uint64_t dropped_loss;    /**< Uniform loss. */
	uint64_t dropped_small;   /**< Small-frame loss. */
	uint64_t dropped_queue_full; /**< Timed queue full (rate limit, delay). */
	uint64_t dropped_nomem;   /**< No mbuf to copy a shared frame before changing it. */
	uint64_t dropped_disconnected; /**< Held when the port disconnected. */
	uint64_t corrupted;       /**< Frames with a flipped bit. */
	uint64_t padded;          /**< Frames that got trailing bytes... */
	uint64_t pad_bytes;       /**< ...and how many bytes in all. */
	uint64_t duplicated;      /**< Extra copies made. */
	uint64_t delayed;         /**< Frames held (delay, jitter, rate, reorder). */
	uint64_t reordered;       /**< Frames held back by reorder. */
	uint64_t held;            /**< Frames held right now. */
};

/** Fill @p im with "enabled, nothing impaired": enabled = true, reorder_ns = 1 ms,
 *  queue_limit = 1024, everything else 0. Thread-safe. */
VNETIF_API void vnetif_impair_init(struct vnetif_impair *im);

/**
 * Parse a spec such as "loss=0.01,delay=1ms,seed=7" into @p im (starting from
 * vnetif_impair_init()). Keys: seed, loss, small_loss, small_len, max_frame, pad,
 * cut_after (bytes), cut (time), corrupt, dup, rate (bit/s; suffix k, m, g: 10^3..),
 * burst (bytes), delay, jitter, reorder, reorder_delay, queue; flags: down, off.
 * Times take ns, us, ms or s (plain numbers: ns); byte counts K, M, G (2^10..).
 * @return 0; -EINVAL unknown key or bad value (@p im unchanged). Thread-safe.
 */
VNETIF_API int vnetif_impair_parse(const char *spec, struct vnetif_impair *im);

/** Print @p im as a spec vnetif_impair_parse() reads back (only what differs from the
 *  defaults; "none" if nothing). @return the length snprintf would write; -EINVAL.
 *  Thread-safe. */
VNETIF_API int vnetif_impair_format(const struct vnetif_impair *im, char *buf, size_t size);

/**
 * Set (replace) the impairment of one direction of a port while traffic flows, or
 * with @p im NULL switch it off. The PRNG restarts from @p im->seed and the drop window
 * from zero; frames already held keep their release times; counters are kept.
 * @return 0; -EINVAL bad argument or field out of range (probability outside 0..1,
 *         queue_limit 0 or over 65536, delay or jitter over 60 s); -ENOTCONN; -ENOMEM;
 *         -EAGAIN the impairment clock thread could not be started.
 * Thread-safe.
 */
VNETIF_API int vnetif_impair_set(vnetif_port *port, enum vnetif_dir dir,
				 const struct vnetif_impair *im);

/** The impairment of one direction of a port. @return 0; -EINVAL; -ENOTCONN; -ENOENT
 *  none set. Thread-safe. */
VNETIF_API int vnetif_impair_get(const vnetif_port *port, enum vnetif_dir dir,
				 struct vnetif_impair *im);

/** Counters of one direction's impairment (all zero if none was ever set; readable
 *  after disconnect, until the port's slot serves a newer port: the handle then
 *  answers -ENOTCONN, and the old port's impairment drops stay in the switch's drops).
 *  Frames still held when the port disconnects are freed and counted in
 *  dropped_disconnected (a disconnect's flush waits for the port's ring, not for held
 *  frames). @return 0; -EINVAL; -ENOTCONN. Thread-safe. */
VNETIF_API int vnetif_impair_stats_get(const vnetif_port *port, enum vnetif_dir dir,
				       struct vnetif_impair_stats *st);

/** A monitor: sees each frame (borrowed for the call) a port sends or receives; @p port
 *  is the port's handle. It must not call into libvnetif's datapath (calls on one port
 *  are serialised by a lock); control calls that wait answer -EDEADLK from it. */
typedef void (*vnetif_monitor_fn)(vnetif_port *port, enum vnetif_dir dir, const void *frame,
				  size_t len, void *arg);

/**
 * Set the port's monitor, replacing any; @p fn NULL removes it. When this returns, the
 * old monitor is not running and will not be called again.
 * @return 0; -EINVAL; -ENOTCONN; -ENOMEM; -EDEADLK called from inside a listener or a
 *         monitor of this switch (also one the impairment clock runs): it would wait for
 *         the port's running monitor.
 * Thread-safe.
 */
VNETIF_API int vnetif_monitor(vnetif_port *port, vnetif_monitor_fn fn, void *arg);

/** Opaque capture. */
typedef struct vnetif_capture vnetif_capture;

/** Capture configuration; fields 0 mean the defaults. */
struct vnetif_capture_config {
	uint32_t snaplen;   /**< Bytes kept of each frame (0: all of it). */
	bool sent_only;     /**< Record each frame only where it was sent (no inbound copies). */
};

/**
 * Start writing pcapng to @p fd (a file, a pipe, stdout): the section header and an
 * interface per port now, then every frame @p port (NULL: every port of the switch,
 * including ports that connect later) sends and receives. The caller keeps @p fd and
 * closes it after vnetif_capture_stop(). One capture per switch at a time. Writes happen
 * in the datapath thread, under the capture's lock; a write error (a reader that went
 * away) stops recording (counted, see vnetif_capture_stop()) and never blocks traffic
 * beyond that write. Writing to a closed pipe raises SIGPIPE unless the program
 * ignores it.
 * @return 0, *out set; -EINVAL (bad switch or fd, port of another switch); -ENOTCONN
 *         port disconnected; -EBUSY a capture runs on this switch; -ENOMEM; -EIO the
 *         header could not be written.
 * Thread-safe.
 */
VNETIF_API int vnetif_capture_start(vnetif_switch *sw, vnetif_port *port, int fd,
				    const struct vnetif_capture_config *cfg, vnetif_capture **out);

/**
 * Stop a capture; no frame is written once this returns. Frees @p cap.
 * vnetif_switch_destroy() stops and frees a capture still running (its handle is then
 * invalid).
 * @return frames written (>= 0); -EINVAL; -EIO a write failed (frames after it were not
 *         recorded); -ETIMEDOUT a datapath thread did not leave in grace_timeout_ms
 *         (recording stopped; the capture is freed with the switch); -EDEADLK from a
 *         listener or monitor of this switch (also one the impairment clock runs) or
 *         its reader thread. It waits with no lock held.
 * Must not run concurrently with another vnetif_capture_stop() of the same capture.
 */
VNETIF_API int vnetif_capture_stop(vnetif_capture *cap);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* VNETIF_H */
