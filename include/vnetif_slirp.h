/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vnetif_slirp.h
 * A user-mode NAT uplink port of a libvnetif switch (library `vnetif-slirp`, on
 * libslirp, the network code of QEMU's `-netdev user`).
 *
 * The port is a gateway for every stack on the switch, with no root and no tap: it
 * answers ARP for its addresses, DHCP (leases from dhcp_start on), DNS at dns (queries
 * are answered by the host's resolver), and carries the stacks' outbound TCP and UDP over
 * ordinary host sockets (source address translation: to the outside world the traffic
 * comes from this process). The gateway address itself stands for the host: a
 * connection to 10.0.2.2:80 reaches the host's 127.0.0.1:80. Port forwards
 * (vnetif_slirp_hostfwd()) carry connections to a host address and port into a stack.
 * IPv4 only.
 *
 * @par DNS
 * A UDP query to the dns address is sent on by libslirp, from a host socket, to the
 * first `nameserver` of the host's /etc/resolv.conf, and the answer comes back from the
 * dns address. libslirp reads the file when a query needs it (not when the uplink is
 * created) and keeps the server it found in a cache shared by the whole process,
 * re-checked (the file's inode, size and mtime) at most once a second. If the file names
 * no server (or cannot be read), the query is dropped and answered with an ICMP network
 * unreachable; nothing is cached, so the next query reads the file again. A nameserver
 * of 127.0.0.1 means the host's own loopback, as for any host program.
 *
 * @par Threads
 * libslirp is single-threaded and needs a poll loop and timers: each uplink runs its own
 * thread that polls libslirp's sockets, runs its timers, and feeds it the frames the
 * switch delivers to the port. The port's listener only queues frames (a bounded ring)
 * and wakes that thread, so it never blocks the writer and takes no lock. Frames
 * libslirp sends go out with vnetif_write() from that thread. On an async switch the
 * uplink starts the port's reader thread itself. Every function here is thread-safe.
 *
 * @par Counters
 * The port's counters are read with vnetif_stats_get(vnetif_slirp_port(n), ...) as for
 * every port; vnetif_slirp_stats_get() adds what happened inside the uplink.
 *
 * @par Errors
 * 0 on success, a negative errno on failure, as in vnetif.h; a failed call changes
 * nothing.
 */
#ifndef VNETIF_SLIRP_H
#define VNETIF_SLIRP_H

#include <stdbool.h>
#include <stdint.h>

#include "vnetif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A NAT uplink port. Opaque. */
typedef struct vnetif_slirp vnetif_slirp;

/** Uplink configuration. Fill with vnetif_slirp_config_init() first. Addresses are
 *  dotted quads; NULL means the default derived from @ref network. */
struct vnetif_slirp_config {
	/** The virtual network, "A.B.C.D/PREFIX" with PREFIX 8..30. Default "10.0.2.0/24". */
	const char *network;
	const char *gateway;    /**< The uplink's own address. Default: network + 2. */
	const char *dns;        /**< The DNS forwarder's address. Default: network + 3. */
	const char *dhcp_start; /**< First address DHCP leases. Default: network + 15. */
	/** Only the virtual network: no outbound connections (port forwards still work). */
	bool restricted;
	/** The gateway address does not reach the host's loopback. Default false. */
	bool no_host_loopback;
	/** Port MAC and MTU (as vnetif_connect()); zero: switch's choice. MTU 576..9600 for
	 *  libslirp; the default (0) takes the switch's default MTU. */
	struct vnetif_port_config port;
	unsigned queue_size;    /**< Frames queued for the uplink's thread, power of two,
				 *   64..65536. Default 1024. */
};

/** Counters of the uplink itself. */
struct vnetif_slirp_stats {
	uint64_t rx_frames;      /**< Frames from the switch given to libslirp. */
	uint64_t rx_drop_queue_full; /**< Frames from the switch dropped: queue full. */
	uint64_t rx_drop_too_long;   /**< Frames longer than the uplink's buffer. */
	uint64_t rx_drop_stopped;    /**< Frames still queued when the uplink was destroyed. */
	uint64_t tx_frames;      /**< Frames libslirp sent that the switch took. */
	uint64_t tx_drop;        /**< Frames libslirp sent that vnetif_write() refused
				  *   (the port's counters say why). */
	unsigned hostfwds;       /**< Port forwards in place. */
};

/** Fill @p cfg with the defaults. */
VNETIF_API void vnetif_slirp_config_init(struct vnetif_slirp_config *cfg);

/**
 * Create a NAT uplink on a new port of @p sw and start its thread.
 * @return 0, *out set; -EINVAL NULL argument, bad address or prefix, gateway/dns/
 *         dhcp_start outside the network or equal, bad queue size or MTU; -ENOSPC /
 *         -EADDRINUSE from vnetif_connect(); -ENOMEM; -EAGAIN no thread; -EIO libslirp
 *         refused the configuration.
 */
VNETIF_API int vnetif_slirp_create(vnetif_switch *sw, const struct vnetif_slirp_config *cfg,
			vnetif_slirp **out);

/**
 * Forward connections to @p host_addr:@p host_port (a host socket the uplink listens on)
 * to @p guest_addr:@p guest_port on the virtual network (QEMU's hostfwd).
 * @p host_addr NULL or "" means 0.0.0.0 (all host addresses); @p host_port 0 lets the
 * kernel pick (then useless to the caller: give a port).
 * @return 0; -EINVAL bad argument (address not parsable, guest address outside the
 *         network, guest port 0); -EADDRINUSE the host port cannot be bound (in use,
 *         or no permission).
 */
VNETIF_API int vnetif_slirp_hostfwd_add(vnetif_slirp *n, bool udp, const char *host_addr,
			     uint16_t host_port, const char *guest_addr, uint16_t guest_port);

/**
 * vnetif_slirp_hostfwd_add() from QEMU's syntax:
 * `tcp:127.0.0.1:8080-10.0.2.15:80`, `udp::5353-10.0.2.15:53` (empty host address: all).
 * @return as vnetif_slirp_hostfwd_add(); -EINVAL the text does not parse.
 */
VNETIF_API int vnetif_slirp_hostfwd(vnetif_slirp *n, const char *spec);

/** The uplink's switch port; NULL if @p n is NULL. */
VNETIF_API vnetif_port *vnetif_slirp_port(const vnetif_slirp *n);

/** Read the uplink's counters. @return 0; -EINVAL. */
VNETIF_API int vnetif_slirp_stats_get(const vnetif_slirp *n, struct vnetif_slirp_stats *st);

/**
 * Stop the thread (bounded: it wakes at once), close every host socket and port
 * forward, disconnect the port, free @p n. Frames still queued for the thread are
 * freed and counted (rx_drop_stopped).
 * @return 0; -EINVAL; -EDEADLK called from the uplink's own thread (never happens
 *         from application code); or vnetif_disconnect()'s -ETIMEDOUT (@p n stays
 *         valid, call again).
 * Must not run concurrently with other calls on @p n.
 */
VNETIF_API int vnetif_slirp_destroy(vnetif_slirp *n);

#ifdef __cplusplus
}
#endif

#endif /* VNETIF_SLIRP_H */
