/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio.c - what every backend shares: the sock_idx -> listen
 * entry table and the IP:PORT parser of listen addresses. */
#include "dataplane/io/pktio.h"

#include <arpa/inet.h>
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

int pktio_parse_listen(struct dplink_listen *l, const char *s)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long port;

	if (!s)
		return -EINVAL;
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535)
		return -EINVAL;
	memset(l->addr, 0, sizeof(l->addr));
	if (inet_pton(AF_INET, host, l->addr + 12) == 1) {
		l->addr[10] = 0xff;
		l->addr[11] = 0xff;
	} else if (inet_pton(AF_INET6, host, l->addr) != 1) {
		return -EINVAL;
	}
	l->port_be = htons((uint16_t)port);
	return 0;
}
