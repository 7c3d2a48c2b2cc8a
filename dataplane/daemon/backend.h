/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/backend.h - the packet I/O backends this build has, by
 * name: the one place that knows them all. */
#ifndef DATAPLANE_BACKEND_H
#define DATAPLANE_BACKEND_H

#include "dataplane/io/pktio.h"

/*
 * The backends implement dataplane/io/pktio.h and know nothing of each
 * other; the daemon picks one. Includes point one way: backend ->
 * pktio_socket / pktio_afxdp / pktio_dpdk -> pktio.
 */

/* backend_find() returns the backend called name ("socket", "xdp",
 * "dpdk"; NULL: "socket"), or NULL when this build lacks it. */
const struct pktio_ops *backend_find(const char *name);

#endif /* DATAPLANE_BACKEND_H */
