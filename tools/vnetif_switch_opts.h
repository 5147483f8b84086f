/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vnetif-switch's command line: a table of options (vnetif_switch_opts.c) parsed into a
 * struct vs_config, with no side effects, so that tests and fuzzers can call vs_parse()
 * directly. The program (vnetif-switch.c) runs what the config describes.
 *
 * Adding an option: one entry in the table of vnetif_switch_opts.c -- its name, value
 * name, help text and the small function that applies it to the config. A new kind of
 * port (a DPDK device built from a path or a name) needs no function: its entry names
 * the driver and the devargs around the value.
 */
#ifndef VNETIF_SWITCH_OPTS_H
#define VNETIF_SWITCH_OPTS_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#define VS_MAX_PORTS 32 /* ports and stacks together */

/* vs_parse() and vs_check_ports() results; VS_OK and VS_BAD are also exit statuses. */
enum { VS_OK = 0, VS_HELP = 1, VS_BAD = 2 };

struct vs_option;

/* A port that is a DPDK device. */
struct vs_port {
	const struct vs_option *opt; /* the option that gave it: its kind */
	const char *value;           /* the option's value (a path, a name, devargs) */
	char devargs[PATH_MAX + 128];
};

/* --stack IP/PREFIX: an lwIP stack on the switch. */
struct vs_stack {
	const char *value;
	char ip[16], mask[16]; /* dotted quads */
};

/* --impair PORT[/rx|/tx]:SPEC: an impairment on a port (vnetif_impair_parse() reads SPEC
 * when the switch starts; this parser stays free of libvnetif). */
struct vs_impair {
	const char *value; /* the whole option value */
	unsigned port;     /* port number as printed: device ports first, then stacks */
	bool tx;           /* what the port sends (default: what it receives) */
	const char *spec;  /* after the ':' */
};

struct vs_config {
	struct vs_port ports[VS_MAX_PORTS];
	unsigned nports;
	struct vs_stack stacks[VS_MAX_PORTS];
	unsigned nstacks;
	const char *nat; /* --nat NET/PREFIX: a NAT uplink port (libslirp); NULL: none */
	const char *hostfwd[VS_MAX_PORTS]; /* --hostfwd SPEC: port forwards into the NAT */
	unsigned nhostfwd;
	bool hub;        /* --hub: deliver every frame to every other port */
	bool threads;    /* --threads: a poller thread per port */
	unsigned max_macs; /* --max-macs: port security, MACs each port may have; 0: no limit */
	double interval; /* seconds between counter lines; 0: none */
	double duration; /* seconds to run; < 0: until a signal */
	const char *capture; /* --capture FILE: pcapng of every port; "-": stdout */
	struct vs_impair impairs[2 * VS_MAX_PORTS];
	unsigned nimpairs;
	char err[PATH_MAX + 256]; /* why vs_parse() or vs_check_ports() said VS_BAD */
};

/* The defaults: no ports, learning, one polling loop, a line a second, no time limit. */
void vs_config_init(struct vs_config *cfg);

/*
 * Parse argv[1..argc-1] into @cfg (initialised first). Checks everything that can be
 * checked without looking at the system -- values, duplicates, what DPDK's devargs
 * syntax cannot carry -- and builds each port's devargs. Touches no file and no global
 * state. Returns VS_OK, VS_HELP (--help: print vs_usage()) or VS_BAD with cfg->err set.
 * The config points into argv: keep argv alive while it is used.
 */
int vs_parse(struct vs_config *cfg, int argc, char *const argv[]);

/*
 * What needs the system: directories exist, a pcap input is readable, a tap name is
 * free, a memif or vhost-user socket path has no live server (a stale socket file is removed, and
 * said on stderr). VS_OK or VS_BAD with cfg->err set.
 */
int vs_check_ports(struct vs_config *cfg);

/* The option's name ("memif", "tap", ...): the kind of a port. */
const char *vs_port_kind(const struct vs_port *p);

/* The --help text. */
void vs_usage(FILE *f);

#endif
