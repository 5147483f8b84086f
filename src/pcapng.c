/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcapng writer of a capture (vnetif_capture_start(), capture.c): a section header,
 * one interface description block per port, an enhanced packet block per frame. It
 * knows nothing of stages or of which ports a capture is attached to (stage.c).
 *
 * Enhanced packet blocks come from DPDK's rte_pcapng_copy() (timestamp, snap length,
 * direction flags, padding). The rest of rte_pcapng does not fit a switch in DPDK
 * 22.11: rte_pcapng_fdopen() writes one interface per *ethdev* that exists at that
 * moment, and rte_pcapng_write_packets() maps each block's mbuf port to those
 * interfaces (any other value reads an uninitialised table, which makes an invalid
 * file). Switch ports are not ethdevs and come and go, so this file writes the section
 * header and one interface description block per port itself, and writes each block
 * with the interface id of its port filled in. rte_pcapng_copy()'s mbufs are freed
 * here (22.11's write call does not free them either). The timestamp is filled in here
 * too, from CLOCK_REALTIME: 22.11's TSC-to-time conversion gave dates in the 23rd
 * century on this kind of machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_pcapng.h>

#include "pcapng.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_MAGIC 0x1A2B3C4Du
#define OPT_END 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_MACADDR 6
#define IF_TSRESOL 9
#define EPB_IFID_OFFSET 8 /* interface id inside an enhanced packet block */
#define EPB_TS_OFFSET 12  /* timestamp (high word, then low word) */
#define CAPTURE_POOL 63
#define SNAP_MAX 65535u

struct vnetif_capture {
	struct vnetif_switch *sw;
	int fd;
	uint32_t snaplen;
	bool sent_only;
	pthread_mutex_t lock;
	struct rte_mempool *pool; /* for rte_pcapng_copy() */
	uint32_t next_if;
	uint64_t written;
	bool failed;
	uint8_t buf[SNAP_MAX + 256];
};

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Append an option (code, length, value padded to 4 bytes) at @b + *off. */
static void opt(uint8_t *b, size_t *off, uint16_t code, const void *val, uint16_t len)
{
	memcpy(b + *off, &code, 2);
	memcpy(b + *off + 2, &len, 2);
	if (len)
		memcpy(b + *off + 4, val, len);
	memset(b + *off + 4 + len, 0, RTE_ALIGN(len, 4) - len);
	*off += 4 + RTE_ALIGN(len, 4);
}

/* Close a block started at @b: end-of-options, trailing length, lengths filled in. */
static size_t block_end(uint8_t *b, size_t off)
{
	uint32_t len;

	opt(b, &off, OPT_END, NULL, 0);
	len = (uint32_t)off + 4;
	memcpy(b + 4, &len, 4);
	memcpy(b + off, &len, 4);
	return len;
}

static int write_shb(struct vnetif_capture *c)
{
	uint8_t b[256];
	uint32_t type = PCAPNG_SHB, magic = PCAPNG_MAGIC;
	uint16_t major = 1, minor = 0;
	int64_t seclen = -1;
	const char *app = "libvnetif";
	size_t off = 24;

	memcpy(b, &type, 4);
	memcpy(b + 8, &magic, 4);
	memcpy(b + 12, &major, 2);
	memcpy(b + 14, &minor, 2);
	memcpy(b + 16, &seclen, 8);
	opt(b, &off, SHB_USERAPPL, app, (uint16_t)strlen(app));
	return write_all(c->fd, b, block_end(b, off));
}

static int write_idb(struct vnetif_capture *c, const struct vnetif_port *p)
{
	uint8_t b[256];
	uint32_t type = PCAPNG_IDB, snap = c->snaplen;
	uint16_t link = 1 /* Ethernet */, zero = 0;
	uint8_t tsresol = 9; /* rte_pcapng_copy() writes nanoseconds */
	char name[48], descr[64];
	size_t off = 16;

	snprintf(name, sizeof(name), "%s:%u", p->sw->name, p->gen);
	snprintf(descr, sizeof(descr), "libvnetif switch %s port %u mac %02x:%02x:%02x:%02x:%02x:%02x",
		 p->sw->name, p->gen, p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4],
		 p->mac[5]);
	memcpy(b, &type, 4);
	memcpy(b + 8, &link, 2);
	memcpy(b + 10, &zero, 2);
	memcpy(b + 12, &snap, 4);
	opt(b, &off, IF_NAME, name, (uint16_t)strlen(name));
	opt(b, &off, IF_DESCRIPTION, descr, (uint16_t)strlen(descr));
	opt(b, &off, IF_MACADDR, p->mac, VNETIF_ETHER_ADDR_LEN);
	opt(b, &off, IF_TSRESOL, &tsresol, 1);
	return write_all(c->fd, b, block_end(b, off));
}

