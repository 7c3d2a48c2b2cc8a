/* SPDX-License-Identifier: MIT */
/* common/dplink_proto.h - control socket messages and the shared counter
 * region between devplane (control) and devplane-dp (dataplane). */
#ifndef COMMON_DPLINK_PROTO_H
#define COMMON_DPLINK_PROTO_H
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * The control socket is a SOCK_SEQPACKET Unix socket (a socketpair when
 * control spawns the dataplane, a named socket in attach mode), so every
 * message below arrives whole. It carries set-up only; packets travel on
 * the rings of common/shmring.h (ring 2w: worker w -> control, ring 2w+1:
 * control -> worker w).
 *
 * Spawn:  ctl -> dp  CONFIG + fds [region, shared, ctl_efd, tx_efd[nq]]
 *         ctl -> dp  LISTEN chunks until n_listen entries
 *         dp -> ctl  READY (status), LISTEN chunks echoing bound ports
 * Attach: dp -> ctl  READY + the same fds, LISTEN chunks
 * Either: ctl -> dp  ALLOW: control's --netrestrict prefixes (n may be
 *                    0), right after READY; dp -> ctl ALLOW_DONE. The xdp
 *                    backend makes them the shield's netrestrict
 *                    allow-list entries (dataplane/shield/shield_loader.h), so
 *                    other sources' discovery is dropped in XDP; they
 *                    replace any such entries a previous instance left and
 *                    are removed when this control leaves (EOF) or the
 *                    dataplane exits. The socket backend has no shield
 *                    (control filters by itself) and answers 0.
 *         ctl -> dp  V5 chunks: the sockets where discv5 runs beside
 *                    discv4, each with the local node id whose first 16
 *                    bytes unmask the packets addressed to it (v5 is off
 *                    on a socket until then); dp -> ctl V5_DONE for each
 *                    chunk. Control sends them after ALLOW; an attached
 *                    dataplane forgets them when its control leaves.
 *                    The xdp backend also lets discv5 through its shield
 *                    (SHIELD_F_DISCV5, bpf/shield.h) when it attached the
 *                    shield itself (a pinned shield keeps its settings).
 *         ctl -> dp  SHUTDOWN (spawned child exits; EOF does the same)
 *         ctl -> dp  RLPX_FD + one TCP socket fd: an established RLPx
 *                    session handed to worker `queue`; its frame state
 *                    follows as MSG_RLPX_KEYS on that worker's ring, with
 *                    the same session_id (either may arrive first)
 */

#define DPLINK_MAGIC      0x4b4c5044u   /* "DPLK" */
#define DPLINK_VERSION    4             /* 2: ALLOW / ALLOW_DONE;
					 * 3: 48 counter slots;
					 * 4: V5 / V5_DONE, discv5 limits in
					 * CONFIG, discv5 counters */
#define DPLINK_MAX_QUEUES 64
#define DPLINK_MAX_SOCKS  65535         /* sock_idx is 16 bits */
#define DPLINK_LISTEN_CHUNK 256         /* entries per LISTEN message */
#define DPLINK_FD_REGION  0             /* fd order in CONFIG / READY */
#define DPLINK_FD_SHARED  1
#define DPLINK_FD_CTL_EFD 2
#define DPLINK_FD_TX_EFD0 3             /* + worker index */
#define DPLINK_MAX_FDS    (DPLINK_FD_TX_EFD0 + DPLINK_MAX_QUEUES)
#define DPLINK_SHM_MAGIC  0x4d48534b4c504455ULL   /* shared counters */
/* The memfd name of a spawned dataplane's counter region (control makes
 * it; `devplane-dp stats --pid` finds it among the dataplane's fds). */
#define DPLINK_SHM_MEMFD_NAME "devplane-dp-counters"

enum dplink_op {
	DPLINK_OP_CONFIG = 1,
	DPLINK_OP_LISTEN,
	DPLINK_OP_READY,
	DPLINK_OP_SHUTDOWN,
	DPLINK_OP_RLPX_FD,
	DPLINK_OP_ALLOW,
	DPLINK_OP_ALLOW_DONE,
	DPLINK_OP_V5,
	DPLINK_OP_V5_DONE,
};

