/* SPDX-License-Identifier: MIT */
/* dataplane/io/neigh.c - interface addresses and next-hop MACs from the
 * kernel's routing and neighbour tables (no ARP/ND of our own). */
#include "dataplane/io/neigh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0xff, 0xff };

static bool is_v4(const uint8_t a[NEIGH_ADDR_LEN])
{
	return !memcmp(a, v4mapped, 12);
}

int neigh_if_get(struct neigh_if *out, const char *ifname)
{
	struct ifreq ifr;
	struct ifaddrs *ifa, *i;
	int fd, rc = 0;

	memset(out, 0, sizeof(*out));
	if (!ifname || strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	out->ifindex = (int)if_nametoindex(ifname);
	if (!out->ifindex)
		return -ENODEV;
	strcpy(out->name, ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		rc = -errno;
	else
		memcpy(out->mac, ifr.ifr_hwaddr.sa_data, NEIGH_MAC_LEN);
	if (rc == 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		out->mtu = (unsigned)ifr.ifr_mtu;
	if (rc == 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		out->noarp = ifr.ifr_flags & (IFF_NOARP | IFF_LOOPBACK);
	close(fd);
	if (rc < 0)
		return rc;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !out->has_ip4) {
			const struct sockaddr_in *s = (const void *)i->ifa_addr;

			memcpy(out->ip4, &s->sin_addr, 4);
			out->has_ip4 = true;
		} else if (i->ifa_addr->sa_family == AF_INET6 &&
			   !out->has_ip6) {
			const struct sockaddr_in6 *s =
				(const void *)i->ifa_addr;

			if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr))
				continue;
			memcpy(out->ip6, &s->sin6_addr, 16);
			out->has_ip6 = true;
		}
	}
	freeifaddrs(ifa);
	return 0;
}

int neigh_nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static void add_attr(struct nlmsghdr *h, unsigned short type,
		     const void *data, size_t len)
{
	struct rtattr *a = (void *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* talk() sends req and reads replies until the one with our sequence
 * number; it lands in buf. Returns its length, -ENOENT for an NLMSG_ERROR
 * carrying ENOENT/ESRCH, the kernel's -errno, or -errno. */
static ssize_t talk(int nl, struct nlmsghdr *req, void *buf, size_t cap)
{
	static uint32_t seq;
	ssize_t n;

	req->nlmsg_seq = ++seq;
	if (send(nl, req, req->nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h = buf;

		n = recv(nl, buf, cap, 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n < (ssize_t)sizeof(*h) || !NLMSG_OK(h, (size_t)n))
			return -EBADMSG;
		if (h->nlmsg_seq != req->nlmsg_seq)
			continue;       /* a late answer to a timed-out query */
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (e->error == -ESRCH)
				return -ENOENT;
			return e->error ? e->error : -ENOENT;
		}
		return n;
	}
}

int neigh_route(int nl, uint8_t out_nh[NEIGH_ADDR_LEN], int *out_oif,
		const uint8_t dst[NEIGH_ADDR_LEN])
{
	_Alignas(8) char req[256], resp[4096];
	struct nlmsghdr *h = (void *)req;
	struct rtmsg *r = NLMSG_DATA(h);
	bool v4 = is_v4(dst);
	struct rtattr *a;
	ssize_t n;
	int len;

	memset(req, 0, sizeof(req));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*r));
	h->nlmsg_type = RTM_GETROUTE;
	h->nlmsg_flags = NLM_F_REQUEST;
	r->rtm_family = v4 ? AF_INET : AF_INET6;
	r->rtm_dst_len = v4 ? 32 : 128;
	add_attr(h, RTA_DST, v4 ? dst + 12 : dst, v4 ? 4 : 16);
	n = talk(nl, h, resp, sizeof(resp));
	if (n < 0)
		return n == -ENOENT ? -ENETUNREACH : (int)n;
	h = (void *)resp;
	if (h->nlmsg_type != RTM_NEWROUTE)
		return -EBADMSG;
	r = NLMSG_DATA(h);
	if (r->rtm_type != RTN_UNICAST && r->rtm_type != RTN_LOCAL)
		return -ENETUNREACH;
	memcpy(out_nh, dst, NEIGH_ADDR_LEN);
	*out_oif = 0;
	len = (int)RTM_PAYLOAD(h);
	for (a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= 4) {
			memcpy(out_oif, RTA_DATA(a), 4);
		} else if (a->rta_type == RTA_GATEWAY) {
			if (v4 && RTA_PAYLOAD(a) == 4)
				memcpy(out_nh + 12, RTA_DATA(a), 4);
			else if (!v4 && RTA_PAYLOAD(a) == 16)
				memcpy(out_nh, RTA_DATA(a), 16);
		}
	}
	return 0;
}

