/* SPDX-License-Identifier: MIT */
/* common/enode.c - enode:// URL parsing and formatting, node ids. */
#include "common/enode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/hex.h"
#include "common/keccak.h"
#include "common/secp.h"

#define SCHEME "enode://"
#define SCHEME_LEN (sizeof(SCHEME) - 1)

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

void enode_id(uint8_t id[ENODE_ID_LEN], const uint8_t pub[ENODE_PUB_LEN])
{
	keccak256(id, pub, ENODE_PUB_LEN);
}

/* Decimal port, as strconv.ParseUint(s, 10, 16): digits only, no sign,
 * leading zeros allowed, value <= 65535. */
static int parse_port(uint16_t *out, const char *s, size_t len)
{
	uint32_t v = 0;

	if (len == 0)
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > 65535)
			return -EBADMSG;
	}
	*out = (uint16_t)v;
	return 0;
}

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/* A DNS name: dot-separated labels of 1..63 letters, digits and hyphens, not
 * starting or ending with a hyphen, at most ENODE_HOST_MAX in all. */
static bool valid_hostname(const char *s, size_t len)
{
	size_t label = 0;
	bool only_digits = true;

	if (len == 0 || len > ENODE_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_ldh(s[i]))
			return false;
		if (label == 0 && s[i] == '-')
			return false;
		if (s[i] < '0' || s[i] > '9')
			only_digits = false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || s[len - 1] == '-')
		return false;
	/* "1.2.3.999" is a mistyped address, not a name to look up. */
	return !only_digits;
}

/* Sets kind/ip from an IP literal in s[0..len); bracketed says whether it
 * appeared as [..] (then only IPv6 syntax is valid). */
static int parse_ip(struct enode *n, const char *s, size_t len, bool bracketed)
{
	char tmp[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (bracketed) {
		if (inet_pton(AF_INET6, tmp, n->ip) != 1)
			return -EBADMSG;
		n->kind = memcmp(n->ip, v4mapped_prefix, 12) ? ENODE_HOST_IP6 :
							      ENODE_HOST_IP4;
		return 0;
	}
	memcpy(n->ip, v4mapped_prefix, 12);
	if (inet_pton(AF_INET, tmp, n->ip + 12) != 1)
		return -EBADMSG;
	n->kind = ENODE_HOST_IP4;
	return 0;
}

/* The query after '?': '&'-separated key=value pairs. Only the first
 * "discport" counts (url.Values.Get); an empty value means "same as tcp". */
static int parse_query(struct enode *n, const char *q, size_t len)
{
	static const char key[] = "discport=";
	const size_t key_len = sizeof(key) - 1;
	size_t i = 0;

	while (i <= len) {
		const char *amp = memchr(q + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - q) : len;
		size_t plen = end - i;

		if (plen >= key_len && memcmp(q + i, key, key_len) == 0) {
			if (plen == key_len)
				return 0;
			return parse_port(&n->udp, q + i + key_len,
					  plen - key_len);
		}
		i = end + 1;
	}
	return 0;
}

int enode_parse(struct enode *out, const char *s, size_t len)
{
	struct enode n;
	const char *p, *end = s + len, *at, *host, *host_end, *port, *port_end;
	bool bracketed = false;
	int rc;

	memset(&n, 0, sizeof(n));
	if (len < SCHEME_LEN || strncasecmp(s, SCHEME, SCHEME_LEN) != 0)
		return -EBADMSG;
	/* A NUL inside the claimed length would let two parsers disagree. */
	if (memchr(s, '\0', len))
		return -EBADMSG;
	p = s + SCHEME_LEN;
	at = memchr(p, '@', (size_t)(end - p));
	if (!at)
		return -EBADMSG;
	/* Exactly 128 hex digits: hex_decode() would skip a "0x", so a short
	 * key with that prefix is caught by the length check first. */
	if (at - p != 2 * ENODE_PUB_LEN)
		return -EBADMSG;
	if (hex_decode(n.pub, sizeof(n.pub), p, 2 * ENODE_PUB_LEN) !=
	    ENODE_PUB_LEN)
		return -EBADMSG;
	if (!secp_pub_check(n.pub))
		return -EBADMSG;

	host = at + 1;
	if (host < end && *host == '[') {
		bracketed = true;
		host++;
		host_end = memchr(host, ']', (size_t)(end - host));
		if (!host_end)
			return -EBADMSG;
		p = host_end + 1;
	} else {
		host_end = host;
		while (host_end < end && *host_end != ':' &&
		       *host_end != '?' && *host_end != '/' &&
		       *host_end != '#' && *host_end != '[' &&
		       *host_end != ']' && *host_end != '@')
			host_end++;
		p = host_end;
	}
	if (p >= end || *p != ':')
		return -EBADMSG;                /* the port is required */
	port = p + 1;
	port_end = port;
	while (port_end < end && *port_end != '?')
		port_end++;
	if (parse_port(&n.tcp, port, (size_t)(port_end - port)))
		return -EBADMSG;
	n.udp = n.tcp;

	rc = parse_ip(&n, host, (size_t)(host_end - host), bracketed);
	if (rc && !bracketed) {
		size_t hlen = (size_t)(host_end - host);

		if (!valid_hostname(host, hlen))
			return -EBADMSG;
		memcpy(n.name, host, hlen);
		n.name[hlen] = '\0';
		memset(n.ip, 0, sizeof(n.ip));
		n.kind = ENODE_HOST_NAME;
	} else if (rc) {
		return -EBADMSG;
	}

	if (port_end < end) {
		const char *q = port_end + 1;

		if (memchr(q, '#', (size_t)(end - q)))
			return -EBADMSG;
		if (parse_query(&n, q, (size_t)(end - q)))
			return -EBADMSG;
	}
	*out = n;
	return 0;
}

ssize_t enode_format(char *out, size_t cap, const struct enode *n)
{
	char pub_hex[2 * ENODE_PUB_LEN + 1];
	char host[INET6_ADDRSTRLEN + 2];
	char disc[24] = "";
	int w;

	switch (n->kind) {
	case ENODE_HOST_IP4:
		if (!inet_ntop(AF_INET, n->ip + 12, host, sizeof(host)))
			return -EINVAL;
		break;
	case ENODE_HOST_IP6:
		host[0] = '[';
		if (!inet_ntop(AF_INET6, n->ip, host + 1, sizeof(host) - 2))
			return -EINVAL;
		strcat(host, "]");
		break;
	case ENODE_HOST_NAME:
		if (!valid_hostname(n->name, strnlen(n->name, sizeof(n->name))))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (n->udp != n->tcp)
		snprintf(disc, sizeof(disc), "?discport=%u", n->udp);
	hex_encode(pub_hex, n->pub, ENODE_PUB_LEN);
	w = snprintf(out, cap, "enode://%s@%s:%u%s", pub_hex,
		     n->kind == ENODE_HOST_NAME ? n->name : host, n->tcp, disc);
	if (w < 0)
		return -EINVAL;
	if ((size_t)w >= cap)
		return -EMSGSIZE;
	return w;
}
