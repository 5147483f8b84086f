/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK ethdev ports of a switch. A device is one switch port (vnetif_connect()); one
 * poller, the library's thread or the application's vnetif_ethdev_poll(), moves frames:
 *
 *   rte_eth_rx_burst(device)  -> vnetif_tx_burst(port)    (the switch takes every frame)
 *   vnetif_rx_burst(port)     -> rte_eth_tx_burst(device) (frames refused: freed, counted)
 *
 * The in-process view needs no poller: the application's own bursts cross into the
 * switch (see "in-process view" below).
 *
 * Built on the public API of libvnetif only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "vnetif_ethdev.h"

/* Devices hand mbufs between threads inside DPDK (net_ring, memif): frames from a device
 * are acquired, frames to a device released (an application feeding a view does the
 * same on its side). */
#include "tsan_burst.h"

#define ETHDEV_MAGIC 0x56455448u /* "VETH" */
#define BURST_MAX 512
#define IDLE_SPINS 256           /* empty polls before the poller thread sleeps */
#define VIEW_NAME_MAX 16

struct vnetif_ethdev {
	uint32_t magic;
	vnetif_switch *sw;
	vnetif_port *port;
	struct rte_device *dev;   /* set when the library removes the device on detach */
	uint16_t pid;
	uint64_t owner_id;
	char name[RTE_ETH_NAME_MAX_LEN];
	struct vnetif_ethdev_config cfg;

	/* in-process view: a ring device with callbacks (see "in-process view") */
	bool view;
	struct rte_ring *view_ring[2];                   /* [0] rx, [1] tx */
	const struct rte_eth_rxtx_callback *view_cb[2];  /* [0] rx, [1] tx */

	/* poller */
	pthread_t thread;
	bool thread_on;
	_Atomic bool stop;        /* detach has begun */
	_Atomic bool thread_done;
	_Atomic int polling;      /* vnetif_ethdev_poll() exclusivity; detach keeps it */
	bool dev_stopped;

	/* written by the poller only */
	_Atomic uint64_t to_switch, from_switch, tx_drop_dev_full, rx_drop_no_port;
};

/* ---- errors: a negative errno plus one sentence per thread --------------------------- */

static __thread char last_error[320];

static int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

VNETIF_API const char *vnetif_ethdev_last_error(void)
{
	return last_error;
}

/*
 * Drivers explain a failed probe only in DPDK's log. With vnetif_ethdev_config::driver_log
 * (off by default: it swaps the whole process's log stream), the log stream is a tee
 * while a probe runs, keeping a copy, so the error can quote the driver. The tee is created
 * once and never closed (a thread that loaded the stream pointer may still write to
 * it); probes are serialised by probe_lock.
 */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t tee_once = PTHREAD_ONCE_INIT;
static FILE *tee_stream;
static FILE *_Atomic tee_orig;
static pthread_mutex_t tee_lock = PTHREAD_MUTEX_INITIALIZER; /* not rte_spinlock: TSan cannot see its asm */
static char tee_buf[512];
static size_t tee_len;

static ssize_t tee_write(void *cookie, const char *buf, size_t len)
{
	FILE *orig = atomic_load(&tee_orig);

	(void)cookie;
	pthread_mutex_lock(&tee_lock);
	size_t n = RTE_MIN(len, sizeof(tee_buf) - 1 - tee_len);
	memcpy(tee_buf + tee_len, buf, n);
	tee_len += n;
	tee_buf[tee_len] = '\0';
	pthread_mutex_unlock(&tee_lock);
	if (orig) {
		fwrite(buf, 1, len, orig);
		fflush(orig);
	}
	return (ssize_t)len;
}

static void tee_create(void)
{
	cookie_io_functions_t io = {.write = tee_write};

	tee_stream = fopencookie(NULL, "w", io);
	if (tee_stream)
		setvbuf(tee_stream, NULL, _IONBF, 0);
}

static void tee_begin(bool on)
{
	if (!on)
		return;
	pthread_once(&tee_once, tee_create);
	if (!tee_stream)
		return;
	pthread_mutex_lock(&tee_lock);
	tee_len = 0;
	tee_buf[0] = '\0';
	pthread_mutex_unlock(&tee_lock);
	atomic_store(&tee_orig, rte_log_get_stream());
	rte_openlog_stream(tee_stream);
}

