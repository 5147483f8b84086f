/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "vnetif.h"

/* Messages for the errors whose meaning is specific to libvnetif; the rest are errno's. */
VNETIF_API const char *vnetif_strerror(int err)
{
	switch (err) {
	case 0:
		return "Success";
	case -EINVAL:
		return "Invalid argument (NULL, bad length, bad MAC, bad handle or bad config)";
	case -ENOTCONN:
		return "Port is disconnected";
	case -EMSGSIZE:
		return "Frame longer than the port's MTU + 14";
	case -ENOBUFS:
		return "Mbuf pool is empty";
	case -ENOSPC:
		return "Switch has no free port (max_ports reached)";
	case -EADDRINUSE:
		return "MAC address used by another port of this switch";
	case -ETIMEDOUT:
		return "A thread is still inside the datapath or a listener (call again)";
	case -EBUSY:
		return "Mbufs of the switch's pool are still held outside the switch";
	case -EDEADLK:
		return "Called from the port's own listener or reader thread";
	case -ENOENT:
		return "No listener or reader for this port";
	case -EEXIST:
		return "A switch with this name exists";
	default:
		break;
	}
	if (err < 0 && err > -4096) { /* errno range; -INT_MIN would overflow */
		const char *s = strerrordesc_np(-err);

		if (s)
			return s;
	}
	return "Unknown error";
}
