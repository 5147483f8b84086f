/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vnetif-switch: host a libvnetif switch whose ports are DPDK devices -- memif servers
 * for DPDK programs (Click, testpmd), vhost-user servers for VMs, tap interfaces for
 * Linux hosts, pcap files --, lwIP stacks and a NAT uplink; print per-port counters
 * every second, stop cleanly on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vnetif.h"
#include "vnetif_ethdev.h"
#ifdef VNETIF_SWITCH_WITH_LWIP
#include "vnetif_lwip.h"
#endif
#ifdef VNETIF_SWITCH_WITH_SLIRP
#include "vnetif_slirp.h"
#endif

#include "vnetif_switch_opts.h"

#define PROG "vnetif-switch"

/* A running port: the device and its counters at the last line. */
struct run_port {
	const struct vs_port *arg;
	vnetif_ethdev *e;
	struct vnetif_ethdev_stats last;
};

struct run_stack {
	const struct vs_stack *arg;
#ifdef VNETIF_SWITCH_WITH_LWIP
	vnetif_lwip_stack *s;
#endif
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *rate(double per_s, char *buf, size_t len)
{
	if (per_s >= 1e6)
		snprintf(buf, len, "%.2f Mpps", per_s / 1e6);
	else if (per_s >= 1e3)
		snprintf(buf, len, "%.1f kpps", per_s / 1e3);
	else
		snprintf(buf, len, "%.0f pps", per_s);
	return buf;
}

static void print_stack_stats(const struct run_stack *stacks, unsigned n, unsigned first,
			      double t, bool final)
{
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < n; i++) {
		struct vnetif_stats ps;

		if (vnetif_stats_get(vnetif_lwip_port(stacks[i].s), &ps) != 0)
			continue;
		printf("%s%7.1fs port %u %-8s %-24s      in %" PRIu64 " out %" PRIu64 " drops %" PRIu64
		       "\n", final ? "final " : "", t, first + i, "stack", stacks[i].arg->value,
		       ps.tx_packets, ps.rx_packets,
		       ps.tx_drop_oversize + ps.tx_drop_runt + ps.tx_drop_bad_src +
			       ps.tx_drop_no_route + ps.tx_drop_own_port + ps.rx_drop_ring_full);
	}
#else
	(void)stacks, (void)n, (void)first, (void)t, (void)final;
#endif
}

/* The link column. A tap interface moved into another network namespace cannot be
 * read from here (DPDK reports it down while traffic flows): "netns". */
static const char *link_state(const struct run_port *p)
{
	struct vnetif_ethdev_link link = {.up = false};

	if (vnetif_ethdev_link_get(p->e, &link) != 0)
		return "?";
	if (!link.up && strcmp(vs_port_kind(p->arg), "tap") == 0 &&
	    if_nametoindex(p->arg->value) == 0)
		return "netns";
	return link.up ? "up" : "down";
}

static void print_nat_stats(
#ifdef VNETIF_SWITCH_WITH_SLIRP
	vnetif_slirp *nat,
#else
	void *nat,
#endif
	const char *value, unsigned idx, double t, bool final)
{
#ifdef VNETIF_SWITCH_WITH_SLIRP
	struct vnetif_slirp_stats ns;
	struct vnetif_stats ps;

	if (!nat || vnetif_slirp_stats_get(nat, &ns) != 0 ||
	    vnetif_stats_get(vnetif_slirp_port(nat), &ps) != 0)
		return;
	printf("%s%7.1fs port %u %-8s %-24s      in %" PRIu64 " out %" PRIu64 " drops %" PRIu64
	       "\n", final ? "final " : "", t, idx, "nat", value, ps.tx_packets, ps.rx_packets,
	       ns.rx_drop_queue_full + ns.rx_drop_too_long + ns.tx_drop + ps.tx_drop_oversize +
		       ps.tx_drop_runt + ps.tx_drop_bad_src + ps.tx_drop_no_route +
		       ps.tx_drop_own_port + ps.rx_drop_ring_full);
#else
	(void)nat, (void)value, (void)idx, (void)t, (void)final;
#endif
}

