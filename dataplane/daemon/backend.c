/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/backend.c - the packet I/O backends of this build. */
#include "dataplane/daemon/backend.h"

#include <stddef.h>
#include <string.h>

#include "config.h"
#include "dataplane/io/pktio_socket.h"
#if HAVE_XDP
#include "dataplane/io/pktio_afxdp.h"
#endif
#if HAVE_DPDK
#include "dataplane/io/pktio_dpdk.h"
#endif

/* A backend left out of the build is unknown here, not a stub. */
static const struct pktio_ops *const backends[] = {
	&pktio_socket_ops,
#if HAVE_XDP
	&pktio_afxdp_ops,
#endif
#if HAVE_DPDK
	&pktio_dpdk_ops,
#endif
};

const struct pktio_ops *backend_find(const char *name)
{
	if (!name)
		return &pktio_socket_ops;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}