struct dplink_msg_hdr {
	uint32_t magic;                 /* DPLINK_MAGIC */
	uint16_t version;               /* DPLINK_VERSION */
	uint16_t op;                    /* enum dplink_op */
	uint32_t len;                   /* whole message, header included */
	uint32_t pad0;
};

/* One local UDP socket (address) of the dataplane. */
struct dplink_listen {
	uint8_t addr[16];               /* IPv6 or IPv4-mapped */
	uint16_t port_be;               /* 0 in CONFIG: any; bound port in echo */
	uint16_t sock_idx;              /* travels in msg_discv4_{rx,tx} */
	uint8_t pad0[4];
};

struct dplink_msg_config {
	struct dplink_msg_hdr hdr;
	char backend[16];               /* "socket" */
	uint32_t n_queues;              /* workers, 1..DPLINK_MAX_QUEUES */
	uint32_t n_listen;              /* sockets that follow in LISTEN msgs */
	uint32_t budget_rate;           /* packets/s per source IP, 0: off */
	uint32_t budget_burst;          /* bucket depth in packets */
	uint32_t budget_slots;          /* per worker source table, 0: default */
	uint32_t cache_slots;           /* per worker hash cache, 0: off */
	uint32_t flags;                 /* none defined; zero */
	uint32_t rlpx_frame_cap;        /* largest RLPx frame-size; 0: 16 MiB */
	/* xdp backend ban policy: ban_sig_count packets failing signature
	 * recovery from one source (/32, /64) within ban_sig_window_s seconds
	 * put it in the shield's blocklist for ban_secs seconds. 0: the
	 * dataplane's default (DPLINK_BAN_*_DEFAULT); ban_sig_count
	 * DPLINK_BAN_OFF: no bans. The socket backend ignores them. */
	uint32_t ban_sig_count;
	uint32_t ban_sig_window_s;
	uint32_t ban_secs;
	uint32_t pad1;
	/* discv5 (dataplane/stage/discv5_rx.h): the per-source budget of
	 * handshake packets (flag 2), whose EC work control caps, and the
	 * per-destination limit on the WHOAREYOUs control sends
	 * (MSG_TX_F_WHOAREYOU), packets/s and burst; 0: the defaults below,
	 * rate DPLINK_V5_OFF: no limit. */
	uint32_t v5_hs_rate, v5_hs_burst;
	uint32_t v5_way_rate, v5_way_burst;
};
#define DPLINK_BAN_COUNT_DEFAULT  16
#define DPLINK_BAN_WINDOW_DEFAULT 10    /* seconds */
#define DPLINK_BAN_SECS_DEFAULT   600
#define DPLINK_BAN_OFF            UINT32_MAX
#define DPLINK_V5_HS_RATE_DEFAULT   10  /* handshakes/s per source */
#define DPLINK_V5_HS_BURST_DEFAULT  20
#define DPLINK_V5_WAY_RATE_DEFAULT  10  /* WHOAREYOUs/s per destination */
#define DPLINK_V5_WAY_BURST_DEFAULT 20
#define DPLINK_V5_OFF               UINT32_MAX

struct dplink_msg_listen {
	struct dplink_msg_hdr hdr;
	uint32_t n;                     /* entries in l[] */
	uint32_t pad0;
	struct dplink_listen l[];       /* up to DPLINK_LISTEN_CHUNK */
};

/* RLPX_FD: the TCP socket of session session_id rides along (SCM_RIGHTS). */
struct dplink_msg_rlpx_fd {
	struct dplink_msg_hdr hdr;
	uint64_t session_id;
	uint32_t queue;                 /* worker that owns the session */
	uint32_t pad0;
};

/* One --netrestrict prefix: addr masked to bits, as control parsed it. */
struct dplink_prefix {
	uint8_t addr[16];               /* IPv6, or IPv4-mapped when v4 */
	uint8_t bits;                   /* 0..32 (v4) or 0..128 */
	uint8_t v4;                     /* 1: matches IPv4 sources only */
	uint8_t pad0[6];
};
#define DPLINK_MAX_ALLOW 256            /* prefixes in one ALLOW */