/* What was captured so far. */
static void tee_peek(bool on, char *out, size_t len)
{
	if (!on || !tee_stream) {
		out[0] = '\0';
		return;
	}
	pthread_mutex_lock(&tee_lock);
	snprintf(out, len, "%s", tee_buf);
	pthread_mutex_unlock(&tee_lock);
}

/* Stop capturing; copy the driver's first line (not EAL's) into @out. */
static void tee_end(bool on, char *out, size_t len)
{
	char buf[sizeof(tee_buf)], *line, *save = NULL, *pick = NULL;

	if (!on || !tee_stream) {
		out[0] = '\0';
		return;
	}
	rte_openlog_stream(atomic_load(&tee_orig));
	pthread_mutex_lock(&tee_lock);
	memcpy(buf, tee_buf, tee_len + 1);
	pthread_mutex_unlock(&tee_lock);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!pick)
			pick = line;
		if (strncmp(line, "EAL: ", 5) != 0) {
			pick = line;
			break;
		}
	}
	snprintf(out, len, "%s", pick ? pick : "");
}

/* Drivers return whatever they like (-1 is common): keep the codes that mean something,
 * else take the errno the driver's log line quoted, else @fallback. */
static int driver_errno(int ret, const char *log, int fallback)
{
	static const int quoted[] = {EADDRINUSE, ENOENT, EACCES, ENOMEM, EEXIST, ENODEV};

	if (ret == -ENOMEM || ret == -EEXIST || ret == -EBUSY || ret == -ENODEV ||
	    ret == -ENOTSUP || ret == -EINVAL)
		return ret;
	for (size_t i = 0; i < RTE_DIM(quoted); i++)
		if (strstr(log, strerror(quoted[i])))
			return -quoted[i];
	return fallback;
}

/* ---- configuration ------------------------------------------------------------------- */

VNETIF_API void vnetif_ethdev_config_init(struct vnetif_ethdev_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->poll_mode = VNETIF_ETHDEV_THREAD;
	cfg->nb_rxd = 1024;
	cfg->nb_txd = 1024;
	cfg->burst = 32;
	cfg->promiscuous = true;
	cfg->idle_sleep_max_us = 200;
	cfg->stop_timeout_ms = 1000;
}

static int config_check(const struct vnetif_ethdev_config *cfg)
{
	if (cfg->poll_mode != VNETIF_ETHDEV_THREAD && cfg->poll_mode != VNETIF_ETHDEV_APP_POLL)
		return fail(-EINVAL, "poll_mode %d is neither VNETIF_ETHDEV_THREAD nor "
			    "VNETIF_ETHDEV_APP_POLL", (int)cfg->poll_mode);
	if (cfg->burst < 1 || cfg->burst > BURST_MAX)
		return fail(-EINVAL, "burst %u is not in 1..%d", cfg->burst, BURST_MAX);
	if (cfg->nb_rxd == 0 || cfg->nb_txd == 0)
		return fail(-EINVAL, "nb_rxd and nb_txd must be > 0");
	if (cfg->stop_timeout_ms == 0)
		return fail(-EINVAL, "stop_timeout_ms must be > 0");
	return 0;
}

static bool ethdev_ok(const struct vnetif_ethdev *e)
{
	return e != NULL && e->magic == ETHDEV_MAGIC;
}

/* ---- datapath ------------------------------------------------------------------------ */