static void print_stats(struct run_port *ports, unsigned n, double t, double dt, bool final)
{
	for (unsigned i = 0; i < n; i++) {
		struct run_port *p = &ports[i];
		struct vnetif_ethdev_stats st;
		struct vnetif_stats ps;
		char r1[32], r2[32];

		if (vnetif_ethdev_stats_get(p->e, &st) != 0 ||
		    vnetif_stats_get(vnetif_ethdev_port(p->e), &ps) != 0)
			continue;
		uint64_t drops = st.tx_drop_dev_full + st.rx_drop_no_port + st.dev_imissed +
				 ps.tx_drop_oversize + ps.tx_drop_runt + ps.tx_drop_bad_src +
				 ps.tx_drop_no_route + ps.tx_drop_own_port + ps.rx_drop_ring_full +
				 ps.rx_drop_disconnected;
		int macs = vnetif_port_learned(vnetif_ethdev_port(p->e));

		printf("%s%7.1fs port %u %-8s %-24s %-5s in %" PRIu64 " (%s) out %" PRIu64
		       " (%s) drops %" PRIu64 " macs %d\n", final ? "final " : "", t, i,
		       vs_port_kind(p->arg), p->arg->value, link_state(p), st.to_switch,
		       rate(dt > 0 ? (double)(st.to_switch - p->last.to_switch) / dt : 0, r1,
			    sizeof(r1)),
		       st.from_switch,
		       rate(dt > 0 ? (double)(st.from_switch - p->last.from_switch) / dt : 0, r2,
			    sizeof(r2)),
		       drops, macs > 0 ? macs : 0);
		p->last = st;
	}
	fflush(stdout);
}

/* What runs: the switch, its device ports and its stacks. */
struct run {
	const struct vs_config *cfg;
	vnetif_switch *sw;
	struct run_port ports[VS_MAX_PORTS];
	struct run_stack stacks[VS_MAX_PORTS];
#ifdef VNETIF_SWITCH_WITH_SLIRP
	vnetif_slirp *nat;
#else
	void *nat;
#endif
};

/* --max-macs: port security's learning limit on a port. */
static int limit_macs(vnetif_port *p, unsigned n)
{
	struct vnetif_port_security sec = {.max_learned = n};

	return vnetif_port_security_set(p, &sec);
}

/* The NAT's gateway (NET + 2) into @gw if --nat was given and @ip is in its network. */
static bool nat_gateway(const struct vs_config *cfg, const char *ip, char gw[INET_ADDRSTRLEN])
{
	struct in_addr net, a;
	char buf[INET_ADDRSTRLEN];
	const char *slash = cfg->nat ? strchr(cfg->nat, '/') : NULL;

	if (!slash || (size_t)(slash - cfg->nat) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - cfg->nat), cfg->nat);
	uint32_t mask = ~0u << (32 - atoi(slash + 1)); /* prefix 8..30: checked by vs_parse */
	if (inet_pton(AF_INET, buf, &net) != 1 || inet_pton(AF_INET, ip, &a) != 1 ||
	    (ntohl(a.s_addr) & mask) != (ntohl(net.s_addr) & mask))
		return false;
	net.s_addr = htonl((ntohl(net.s_addr) & mask) + 2);
	return inet_ntop(AF_INET, &net, gw, INET_ADDRSTRLEN) != NULL;
}

/* Create the switch, attach the ports, create the stacks: 0 or 1 (said on stderr; what
 * was made is undone by run_stop). */
