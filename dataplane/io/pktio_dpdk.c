/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio_dpdk.c - the dpdk backend: any DPDK ethdev, one RX/TX
 * queue pair per worker, burst I/O; framing in dataplane/io/ethudp.c.
 * Why one file of about 1,000 lines: it is the only file built with
 * DPDK's own compile flags (-include rte_config.h, its -march), in a
 * library of its own (dataplane/meson.build), and everything here calls
 * into DPDK; what does not (framing, next hops, port holding) is already
 * in ethudp, neigh and portres. */
#include "dataplane/io/pktio_dpdk.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "config.h"
#include "dataplane/io/ethudp.h"
#include "dataplane/io/neigh.h"
#include "dataplane/io/portres.h"
#if HAVE_XDP
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bpf/xsksteer.h" /* before the skeleton, which names its maps */
#include "xsksteer.skel.h"
#endif

#define POOL_CACHE   256

/* Queue q: used by worker q only. */
struct dq {
	struct rte_mbuf *held[PKTIO_BURST];     /* rx mbufs handed out */
	unsigned n_held;
	struct neigh_cache *nc;
	int ep;                                 /* the wake fds */
	bool reg_tried;                         /* rte_thread_register() */
	struct neigh_park park;                 /* built mbufs, dst MAC blank */
	struct pktio_dpdk_stats st;
};

/* A parked frame's handle is its mbuf. */
static struct rte_mbuf *park_mbuf(const struct neigh_parked *e)
{
	return (struct rte_mbuf *)(uintptr_t)e->handle;
}

struct dpdk_pktio {
	struct pktio io;
	uint16_t port;
	bool port_started;
	bool own_eal;                   /* this handle started EAL */
	struct rte_mempool *pool;
	struct rte_ether_addr mac;
	struct neigh_if itf;
	struct dplink_listen *listen;   /* [n_listen], ports as reserved */
	int *port_fd;                   /* [n_listen] kernel sockets */
	uint16_t *by_idx;               /* sock_idx -> listen index */
	int steer_cnt_fd;               /* bpf/xsksteer counters, or -1 */
	struct dq *q;                   /* [n_queues] */
};

/* EAL is process-wide: initialised once (eal.argc stays set, even after
 * a failure: EAL cannot be initialised twice), cleaned up by the close()
 * of the handle that initialised it. Only open() and close() touch these,
 * from the main thread. The argument strings stay alive for EAL. */
static bool eal_up;
static struct pktio_dpdk_eal eal;

/* ---- EAL arguments ---- */

void pktio_dpdk_eal_free(struct pktio_dpdk_eal *e)
{
	for (int i = 0; i < e->argc; i++)
		free(e->argv[i]);
	memset(e, 0, sizeof(*e));
}

static int eal_push(struct pktio_dpdk_eal *e, const char *s, size_t len)
{
	char *c;

	if (e->argc >= PKTIO_DPDK_MAX_ARGS)
		return -E2BIG;
	c = strndup(s, len);
	if (!c)
		return -ENOMEM;
	e->argv[e->argc++] = c;
	e->argv[e->argc] = NULL;
	return 0;
}

static bool is_opt(const char *tok, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(tok, name, n) && (tok[n] == 0 || tok[n] == '=');
}

/* Short options take their value glued on or as the next token. */
static bool is_short(const char *tok, char c)
{
	return tok[0] == '-' && tok[1] == c;
}

static bool has_devarg(const char *v, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = strchr(v, ','); p; p = strchr(p + 1, ','))
		if (!strncmp(p + 1, key, n) && p[1 + n] == '=')
			return true;
	return false;
}

/* devarg() copies the value of key in a vdev string into out, "" if
 * absent. */
static void devarg(char *out, size_t cap, const char *v, const char *key)
{
	size_t n = strlen(key);

	out[0] = 0;
	for (const char *p = strchr(v, ','); p; p = strchr(p + 1, ',')) {
		if (strncmp(p + 1, key, n) || p[1 + n] != '=')
			continue;
		p += n + 2;
		n = strcspn(p, ",");
		if (n >= cap)
			n = cap - 1;
		memcpy(out, p, n);
		out[n] = 0;
		return;
	}
}

static bool vdev_is(const char *v, const char *drv)
{
	/* net_X and its old alias eth_X, instance number optional */
	return (!strncmp(v, "net_", 4) || !strncmp(v, "eth_", 4)) &&
	       !strncmp(v + 4, drv, strlen(drv));
}

/* fix_vdev() rewrites the vdev string at e->argv[i] (value at offset
 * off): queue counts and, for net_af_xdp, our steering program. */
