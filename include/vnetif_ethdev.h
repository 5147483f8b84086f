/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vnetif_ethdev.h
 * DPDK ethdev ports of a libvnetif switch (library `vnetif-ethdev`).
 *
 * Any DPDK ethdev -- a memif server a DPDK program (Click, testpmd, OvS) attaches to as a
 * memif client, a tap interface a Linux network namespace uses, a pcap file, a vhost-user
 * socket, net_ring, net_null -- becomes one port of a switch. Frames move in bursts with
 * no copy: the device's receive queue into vnetif_tx_burst() of the port, and
 * vnetif_rx_burst() of the port into the device's transmit queue. Frames the device does
 * not take are freed and counted (vnetif_ethdev_stats::tx_drop_dev_full).
 *
 * The device is one switch port made with vnetif_connect(): the port has a MAC of its
 * own (vnetif_ethdev_config::port), but frames crossing it keep the source MACs of the
 * hosts behind the device, and the switch learns those on the port.
 *
 * @par Polling
 * ethdev queues are not thread-safe, so exactly one thread moves a device's frames:
 * - ::VNETIF_ETHDEV_THREAD (default): a thread the library runs. When the device and
 *   the port are idle it spins briefly, then sleeps with a back-off bounded by
 *   vnetif_ethdev_config::idle_sleep_max_us.
 * - ::VNETIF_ETHDEV_APP_POLL: the application calls vnetif_ethdev_poll() from its own
 *   loop (exclusive per device: a second concurrent caller moves nothing).
 *
 * @par Detaching while traffic flows
 * vnetif_ethdev_detach() first stops the poller (joins the library's thread, or waits
 * for a vnetif_ethdev_poll() in progress to return), bounded by
 * vnetif_ethdev_config::stop_timeout_ms, and only then stops the device and disconnects
 * the port; frames in flight are freed and counted, never leaked. Writers on the switch
 * may go on meanwhile. With ::VNETIF_ETHDEV_APP_POLL the application's loop is the
 * poller: detach from that loop's thread, or once it no longer calls
 * vnetif_ethdev_poll() (detach frees the handle).
 *
 * @par Lifetime
 * Detach every device of a switch before vnetif_switch_destroy(): the poller uses the
 * port handle, which the switch frees. A device attached from devargs belongs to the
 * library (probed on attach, closed and removed on detach); a device attached by port id
 * stays the application's (configured and started on attach, stopped on detach). Either
 * way the library takes DPDK ownership of the port id (rte_eth_dev_owner_set()) while
 * attached, so RTE_ETH_FOREACH_DEV in the application skips it and a second attach of
 * the same device fails with -EBUSY.
 *
 * @par Errors
 * 0 (or a count) on success, a negative errno on failure, as in vnetif.h. A failed
 * attach leaves the switch as it was; a device the failed call probed is removed again;
 * a device of the application's (vnetif_ethdev_attach_port()) is left stopped and
 * unowned. vnetif_ethdev_last_error() gives a sentence saying what went
 * wrong in the calling thread's last failed call of this module, including the
 * driver's own log line when DPDK gave one ("memif_check_socket_filename(): Invalid
 * socket directory."). vnetif_strerror() names the code.
 *
 * @par Linking
 * `-lvnetif-ethdev -lvnetif` plus DPDK's libraries; vnetif_ethdev_view_create() also
 * needs `-lrte_net_ring`, which `pkg-config --libs libdpdk` omits (the CMake target
 * `vnetif_ethdev` brings it).
 */
#ifndef VNETIF_ETHDEV_H
#define VNETIF_ETHDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vnetif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A DPDK ethdev attached to a switch as a port. Opaque. */
typedef struct vnetif_ethdev vnetif_ethdev;

/** Who moves the device's frames. */
enum vnetif_ethdev_poll_mode {
	VNETIF_ETHDEV_THREAD = 0,   /**< A thread the library runs (default). */
	VNETIF_ETHDEV_APP_POLL = 1, /**< The application calls vnetif_ethdev_poll(). */
};

