/* SPDX-License-Identifier: MIT */
/* dataplane/io/neigh.h - our interface's addresses and the next hop's MAC,
 * read from the kernel (rtnetlink RTM_GETROUTE / RTM_GETNEIGH, ioctl). */
#ifndef DATAPLANE_NEIGH_H
#define DATAPLANE_NEIGH_H
#include <stdbool.h>
#include <stdint.h>

#define NEIGH_MAC_LEN   6
#define NEIGH_ADDR_LEN  16              /* IPv6 or IPv4-mapped */
#define NEIGH_SLOTS     1024            /* cache entries per worker */
#define NEIGH_TTL_NS    (30ull * 1000000000ull)   /* re-read a hit */
#define NEIGH_RETRY_NS  (50ull * 1000000ull)      /* re-ask a miss */
#define NEIGH_QUERIES_PER_MS 4          /* netlink lookups per worker */

/* The interface that the AF_XDP backend sends from. */
struct neigh_if {
	int ifindex;
	char name[16];
	uint8_t mac[NEIGH_MAC_LEN];
	uint8_t ip4[4];                 /* first IPv4 address, if has_ip4 */
	uint8_t ip6[16];                /* first global IPv6, if has_ip6 */
	bool has_ip4, has_ip6;
	bool noarp;                     /* IFF_NOARP or IFF_LOOPBACK: no
					 * neighbours, next hop MAC is mac */
	unsigned mtu;
};

/* neigh_if_get() reads ifname's index, MAC, MTU and first addresses.
 * Returns 0, -ENODEV, or -errno. */
int neigh_if_get(struct neigh_if *out, const char *ifname);

/* neigh_route() asks the kernel's routing table (RTM_GETROUTE) how dst
 * (IPv6 or IPv4-mapped) is reached: *out_nh is the gateway, or dst itself
 * when on-link, *out_oif the output interface. Returns 0, -ENETUNREACH,
 * or -errno. nl is a NETLINK_ROUTE socket from neigh_nl_open(). */
int neigh_route(int nl, uint8_t out_nh[NEIGH_ADDR_LEN], int *out_oif,
		const uint8_t dst[NEIGH_ADDR_LEN]);

/* neigh_lookup() reads the kernel's ARP/ND entry of ip on ifindex
 * (RTM_GETNEIGH). Returns 0 and mac for a usable entry (reachable, stale,
 * delay, probe, permanent, noarp), -ENOENT (absent, incomplete or failed),
 * or -errno. */
int neigh_lookup(int nl, uint8_t mac[NEIGH_MAC_LEN], int ifindex,
		 const uint8_t ip[NEIGH_ADDR_LEN]);

/* neigh_trigger() makes the kernel resolve ip: one empty UDP datagram to
 * the discard port through an ordinary socket bound to ifindex (the
 * kernel ARPs / solicits for it). Returns 0 or -errno. */
int neigh_trigger(int ifindex, const uint8_t ip[NEIGH_ADDR_LEN]);

/* neigh_nl_open() opens a NETLINK_ROUTE socket (close() it). Returns the
 * fd or -errno. */
int neigh_nl_open(void);

/* A per-worker cache: dst -> next hop MAC, negative entries rate-limit
 * the netlink queries for destinations that do not resolve. One thread. */
struct neigh_cache;

/* neigh_cache_new() allocates a cache sending on itf (copied). Returns 0
 * and *out, -ENOMEM or -errno (netlink socket). */
int neigh_cache_new(struct neigh_cache **out, const struct neigh_if *itf);

/* neigh_cache_free() releases c; NULL is a no-op. */
void neigh_cache_free(struct neigh_cache *c);

/* neigh_cache_get() writes the MAC of dst's next hop at now_ns (any
 * monotonic clock): from the cache, else route + neighbour lookup (on a
 * noarp interface, as the kernel's arp_constructor does: the interface's
 * own address, once the route says dst is reached through it); when
 * the kernel has no entry it triggers resolution and returns -EAGAIN
 * (the caller drops the packet; a retry after NEIGH_RETRY_NS asks again).
 * Returns 0, -EAGAIN, -ENETUNREACH or -errno. */
int neigh_cache_get(struct neigh_cache *c, uint8_t mac[NEIGH_MAC_LEN],
		    const uint8_t dst[NEIGH_ADDR_LEN], uint64_t now_ns);

/* neigh_cache_unresolved() counts -EAGAIN/-ENETUNREACH answers so far. */
uint64_t neigh_cache_unresolved(const struct neigh_cache *c);

/* Frames waiting for the kernel to resolve their next hop (as its own
 * unres_qlen): a backend builds the frame with the destination MAC left
 * blank and parks it; neigh_park_poll() writes the MAC of those whose next
 * hop resolved and hands them to ready(), and hands to drop() those older
 * than NEIGH_PARK_TTL_NS or unreachable. A full queue evicts its oldest.
 * One thread. */
#define NEIGH_PARK_MAX    512
#define NEIGH_PARK_TTL_NS (1000ull * 1000000ull)

struct neigh_parked {
	uint64_t handle;                /* the backend's: UMEM address, mbuf */
	uint8_t *frame;                 /* starts with the destination MAC */
	uint32_t len;
	uint64_t since_ns;
	uint8_t dst[NEIGH_ADDR_LEN];
};

struct neigh_park {
	struct neigh_parked q[NEIGH_PARK_MAX];
	unsigned n;
};

/* neigh_park_add() parks e. When the queue is full the oldest frame makes
 * room first: it is copied to *evicted (for the caller to free and count
 * as dropped) and 1 is returned; else 0. */
int neigh_park_add(struct neigh_park *p, const struct neigh_parked *e,
		   struct neigh_parked *evicted);

/* neigh_park_poll() asks c for every parked frame's next hop at now_ns,
 * in parking order; the ones still unresolved and young stay. */
void neigh_park_poll(struct neigh_park *p, struct neigh_cache *c,
		     uint64_t now_ns,
		     void (*ready)(void *ctx, const struct neigh_parked *e),
		     void (*drop)(void *ctx, const struct neigh_parked *e),
		     void *ctx);

#endif /* DATAPLANE_NEIGH_H */