/* ALLOW: the whole list in one message (replaces the previous one). */
struct dplink_msg_allow {
	struct dplink_msg_hdr hdr;
	uint32_t n;                     /* entries in p[] */
	uint32_t pad0;
	struct dplink_prefix p[];       /* up to DPLINK_MAX_ALLOW */
};

/* ALLOW_DONE: the outcome. */
struct dplink_msg_allow_done {
	struct dplink_msg_hdr hdr;
	int32_t status;                 /* 0, or -errno (the list may then
					 * be partly in) */
	uint32_t installed;             /* prefixes now in an XDP shield's
					 * allow-list; 0 without a shield */
};

/* One socket's discv5 identity. */
struct dplink_v5_sock {
	uint8_t node_id[32];            /* keccak256(public key): the first
					 * 16 bytes are the masking key */
	uint16_t sock_idx;
	uint8_t on;                     /* 0: discv5 off on this socket */
	uint8_t pad0[5];
};
#define DPLINK_V5_CHUNK 256             /* entries per V5 message */

/* V5: part of the list (entries for sockets not named keep their state). */
struct dplink_msg_v5 {
	struct dplink_msg_hdr hdr;
	uint32_t n;                     /* entries in s[] */
	uint32_t pad0;
	struct dplink_v5_sock s[];      /* up to DPLINK_V5_CHUNK */
};

/* V5_DONE: the outcome of one V5 message. */
struct dplink_msg_v5_done {
	struct dplink_msg_hdr hdr;
	int32_t status;                 /* 0, or -errno (-EINVAL: a socket
					 * index out of range; nothing set) */
	uint32_t n_on;                  /* sockets with discv5 on now */
};

struct dplink_msg_ready {
	struct dplink_msg_hdr hdr;
	int32_t status;                 /* 0, or -errno: the dataplane failed */
	uint32_t n_queues;
	uint32_t n_listen;              /* LISTEN entries that follow */
	uint32_t pid;                   /* the dataplane process */
};

/* Per-worker counters (enum dp_cnt), as both `devplane-dp stats` and the
 * control process's metrics read them. */