static void count(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

/* Move up to @budget frames each way; the caller is the device's only poller. */
static unsigned move_frames(struct vnetif_ethdev *e, unsigned budget)
{
	struct rte_mbuf *pkts[BURST_MAX];
	unsigned rx = 0, tx = 0;
	bool more = true;

	while (more) {
		more = false;
		if (rx < budget) {
			uint16_t want = (uint16_t)RTE_MIN(e->cfg.burst, budget - rx);
			uint16_t n = rte_eth_rx_burst(e->pid, 0, pkts, want);

			if (n > 0) {
				tsan_acquire_burst(pkts, n);
				if (vnetif_tx_burst(e->port, pkts, n) == n) {
					count(&e->to_switch, n);
				} else {
					rte_pktmbuf_free_bulk(pkts, n);
					count(&e->rx_drop_no_port, n);
				}
				rx += n;
				more = n == want;
			}
		}
		if (tx < budget) {
			uint16_t want = (uint16_t)RTE_MIN(e->cfg.burst, budget - tx);
			int n = vnetif_rx_burst(e->port, pkts, want);

			if (n > 0) {
				tsan_release_burst(pkts, (unsigned)n);
				uint16_t sent = rte_eth_tx_burst(e->pid, 0, pkts, (uint16_t)n);

				if (sent < n) {
					rte_pktmbuf_free_bulk(pkts + sent, (unsigned)n - sent);
					count(&e->tx_drop_dev_full, (unsigned)n - sent);
				}
				count(&e->from_switch, (unsigned)n);
				tx += (unsigned)n;
				more |= n == want;
			}
		}
	}
	return rx + tx;
}

static void *poller_main(void *arg)
{
	struct vnetif_ethdev *e = arg;
	unsigned idle = 0, sleep_us = 1;
	/* an lcore id: mempool caches, flushed when it unregisters */
	bool registered = vnetif_thread_register() == 0;

	while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
		if (move_frames(e, 4u * e->cfg.burst) > 0) {
			idle = 0;
			sleep_us = 1;
		} else if (e->cfg.idle_sleep_max_us == 0 || ++idle < IDLE_SPINS) {
			rte_pause();
		} else {
			usleep(sleep_us);
			sleep_us = RTE_MIN(sleep_us * 2, e->cfg.idle_sleep_max_us);
		}
	}
	if (registered)
		vnetif_thread_unregister();
	atomic_store_explicit(&e->thread_done, true, memory_order_release);
	return NULL;
}

VNETIF_API int vnetif_ethdev_poll(vnetif_ethdev *e, unsigned budget)
{
	int expected = 0, moved;

	if (!ethdev_ok(e) || budget == 0)
		return -EINVAL;
	if (e->view)
		return 0; /* the application's own bursts move a view's frames */
	if (e->cfg.poll_mode != VNETIF_ETHDEV_APP_POLL)
		return -EPERM;
	if (atomic_load_explicit(&e->stop, memory_order_acquire))
		return -ENOTCONN;
	if (!atomic_compare_exchange_strong(&e->polling, &expected, 1))
		return 0;
	/* Detach sets stop before it waits for the flag: re-check under it. */
	if (atomic_load(&e->stop)) {
		atomic_store(&e->polling, 0);
		return -ENOTCONN;
	}
	moved = (int)move_frames(e, RTE_MIN(budget, 1u << 20));
	atomic_store_explicit(&e->polling, 0, memory_order_release);
	return moved;
}

/* ---- attach -------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int setup_device(struct vnetif_ethdev *e)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_mempool *pool = e->cfg.pool ? e->cfg.pool : vnetif_switch_pool(e->sw);
	uint16_t nb_rxd = e->cfg.nb_rxd, nb_txd = e->cfg.nb_txd;
	int socket = rte_eth_dev_socket_id(e->pid), rc;

	if (socket < 0)
		socket = SOCKET_ID_ANY;
	rc = rte_eth_dev_info_get(e->pid, &info);
	if (rc)
		return fail(rc, "%s: cannot read device info: %s", e->name, rte_strerror(-rc));
	if (info.max_rx_queues == 0 || info.max_tx_queues == 0)
		return fail(-ENOTSUP, "%s: the device has no receive or no transmit queue",
			    e->name);
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(e->pid, 1, 1, &conf);
	if (rc == -EBUSY)
		return fail(rc, "%s: the device is started: stop it before attaching it", e->name);
	if (rc)
		return fail(rc, "%s: rte_eth_dev_configure failed: %s", e->name, rte_strerror(-rc));
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(e->pid, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(e->pid, 0, nb_rxd, (unsigned)socket, NULL, pool);
	if (rc)
		return fail(rc, "%s: receive queue setup failed: %s", e->name, rte_strerror(-rc));
	rc = rte_eth_tx_queue_setup(e->pid, 0, nb_txd, (unsigned)socket, NULL);
	if (rc)
		return fail(rc, "%s: transmit queue setup failed: %s", e->name, rte_strerror(-rc));
	if (e->cfg.promiscuous)
		(void)rte_eth_promiscuous_enable(e->pid); /* -ENOTSUP is fine */
	rc = rte_eth_dev_start(e->pid);
	if (rc) {
		char log[sizeof(tee_buf)];

		tee_peek(e->cfg.driver_log, log, sizeof(log));
		int err = driver_errno(rc, log, -EIO);

		return fail(err, "%s: the device failed to start (driver returned %d)", e->name,
			    rc);
	}
	return 0;
}