/** Attach configuration. Fill with vnetif_ethdev_config_init() first; NULL means all
 *  defaults. */
struct vnetif_ethdev_config {
	enum vnetif_ethdev_poll_mode poll_mode; /**< Default ::VNETIF_ETHDEV_THREAD. */
	/** The switch port's MAC and MTU (as vnetif_connect()). All zero: a MAC chosen by
	 *  the switch, the switch's default MTU. Frames longer than MTU + 14 that the
	 *  device receives are dropped by the switch (tx_drop_oversize of the port). */
	struct vnetif_port_config port;
	uint16_t nb_rxd;   /**< Receive descriptors (clamped to the device's limits). Default 1024. */
	uint16_t nb_txd;   /**< Transmit descriptors (clamped likewise). Default 1024. */
	uint16_t burst;    /**< Frames per rx/tx burst, 1..512. Default 32. */
	/** Pool the device receives into. NULL: the switch's pool (vnetif_switch_pool()).
	 *  A caller-owned pool must outlive the attachment. */
	struct rte_mempool *pool;
	bool promiscuous;  /**< Put the device in promiscuous mode (where supported). Default true. */
	unsigned idle_sleep_max_us; /**< Longest idle sleep of the poller thread, 0 = spin. Default 200. */
	unsigned stop_timeout_ms;   /**< Bound of detach's wait for the poller. Default 1000. */
};

/** Link state of the device (rte_eth_link_get_nowait()). */
struct vnetif_ethdev_link {
	bool up;
	bool full_duplex;
	uint32_t speed_mbps; /**< 0 when unknown. */
};

/** Counters of an attached device. The switch port's own counters are read with
 *  vnetif_stats_get(vnetif_ethdev_port(e), ...). */
struct vnetif_ethdev_stats {
	/* Device counters (rte_eth_stats_get()); 0 where the driver keeps none. */
	uint64_t dev_ipackets;  /**< Frames the device received. */
	uint64_t dev_ibytes;
	uint64_t dev_imissed;   /**< Frames the device dropped: its receive queue was full. */
	uint64_t dev_ierrors;
	uint64_t dev_rx_nombuf; /**< Receive mbuf allocation failures (pool empty). */
	uint64_t dev_opackets;  /**< Frames the device sent. */
	uint64_t dev_obytes;
	uint64_t dev_oerrors;
	/* Counters of this attachment. */
	uint64_t to_switch;       /**< Frames taken from the device and given to the switch. */
	uint64_t from_switch;     /**< Frames taken from the port and given to the device... */
	uint64_t tx_drop_dev_full;/**< ...of which the device refused these (freed). */
	uint64_t rx_drop_no_port; /**< Frames read from the device after the port was
				       disconnected by someone else (freed). */
};

/** Fill @p cfg with the defaults. */
VNETIF_API void vnetif_ethdev_config_init(struct vnetif_ethdev_config *cfg);

/**
 * Probe a DPDK device from @p devargs and attach it to @p sw as a new port.
 *
 * @p devargs is what `--vdev` takes: `net_memif0,role=server,socket=/run/vnetif/a.sock,
 * socket-abstract=no`, `net_tap0,iface=vn0`, `net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap`,
 * `net_vhost0,iface=/run/vnetif/vm0.sock`, `net_ring0`, `net_null0`, or a bus address.
 * The device name (before the first comma) must be unique in the process.
 * Note: memif sockets are abstract (no file) unless `socket-abstract=no` is given; the
 * client must then give it too.
 *
 * Configures one receive and one transmit queue, starts the device, connects the
 * port, and (::VNETIF_ETHDEV_THREAD) starts the poller thread.
 *
 * @return 0, *out set. Otherwise nothing changed and:
 *  -EINVAL NULL @p sw/@p devargs/@p out, empty @p devargs, bad config field, or the
 *          driver refused the arguments (bad value, socket path that cannot be created,
 *          file that cannot be opened; vnetif_ethdev_last_error() quotes the driver);
 *  -ENODEV no bus or driver knows the device name (unknown driver, PMD not installed);
 *  -EEXIST a device of that name exists already;
 *  -EADDRINUSE / -ENOENT / -EACCES the driver reported that error (a stale memif
 *          socket file, a missing pcap file, no permission);
 *  -EBUSY  the device is owned by someone else;
 *  -ENOTSUP the device has no receive or transmit queue;
 *  -ENOSPC / -EADDRINUSE from vnetif_connect() (switch full, MAC in use);
 *  -ENOMEM; -EAGAIN the poller thread could not be created;
 *  -EIO the device failed to start and its driver gave no errno;
 *  or the negative errno of the ethdev call that failed (configure, queue setup, start).
 * Thread-safe (calls that probe are serialised within the library).
 */
