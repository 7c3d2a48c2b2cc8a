/* SPDX-License-Identifier: MIT */
/* control/dns/dnsbuild.h - builds and signs an EIP-1459 node tree exactly
 * as geth's dnsdisc.MakeTree + Tree.Sign, and writes it as geth's
 * `devp2p dns to-txt` JSON, as a DNS zone file and as geth's
 * enrtree-info.json.
 *
 * Sans-I/O: outputs are malloc'd strings, which the caller writes where it
 * wants. One owner at a time; any thread. */
#ifndef CONTROL_DNS_DNSBUILD_H
#define CONTROL_DNS_DNSBUILD_H
#include <stddef.h>
#include <stdint.h>

#include "common/enr.h"
#include "control/dns/dnstree.h"

#define DNSBUILD_ROOT_TTL   (30 * 60)               /* geth rootTTL */
#define DNSBUILD_NODE_TTL   (4 * 7 * 24 * 60 * 60)  /* geth treeNodeTTL */
#define DNSBUILD_TXT_CHUNK  255         /* RFC 1035 character-string */

struct dnsbuild_entry {
	char name[DNSTREE_HASH_TEXT_LEN + 1];   /* subdomain: hash of text */
	char *text;                             /* owned */
};

struct dnsbuild {
	struct dnstree_root root;
	bool signed_;                           /* root.sig and url are set */
	char domain[DNSTREE_DOMAIN_MAX + 1];
	char url[DNSTREE_LINK_TEXT_MAX];        /* enrtree://<key>@<domain> */
	struct dnsbuild_entry *ents;            /* sorted by name, unique */
	size_t n_ents;
	char **links;                           /* the links as given, owned */
	size_t n_links;
	size_t bad_index;               /* input dnsbuild_make() refused */
};

/* dnsbuild_make() builds the tree of recs[0..n_recs) and links[0..n_links)
 * with sequence number seq into *b (which it initialises), as MakeTree:
 * records sorted by node id, leaves grouped into branches of at most
 * DNSTREE_MAX_CHILDREN hashes bottom-up (a group of one is the leaf
 * itself), separate subtrees for records (e=) and links (l=); an empty
 * subtree is the empty branch. Every record must be signed and verify
 * (v4), and its tcp, tcp6, udp, udp6, quic and quic6 entries, if present,
 * must be canonical integers below 65536 (geth's checkRecordPorts). Links
 * are "enrtree://" URLs (dnstree_parse_link()), kept as written. The tree
 * is not signed yet. Returns 0, -EINVAL (a record or link refused; its
 * index, records first then links counted on from n_recs, is in
 * b->bad_index), -ENOMEM. On error *b holds nothing to free. */
int dnsbuild_make(struct dnsbuild *b, const struct enr *recs, size_t n_recs,
		  const char *const *links, size_t n_links, uint64_t seq);

/* dnsbuild_sign() signs the root with priv (RFC 6979, so byte-identical to
 * geth's Sign) for domain, and sets b->url. Returns 0, -EINVAL (bad key or
 * domain). */
int dnsbuild_sign(struct dnsbuild *b, const uint8_t priv[32],
		  const char *domain);

/* dnsbuild_fini() frees what dnsbuild_make() allocated (not b). */
void dnsbuild_fini(struct dnsbuild *b);

/* dnsbuild_txt_json() writes geth's `devp2p dns to-txt` output file:
 * json.MarshalIndent(map name -> TXT, "", "    "), keys sorted bytewise,
 * the root at the bare domain and every entry at <hash>.<domain>, no
 * trailing newline (geth adds one only on stdout). *out is malloc'd and
 * NUL-terminated, the caller frees it. Returns 0, -EPROTO (not signed),
 * -ENOMEM. */
int dnsbuild_txt_json(const struct dnsbuild *b, char **out, size_t *len);

/* Zone file options. ns: the name server's FQDN (NULL: "ns1.<domain>.");
 * ns_addr: its IPv4 or IPv6 address, written as glue when ns is inside
 * the zone (NULL: none); hostmaster: the SOA RNAME (NULL:
 * "hostmaster.<domain>."); serial: the SOA serial (0: the low 32 bits of
 * seq, at least 1). */
struct dnsbuild_zone_cfg {
	const char *ns;
	const char *ns_addr;
	const char *hostmaster;
	uint32_t serial;
};

/* dnsbuild_zone() writes a master file (RFC 1035 §5) NSD and Knot load:
 * $ORIGIN <domain>., SOA and NS at the apex, the root TXT at "@" with TTL
 * DNSBUILD_ROOT_TTL and every entry at <hash> with DNSBUILD_NODE_TTL, each
 * TXT value split into quoted character-strings of at most
 * DNSBUILD_TXT_CHUNK bytes (a resolver joins them back). *out as
 * dnsbuild_txt_json(). Returns 0, -EPROTO (not signed), -EINVAL (bad
 * ns_addr), -ENOMEM. */
int dnsbuild_zone(const struct dnsbuild *b, const struct dnsbuild_zone_cfg *cfg,
		  char **out, size_t *len);

/* dnsbuild_info_json() writes enrtree-info.json as `devp2p dns sign` does:
 * {"url", "seq", "signature", "links", "lastModified"} with 4-space
 * indent, links in the order given to dnsbuild_make() (geth writes them in
 * map order, which its own to-txt then may not reproduce; see dnsbuild.c),
 * lastModified = mtime_sec.mtime_nsec as Go's RFC 3339 with nanoseconds
 * in UTC. *out as dnsbuild_txt_json(). Returns 0, -EPROTO, -ENOMEM. */
int dnsbuild_info_json(const struct dnsbuild *b, int64_t mtime_sec,
		       uint32_t mtime_nsec, char **out, size_t *len);

#endif /* CONTROL_DNS_DNSBUILD_H */