/* Attach the probed device @pid. On failure the device is left stopped, unowned. */
static int attach_pid(vnetif_switch *sw, uint16_t pid, const struct vnetif_ethdev_config *cfg,
		      struct vnetif_ethdev **out)
{
	struct rte_eth_dev_owner owner = {.name = "vnetif"};
	struct vnetif_ethdev *e;
	char why[200];
	int rc;

	e = calloc(1, sizeof(*e));
	if (!e)
		return fail(-ENOMEM, "out of memory");
	e->magic = ETHDEV_MAGIC;
	e->sw = sw;
	e->pid = pid;
	if (cfg)
		e->cfg = *cfg;
	else
		vnetif_ethdev_config_init(&e->cfg);
	rte_eth_dev_get_name_by_port(pid, e->name);

	rc = rte_eth_dev_owner_new(&e->owner_id);
	if (rc == 0) {
		owner.id = e->owner_id;
		rc = rte_eth_dev_owner_set(pid, &owner);
	}
	if (rc) {
		fail(-EBUSY, "%s: the device is owned by someone else", e->name);
		free(e);
		return -EBUSY;
	}
	pthread_mutex_lock(&probe_lock);
	tee_begin(e->cfg.driver_log);
	rc = setup_device(e);
	tee_end(e->cfg.driver_log, why, sizeof(why));
	pthread_mutex_unlock(&probe_lock);
	if (rc) {
		/* Quote the driver when it said why. */
		if (why[0] && strlen(last_error) + strlen(why) + 3 < sizeof(last_error))
			strcat(strcat(last_error, ": "), why);
		goto undo_dev;
	}
	rc = vnetif_connect(sw, &e->cfg.port, &e->port);
	if (rc) {
		fail(rc, "%s: cannot connect a switch port: %s", e->name, vnetif_strerror(rc));
		goto undo_start;
	}
	if (e->cfg.poll_mode == VNETIF_ETHDEV_THREAD) {
		rc = pthread_create(&e->thread, NULL, poller_main, e);
		if (rc) {
			rc = fail(-EAGAIN, "%s: cannot create the poller thread: %s", e->name,
				  strerror(rc));
			vnetif_disconnect(e->port, 0);
			goto undo_start;
		}
		e->thread_on = true;
		char tname[16];
		snprintf(tname, sizeof(tname), "vnetif-eth%u", pid);
		pthread_setname_np(e->thread, tname);
	}
	*out = e;
	return 0;

undo_start:
	rte_eth_dev_stop(pid);
undo_dev:
	rte_eth_dev_owner_unset(pid, e->owner_id);
	free(e);
	return rc;
}

VNETIF_API int vnetif_ethdev_attach_port(vnetif_switch *sw, uint16_t port_id,
					 const struct vnetif_ethdev_config *cfg,
					 vnetif_ethdev **out)
{
	int rc;

	last_error[0] = '\0';
	if (!sw || !out || !vnetif_switch_pool(sw))
		return fail(-EINVAL, "NULL switch or out pointer, or not a switch");
	if (cfg && (rc = config_check(cfg)) != 0)
		return rc;
	if (!rte_eth_dev_is_valid_port(port_id))
		return fail(-ENODEV, "no ethdev port %u", port_id);
	return attach_pid(sw, port_id, cfg, out);
}

/* Close and remove a stopped device the library probed; keeps going on errors. */
static void remove_device(uint16_t pid, struct rte_device *dev)
{
	rte_eth_dev_close(pid);
	if (dev)
		rte_dev_remove(dev);
}

static struct rte_device *device_of(uint16_t pid)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_info_get(pid, &info) == 0 ? info.device : NULL;
}