VNETIF_API int vnetif_ethdev_attach(vnetif_switch *sw, const char *devargs,
				    const struct vnetif_ethdev_config *cfg,
				    vnetif_ethdev **out);

/**
 * Attach a vhost-user server port at the socket file @p path: a VM (QEMU
 * `-chardev socket,id=c,path=PATH -netdev vhost-user,id=n,chardev=c
 * -device virtio-net-pci,netdev=n`, with shared guest memory such as
 * `-object memory-backend-memfd,id=mem,size=...,share=on -numa node,memdev=mem`) or a
 * DPDK program (`--vdev=net_virtio_user0,path=PATH`) connects to it as the client.
 * The same as vnetif_ethdev_attach() with `net_vhost<N>,iface=PATH,queues=1`, N chosen
 * free in the process, after checking @p path: its directory must exist; a socket file
 * nobody listens on (left by a killed process) is removed; a live server there or a
 * file that is not a socket is refused. The device (and its socket file) is removed on
 * detach. A client may come and go (a VM killed, restarted) while the port stays.
 * @return 0, *out set; -EINVAL NULL or empty argument, bad config, or ',' in @p path;
 *         -ENAMETOOLONG longer than a socket path allows (107 bytes); -ENOENT /
 *         -ENOTDIR / -EACCES the directory; -EEXIST a file that is not a socket is
 *         there; -EADDRINUSE a server listens there already; otherwise as
 *         vnetif_ethdev_attach().
 * Thread-safe.
 */
VNETIF_API int vnetif_ethdev_attach_vhost(vnetif_switch *sw, const char *path,
					  const struct vnetif_ethdev_config *cfg,
					  vnetif_ethdev **out);

/**
 * Attach an existing ethdev, probed by the application and not started, to @p sw as a
 * new port. The library configures it (one rx and one tx queue) and starts it; on
 * detach it stops it and gives it back (not closed).
 * @return 0, *out set; -EINVAL bad argument; -ENODEV no such port id; -EBUSY owned by
 *         someone else, or started already (the application must stop it first);
 *         -EIO the device failed to start and its driver gave no errno; otherwise as
 *         vnetif_ethdev_attach(). On failure the switch is unchanged and the device is
 *         stopped and unowned (configured with one queue each way if the failure came
 *         after that).
 * Thread-safe.
 */
VNETIF_API int vnetif_ethdev_attach_port(vnetif_switch *sw, uint16_t port_id,
					 const struct vnetif_ethdev_config *cfg,
					 vnetif_ethdev **out);

/**
 * Create an in-process ethdev view of a new switch port: a port id the application
 * drives with rte_eth_rx_burst()/rte_eth_tx_burst() as if it were a NIC (DPDK's ring
 * PMD, rte_eth_from_rings(), named `net_ring_<name>`). Inside, a second ring device,
 * owned by the library, is attached to the switch like any device, so the view is
 * served by the poller (thread or vnetif_ethdev_poll()) and frames are never copied.
 * The application configures and starts the view port as any ethdev (1 rx and 1 tx
 * queue, any descriptor counts; the ring PMD ignores the pool).
 * @p name: 1..16 characters of [A-Za-z0-9_], unique in the process.
 * @return 0, *out set; -EINVAL bad argument or name; -EEXIST name in use; -ENOMEM;
 *         otherwise as vnetif_ethdev_attach().
 * Thread-safe.
 */
