/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The public capture calls: check, open the writer (pcapng.c), attach it to the ports'
 * stages (stage.c); at stop, detach it and wait a grace period before the file is done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>

#include "pcapng.h"
#include "slot.h"
#include "stage.h"

VNETIF_API int vnetif_capture_start(vnetif_switch *sw, vnetif_port *port, int fd,
				    const struct vnetif_capture_config *cfg, vnetif_capture **out)
{
	struct vnetif_port *p = NULL;
	struct vnetif_capture *c;
	int rc;

	if (!vnetif_switch_ok(sw) || out == NULL || fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EINVAL;
	if (port != NULL && ((p = vnetif_port_slot(port)) == NULL || p->sw != sw))
		return -EINVAL;
	rc = vnetif_pcapng_open(sw, fd, cfg, &c);
	if (rc)
		return rc;
	pthread_mutex_lock(&sw->ctl);
	if (p != NULL && (vnetif_port_handle(p) != port ||
			  atomic_load(&p->state) != PORT_CONNECTED)) {
		rc = -ENOTCONN;
	} else if (vnetif_stage_sw_capture(sw) != NULL) {
		rc = -EBUSY;
	} else {
		rc = vnetif_pcapng_header(c);
		if (rc == 0)
			rc = vnetif_stage_capture_attach(sw, c, p);
	}
	pthread_mutex_unlock(&sw->ctl);
	if (rc) {
		vnetif_pcapng_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

VNETIF_API int vnetif_capture_stop(vnetif_capture *c)
{
	struct vnetif_switch *sw;
	struct vnetif_wait w;
	int rc;

	if (c == NULL || !vnetif_switch_ok(vnetif_pcapng_switch(c)))
		return -EINVAL;
	sw = vnetif_pcapng_switch(c);
	/* It waits for a grace period: from a listener, monitor or the clock of @sw that
	 * would be waiting for the calling thread. */
	if (vnetif_stage_control_blocked(sw) || vnetif_reader_is_self(sw, NULL))
		return -EDEADLK;
	pthread_mutex_lock(&sw->ctl);
	if (vnetif_stage_sw_capture(sw) != c) {
		pthread_mutex_unlock(&sw->ctl);
		return -EINVAL;
	}
	vnetif_stage_capture_unpublish(sw, c);
	sw->waiting++; /* destroy answers -EBUSY meanwhile */
	pthread_mutex_unlock(&sw->ctl);
	/* Frames being written now finish; no lock is held while waiting (wait.c). */
	w = vnetif_wait_init(sw->cfg.yield, sw->cfg.yield_arg, VNETIF_WAIT_CONTROL);
	rc = vnetif_srcu_synchronize(&sw->srcu, vnetif_deadline_ms(sw->cfg.grace_timeout_ms), &w);
	pthread_mutex_lock(&sw->ctl);
	sw->waiting--;
	if (rc != 0 && !vnetif_stage_capture_keep(sw, c))
		c = NULL; /* no room to keep it: it stays allocated (never written again) */
	pthread_mutex_unlock(&sw->ctl);
	if (rc)
		return -ETIMEDOUT;
	rc = vnetif_pcapng_result(c);
	vnetif_pcapng_free(c);
	return rc;
}