VNETIF_API int vnetif_ethdev_attach(vnetif_switch *sw, const char *devargs,
				    const struct vnetif_ethdev_config *cfg, vnetif_ethdev **out)
{
	struct rte_devargs da;
	char name[RTE_DEV_NAME_MAX_LEN], bus[32], why[200];
	struct rte_device *dev;
	uint16_t pid;
	int rc;

	last_error[0] = '\0';
	if (!sw || !out || !devargs || !vnetif_switch_pool(sw))
		return fail(-EINVAL, "NULL switch, devargs or out pointer, or not a switch");
	if (!*devargs)
		return fail(-EINVAL, "empty devargs");
	if (cfg && (rc = config_check(cfg)) != 0)
		return rc;
	memset(&da, 0, sizeof(da));
	if (rte_devargs_parse(&da, devargs) != 0)
		return fail(-ENODEV, "bad devargs '%s': no bus or driver knows the device name "
			    "(driver not installed or misspelt? e.g. net_memif0, net_tap0, "
			    "net_pcap0, net_vhost0, net_ring0, net_null0)", devargs);
	snprintf(name, sizeof(name), "%s", da.name);
	snprintf(bus, sizeof(bus), "%s", da.bus ? rte_bus_name(da.bus) : "vdev");
	rte_devargs_reset(&da);
	if (rte_eth_dev_get_port_by_name(name, &pid) == 0)
		return fail(-EEXIST, "a device named %s exists already", name);

	pthread_mutex_lock(&probe_lock);
	tee_begin(cfg && cfg->driver_log);
	rc = rte_dev_probe(devargs);
	tee_end(cfg && cfg->driver_log, why, sizeof(why));
	if (rc) {
		pthread_mutex_unlock(&probe_lock);
		rc = driver_errno(rc, why, -EINVAL);
		return fail(rc, "%s: the driver refused the device%s%s", name,
			    why[0] ? ": " : "", why);
	}
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
		pthread_mutex_unlock(&probe_lock);
		rte_eal_hotplug_remove(bus, name);
		return fail(-ENODEV, "%s: probed, but it is not an ethdev", name);
	}
	dev = device_of(pid);
	pthread_mutex_unlock(&probe_lock);

	rc = attach_pid(sw, pid, cfg, out);
	if (rc) {
		snprintf(why, sizeof(why), "%.199s", last_error); /* why[200] */
		remove_device(pid, dev);
		fail(rc, "%s", why);
		return rc;
	}
	(*out)->dev = dev;
	return 0;
}

/* ---- in-process view ----------------------------------------------------------------- */

/*
 * The view is a ring PMD device (rte_eth_from_rings(): an ethdev built from public API)
 * whose two queues carry no frame. Callbacks on them do the work in the application's
 * own thread:
 *
 *   rte_eth_tx_burst(view) -> view_tx: vnetif_tx_burst(port)   (into the switch)
 *   rte_eth_rx_burst(view) -> view_rx: vnetif_rx_burst(port)   (from the port's ring)
 *
 * The port has no listener, so the switch puts the view's frames on the port's ring in
 * sync and async mode alike: one ring between a writer and the application, no poller.
 * The ring PMD's own receive ring is never written (it reads empty). Its transmit ring
 * takes the burst view_tx returns, so that rte_eth_tx_burst() returns the count the
 * switch took: view_tx hands the frames to the switch, overwrites their slots in the
 * application's array with NULL, and the ring PMD enqueues those NULLs, which the next
 * call throws away (rte_ring_reset()).
 * Why callbacks and not a PMD of our own, whose rx/tx burst would be the two calls
 * above: DPDK's driver interface (ethdev_driver.h: rte_eth_dev_allocate(), struct
 * eth_dev_ops) is not installed by distributions' libdpdk-dev (Debian's is not), and
 * declaring its internal structs here would tie the library to one DPDK build.
 */
#ifndef RTE_ETHDEV_RXTX_CALLBACKS
#error "the ethdev view needs DPDK built with RTE_ETHDEV_RXTX_CALLBACKS (the default)"
#endif

#define VIEW_TX_RING 1024 /* most frames one rte_eth_tx_burst() of the view takes */

static uint16_t view_rx(uint16_t port_id, uint16_t queue, struct rte_mbuf *pkts[],
			uint16_t nb_pkts, uint16_t max_pkts, void *arg)
{
	struct vnetif_ethdev *e = arg;
	int n = vnetif_rx_burst(e->port, pkts + nb_pkts, (uint16_t)(max_pkts - nb_pkts));

	(void)port_id;
	(void)queue;
	if (n <= 0)
		return nb_pkts;
	count(&e->from_switch, (unsigned)n);
	return (uint16_t)(nb_pkts + n);
}