VNETIF_API int vnetif_ethdev_view_create(vnetif_switch *sw, const char *name,
					 const struct vnetif_ethdev_config *cfg,
					 vnetif_ethdev **out);

/** Port id of the view the application uses (vnetif_ethdev_view_create()).
 *  @return the port id (>= 0); -EINVAL @p e is NULL or not a view. Thread-safe. */
VNETIF_API int vnetif_ethdev_view_port_id(const vnetif_ethdev *e);

/**
 * Detach: stop the poller (join the thread, or wait for a running vnetif_ethdev_poll()
 * to return), stop the device, disconnect the switch port (frames on its ring are freed
 * and counted as rx_drop_disconnected), then close and remove the device if the library
 * probed it (vnetif_ethdev_attach(), and both devices of a view), or release it to the
 * application (vnetif_ethdev_attach_port()). Frees @p e.
 * @return 0; -EINVAL NULL; -EDEADLK called from the poller thread;
 *         -ETIMEDOUT the poller did not stop within stop_timeout_ms, or
 *         vnetif_disconnect() timed out: the device takes no more frames and @p e stays
 *         valid, call again to finish.
 * Must not run concurrently with any other call on @p e except a vnetif_ethdev_poll()
 * already in progress (which it waits for); no call may use @p e after it returned 0,
 * so an application polling from another thread stops its loop first.
 */
VNETIF_API int vnetif_ethdev_detach(vnetif_ethdev *e);

/**
 * ::VNETIF_ETHDEV_APP_POLL: move up to @p budget frames in each direction between the
 * device and the switch, in the calling thread.
 * @return frames moved, both directions together (0 if none, or if another thread is
 *         polling @p e); -EINVAL NULL or zero budget; -EPERM the device is polled by the
 *         library's thread (::VNETIF_ETHDEV_THREAD); -ENOTCONN a detach that timed out
 *         has begun (call vnetif_ethdev_detach() again).
 * Thread-safe; exclusive per device. Never after vnetif_ethdev_detach() returned 0.
 */
VNETIF_API int vnetif_ethdev_poll(vnetif_ethdev *e, unsigned budget);

/** The switch port of the device; NULL if @p e is NULL. Thread-safe. */
VNETIF_API vnetif_port *vnetif_ethdev_port(const vnetif_ethdev *e);

/** The device's ethdev port id (for a view, the library's side; see
 *  vnetif_ethdev_view_port_id()). @return >= 0; -EINVAL. Thread-safe. */
VNETIF_API int vnetif_ethdev_port_id(const vnetif_ethdev *e);

/** The device's name (`net_memif0`...); "" if @p e is NULL. Thread-safe. */
VNETIF_API const char *vnetif_ethdev_name(const vnetif_ethdev *e);

/** Read the link state. @return 0; -EINVAL; or the driver's error (-ENOTSUP, -ENODEV).
 *  Note: a tap interface moved into another network namespace reads down.
 *  Thread-safe. */
VNETIF_API int vnetif_ethdev_link_get(const vnetif_ethdev *e, struct vnetif_ethdev_link *link);

/** Read the device's and the attachment's counters. @return 0; -EINVAL; or the driver's
 *  error from rte_eth_stats_get() (the attachment's counters are filled even then).
 *  Thread-safe. */
VNETIF_API int vnetif_ethdev_stats_get(const vnetif_ethdev *e, struct vnetif_ethdev_stats *st);

/** What the calling thread's last failed call of this module went wrong on, as one
 *  sentence; "" if none failed. Valid until the thread's next call of this module.
 *  Thread-safe (per-thread). */
VNETIF_API const char *vnetif_ethdev_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* VNETIF_ETHDEV_H */