static int run_start(struct run *r)
{
	const struct vs_config *cfg = r->cfg;
	struct vnetif_switch_config swcfg;
	struct vnetif_ethdev_config ecfg;
	int rc;

	vnetif_switch_config_init(&swcfg);
	if (cfg->hub)
		swcfg.fwd_mode = VNETIF_FWD_HUB;
	rc = vnetif_switch_create(&swcfg, &r->sw);
	if (rc) {
		fprintf(stderr, PROG ": cannot create the switch: %s\n", vnetif_strerror(rc));
		return 1;
	}
	vnetif_ethdev_config_init(&ecfg);
	ecfg.poll_mode = cfg->threads ? VNETIF_ETHDEV_THREAD : VNETIF_ETHDEV_APP_POLL;
	for (unsigned i = 0; i < cfg->nports; i++) {
		const struct vs_port *p = &cfg->ports[i];

		r->ports[i].arg = p;
		rc = vnetif_ethdev_attach(r->sw, p->devargs, &ecfg, &r->ports[i].e);
		if (rc) {
			fprintf(stderr, PROG ": --%s %s: %s\n", vs_port_kind(p), p->value,
				vnetif_ethdev_last_error());
			return 1;
		}
		if (cfg->max_macs && (rc = limit_macs(vnetif_ethdev_port(r->ports[i].e),
						      cfg->max_macs)) != 0) {
			fprintf(stderr, PROG ": --max-macs: %s\n", vnetif_strerror(rc));
			return 1;
		}
		printf("port %u: %s %s (%s)\n", i, vs_port_kind(p), p->value,
		       vnetif_ethdev_name(r->ports[i].e));
		if (strcmp(vs_port_kind(p), "memif") == 0)
			printf("  clients attach with --vdev=net_memif0,role=client,socket=%s,"
			       "socket-abstract=no\n", p->value);
	}
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < cfg->nstacks; i++) {
		const struct vs_stack *st = &cfg->stacks[i];
		struct vnetif_lwip_config lc;

		r->stacks[i].arg = st;
		vnetif_lwip_config_init(&lc);
		lc.ipv4 = st->ip;
		lc.netmask = st->mask;
		char gw[INET_ADDRSTRLEN];
		if (nat_gateway(cfg, st->ip, gw))
			lc.gateway = gw; /* a stack in the NAT's network routes through it */
		rc = vnetif_lwip_create(r->sw, &lc, &r->stacks[i].s);
		if (rc) {
			fprintf(stderr, PROG ": --stack %s: %s\n", st->value, vnetif_lwip_strerror(rc));
			return 1;
		}
		if (cfg->max_macs && (rc = limit_macs(vnetif_lwip_port(r->stacks[i].s),
						      cfg->max_macs)) != 0) {
			fprintf(stderr, PROG ": --max-macs: %s\n", vnetif_strerror(rc));
			return 1;
		}
		printf("port %u: stack %s (lwIP, netmask %s)\n", cfg->nports + i, st->value,
		       st->mask);
	}
#endif
#ifdef VNETIF_SWITCH_WITH_SLIRP
	if (cfg->nat) {
		struct vnetif_slirp_config nc;

		vnetif_slirp_config_init(&nc);
		nc.network = cfg->nat;
		rc = vnetif_slirp_create(r->sw, &nc, &r->nat);
		if (rc) {
			fprintf(stderr, PROG ": --nat %s: %s\n", cfg->nat, rc == -EINVAL ?
				"not a usable network (NET/PREFIX, prefix 8..30)" :
				vnetif_strerror(rc));
			return 1;
		}
		printf("port %u: nat %s (user-mode NAT uplink: gateway .2, DNS .3, DHCP from .15)\n",
		       cfg->nports + cfg->nstacks, cfg->nat);
		for (unsigned i = 0; i < cfg->nhostfwd; i++) {
			rc = vnetif_slirp_hostfwd(r->nat, cfg->hostfwd[i]);
			if (rc) {
				fprintf(stderr, PROG ": --hostfwd %s: %s\n", cfg->hostfwd[i],
					rc == -EADDRINUSE ? "cannot bind the host port (in use?)" :
					"bad forward (tcp:[HOSTADDR]:PORT-GUESTADDR:PORT with "
					"GUESTADDR in the --nat network)");
				return 1;
			}
			printf("  forward %s\n", cfg->hostfwd[i]);
		}
	}
#endif
	return 0;
}

/* Poll (or let the poller threads work) and print counters until a signal or the
 * duration. */