enum dp_cnt {
	DP_CNT_RX_PKTS = 0,             /* datagrams received */
	DP_CNT_RX_BYTES,
	DP_CNT_ACCEPTED,                /* passed every check, sent to control */
	DP_CNT_CACHE_HIT,               /* accepted without a secp256k1 recover */
	DP_CNT_DROP_SIZE,               /* outside 98..1280 bytes */
	DP_CNT_DROP_HASH,               /* hash != keccak(sig || type || data) */
	DP_CNT_DROP_TYPE,               /* packet-type not 1..6 */
	DP_CNT_DROP_RLP,                /* packet-data malformed */
	DP_CNT_DROP_EXPIRED,            /* expiration in the past */
	DP_CNT_DROP_BUDGET,             /* source over its rate budget */
	DP_CNT_DROP_SIG,                /* no public key recovers */
	DP_CNT_DROP_RING_FULL,          /* rx ring to control full */
	DP_CNT_DROP_NO_SLOT,            /* slot pool empty */
	DP_CNT_TX_PKTS,                 /* datagrams sent */
	DP_CNT_TX_BYTES,
	DP_CNT_TX_BAD_MSG,              /* tx descriptor or message malformed */
	DP_CNT_TX_ERR,                  /* sendmmsg refused (unreachable, ...) */
	DP_CNT_CTL_WAKEUPS,             /* eventfd writes to wake control */
	DP_CNT_RLPX_SESSIONS,           /* RLPx sessions adopted */
	DP_CNT_RLPX_CLOSED,             /* RLPx sessions ended */
	DP_CNT_RLPX_FRAMES_RX,          /* frames opened */
	DP_CNT_RLPX_FRAMES_TX,          /* frames sealed */
	DP_CNT_RLPX_BYTES_RX,           /* TCP bytes read */
	DP_CNT_RLPX_BYTES_TX,           /* TCP bytes written */
	DP_CNT_RLPX_BAD_FRAME,          /* MAC, size or snappy failure */
	DP_CNT_RLPX_PONGS,              /* Pings answered in the dataplane */
	DP_CNT_RLPX_STALLS,             /* reads paused: ring full / no slot */
	DP_CNT_RLPX_CTL_DROP,           /* control message for no session */
	DP_CNT_DROP_REPLAY,             /* discv4 bytes replayed (discv4_rx.h) */
	DP_CNT_BANS_ADDED,              /* xdp: sources banned for bad sigs */
	DP_CNT_BANS_ACTIVE,             /* xdp: unexpired blocklist entries; a
					 * gauge, written in worker 0's slot
					 * by the dataplane's main thread */
	DP_CNT_RLPX_MEM_PAUSE,          /* RLPx sessions stopped being read:
					 * over their memory budget or the
					 * worker's (once per episode) */
	DP_CNT_RLPX_MEM_CLOSE,          /* RLPx sessions closed for staying
					 * over it (-EDQUOT) */
	/* discv5, on the sockets where it runs (dataplane/stage/disc_rx.h):
	 * what failed discv4's size or hash check goes through discv5's
	 * static-header check. A datagram that is not discv5 either
	 * (outside 63..1280 bytes, or a protocol-id that does not unmask)
	 * keeps discv4's verdict, drop_size or drop_hash; v5_drop_proto
	 * counts those of them that went through discv5's check (it is not
	 * a verdict of its own: they are in drop_size/drop_hash too). Every
	 * other datagram that reached the check gets exactly one of the
	 * v5_* verdicts below. */
	DP_CNT_V5_ACCEPTED,             /* sent to control (MSG_DISCV5_RX) */
	DP_CNT_V5_DROP_PROTO,           /* of drop_size/hash: not discv5 */
	DP_CNT_V5_DROP_SIZE,            /* too short or long for its flag */
	DP_CNT_V5_DROP_VERSION,         /* version not 1 */
	DP_CNT_V5_DROP_FLAG,            /* flag not 0, 1, 2 */
	DP_CNT_V5_DROP_AUTHDATA,        /* authdata-size wrong for the flag */
	DP_CNT_V5_DROP_BUDGET,          /* source over its (shared) budget */
	DP_CNT_V5_DROP_HS_BUDGET,       /* handshake over the source's budget */
	DP_CNT_WHOAREYOU_LIMITED,       /* WHOAREYOU held back: over the
					 * destination's limit (tx) */
	/* Gauges, sampled by the worker at each poll (the soak test and
	 * metrics watch them for growth): */
	DP_CNT_RING_DEPTH,              /* descriptors waiting in this
					 * worker's ring to control */
	DP_CNT_SLOTS_USED,              /* slots out of the shared pool;
					 * worker 0's slot only (one pool) */
	DP_CNT_MAX
};
#define DP_CNT_SLOTS 48                 /* ABI: room to grow */
static_assert(DP_CNT_MAX <= DP_CNT_SLOTS, "counter slots");

/* dp_cnt_name() is the counter's name as `devplane-dp stats` prints it. */
static inline const char *dp_cnt_name(unsigned i)
{
	static const char *const names[DP_CNT_MAX] = {
		"rx_pkts", "rx_bytes", "accepted", "cache_hit",
		"drop_size", "drop_hash", "drop_type", "drop_rlp",
		"drop_expired", "drop_budget", "drop_sig", "drop_ring_full",
		"drop_no_slot", "tx_pkts", "tx_bytes", "tx_bad_msg",
		"tx_err", "ctl_wakeups", "rlpx_sessions", "rlpx_closed",
		"rlpx_frames_rx", "rlpx_frames_tx", "rlpx_bytes_rx",
		"rlpx_bytes_tx", "rlpx_bad_frame", "rlpx_pongs", "rlpx_stalls",
		"rlpx_ctl_drop", "drop_replay", "bans_added", "bans_active",
		"rlpx_mem_pause", "rlpx_mem_close", "v5_accepted",
		"v5_drop_proto", "v5_drop_size", "v5_drop_version",
		"v5_drop_flag", "v5_drop_authdata", "v5_drop_budget",
		"v5_drop_hs_budget", "whoareyou_limited", "ring_depth",
		"slots_used",
	};

	return i < DP_CNT_MAX ? names[i] : "unknown";
}