int neigh_lookup(int nl, uint8_t mac[NEIGH_MAC_LEN], int ifindex,
		 const uint8_t ip[NEIGH_ADDR_LEN])
{
	_Alignas(8) char req[256], resp[4096];
	struct nlmsghdr *h = (void *)req;
	struct ndmsg *nd = NLMSG_DATA(h);
	bool v4 = is_v4(ip), got = false;
	struct rtattr *a;
	ssize_t n;
	int len;

	memset(req, 0, sizeof(req));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*nd));
	h->nlmsg_type = RTM_GETNEIGH;
	h->nlmsg_flags = NLM_F_REQUEST;
	nd->ndm_family = v4 ? AF_INET : AF_INET6;
	nd->ndm_ifindex = ifindex;
	add_attr(h, NDA_DST, v4 ? ip + 12 : ip, v4 ? 4 : 16);
	n = talk(nl, h, resp, sizeof(resp));
	if (n < 0)
		return (int)n;
	h = (void *)resp;
	if (h->nlmsg_type != RTM_NEWNEIGH)
		return -EBADMSG;
	nd = NLMSG_DATA(h);
	if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE))
		return -ENOENT;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	for (a = (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_LLADDR &&
		    RTA_PAYLOAD(a) == NEIGH_MAC_LEN) {
			memcpy(mac, RTA_DATA(a), NEIGH_MAC_LEN);
			got = true;
		}
	}
	return got ? 0 : -ENOENT;
}