static uint16_t view_tx(uint16_t port_id, uint16_t queue, struct rte_mbuf *pkts[],
			uint16_t nb_pkts, void *arg)
{
	struct vnetif_ethdev *e = arg;
	uint16_t n = RTE_MIN(nb_pkts, (uint16_t)VIEW_TX_RING);

	(void)port_id;
	(void)queue;
	rte_ring_reset(e->view_ring[1]);
	if (vnetif_tx_burst(e->port, pkts, n) == n) {
		count(&e->to_switch, n);
	} else { /* the port was disconnected by someone else */
		rte_pktmbuf_free_bulk(pkts, n);
		count(&e->rx_drop_no_port, n);
	}
	memset(pkts, 0, n * sizeof(pkts[0]));
	return n;
}

static void view_free(struct vnetif_ethdev *e)
{
	if (e->view_cb[0])
		rte_eth_remove_rx_callback(e->pid, 0, e->view_cb[0]);
	if (e->view_cb[1])
		rte_eth_remove_tx_callback(e->pid, 0, e->view_cb[1]);
	/* Removed callbacks are the remover's to free; the device is stopped, so no burst
	 * is still inside them. */
	rte_free((void *)(uintptr_t)e->view_cb[0]);
	rte_free((void *)(uintptr_t)e->view_cb[1]);
	if (e->dev)
		remove_device(e->pid, e->dev);
	rte_ring_free(e->view_ring[0]);
	rte_ring_free(e->view_ring[1]);
	free(e);
}

