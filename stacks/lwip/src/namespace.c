/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link-map namespaces for lwIP instances.
 *
 * A namespace is created by dlmopen(LM_ID_NEWLM) of the shim, which pulls in that
 * namespace's libc; the shim and libc stay loaded for the life of the process (glibc
 * never gives back a namespace's static TLS, so a process could otherwise create only
 * about eleven instances in its lifetime). Each instance then dlmopen()s the glue (and
 * with it a fresh liblwip) into a free namespace and dlclose()s it at destroy. Nothing in
 * the permanent objects binds to the glue or liblwip, so they really unload and the next
 * instance starts with fresh lwIP globals.
 *
 * This table is the one process-wide state of the library: namespaces are a property of
 * the process, not of a switch.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip_private.h"

#define NS_MAX 16 /* glibc's DL_NNS, the main namespace included */

struct vnl_ns {
	Lmid_t lmid;
	void *shim;
	void *glue;
	vnl_shim_stats_fn stats;
	vnl_shim_sweep_fn sweep;
	bool busy;
};

static pthread_mutex_t ns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vnl_ns ns_tab[NS_MAX];
static unsigned ns_count;
static bool ns_exhausted; /* creating one more namespace failed: do not retry */

static const struct vnl_host host = {
	.abi = VNL_ABI_VERSION,
	.malloc = malloc,
	.free = free,
	.memcpy = memcpy,
	.memmove = memmove,
	.memset = memset,
	.mutex_init = pthread_mutex_init,
	.mutex_destroy = pthread_mutex_destroy,
	.mutex_lock = pthread_mutex_lock,
	.mutex_trylock = pthread_mutex_trylock,
	.mutex_unlock = pthread_mutex_unlock,
	.mutexattr_init = pthread_mutexattr_init,
	.mutexattr_destroy = pthread_mutexattr_destroy,
	.mutexattr_settype = pthread_mutexattr_settype,
	.cond_init = pthread_cond_init,
	.cond_destroy = pthread_cond_destroy,
	.cond_wait = pthread_cond_wait,
	.cond_timedwait = pthread_cond_timedwait,
	.cond_signal = pthread_cond_signal,
	.cond_broadcast = pthread_cond_broadcast,
	.condattr_init = pthread_condattr_init,
	.condattr_destroy = pthread_condattr_destroy,
	.condattr_setclock = pthread_condattr_setclock,
};

/* Directory of the shim and glue: $VNETIF_LWIP_LIBDIR, else vnetif-lwip/ beside the
 * object this code is in (libvnetif-lwip.so, in the build tree and installed alike: a
 * prefix can move), else the install directory (${libdir}/vnetif-lwip). */
static int object_path(const char *soname, char *buf, size_t len)
{
	const char *env = getenv("VNETIF_LWIP_LIBDIR");
	Dl_info info;

	if (env != NULL && *env != '\0')
		return snprintf(buf, len, "%s/%s", env, soname) < (int)len ? 0 : -ENAMETOOLONG;
	if (dladdr((void *)object_path, &info) != 0 && info.dli_fname != NULL) {
		const char *slash = strrchr(info.dli_fname, '/');

		if (slash != NULL) {
			char try[4096];
			int n = snprintf(try, sizeof(try), "%.*s/" VNETIF_LWIP_NS_DIR "/%s",
					 (int)(slash - info.dli_fname), info.dli_fname, soname);

			if (n > 0 && n < (int)sizeof(try)) {
				FILE *f = fopen(try, "rb");

				if (f != NULL) {
					fclose(f);
					return snprintf(buf, len, "%s", try) < (int)len ? 0
											: -ENAMETOOLONG;
				}
			}
		}
	}
	return snprintf(buf, len, "%s/%s", VNETIF_LWIP_LIBDIR, soname) < (int)len ? 0
										: -ENAMETOOLONG;
}

static int ns_create(struct vnl_ns *ns)
{
	char path[4096];
	vnl_shim_setup_fn setup;
	const char *err;
	int rc = object_path(VNL_SHIM_SONAME, path, sizeof(path));

	if (rc)
		return rc;
	ns->shim = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
	if (ns->shim == NULL) {
		err = dlerror();
		if (err != NULL && (strstr(err, "static TLS") || strstr(err, "namespaces")))
			return -EMFILE;
		return -ELIBACC;
	}
	setup = (vnl_shim_setup_fn)dlsym(ns->shim, VNL_SHIM_SETUP_SYM);
	ns->stats = (vnl_shim_stats_fn)dlsym(ns->shim, VNL_SHIM_STATS_SYM);
	ns->sweep = (vnl_shim_sweep_fn)dlsym(ns->shim, VNL_SHIM_SWEEP_SYM);
	if (setup == NULL || ns->stats == NULL || ns->sweep == NULL ||
	    dlinfo(ns->shim, RTLD_DI_LMID, &ns->lmid) != 0 || setup(&host) != 0) {
		dlclose(ns->shim);
		ns->shim = NULL;
		return -ELIBACC;
	}
	return 0;
}

static int ns_load_glue(struct vnl_ns *ns, const struct vnl_glue_ops **ops)
{
	char path[4096];
	vnl_glue_ops_fn get;
	const char *err;
	int rc = object_path(VNL_GLUE_SONAME, path, sizeof(path));

	if (rc)
		return rc;
	ns->glue = dlmopen(ns->lmid, path, RTLD_NOW | RTLD_LOCAL);
	if (ns->glue == NULL) {
		err = dlerror();
		return err != NULL && strstr(err, "static TLS") ? -EMFILE : -ELIBACC;
	}
	get = (vnl_glue_ops_fn)dlsym(ns->glue, VNL_GLUE_OPS_SYM);
	*ops = get != NULL ? get() : NULL;
	if (*ops == NULL || (*ops)->abi != VNL_ABI_VERSION) {
		dlclose(ns->glue);
		ns->glue = NULL;
		return -ELIBACC;
	}
	return 0;
}

int vnl_ns_acquire(struct vnl_ns **out, const struct vnl_glue_ops **ops)
{
	struct vnl_ns *ns = NULL;
	int rc = 0;

	pthread_mutex_lock(&ns_lock);
	for (unsigned i = 0; i < ns_count; i++)
		if (!ns_tab[i].busy) {
			ns = &ns_tab[i];
			break;
		}
	if (ns == NULL) {
		if (ns_exhausted || ns_count == NS_MAX - 1) {
			rc = -EMFILE;
		} else {
			rc = ns_create(&ns_tab[ns_count]);
			if (rc == 0)
				ns = &ns_tab[ns_count++];
			else if (rc == -EMFILE)
				ns_exhausted = true;
		}
	}
	if (ns != NULL) {
		rc = ns_load_glue(ns, ops);
		if (rc == 0) {
			ns->busy = true;
			*out = ns;
		}
	}
	pthread_mutex_unlock(&ns_lock);
	return rc;
}

void vnl_ns_heap(struct vnl_ns *ns, struct vnl_heap_stats *st)
{
	ns->stats(st);
}

void vnl_ns_release(struct vnl_ns *ns)
{
	ns->sweep(NULL);
	pthread_mutex_lock(&ns_lock);
	dlclose(ns->glue);
	ns->glue = NULL;
	ns->busy = false;
	pthread_mutex_unlock(&ns_lock);
}
