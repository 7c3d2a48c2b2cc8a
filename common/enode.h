/* SPDX-License-Identifier: MIT */
/* common/enode.h - enode:// URLs (geth semantics) and node ids. No I/O. */
#ifndef COMMON_ENODE_H
#define COMMON_ENODE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ENODE_PUB_LEN  64               /* x || y: what discv4 and RLPx send */
#define ENODE_ID_LEN   32               /* keccak256(pub): the geth enode.ID */
#define ENODE_HOST_MAX 253              /* longest DNS name, without the NUL */
/* "enode://" + 128 hex + "@" + "[" host "]" + ":65535" + "?discport=65535" */
#define ENODE_URL_MAX  (8 + 2 * ENODE_PUB_LEN + 1 + ENODE_HOST_MAX + 2 + 6 + 15)

enum enode_host {
	ENODE_HOST_IP4 = 1,             /* ip[] holds ::ffff:a.b.c.d */
	ENODE_HOST_IP6,                 /* ip[] holds the IPv6 address */
	ENODE_HOST_NAME,                /* name[] holds an unresolved DNS name */
};

struct enode {
	uint8_t pub[ENODE_PUB_LEN];     /* on-curve public key */
	uint8_t kind;                   /* enum enode_host */
	uint8_t ip[16];                 /* IPv4-mapped or IPv6; zero for names */
	char name[ENODE_HOST_MAX + 1];  /* NUL-terminated; empty unless a name */
	uint16_t tcp;                   /* 0 means the node takes no TCP */
	uint16_t udp;                   /* discport, defaults to tcp */
};

/* enode_parse() parses
 *   enode://<128 hex pubkey>@<ipv4 | [ipv6] | hostname>:<tcp>[?discport=<udp>]
 * from s[0..len) (no NUL needed) into *out. As in geth: the port is required
 * and may be 0, discport defaults to the TCP port, other query parameters are
 * ignored, an IPv4-mapped IPv6 literal is an IPv4 address. Host names are
 * kept as text (nothing is resolved) and must be LDH labels separated by
 * dots; a host made of only digits and dots that is not a valid IPv4 address
 * is rejected rather than taken for a name. The public key must be on the
 * curve. Returns 0 or -EBADMSG (any syntax error, bad hex, bad port, key not
 * on the curve). *out is written only on success. Any thread. */
int enode_parse(struct enode *out, const char *s, size_t len);

/* enode_format() writes the URL of n and a NUL to out[0..cap). The form is
 * the one enode_parse() reads: IPv6 in brackets, "?discport=" only when udp
 * differs from tcp. Returns the length without the NUL, or -EMSGSIZE (cap too
 * small), -EINVAL (n->kind unknown). Any thread. */
ssize_t enode_format(char *out, size_t cap, const struct enode *n);

/* enode_id() writes the node id keccak256(pub) used for Kademlia distance.
 * discv4 packets carry pub itself, not this hash. Any thread. */
void enode_id(uint8_t id[ENODE_ID_LEN], const uint8_t pub[ENODE_PUB_LEN]);

#endif /* COMMON_ENODE_H */