static int fix_vdev(struct pktio_dpdk_eal *e, int i, size_t off, unsigned nq,
		    int prog_fd)
{
	const char *v = e->argv[i] + off;
	char add[96] = "";
	size_t n = 0;
	char *s;

	if (vdev_is(v, "af_packet")) {
		if (!has_devarg(v, "qpairs"))
			n = (size_t)snprintf(add, sizeof(add), ",qpairs=%u",
					     nq);
		if (!has_devarg(v, "framecnt"))
			n += (size_t)snprintf(add + n, sizeof(add) - n,
					      ",framecnt=%u",
					      PKTIO_DPDK_AFP_FRAMES);
	} else if (vdev_is(v, "af_xdp")) {
		devarg(e->xdp_iface, sizeof(e->xdp_iface), v, "iface");
		if (!has_devarg(v, "queue_count"))
			n = (size_t)snprintf(add, sizeof(add),
					     ",queue_count=%u", nq);
		if (prog_fd >= 0 && !has_devarg(v, "xdp_prog")) {
			n += (size_t)snprintf(add + n, sizeof(add) - n,
					      ",xdp_prog=/proc/self/fd/%d",
					      prog_fd);
			e->own_prog = true;
		}
	}
	if (!n)
		return 0;
	if (asprintf(&s, "%s%s", e->argv[i], add) < 0)
		return -ENOMEM;
	free(e->argv[i]);
	e->argv[i] = s;
	return 0;
}

int pktio_dpdk_eal_build(struct pktio_dpdk_eal *e, const char *args,
			 unsigned n_queues, int prog_fd)
{
	bool mem = false, nohuge = false, tel = false, cores = false;
	bool vdev = false, pci = false;
	cpu_set_t cs;
	char buf[16];
	int rc;

	memset(e, 0, sizeof(*e));
	rc = eal_push(e, "devplane-dp", 11);
	for (const char *p = args ? args : ""; rc == 0 && *p;) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n)
			rc = eal_push(e, p, n);
		p += n;
	}
	for (int i = 1; rc == 0 && i < e->argc; i++) {
		const char *t = e->argv[i];

		if (is_opt(t, "--in-memory") || is_opt(t, "--no-shconf") ||
		    is_opt(t, "--file-prefix"))
			mem = true;
		else if (is_opt(t, "--no-huge"))
			nohuge = true;
		else if (is_opt(t, "--telemetry") ||
			 is_opt(t, "--no-telemetry"))
			tel = true;
		else if (is_short(t, 'l') || is_short(t, 'c') ||
			 is_opt(t, "--lcores"))
			cores = true;
		else if (is_short(t, 'a') || is_short(t, 'b') ||
			 is_opt(t, "--allow") || is_opt(t, "--block") ||
			 is_opt(t, "--no-pci"))
			pci = true;
		else if (!strncmp(t, "--vdev=", 7) ||
			 (!strcmp(t, "--vdev") && i + 1 < e->argc)) {
			vdev = true;
			rc = t[6] ? fix_vdev(e, i, 7, n_queues, prog_fd) :
				    fix_vdev(e, ++i, 0, n_queues, prog_fd);
		}
	}
	/* Only virtual devices named: keep EAL's hands off the host's PCI
	 * NICs (a probe of a kernel-bound virtio NIC is not harmless). */
	if (rc == 0 && vdev && !pci)
		rc = eal_push(e, "--no-pci", 8);
	if (rc == 0 && !mem)
		rc = nohuge ? eal_push(e, "--no-shconf", 11) :
			      eal_push(e, "--in-memory", 11);
	if (rc == 0 && !tel)
		rc = eal_push(e, "--no-telemetry", 14);
	if (rc == 0 && !cores &&
	    sched_getaffinity(0, sizeof(cs), &cs) == 0) {
		for (int c = 0; c < CPU_SETSIZE; c++) {
			if (!CPU_ISSET(c, &cs))
				continue;
			snprintf(buf, sizeof(buf), "%d", c);
			rc = eal_push(e, "-l", 2);
			if (rc == 0)
				rc = eal_push(e, buf, strlen(buf));
			break;
		}
	}
	if (rc < 0)
		pktio_dpdk_eal_free(e);
	return rc;
}

/* eal_start() runs rte_eal_init() once per process and gives the calling
 * thread its CPU set back (EAL pins it to its main lcore; our workers,
 * started from this thread, would inherit that). */