static void run_loop(struct run *r)
{
	const struct vs_config *cfg = r->cfg;
	double t0 = now_s(), last = t0, next = cfg->interval > 0 ? t0 + cfg->interval : -1;
	unsigned idle = 0;

	printf("switching (%s, %s", cfg->hub ? "hub" : "MAC learning",
	       cfg->threads ? "a thread per port" : "one polling loop");
	if (cfg->max_macs)
		printf(", at most %u MACs per port", cfg->max_macs);
	printf("); stop with Ctrl-C\n");
	while (!stop_signal) {
		unsigned moved = 0;

		if (!cfg->threads) {
			for (unsigned i = 0; i < cfg->nports; i++) {
				int n = vnetif_ethdev_poll(r->ports[i].e, 256);

				moved += n > 0 ? (unsigned)n : 0;
			}
		}
		if (moved)
			idle = 0;
		else if (cfg->threads || ++idle > 1000)
			usleep(cfg->threads ? 10000 : 100); /* idle: spin a while, then nap */
		double now = now_s();
		if (next > 0 && now >= next) {
			print_stats(r->ports, cfg->nports, now - t0, now - last, false);
			print_stack_stats(r->stacks, cfg->nstacks, cfg->nports, now - t0, false);
			print_nat_stats(r->nat, cfg->nat, cfg->nports + cfg->nstacks, now - t0, false);
			last = now;
			next += cfg->interval;
			if (next < now)
				next = now + cfg->interval;
		}
		if (cfg->duration > 0 && now - t0 >= cfg->duration)
			break;
	}
	if (stop_signal)
		printf("stopping on %s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	print_stats(r->ports, cfg->nports, now_s() - t0, now_s() - last, true);
	print_stack_stats(r->stacks, cfg->nstacks, cfg->nports, now_s() - t0, true);
	print_nat_stats(r->nat, cfg->nat, cfg->nports + cfg->nstacks, now_s() - t0, true);
}

/* Undo what run_start made: 0, or 1 if anything failed (said on stderr). */
static int run_stop(struct run *r)
{
	int rc, status = 0;

#ifdef VNETIF_SWITCH_WITH_SLIRP
	if (r->nat && (rc = vnetif_slirp_destroy(r->nat)) != 0) {
		fprintf(stderr, PROG ": stopping the NAT uplink: %s\n", vnetif_strerror(rc));
		status = 1;
	}
#endif
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < r->cfg->nstacks; i++) {
		if (r->stacks[i].s && (rc = vnetif_lwip_destroy(r->stacks[i].s)) != 0) {
			fprintf(stderr, PROG ": destroying stack %s: %s\n", r->stacks[i].arg->value,
				vnetif_lwip_strerror(rc));
			status = 1;
		}
	}
#endif
	for (unsigned i = 0; i < r->cfg->nports; i++) {
		if (r->ports[i].e && (rc = vnetif_ethdev_detach(r->ports[i].e)) != 0) {
			fprintf(stderr, PROG ": detach %s: %s\n", r->ports[i].arg->value,
				vnetif_ethdev_last_error());
			status = 1;
		}
	}
	if (r->sw && (rc = vnetif_switch_destroy(r->sw)) != 0) {
		fprintf(stderr, PROG ": destroying the switch: %s\n", vnetif_strerror(rc));
		status = 1;
	}
	return status;
}

int main(int argc, char **argv)
{
	static struct vs_config cfg;
	static struct run r = {.cfg = &cfg};
	int rc = vs_parse(&cfg, argc, argv);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rc == VS_HELP) {
		vs_usage(stdout);
		return 0;
	}
#ifndef VNETIF_SWITCH_WITH_LWIP
	if (rc == VS_OK && cfg.nstacks) {
		snprintf(cfg.err, sizeof(cfg.err), "--stack: this vnetif-switch was built without "
			 "the lwIP adapter (stacks/lwip, CMake option VNETIF_WITH_LWIP)");
		rc = VS_BAD;
	}
#endif
#ifndef VNETIF_SWITCH_WITH_SLIRP
	if (rc == VS_OK && cfg.nat) {
		snprintf(cfg.err, sizeof(cfg.err), "--nat: this vnetif-switch was built without "
			 "libslirp (apt-get install libslirp-dev, then rebuild)");
		rc = VS_BAD;
	}
#endif
	if (rc == VS_OK)
		rc = vs_check_ports(&cfg);
	if (rc != VS_OK) {
		fprintf(stderr, PROG ": %s\nTry '" PROG " --help'.\n", cfg.err);
		return VS_BAD;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	rc = run_start(&r);
	if (rc == 0)
		run_loop(&r);
	return run_stop(&r) ? 1 : rc;
}