/* Worker w's part of the shared region. Each line has one writer: the
 * notify flag is set by control and cleared by the worker; the counters
 * are written only by the worker and read by anyone (relaxed). */
struct dplink_worker_shm {
	_Alignas(64) uint32_t tx_notified;      /* control wrote tx_efd */
	_Alignas(64) uint64_t cnt[DP_CNT_SLOTS];
};

/* The shared counter region: a second small memfd (or PATH.stats in
 * attach mode), separate from the ring region so its layout can follow the
 * dataplane rather than common/shmring. */
struct dplink_shm {
	uint64_t magic;                 /* DPLINK_SHM_MAGIC */
	uint32_t version;               /* DPLINK_VERSION */
	uint32_t n_queues;              /* written by the dataplane at start */
	uint32_t n_socks;
	uint32_t dp_pid;
	char backend[16];               /* "socket", "xdp", "dpdk"; written
					 * by the dataplane at start, not
					 * always NUL-terminated */
	_Alignas(64) uint32_t ctl_notified;     /* a worker wrote ctl_efd */
	struct dplink_worker_shm w[DPLINK_MAX_QUEUES];
};
static_assert(offsetof(struct dplink_shm, ctl_notified) == 64, "dplink ABI");
static_assert(offsetof(struct dplink_shm, w) == 128, "dplink ABI");
static_assert(sizeof(struct dplink_worker_shm) == 448, "dplink ABI");
static_assert(sizeof(struct dplink_listen) == 24, "dplink ABI");
static_assert(sizeof(struct dplink_msg_config) == 96, "dplink ABI");
static_assert(sizeof(struct dplink_v5_sock) == 40, "dplink ABI");
static_assert(sizeof(struct dplink_msg_v5) == 24, "dplink ABI");
static_assert(sizeof(struct dplink_msg_v5_done) == 24, "dplink ABI");
static_assert(sizeof(struct dplink_msg_ready) == 32, "dplink ABI");
static_assert(sizeof(struct dplink_msg_rlpx_fd) == 32, "dplink ABI");
static_assert(sizeof(struct dplink_prefix) == 24, "dplink ABI");
static_assert(sizeof(struct dplink_msg_allow) == 24, "dplink ABI");
static_assert(sizeof(struct dplink_msg_allow_done) == 24, "dplink ABI");

/* dplink_hdr_init() fills a message header. */
static inline void dplink_hdr_init(struct dplink_msg_hdr *h, enum dplink_op op,
				   size_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = DPLINK_MAGIC;
	h->version = DPLINK_VERSION;
	h->op = (uint16_t)op;
	h->len = (uint32_t)len;
}

/* dplink_send() sends buf[0..len) with fds[0..nfds) attached (SCM_RIGHTS)
 * as one message. Returns 0 or -errno. */
static inline int dplink_send(int sock, const void *buf, size_t len,
			      const int *fds, unsigned nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * DPLINK_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf,
			     .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > DPLINK_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* dplink_recv() waits up to timeout_ms (-1: forever) for one message of at
 * most cap bytes, taking ownership of up to max_fds attached fds (the rest
 * are closed). Returns the message length, or -ETIMEDOUT, -ECONNRESET (peer
 * closed), -EBADMSG (shorter than a header, bad magic or version, length
 * field disagreeing, or truncated), -errno. On error no fd is kept. */
static inline ssize_t dplink_recv(int sock, void *buf, size_t cap, int *fds,
				  unsigned max_fds, unsigned *nfds,
				  int timeout_ms)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * DPLINK_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	const struct dplink_msg_hdr *h = buf;
	unsigned got = 0;
	ssize_t n;
	int rc;

	if (nfds)
		*nfds = 0;
	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(f));
			if (fds && got < max_fds)
				fds[got++] = f;
			else
				close(f);
		}
	}
	if ((size_t)n < sizeof(*h) || h->magic != DPLINK_MAGIC ||
	    h->version != DPLINK_VERSION || h->len != (size_t)n ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		while (got)
			close(fds[--got]);
		return -EBADMSG;
	}
	if (nfds)
		*nfds = got;
	return n;
}

#endif /* COMMON_DPLINK_PROTO_H */