static int eal_start(const char *args, unsigned nq, int prog_fd)
{
	char *argv[PKTIO_DPDK_MAX_ARGS + 1];
	cpu_set_t cs;
	bool have_cs;
	int rc;

	if (eal_up || eal.argc)
		return -EALREADY;
	rc = pktio_dpdk_eal_build(&eal, args, nq, prog_fd);
	if (rc < 0)
		return rc;
	have_cs = pthread_getaffinity_np(pthread_self(), sizeof(cs), &cs) == 0;
	/* rte_eal_init() permutes argv (getopt): give it a copy. */
	memcpy(argv, eal.argv, sizeof(argv));
	rc = rte_eal_init(eal.argc, argv);
	if (have_cs)
		(void)pthread_setaffinity_np(pthread_self(), sizeof(cs), &cs);
	if (rc < 0) {
		rc = rte_errno ? -rte_errno : -EINVAL;
		fprintf(stderr, "devplane-dp: dpdk: rte_eal_init: %s\n",
			rte_strerror(-rc));
		return rc;
	}
	eal_up = true;
	return 0;
}

/* ---- set-up ---- */

/* owner_of() finds the kernel interface holding a (v4-mapped or v6). */
static int owner_of(char name[IF_NAMESIZE], const uint8_t a[16])
{
	struct ifaddrs *ifa, *i;
	int rc = -ENODEV;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i && rc < 0; i = i->ifa_next) {
		const void *ip = NULL;

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET && ethudp_is_v4(a))
			ip = &((const struct sockaddr_in *)(const void *)
			       i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6 &&
			 !ethudp_is_v4(a))
			ip = &((const struct sockaddr_in6 *)(const void *)
			       i->ifa_addr)->sin6_addr;
		if (ip && !memcmp(ip, ethudp_is_v4(a) ? a + 12 : a,
				  ethudp_is_v4(a) ? 4 : 16) &&
		    strlen(i->ifa_name) < IF_NAMESIZE) {
			strcpy(name, i->ifa_name);
			rc = 0;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

static int kernel_iface(struct dpdk_pktio *p, const struct pktio_cfg *cfg,
			const struct rte_eth_dev_info *di)
{
	char name[IF_NAMESIZE] = "";

	if (cfg->iface) {
		if (strlen(cfg->iface) >= IF_NAMESIZE)
			return -ENODEV;
		strcpy(name, cfg->iface);
	}
	for (unsigned i = 0; !name[0] && i < cfg->n_listen; i++)
		if (!ethudp_is_any(p->listen[i].addr))
			(void)owner_of(name, p->listen[i].addr);
	if (!name[0] && di->if_index && !if_indextoname(di->if_index, name))
		name[0] = 0;
	if (!name[0]) {
		fprintf(stderr, "devplane-dp: dpdk: no kernel interface for "
			"next hops: give --iface or a listen address\n");
		return -ENODEV;
	}
	return neigh_if_get(&p->itf, name);
}

#if HAVE_XDP
#define STEER_PROG_NAME "xsksteer_xdp"

/* steer_memfd() puts the embedded bpf/xsksteer object in a memfd, which
 * net_af_xdp opens as xdp_prog=/proc/self/fd/N. Returns the fd or -errno. */
static int steer_memfd(void)
{
	size_t sz, off = 0;
	const uint8_t *elf = xsksteer_bpf__elf_bytes(&sz);
	int fd = memfd_create("xsksteer.bpf.o", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (off < sz) {
		ssize_t n = write(fd, elf + off, sz - off);

		if (n <= 0) {
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		off += (size_t)n;
	}
	return fd;
}

/* attached_prog() opens the XDP program on ifindex and its info. Returns
 * the fd or -errno (-ENOENT: none). */
static int attached_prog(int ifindex, struct bpf_prog_info *info,
			 uint32_t *map_ids, uint32_t n_ids)
{
	uint32_t id = 0, len = sizeof(*info);
	int fd;

	if (bpf_xdp_query_id(ifindex, 0, &id) < 0 || !id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->nr_map_ids = n_ids;
	info->map_ids = (uint64_t)(uintptr_t)map_ids;
	if (bpf_obj_get_info_by_fd(fd, info, &len) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* steer_detach_stale() removes an xsksteer program a dataplane that died
 * left on ifname: net_af_xdp attaches with XDP_FLAGS_UPDATE_IF_NOEXIST
 * and would refuse to start. Any other program stays. */
static void steer_detach_stale(const char *ifname)
{
	struct bpf_prog_info info;
	uint32_t ids[8];
	int ifindex = (int)if_nametoindex(ifname), fd;

	if (!ifindex)
		return;
	fd = attached_prog(ifindex, &info, ids, 8);
	if (fd < 0)
		return;
	if (!strcmp(info.name, STEER_PROG_NAME) &&
	    bpf_xdp_detach(ifindex, 0, NULL) == 0)
		fprintf(stderr, "devplane-dp: dpdk: removed a stale %s from "
			"%s\n", STEER_PROG_NAME, ifname);
	close(fd);
}

/* steer_ports() marks the listen ports in the xsksteer program that the
 * PMD attached to ifindex and keeps its counter map. */
static int steer_ports(struct dpdk_pktio *p, int ifindex)
{
	struct bpf_prog_info info;
	uint32_t ids[8];
	int pfd, ports_fd = -1, rc = 0;
	const uint8_t one = 1;

	pfd = attached_prog(ifindex, &info, ids, 8);
	if (pfd < 0)
		return pfd;
	for (uint32_t i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info mi;
		uint32_t ml = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(mfd, &mi, &ml) == 0 &&
		    !strcmp(mi.name, XSKSTEER_PORTS_MAP) && ports_fd < 0) {
			ports_fd = mfd;
		} else if (bpf_obj_get_info_by_fd(mfd, &mi, &ml) == 0 &&
			   !strcmp(mi.name, XSKSTEER_CNT_MAP) &&
			   p->steer_cnt_fd < 0) {
			p->steer_cnt_fd = mfd;
		} else {
			close(mfd);
		}
	}
	close(pfd);
	if (ports_fd < 0)
		return -ENOENT;
	for (unsigned i = 0; i < p->io.n_listen && rc == 0; i++) {
		uint32_t port = ntohs(p->listen[i].port_be);

		if (bpf_map_update_elem(ports_fd, &port, &one, BPF_ANY) < 0)
			rc = -errno;
	}
	close(ports_fd);
	return rc;
}

static void steer_counters(const struct dpdk_pktio *p,
			   struct pktio_dpdk_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	if (p->steer_cnt_fd < 0 || ncpu <= 0)
		return;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return;
	for (uint32_t k = 0; k < XSKSTEER_CNT_MAX; k++) {
		uint64_t s = 0;

		if (bpf_map_lookup_elem(p->steer_cnt_fd, &k, v) < 0)
			continue;
		for (int c = 0; c < ncpu; c++)
			s += v[c];
		if (k == XSKSTEER_REDIRECT)
			out->steer_redirect = s;
		else if (k == XSKSTEER_NO_XSK)
			out->steer_no_xsk = s;
		else
			out->steer_pass = s;
	}
	free(v);
}
#endif /* HAVE_XDP */

static int port_setup(struct dpdk_pktio *p, const struct rte_eth_dev_info *di)
{
	struct rte_eth_conf conf;
	unsigned nq = p->io.n_queues;
	uint16_t nrx = PKTIO_DPDK_RX_DESC, ntx = PKTIO_DPDK_TX_DESC;
	int sock = rte_eth_dev_socket_id(p->port);
	char name[RTE_MEMPOOL_NAMESIZE];
	int rc;

	if (sock < 0)
		sock = (int)SOCKET_ID_ANY;
	if (nq > di->max_rx_queues || nq > di->max_tx_queues) {
		fprintf(stderr, "devplane-dp: dpdk: port %u has %u RX / %u TX "
			"queues, %u wanted\n", p->port, di->max_rx_queues,
			di->max_tx_queues, nq);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "devplane_p%u", p->port);
	p->pool = rte_pktmbuf_pool_create(name, PKTIO_DPDK_MBUFS_PER_Q * nq,
					  POOL_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, sock);
	if (!p->pool) {
		fprintf(stderr, "devplane-dp: dpdk: mbuf pool: %s\n",
			rte_strerror(rte_errno));
		return rte_errno ? -rte_errno : -ENOMEM;
	}
	memset(&conf, 0, sizeof(conf));
	if (nq > 1 && (di->flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP &
			di->flow_type_rss_offloads;
	}
	/* Frames the NIC found corrupt are dropped on its word; checksums
	 * are never verified in software (veth passes partial ones). */
	conf.rxmode.offloads = di->rx_offload_capa &
		(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	rc = rte_eth_dev_configure(p->port, (uint16_t)nq, (uint16_t)nq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port, &nrx, &ntx);
	for (unsigned q = 0; rc == 0 && q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port, (uint16_t)q, nrx,
					    (unsigned)sock, NULL, p->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port, (uint16_t)q, ntx,
						    (unsigned)sock, NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(p->port);
	if (rc < 0) {
		fprintf(stderr, "devplane-dp: dpdk: port %u set-up: %s\n",
			p->port, rte_strerror(-rc));
		return rc;
	}
	p->port_started = true;
	return rte_eth_macaddr_get(p->port, &p->mac);
}

static void print_stats(const struct dpdk_pktio *p)
{
	struct pktio_dpdk_stats s;
	char name[RTE_ETH_NAME_MAX_LEN] = "?";

	if (pktio_dpdk_get_stats(&p->io, PKTIO_DPDK_PORT, &s) < 0)
		return;
	(void)rte_eth_dev_get_name_by_port(p->port, name);
	fprintf(stderr, "dpdk port %u (%s): rx_frames %llu rx_malformed %llu "
		"rx_not_ours %llu tx_no_neigh %llu tx_no_mbuf %llu tx_full "
		"%llu ipackets %llu opackets %llu imissed %llu ierrors %llu "
		"oerrors %llu rx_nombuf %llu steer_redirect %llu "
		"steer_no_xsk %llu steer_pass %llu\n", p->port, name,
		(unsigned long long)s.rx_frames,
		(unsigned long long)s.rx_malformed,
		(unsigned long long)s.rx_not_ours,
		(unsigned long long)s.tx_no_neigh,
		(unsigned long long)s.tx_no_mbuf,
		(unsigned long long)s.tx_full,
		(unsigned long long)s.ipackets, (unsigned long long)s.opackets,
		(unsigned long long)s.imissed, (unsigned long long)s.ierrors,
		(unsigned long long)s.oerrors,
		(unsigned long long)s.rx_nombuf,
		(unsigned long long)s.steer_redirect,
		(unsigned long long)s.steer_no_xsk,
		(unsigned long long)s.steer_pass);
}

static void dpdk_close(struct pktio *io)
{
	struct dpdk_pktio *p = (struct dpdk_pktio *)io;

	if (!p)
		return;
	if (p->port_started)
		print_stats(p);
	for (unsigned q = 0; p->q && q < io->n_queues; q++) {
		struct dq *x = &p->q[q];

		rte_pktmbuf_free_bulk(x->held, x->n_held);
		for (unsigned i = 0; i < x->park.n; i++)
			rte_pktmbuf_free(park_mbuf(&x->park.q[i]));
		neigh_cache_free(x->nc);
		if (x->ep >= 0)
			close(x->ep);
	}
	if (p->port_started) {
		/* net_af_xdp detaches its XDP program here. */
		(void)rte_eth_dev_stop(p->port);
		(void)rte_eth_dev_close(p->port);
	}
	rte_mempool_free(p->pool);
	if (p->steer_cnt_fd >= 0)
		close(p->steer_cnt_fd);
	for (unsigned i = 0; p->port_fd && i < io->n_listen; i++)
		if (p->port_fd[i] >= 0)
			close(p->port_fd[i]);
	free(p->q);
	free(p->listen);
	free(p->port_fd);
	free(p->by_idx);
	if (p->own_eal) {
		(void)rte_eal_cleanup();
		eal_up = false;         /* eal.argc stays: no second init */
	}
	free(p);
}

static int dpdk_open(struct pktio **out, const struct pktio_cfg *cfg)
{
	struct rte_eth_dev_info di;
	struct dpdk_pktio *p;
	int prog_fd = -1, rc;
	uint16_t port;

	if (!cfg || !cfg->n_queues || cfg->n_queues > DPLINK_MAX_QUEUES ||
	    !cfg->n_listen || cfg->n_listen > DPLINK_MAX_SOCKS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->io.ops = &pktio_dpdk_ops;
	p->io.n_queues = cfg->n_queues;
	p->io.n_listen = cfg->n_listen;
	p->steer_cnt_fd = -1;
	p->listen = malloc(cfg->n_listen * sizeof(*p->listen));
	p->port_fd = malloc(cfg->n_listen * sizeof(*p->port_fd));
	p->q = calloc(cfg->n_queues, sizeof(*p->q));
	rc = -ENOMEM;
	if (!p->listen || !p->port_fd || !p->q)
		goto out_close;
	for (unsigned q = 0; q < cfg->n_queues; q++)
		p->q[q].ep = -1;
	for (unsigned i = 0; i < cfg->n_listen; i++)
		p->port_fd[i] = -1;
	memcpy(p->listen, cfg->listen, cfg->n_listen * sizeof(*p->listen));
	rc = pktio_listen_index(&p->by_idx, p->listen, cfg->n_listen);
	if (rc < 0)
		goto out_close;
	/* The ports first: port 0 becomes a real one, the xsksteer map is
	 * filled with them, and datagrams the kernel sees meanwhile are
	 * dropped without an ICMP answer. */
	for (unsigned i = 0; i < cfg->n_listen; i++) {
		rc = portres_bind(&p->listen[i], PORTRES_F_DROP);
		if (rc < 0)
			goto out_close;
		p->port_fd[i] = rc;
	}
#if HAVE_XDP
	prog_fd = steer_memfd();
	if (prog_fd < 0) {
		rc = prog_fd;
		goto out_close;
	}
#endif
	rc = eal_start(cfg->eal, cfg->n_queues, prog_fd);
	if (rc < 0)
		goto out_close;
	p->own_eal = true;
	rc = -ENODEV;
	port = (uint16_t)rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER);
	if (port >= RTE_MAX_ETHPORTS) {
		fprintf(stderr, "devplane-dp: dpdk: no ethdev port (give "
			"--vdev, or bind a NIC to vfio-pci)\n");
		goto out_close;
	}
	p->port = port;
	rc = rte_eth_dev_info_get(port, &di);
	if (rc == 0)
		rc = kernel_iface(p, cfg, &di);
	if (rc < 0)
		goto out_close;
#if HAVE_XDP
	if (eal.own_prog && eal.xdp_iface[0])
		steer_detach_stale(eal.xdp_iface);
#endif
	rc = port_setup(p, &di);
	if (rc < 0)
		goto out_close;
#if HAVE_XDP
	if (eal.xdp_iface[0]) {
		int ifindex = (int)if_nametoindex(eal.xdp_iface);

		rc = ifindex ? steer_ports(p, ifindex) : -ENODEV;
		if (rc < 0 && eal.own_prog)
			goto out_close;
		if (rc < 0)     /* the operator's own xdp_prog: theirs to steer */
			fprintf(stderr, "devplane-dp: dpdk: %s runs an XDP "
				"program without %s; it decides what reaches "
				"the kernel\n", eal.xdp_iface,
				XSKSTEER_PORTS_MAP);
		rc = 0;
	}
#else
	if (eal.xdp_iface[0])
		fprintf(stderr, "devplane-dp: dpdk: built without xdp: "
			"net_af_xdp's own program keeps every frame of its "
			"queues from the kernel\n");
#endif
	for (unsigned q = 0; q < cfg->n_queues; q++) {
		struct dq *x = &p->q[q];

		x->ep = epoll_create1(EPOLL_CLOEXEC);
		if (x->ep < 0) {
			rc = -errno;
			goto out_close;
		}
		rc = neigh_cache_new(&x->nc, &p->itf);
		if (rc < 0)
			goto out_close;
	}
	if (prog_fd >= 0)
		close(prog_fd);
	*out = &p->io;
	return 0;

out_close:
	if (prog_fd >= 0)
		close(prog_fd);
	dpdk_close(&p->io);
	return rc;
}

/* thread_reg() makes the worker an EAL thread on its first burst, so the
 * mempool's per-lcore cache serves it. Without a free lcore id the
 * worker still works, on the pool's shared ring. */
static inline void thread_reg(struct dq *x)
{
	if (x->reg_tried)
		return;
	x->reg_tried = true;
	if (rte_lcore_id() == LCORE_ID_ANY)
		(void)rte_thread_register();
}

static bool rx_bad(const struct rte_mbuf *m)
{
	return m->nb_segs != 1 ||
	       (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
		       RTE_MBUF_F_RX_IP_CKSUM_BAD ||
	       (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
		       RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

static unsigned dpdk_rx_burst(struct pktio *io, unsigned q,
			      struct pktio_pkt *pkts, unsigned n)
{
	struct dpdk_pktio *p = (struct dpdk_pktio *)io;
	struct dq *x = &p->q[q];
	struct rte_mbuf *m[PKTIO_BURST];
	unsigned got = 0, nr, bad = 0, other = 0;

	thread_reg(x);
	/* The mbufs of the previous burst: the worker is done with them. */
	if (x->n_held) {
		rte_pktmbuf_free_bulk(x->held, x->n_held);
		x->n_held = 0;
	}
	if (n > PKTIO_BURST)
		n = PKTIO_BURST;
	nr = rte_eth_rx_burst(p->port, (uint16_t)q, m, (uint16_t)n);
	for (unsigned i = 0; i < nr; i++) {
		struct ethudp_l4 l;
		ssize_t rc = -EBADMSG;
		int li = -1;

		if (!rx_bad(m[i]))
			rc = ethudp_parse(&l, rte_pktmbuf_mtod(m[i],
							       uint8_t *),
					  m[i]->data_len);
		if (rc >= 0)
			li = ethudp_match(p->listen, io->n_listen, &l);
		if (rc == -EBADMSG || li < 0) {
			if (rc == -EBADMSG)
				bad++;
			else
				other++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		x->held[x->n_held++] = m[i];
		pkts[got].buf = rte_pktmbuf_mtod(m[i], uint8_t *) +
				l.payload_off;
		pkts[got].len = l.payload_len;
		pkts[got].sock_idx = p->listen[li].sock_idx;
		pkts[got].local_port_be = l.dst_port_be;
		pkts[got].peer_port_be = l.src_port_be;
		memcpy(pkts[got].peer_addr, l.src_addr, 16);
		got++;
	}
	if (nr) {
		pktio_cnt_add(&x->st.rx_frames, nr);
		if (bad)
			pktio_cnt_add(&x->st.rx_malformed, bad);
		if (other)
			pktio_cnt_add(&x->st.rx_not_ours, other);
	}
	return got;
}

/* send_out() hands ms[0..n) to the port; what the TX ring has no room
 * for is freed and counted (the worker never waits for the NIC). */
static unsigned send_out(struct dpdk_pktio *p, unsigned q,
			 struct rte_mbuf **ms, unsigned n)
{
	unsigned sent = n ? rte_eth_tx_burst(p->port, (uint16_t)q, ms,
					     (uint16_t)n) : 0;

	if (sent < n) {
		rte_pktmbuf_free_bulk(ms + sent, n - sent);
		pktio_cnt_add(&p->q[q].st.tx_full, n - sent);
	}
	return sent;
}

/* What a parked frame's next hop decided, gathered by park_flush(). */
struct park_out {
	struct rte_mbuf *ready[NEIGH_PARK_MAX];
	unsigned n_ready, n_drop;
};

static void park_ready(void *ctx, const struct neigh_parked *e)
{
	struct park_out *o = ctx;

	o->ready[o->n_ready++] = park_mbuf(e);
}

static void park_drop(void *ctx, const struct neigh_parked *e)
{
	struct park_out *o = ctx;

	rte_pktmbuf_free(park_mbuf(e));
	o->n_drop++;
}

/* park_flush() sends the parked frames whose next hop resolved, drops
 * the ones too old or unreachable (tx_no_neigh), keeps the rest. */
static void park_flush(struct dpdk_pktio *p, unsigned q, uint64_t now)
{
	struct dq *x = &p->q[q];
	struct park_out o;

	if (!x->park.n)
		return;
	o.n_ready = o.n_drop = 0;
	neigh_park_poll(&x->park, x->nc, now, park_ready, park_drop, &o);
	if (o.n_drop)
		pktio_cnt_add(&x->st.tx_no_neigh, o.n_drop);
	(void)send_out(p, q, o.ready, o.n_ready);
}

static unsigned dpdk_tx_burst(struct pktio *io, unsigned q,
			      const struct pktio_pkt *pkts, unsigned n)
{
	struct dpdk_pktio *p = (struct dpdk_pktio *)io;
	struct dq *x = &p->q[q];
	struct rte_mbuf *ms[PKTIO_BURST], *out[PKTIO_BURST];
	struct ethudp_hdrs h;
	uint64_t now = pktio_mono_ns();
	unsigned used = 0, k = 0, parked = 0;

	thread_reg(x);
	park_flush(p, q, now);
	if (n > PKTIO_BURST)
		n = PKTIO_BURST;
	if (!n)
		return 0;
	if (rte_pktmbuf_alloc_bulk(p->pool, ms, n) < 0) {
		pktio_cnt_add(&x->st.tx_no_mbuf, n);
		return 0;
	}
	memcpy(h.src_mac, p->mac.addr_bytes, 6);
	h.ttl = 64;
	for (unsigned i = 0; i < n; i++) {
		const struct pktio_pkt *pk = &pkts[i];
		uint16_t li = p->by_idx[pk->sock_idx];
		struct rte_mbuf *m = ms[used];
		ssize_t len;
		int rc;

		if (li == PKTIO_NO_IDX ||
		    ethudp_src_addr(h.src_addr, &p->listen[li], pk->peer_addr,
				    &p->itf) < 0)
			continue;
		rc = neigh_cache_get(x->nc, h.dst_mac, pk->peer_addr, now);
		if (rc < 0 && rc != -EAGAIN) {
			pktio_cnt_add(&x->st.tx_no_neigh, 1);
			continue;
		}
		if (rc < 0)
			memset(h.dst_mac, 0, 6);
		memcpy(h.dst_addr, pk->peer_addr, 16);
		h.src_port_be = p->listen[li].port_be;
		h.dst_port_be = pk->peer_port_be;
		len = ethudp_build(rte_pktmbuf_mtod(m, uint8_t *),
				   rte_pktmbuf_tailroom(m), &h, pk->buf,
				   pk->len);
		if (len < 0)
			continue;
		m->data_len = (uint16_t)len;
		m->pkt_len = (uint32_t)len;
		used++;
		if (rc < 0) {
			/* Counted as sent: it leaves when the kernel has
			 * resolved the next hop, or tx_no_neigh counts it. */
			struct neigh_parked e = {
				.handle = (uintptr_t)m, .len = (uint32_t)len,
				.frame = rte_pktmbuf_mtod(m, uint8_t *),
				.since_ns = now,
			}, old;

			memcpy(e.dst, pk->peer_addr, 16);
			if (neigh_park_add(&x->park, &e, &old)) {
				rte_pktmbuf_free(park_mbuf(&old));
				pktio_cnt_add(&x->st.tx_no_neigh, 1);
			}
			parked++;
			continue;
		}
		out[k++] = m;
	}
	if (used < n)
		rte_pktmbuf_free_bulk(ms + used, n - used);
	return send_out(p, q, out, k) + parked;
}

static int dpdk_wait(struct pktio *io, unsigned q, int timeout_ms)
{
	struct dpdk_pktio *p = (struct dpdk_pktio *)io;
	struct epoll_event ev[8];
	struct timespec ts = { 0, PKTIO_DPDK_IDLE_US * 1000L };
	int n;

	park_flush(p, q, pktio_mono_ns());
	if (timeout_ms >= 0 && (long)timeout_ms * 1000 < PKTIO_DPDK_IDLE_US)
		ts.tv_nsec = (long)timeout_ms * 1000000L;
	n = epoll_pwait2(p->q[q].ep, ev, 8, &ts, NULL);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return 0;
}

static int dpdk_add_wake_fd(struct pktio *io, unsigned q, int fd)
{
	struct dpdk_pktio *p = (struct dpdk_pktio *)io;
	struct epoll_event ev = { .events = EPOLLIN };

	if (q >= io->n_queues)
		return -EINVAL;
	return epoll_ctl(p->q[q].ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static uint16_t dpdk_local_port(const struct pktio *io, unsigned i)
{
	const struct dpdk_pktio *p = (const struct dpdk_pktio *)io;

	return i < io->n_listen ? p->listen[i].port_be : 0;
}

static void add_q(struct pktio_dpdk_stats *o, const struct pktio_dpdk_stats *s)
{
	o->rx_frames += __atomic_load_n(&s->rx_frames, __ATOMIC_RELAXED);
	o->rx_malformed += __atomic_load_n(&s->rx_malformed,
					   __ATOMIC_RELAXED);
	o->rx_not_ours += __atomic_load_n(&s->rx_not_ours, __ATOMIC_RELAXED);
	o->tx_no_neigh += __atomic_load_n(&s->tx_no_neigh, __ATOMIC_RELAXED);
	o->tx_no_mbuf += __atomic_load_n(&s->tx_no_mbuf, __ATOMIC_RELAXED);
	o->tx_full += __atomic_load_n(&s->tx_full, __ATOMIC_RELAXED);
}

int pktio_dpdk_get_stats(const struct pktio *io, uint32_t q,
			 struct pktio_dpdk_stats *out)
{
	const struct dpdk_pktio *p = (const struct dpdk_pktio *)io;
	struct rte_eth_stats es;

	if (!io || io->ops != &pktio_dpdk_ops ||
	    (q >= io->n_queues && q != PKTIO_DPDK_PORT))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (q != PKTIO_DPDK_PORT) {
		add_q(out, &p->q[q].st);
		return 0;
	}
	for (unsigned i = 0; i < io->n_queues; i++)
		add_q(out, &p->q[i].st);
	if (p->port_started && rte_eth_stats_get(p->port, &es) == 0) {
		out->ipackets = es.ipackets;
		out->opackets = es.opackets;
		out->imissed = es.imissed;
		out->ierrors = es.ierrors;
		out->oerrors = es.oerrors;
		out->rx_nombuf = es.rx_nombuf;
	}
#if HAVE_XDP
	steer_counters(p, out);
#endif
	return 0;
}

uint16_t pktio_dpdk_port(const struct pktio *io)
{
	return ((const struct dpdk_pktio *)io)->port;
}

const struct pktio_ops pktio_dpdk_ops = {
	.name = "dpdk",
	.open = dpdk_open,
	.close = dpdk_close,
	.rx_burst = dpdk_rx_burst,
	.tx_burst = dpdk_tx_burst,
	.wait = dpdk_wait,
	.add_wake_fd = dpdk_add_wake_fd,
	.local_port = dpdk_local_port,
	.bad_source = NULL,
};
