/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: vnetif-switch's command line parser (tools/vnetif_switch_opts.c).
 *
 * The input is a command line: arguments separated by NUL bytes (at most 64). vs_parse()
 * must return VS_OK, VS_HELP or VS_BAD with a message, never crash or read past an
 * argument, and give the same answer twice (it keeps no state). On VS_OK the config
 * must be what the header promises: at least one port, stack or NAT; every value one
 * of the arguments; every device's devargs "<driver><n>,<the option's keys>" holding
 * the value verbatim, with no key a path or interface name could smuggle in (',' '='),
 * device names distinct; stacks a valid address and a contiguous netmask; interval and
 * duration in range. A violation prints the command line and aborts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/vnetif_fuzz.h"
#include "vnetif_switch_opts.h"

#define MAX_ARGS 64

static int argc_;
static char *argv_[MAX_ARGS + 2];

static _Noreturn void violation(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_switch_opts: %s (%s); command line:", what, detail ? detail : "");
	for (int i = 0; i < argc_; i++)
		fprintf(stderr, " '%s'", argv_[i]);
	fprintf(stderr, "\n");
	abort();
}

static bool is_arg(const char *v)
{
	for (int i = 1; i < argc_; i++)
		if (v == argv_[i] || (v > argv_[i] && v <= argv_[i] + strlen(argv_[i])))
			return true;
	return false;
}

/* The keys a kind of port may carry, in order after "<driver><n>,". */
static void check_port(const struct vs_config *cfg, unsigned i)
{
	const struct vs_port *p = &cfg->ports[i];
	const char *kind = vs_port_kind(p), *d = p->devargs;
	char expect[PATH_MAX + 128];

	if (!memchr(p->devargs, '\0', sizeof(p->devargs)))
		violation("devargs not terminated", kind);
	if (!is_arg(p->value) || p->value[0] == '\0')
		violation("port value is not a non-empty argument", kind);
	if (strcmp(kind, "vdev") == 0) {
		if (strcmp(d, p->value) != 0)
			violation("--vdev devargs differ from the value", d);
		return;
	}
	const char *fmt = strcmp(kind, "memif") == 0    ? "role=server,socket=%s,socket-abstract=no"
			  : strcmp(kind, "tap") == 0      ? "iface=%s"
			  : strcmp(kind, "pcap-in") == 0  ? "rx_pcap=%s"
			  : strcmp(kind, "pcap-out") == 0 ? "tx_pcap=%s"
			  : strcmp(kind, "vhost") == 0    ? "iface=%s,queues=1"
							  : NULL;
	const char *drv = strcmp(kind, "memif") == 0 ? "net_memif"
			  : strcmp(kind, "tap") == 0  ? "net_tap"
			  : strcmp(kind, "vhost") == 0 ? "net_vhost"
						      : "net_pcap";
	if (fmt == NULL)
		violation("unknown port kind", kind);
	if (strpbrk(p->value, ",="))
		violation("a device value carries ',' or '=' into devargs", d);
	if (strncmp(d, drv, strlen(drv)) != 0)
		violation("devargs do not start with the driver", d);
	const char *num = d + strlen(drv), *comma = strchr(num, ',');
	if (!comma || comma == num || strspn(num, "0123456789") != (size_t)(comma - num))
		violation("devargs have no device number", d);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(expect, sizeof(expect), fmt, p->value);
#pragma GCC diagnostic pop
	if (strcmp(comma + 1, expect) != 0)
		violation("devargs keys are not the option's", d);
	if (strcmp(kind, "tap") == 0 && strlen(p->value) > 15)
		violation("tap name longer than 15", p->value);
	for (unsigned j = 0; j < i; j++) { /* device names distinct */
		const char *o = cfg->ports[j].devargs;
		size_t n = (size_t)(comma - d);

		if (strcmp(vs_port_kind(&cfg->ports[j]), "vdev") != 0 && strncmp(o, d, n) == 0 &&
		    o[n] == ',')
			violation("two devices with one name", d);
	}
}

static void check_stack(const struct vs_config *cfg, unsigned i)
{
	const struct vs_stack *s = &cfg->stacks[i];
	struct in_addr a, m;

	if (!is_arg(s->value))
		violation("stack value is not an argument", s->value);
	if (inet_pton(AF_INET, s->ip, &a) != 1 || inet_pton(AF_INET, s->mask, &m) != 1)
		violation("stack address or mask invalid", s->value);
	uint32_t mask = ntohl(m.s_addr);
	if (mask == 0 || mask == ~0u || (~mask & (~mask + 1)) != 0)
		violation("netmask not contiguous 1..30 bits", s->mask);
	for (unsigned j = 0; j < i; j++)
		if (strcmp(cfg->stacks[j].ip, s->ip) == 0)
			violation("one stack address twice", s->ip);
}

static struct vs_config cfg1, cfg2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	int rc1, rc2;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argc_ = 0;
	argv_[argc_++] = (char *)"vnetif-switch";
	for (size_t off = 0; off < size && argc_ <= MAX_ARGS; off += strlen(buf + off) + 1)
		argv_[argc_++] = buf + off;
	argv_[argc_] = NULL;

	rc1 = vs_parse(&cfg1, argc_, argv_);
	rc2 = vs_parse(&cfg2, argc_, argv_);
	if (rc1 != rc2 || (rc1 == VS_OK && (cfg1.nports != cfg2.nports ||
					    cfg1.nstacks != cfg2.nstacks)))
		violation("two parses differ", NULL);
	if (rc1 == VS_BAD) {
		if (!memchr(cfg1.err, '\0', sizeof(cfg1.err)) || cfg1.err[0] == '\0')
			violation("VS_BAD without a message", NULL);
		if (strcmp(cfg1.err, cfg2.err) != 0)
			violation("two parses give different messages", cfg1.err);
	} else if (rc1 == VS_OK) {
		unsigned total = cfg1.nports + cfg1.nstacks + (cfg1.nat != NULL); /* --nat is one */

		if (total < 1 || total > VS_MAX_PORTS + 1)
			violation("port count out of range", NULL);
		for (unsigned i = 0; i < cfg1.nports; i++) {
			check_port(&cfg1, i);
			if (strcmp(cfg1.ports[i].devargs, cfg2.ports[i].devargs) != 0)
				violation("two parses give different devargs", cfg1.ports[i].devargs);
		}
		for (unsigned i = 0; i < cfg1.nstacks; i++)
			check_stack(&cfg1, i);
		if (!(cfg1.interval >= 0 && cfg1.interval <= 1e9) ||
		    !(cfg1.duration < 0 || (cfg1.duration > 0 && cfg1.duration <= 1e9)))
			violation("interval or duration out of range", NULL);
	} else if (rc1 != VS_HELP) {
		violation("vs_parse returned something else", NULL);
	}
	free(buf);
	return 0;
}
