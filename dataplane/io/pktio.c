/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio.c - what every backend shares: finding a backend by
 * name and the sock_idx -> listen entry table. */
#include "dataplane/io/pktio.h"

#include "config.h"
#if HAVE_XDP
#include "dataplane/io/pktio_afxdp.h"
#endif
#if HAVE_DPDK
#include "dataplane/io/pktio_dpdk.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 65536 entries: a sock_idx is a 16-bit field of the ring messages, and
 * a direct table keeps the per-packet lookup to one load. */
#define LISTEN_INDEX_LEN (UINT16_MAX + 1u)

int pktio_listen_index(uint16_t **out, const struct dplink_listen *l,
		       unsigned n)
{
	uint16_t *t = malloc(LISTEN_INDEX_LEN * sizeof(*t));

	if (!t)
		return -ENOMEM;
	memset(t, 0xff, LISTEN_INDEX_LEN * sizeof(*t));
	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = l[i].sock_idx;

		if (idx == PKTIO_NO_IDX || t[idx] != PKTIO_NO_IDX) {
			free(t);
			return -EINVAL;
		}
		t[idx] = (uint16_t)i;
	}
	*out = t;
	return 0;
}

const struct pktio_ops *pktio_find(const char *name)
{
	if (!name || !strcmp(name, "socket"))
		return &pktio_socket_ops;
#if HAVE_XDP
	if (!strcmp(name, "xdp"))
		return &pktio_afxdp_ops;
#endif
#if HAVE_DPDK
	if (!strcmp(name, "dpdk"))
		return &pktio_dpdk_ops;
#endif
	return NULL;
}