int vnetif_pcapng_header(struct vnetif_capture *c)
{
	return write_shb(c);
}

int vnetif_pcapng_add_port(struct vnetif_capture *c, const struct vnetif_port *p)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = c->failed ? -EIO : write_idb(c, p);
	if (rc)
		c->failed = true;
	else
		rc = (int)c->next_if++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void vnetif_pcapng_frames(struct vnetif_capture *c, uint32_t ifid, enum vnetif_dir dir,
			   struct rte_mbuf **pkts, uint16_t n)
{
	/* From the port's point of view: what it sends goes out, what it gets comes in. */
	enum rte_pcapng_direction pd =
		dir == VNETIF_DIR_TX ? RTE_PCAPNG_DIRECTION_OUT : RTE_PCAPNG_DIRECTION_IN;

	if (dir == VNETIF_DIR_RX && c->sent_only)
		return;
	pthread_mutex_lock(&c->lock);
	for (uint16_t i = 0; i < n && !c->failed; i++) {
		struct rte_mbuf *mc = rte_pcapng_copy(0, 0, pkts[i], c->pool, c->snaplen,
						      rte_get_tsc_cycles(), pd);
		struct timespec ts;
		uint32_t len, ts_hl[2];
		uint64_t ns;

		if (mc == NULL)
			continue; /* not written: the count says so */
		len = rte_pktmbuf_pkt_len(mc);
		if (len <= sizeof(c->buf)) {
			const void *blk = rte_pktmbuf_read(mc, 0, len, c->buf);

			if (blk != c->buf)
				memcpy(c->buf, blk, len);
			clock_gettime(CLOCK_REALTIME, &ts);
			ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
			ts_hl[0] = (uint32_t)(ns >> 32);
			ts_hl[1] = (uint32_t)ns;
			memcpy(c->buf + EPB_IFID_OFFSET, &ifid, 4);
			memcpy(c->buf + EPB_TS_OFFSET, ts_hl, 8);
			if (write_all(c->fd, c->buf, len) == 0)
				c->written++;
			else
				c->failed = true;
		}
		rte_pktmbuf_free(mc);
	}
	pthread_mutex_unlock(&c->lock);
}

int vnetif_pcapng_open(struct vnetif_switch *sw, int fd, const struct vnetif_capture_config *cfg,
			struct vnetif_capture **out)
{
	static _Atomic unsigned seq;
	char pname[RTE_MEMPOOL_NAMESIZE];
	struct vnetif_capture *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -ENOMEM;
	c->sw = sw;
	c->fd = fd;
	c->snaplen = cfg && cfg->snaplen ? RTE_MIN(cfg->snaplen, SNAP_MAX) : SNAP_MAX;
	c->sent_only = cfg && cfg->sent_only;
	pthread_mutex_init(&c->lock, NULL);
	snprintf(pname, sizeof(pname), "%s_cap%u", sw->name, atomic_fetch_add(&seq, 1) % 1000);
	c->pool = rte_pktmbuf_pool_create(pname, CAPTURE_POOL, 0, 0,
					  (uint16_t)rte_pcapng_mbuf_size(
						  RTE_MIN(c->snaplen, VNETIF_MTU_MAX + 64u)),
					  SOCKET_ID_ANY);
	if (c->pool == NULL) {
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

struct vnetif_switch *vnetif_pcapng_switch(const struct vnetif_capture *c)
{
	return c->sw;
}

int vnetif_pcapng_result(const struct vnetif_capture *c)
{
	return c->failed ? -EIO : (int)RTE_MIN(c->written, (uint64_t)INT32_MAX);
}

void vnetif_pcapng_free(struct vnetif_capture *c)
{
	rte_mempool_free(c->pool);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
