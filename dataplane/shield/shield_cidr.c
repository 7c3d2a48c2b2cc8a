/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_cidr.c - CIDR text <-> the shield's LPM keys. */
#include "dataplane/shield/shield_cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool shield_cidr_key_valid(const struct shield_lpm_key *k)
{
	if (k->family == SHIELD_FAM_V4)
		return k->prefixlen >= 8 && k->prefixlen <= 8 + 32;
	if (k->family == SHIELD_FAM_V6)
		return k->prefixlen >= 8 && k->prefixlen <= 8 + 128;
	return false;
}

int shield_cidr_parse(struct shield_lpm_key *out, const char *s)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	unsigned max;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = SHIELD_FAM_V4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = SHIELD_FAM_V6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > max)
			return -EINVAL;
	}
	for (unsigned b = (unsigned)plen; b < 128; b++)
		out->addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	out->prefixlen = 8 + (uint32_t)plen;
	return 0;
}

int shield_cidr_format(char *buf, size_t len, const struct shield_lpm_key *key)
{
	char addr[INET6_ADDRSTRLEN];
	int af = key->family == SHIELD_FAM_V4 ? AF_INET : AF_INET6;
	int n;

	if (!shield_cidr_key_valid(key) ||
	    !inet_ntop(af, key->addr, addr, sizeof(addr)))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%u", addr, key->prefixlen - 8);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