int neigh_trigger(int ifindex, const uint8_t ip[NEIGH_ADDR_LEN])
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(9) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(9) };
	char name[IF_NAMESIZE];
	bool v4 = is_v4(ip);
	int fd, rc = 0;
	ssize_t n;

	fd = socket(v4 ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (if_indextoname((unsigned)ifindex, name))
		(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
				 (socklen_t)strlen(name));
	if (v4) {
		memcpy(&sin.sin_addr, ip + 12, 4);
		n = sendto(fd, "", 0, 0, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		memcpy(&sin6.sin6_addr, ip, 16);
		sin6.sin6_scope_id = (uint32_t)ifindex;
		n = sendto(fd, "", 0, 0, (struct sockaddr *)&sin6,
			   sizeof(sin6));
	}
	/* EAGAIN: the datagram waits in the neighbour queue, as intended. */
	if (n < 0 && errno != EAGAIN)
		rc = -errno;
	close(fd);
	return rc;
}

struct neigh_ent {
	uint8_t ip[NEIGH_ADDR_LEN];
	uint8_t mac[NEIGH_MAC_LEN];
	bool used, ok;
	uint64_t until_ns;              /* ok: re-read after; !ok: retry */
};

struct neigh_cache {
	struct neigh_if itf;
	int nl;
	uint64_t unresolved;
	uint64_t win_ns;                /* start of the query budget window */
	unsigned win_queries;
	struct neigh_ent e[NEIGH_SLOTS];
};

int neigh_cache_new(struct neigh_cache **out, const struct neigh_if *itf)
{
	struct neigh_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->itf = *itf;
	c->nl = neigh_nl_open();
	if (c->nl < 0) {
		int rc = c->nl;

		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void neigh_cache_free(struct neigh_cache *c)
{
	if (!c)
		return;
	close(c->nl);
	free(c);
}

static unsigned slot_of(const uint8_t ip[NEIGH_ADDR_LEN])
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < NEIGH_ADDR_LEN; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h % NEIGH_SLOTS;
}

int neigh_cache_get(struct neigh_cache *c, uint8_t mac[NEIGH_MAC_LEN],
		    const uint8_t dst[NEIGH_ADDR_LEN], uint64_t now_ns)
{
	struct neigh_ent *e = &c->e[slot_of(dst)];
	uint8_t nh[NEIGH_ADDR_LEN];
	int oif, rc;

	if (e->used && !memcmp(e->ip, dst, NEIGH_ADDR_LEN) &&
	    now_ns < e->until_ns) {
		if (e->ok) {
			memcpy(mac, e->mac, NEIGH_MAC_LEN);
			return 0;
		}
		c->unresolved++;
		return -EAGAIN;
	}
	/* Netlink round trips cost the worker: a flood of packets to new
	 * (spoofed) destinations gets NEIGH_QUERIES_PER_MS per millisecond,
	 * the rest are unresolved at once. */
	if (now_ns - c->win_ns >= 1000000ull) {
		c->win_ns = now_ns;
		c->win_queries = 0;
	}
	if (++c->win_queries > NEIGH_QUERIES_PER_MS) {
		c->unresolved++;
		return -EAGAIN;
	}
	/* A collision simply replaces the older destination. */
	memset(e, 0, sizeof(*e));
	e->used = true;
	memcpy(e->ip, dst, NEIGH_ADDR_LEN);
	e->until_ns = now_ns + NEIGH_RETRY_NS;
	rc = neigh_route(c->nl, nh, &oif, dst);
	if (rc == 0 && oif && oif != c->itf.ifindex)
		rc = -ENETUNREACH;      /* not through our interface */
	if (rc == 0 && c->itf.noarp) {
		/* The kernel keeps no per-address entries here (IPv4 keys
		 * them all as 0.0.0.0) and uses the device address. */
		memcpy(e->mac, c->itf.mac, NEIGH_MAC_LEN);
	} else if (rc == 0) {
		rc = neigh_lookup(c->nl, e->mac, c->itf.ifindex, nh);
		if (rc == -ENOENT) {
			(void)neigh_trigger(c->itf.ifindex, nh);
			rc = -EAGAIN;
		}
	}
	if (rc < 0) {
		c->unresolved++;
		return rc;
	}
	e->ok = true;
	e->until_ns = now_ns + NEIGH_TTL_NS;
	memcpy(mac, e->mac, NEIGH_MAC_LEN);
	return 0;
}

uint64_t neigh_cache_unresolved(const struct neigh_cache *c)
{
	return c->unresolved;
}

int neigh_park_add(struct neigh_park *p, const struct neigh_parked *e,
		   struct neigh_parked *evicted)
{
	int full = p->n == NEIGH_PARK_MAX;

	if (full) {
		*evicted = p->q[0];
		memmove(&p->q[0], &p->q[1], (NEIGH_PARK_MAX - 1) * sizeof(p->q[0]));
		p->n--;
	}
	p->q[p->n++] = *e;
	return full;
}

void neigh_park_poll(struct neigh_park *p, struct neigh_cache *c,
		     uint64_t now_ns,
		     void (*ready)(void *ctx, const struct neigh_parked *e),
		     void (*drop)(void *ctx, const struct neigh_parked *e),
		     void *ctx)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < p->n; i++) {
		struct neigh_parked e = p->q[i];
		int rc = neigh_cache_get(c, e.frame, e.dst, now_ns);

		if (rc == -EAGAIN && now_ns - e.since_ns < NEIGH_PARK_TTL_NS)
			p->q[keep++] = e;
		else if (rc < 0)
			drop(ctx, &e);
		else
			ready(ctx, &e);
	}
	p->n = keep;
}