VNETIF_API int vnetif_ethdev_view_create(vnetif_switch *sw, const char *name,
					 const struct vnetif_ethdev_config *cfg,
					 vnetif_ethdev **out)
{
	static const unsigned ring_size[2] = {64, VIEW_TX_RING}; /* [0] rx (stays empty), [1] tx */
	struct rte_eth_conf conf;
	struct vnetif_ethdev *e;
	char rname[RTE_RING_NAMESIZE];
	size_t len = name ? strlen(name) : 0;
	uint16_t pid;
	int app, rc;

	last_error[0] = '\0';
	if (!sw || !out || !vnetif_switch_pool(sw))
		return fail(-EINVAL, "NULL switch or out pointer, or not a switch");
	if (len < 1 || len > VIEW_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len)
		return fail(-EINVAL, "view name must be 1..%d characters of [A-Za-z0-9_]",
			    VIEW_NAME_MAX);
	if (cfg && (rc = config_check(cfg)) != 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e)
		return fail(-ENOMEM, "out of memory");
	e->magic = ETHDEV_MAGIC;
	e->sw = sw;
	e->view = true;
	if (cfg)
		e->cfg = *cfg;
	else
		vnetif_ethdev_config_init(&e->cfg);
	snprintf(e->name, sizeof(e->name), "net_ring_%s", name);
	if (rte_eth_dev_get_port_by_name(e->name, &pid) == 0) {
		fail(-EEXIST, "a device named %s exists already", e->name);
		free(e);
		return -EEXIST;
	}
	for (int i = 0; i < 2; i++) {
		snprintf(rname, sizeof(rname), "vnx_%s_%c", name, "rt"[i]);
		e->view_ring[i] = rte_ring_create(rname, ring_size[i], SOCKET_ID_ANY,
						  RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (!e->view_ring[i]) {
			rc = rte_errno == EEXIST ? -EEXIST : -ENOMEM;
			fail(rc, "cannot create ring %s: %s", rname, rte_strerror(-rc));
			goto undo;
		}
	}
	app = rte_eth_from_rings(name, &e->view_ring[0], 1, &e->view_ring[1], 1, SOCKET_ID_ANY);
	if (app < 0) {
		rc = -(rte_errno ? rte_errno : ENOMEM);
		fail(rc, "rte_eth_from_rings(%s) failed: %s", name, rte_strerror(-rc));
		goto undo;
	}
	e->pid = (uint16_t)app;
	e->dev = device_of(e->pid);
	/* One queue each way exists from now on, so the callbacks can be added; the
	 * application configures the device again as it likes (callbacks stay). */
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(e->pid, 1, 1, &conf);
	if (rc) {
		fail(rc, "%s: rte_eth_dev_configure failed: %s", e->name, rte_strerror(-rc));
		goto undo;
	}
	e->view_cb[0] = rte_eth_add_rx_callback(e->pid, 0, view_rx, e);
	e->view_cb[1] = rte_eth_add_tx_callback(e->pid, 0, view_tx, e);
	if (!e->view_cb[0] || !e->view_cb[1]) {
		rc = fail(-ENOMEM, "%s: cannot add the rx/tx callbacks: %s", e->name,
			  rte_strerror(rte_errno));
		goto undo;
	}
	rc = vnetif_connect(sw, &e->cfg.port, &e->port);
	if (rc) {
		fail(rc, "%s: cannot connect a switch port: %s", e->name, vnetif_strerror(rc));
		goto undo;
	}
	*out = e;
	return 0;
undo:
	view_free(e);
	return rc;
}

VNETIF_API int vnetif_ethdev_view_port_id(const vnetif_ethdev *e)
{
	return ethdev_ok(e) && e->view ? e->pid : -EINVAL;
}

/* ---- detach -------------------------------------------------------------------------- */

/* The application no longer calls the view's bursts (see vnetif_ethdev_detach()). */
static int view_detach(struct vnetif_ethdev *e)
{
	if (!e->dev_stopped) {
		rte_eth_dev_stop(e->pid); /* in case the application did not */
		e->dev_stopped = true;
	}
	if (e->port) {
		int rc = vnetif_disconnect(e->port, 0);

		if (rc == -ETIMEDOUT)
			return fail(rc, "%s: the switch port did not disconnect in time", e->name);
		e->port = NULL;
	}
	e->magic = 0;
	view_free(e);
	return 0;
}

VNETIF_API int vnetif_ethdev_detach(vnetif_ethdev *e)
{
	uint64_t deadline;
	int rc, expected = 0;

	last_error[0] = '\0';
	if (!ethdev_ok(e))
		return fail(-EINVAL, "not an attached ethdev");
	deadline = now_ms() + e->cfg.stop_timeout_ms;
	atomic_store(&e->stop, true);
	if (e->view)
		return view_detach(e);
	if (e->thread_on) {
		if (pthread_equal(pthread_self(), e->thread))
			return fail(-EDEADLK, "%s: detach called from its own poller", e->name);
		while (!atomic_load_explicit(&e->thread_done, memory_order_acquire)) {
			if (now_ms() >= deadline)
				return fail(-ETIMEDOUT, "%s: the poller did not stop in %u ms",
					    e->name, e->cfg.stop_timeout_ms);
			usleep(50);
		}
		pthread_join(e->thread, NULL);
		e->thread_on = false;
	} else if (e->cfg.poll_mode == VNETIF_ETHDEV_APP_POLL) {
		while (atomic_load(&e->polling) != 2) {
			expected = 0;
			if (atomic_compare_exchange_strong(&e->polling, &expected, 2))
				break;
			if (now_ms() >= deadline)
				return fail(-ETIMEDOUT, "%s: vnetif_ethdev_poll() did not return in "
					    "%u ms", e->name, e->cfg.stop_timeout_ms);
			usleep(50);
		}
	}
	if (!e->dev_stopped) {
		rte_eth_dev_stop(e->pid);
		e->dev_stopped = true;
	}
	if (e->port) {
		rc = vnetif_disconnect(e->port, 0);
		if (rc == -ETIMEDOUT)
			return fail(rc, "%s: the switch port did not disconnect in time", e->name);
		e->port = NULL;
	}
	if (e->dev) {
		remove_device(e->pid, e->dev);
	} else {
		rte_eth_dev_owner_unset(e->pid, e->owner_id);
	}
	e->magic = 0;
	free(e);
	return 0;
}

/* ---- accessors ----------------------------------------------------------------------- */

VNETIF_API vnetif_port *vnetif_ethdev_port(const vnetif_ethdev *e)
{
	return ethdev_ok(e) ? e->port : NULL;
}

VNETIF_API int vnetif_ethdev_port_id(const vnetif_ethdev *e)
{
	return ethdev_ok(e) ? e->pid : -EINVAL;
}

VNETIF_API const char *vnetif_ethdev_name(const vnetif_ethdev *e)
{
	return ethdev_ok(e) ? e->name : "";
}

VNETIF_API int vnetif_ethdev_link_get(const vnetif_ethdev *e, struct vnetif_ethdev_link *link)
{
	struct rte_eth_link l;
	int rc;

	if (!ethdev_ok(e) || !link)
		return -EINVAL;
	memset(&l, 0, sizeof(l));
	rc = rte_eth_link_get_nowait(e->pid, &l);
	if (rc)
		return rc;
	link->up = l.link_status == RTE_ETH_LINK_UP;
	link->full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	link->speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
	return 0;
}

VNETIF_API int vnetif_ethdev_stats_get(const vnetif_ethdev *e, struct vnetif_ethdev_stats *st)
{
	struct rte_eth_stats s;
	int rc;

	if (!ethdev_ok(e) || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->to_switch = atomic_load_explicit(&e->to_switch, memory_order_relaxed);
	st->from_switch = atomic_load_explicit(&e->from_switch, memory_order_relaxed);
	st->tx_drop_dev_full = atomic_load_explicit(&e->tx_drop_dev_full, memory_order_relaxed);
	st->rx_drop_no_port = atomic_load_explicit(&e->rx_drop_no_port, memory_order_relaxed);
	rc = rte_eth_stats_get(e->pid, &s);
	if (rc)
		return rc;
	st->dev_ipackets = s.ipackets;
	st->dev_ibytes = s.ibytes;
	st->dev_imissed = s.imissed;
	st->dev_ierrors = s.ierrors;
	st->dev_rx_nombuf = s.rx_nombuf;
	st->dev_opackets = s.opackets;
	st->dev_obytes = s.obytes;
	st->dev_oerrors = s.oerrors;
	if (e->view) { /* frames reach the application past the ring device */
		struct vnetif_stats ps;

		st->dev_ipackets = st->from_switch;
		if (e->port && vnetif_stats_get(e->port, &ps) == 0)
			st->dev_imissed = ps.rx_drop_ring_full;
	}
	return 0;
}

/* ---- vhost-user ---------------------------------------------------------------------- */

/* The socket path of a vhost-user or memif server: its directory exists, it fits in
 * sun_path; a socket file nobody listens on is stale and removed; a live server or a
 * file that is not a socket is refused. */
static int check_server_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd, rc, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(-ENAMETOOLONG, "%s: a socket path is at most %zu bytes", path,
			    sizeof(sa.sun_path) - 1);
	if (strchr(path, ','))
		return fail(-EINVAL, "%s: a path with ',' cannot be given to DPDK", path);
	if (slash && slash != path) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (stat(dir, &st) != 0)
			return fail(-errno, "%s: directory %s: %s", path, dir, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return fail(-ENOTDIR, "%s: %s is not a directory", path, dir);
	}
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return fail(-EEXIST, "%s: exists and is not a socket", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(-errno, "socket: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	err = errno;
	close(fd);
	if (rc == 0)
		return fail(-EADDRINUSE, "%s: a server is listening there already", path);
	if (err == ECONNREFUSED && unlink(path) != 0)
		return fail(-errno, "%s: cannot remove the stale socket: %s", path,
			    strerror(errno));
	return 0;
}

VNETIF_API int vnetif_ethdev_attach_vhost(vnetif_switch *sw, const char *path,
					  const struct vnetif_ethdev_config *cfg,
					  vnetif_ethdev **out)
{
	static _Atomic unsigned seq;
	char devargs[PATH_MAX + 64], name[RTE_ETH_NAME_MAX_LEN];
	uint16_t pid;
	int rc;

	last_error[0] = '\0';
	if (!sw || !out || !path || !*path || !vnetif_switch_pool(sw))
		return fail(-EINVAL, "NULL switch, path or out pointer, empty path, or not a "
			    "switch");
	if (cfg && (rc = config_check(cfg)) != 0)
		return rc;
	if ((rc = check_server_socket(path)) != 0)
		return rc;
	do /* a name no device of the process has */
		snprintf(name, sizeof(name), "net_vhost%u", atomic_fetch_add(&seq, 1));
	while (rte_eth_dev_get_port_by_name(name, &pid) == 0);
	snprintf(devargs, sizeof(devargs), "%s,iface=%s,queues=1", name, path);
	return vnetif_ethdev_attach(sw, devargs, cfg, out);
}
