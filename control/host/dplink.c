/* SPDX-License-Identifier: MIT */
/* control/host/dplink.c - control's side of the dataplane link. */
#include "control/host/dplink.h"

#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/rlpx_frame.h"
#include "common/dplink_shm.h"
#include "common/shmring.h"

#define READY_TIMEOUT_MS 10000
#define REAP_TIMEOUT_MS  2000

struct dplink {
	pid_t pid;                      /* spawned child, 0 when attached */
	int sock;                       /* control socket */
	struct shmring *ring;
	struct dplink_shm *shm;
	size_t shm_len;
	int shm_fd;
	int ctl_efd;
	int tx_efd[DPLINK_MAX_QUEUES];
	unsigned n_queues;
	struct dplink_listen *listen;
	unsigned n_listen;
	unsigned rr;                    /* next rx ring to look at first */
	uint32_t tx_seq;
	uint64_t rx_bad;                /* messages that failed validation */
};

static struct dplink *link_new(void)
{
	struct dplink *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sock = l->shm_fd = l->ctl_efd = -1;
	for (unsigned i = 0; i < DPLINK_MAX_QUEUES; i++)
		l->tx_efd[i] = -1;
	return l;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* reap() waits up to ms for the child, then kills it and waits for good.
 * Returns the wait status. */
static int reap(pid_t pid, long ms)
{
	int st = 0;

	for (long t = 0; t < ms; t += 10) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return st;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

void dplink_close(struct dplink *l)
{
	if (!l)
		return;
	if (l->pid > 0) {
		struct dplink_msg_hdr h;

		dplink_hdr_init(&h, DPLINK_OP_SHUTDOWN, sizeof(h));
		if (l->sock >= 0)
			(void)dplink_send(l->sock, &h, sizeof(h), NULL, 0);
	}
	if (l->sock >= 0)
		close(l->sock);
	if (l->pid > 0)
		reap(l->pid, REAP_TIMEOUT_MS);
	shmring_free(l->ring);
	dplink_shm_unmap(l->shm, l->shm_len);
	if (l->shm_fd >= 0)
		close(l->shm_fd);
	if (l->ctl_efd >= 0)
		close(l->ctl_efd);
	for (unsigned i = 0; i < DPLINK_MAX_QUEUES; i++)
		if (l->tx_efd[i] >= 0)
			close(l->tx_efd[i]);
	free(l->listen);
	free(l);
}

static int map_shm(struct dplink *l, bool create)
{
	return dplink_shm_map(&l->shm, &l->shm_len, l->shm_fd, create, true);
}

/* recv_ready() reads READY (taking up to max_fds fds) and the LISTEN
 * echo that follows. */
static int recv_ready(struct dplink *l, int *fds, unsigned max_fds,
		      unsigned *nfds)
{
	size_t cap = sizeof(struct dplink_msg_listen) +
		     DPLINK_LISTEN_CHUNK * sizeof(struct dplink_listen);
	struct dplink_msg_ready r;
	struct dplink_msg_listen *m;
	unsigned got = 0;
	ssize_t n;
	int rc;

	n = dplink_recv(l->sock, &r, sizeof(r), fds, max_fds, nfds,
			READY_TIMEOUT_MS);
	if (n < 0)
		return (int)n;
	if ((size_t)n != sizeof(r) || r.hdr.op != DPLINK_OP_READY)
		rc = -EBADMSG;
	else if (r.status < 0)
		rc = r.status;
	else if (!r.n_queues || r.n_queues > DPLINK_MAX_QUEUES ||
		 !r.n_listen || r.n_listen > DPLINK_MAX_SOCKS)
		rc = -EBADMSG;
	else
		rc = 0;
	if (rc < 0) {
		while (nfds && *nfds)
			close(fds[--*nfds]);
		return rc;
	}
	l->n_queues = r.n_queues;
	l->n_listen = r.n_listen;
	l->listen = calloc(r.n_listen, sizeof(*l->listen));
	m = malloc(cap);
	rc = -ENOMEM;
	if (!l->listen || !m)
		goto out;
	while (got < l->n_listen) {
		n = dplink_recv(l->sock, m, cap, NULL, 0, NULL,
				READY_TIMEOUT_MS);
		rc = (int)n;
		if (n < 0)
			goto out;
		rc = -EBADMSG;
		if (m->hdr.op != DPLINK_OP_LISTEN ||
		    (size_t)n < sizeof(*m) || m->n > DPLINK_LISTEN_CHUNK ||
		    sizeof(*m) + m->n * sizeof(m->l[0]) != (size_t)n ||
		    m->n > l->n_listen - got)
			goto out;
		memcpy(l->listen + got, m->l, m->n * sizeof(m->l[0]));
		got += m->n;
	}
	rc = 0;
out:
	free(m);
	return rc;
}

void dplink_find_binary(char *buf, size_t cap, const char *want)
{
	static const char *const rel[] = { "devplane-dp",
					   "../dataplane/devplane-dp" };
	char self[PATH_MAX];
	const char *env = getenv("DEVPLANE_DP");
	ssize_t n;

	if (want || (env && *env)) {
		snprintf(buf, cap, "%s", want ? want : env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			for (unsigned i = 0; i < 2; i++) {
				int k = snprintf(buf, cap, "%s/%s", self,
						 rel[i]);

				if (k > 0 && (size_t)k < cap &&
				    access(buf, X_OK) == 0)
					return;
			}
		}
	}
	snprintf(buf, cap, "devplane-dp");      /* from $PATH */
}

static int send_config(struct dplink *l, const struct dplink_cfg *cfg)
{
	struct dplink_msg_config c = { 0 };
	size_t cap = sizeof(struct dplink_msg_listen) +
		     DPLINK_LISTEN_CHUNK * sizeof(struct dplink_listen);
	struct dplink_msg_listen *m;
	int fds[DPLINK_MAX_FDS];
	int rc;

	dplink_hdr_init(&c.hdr, DPLINK_OP_CONFIG, sizeof(c));
	snprintf(c.backend, sizeof(c.backend), "%s",
		 cfg->backend ? cfg->backend : "socket");
	c.n_queues = l->n_queues;
	c.n_listen = cfg->n_listen;
	c.budget_rate = cfg->budget_rate;
	c.budget_burst = cfg->budget_burst;
	c.budget_slots = cfg->budget_slots;
	c.cache_slots = cfg->cache_slots;
	c.v5_hs_rate = cfg->v5_hs_rate;
	c.v5_hs_burst = cfg->v5_hs_burst;
	c.v5_way_rate = cfg->v5_way_rate;
	c.v5_way_burst = cfg->v5_way_burst;
	c.rlpx_frame_cap = cfg->rlpx_frame_cap;
	c.ban_sig_count = cfg->ban_sig_count;
	c.ban_sig_window_s = cfg->ban_sig_window_s;
	c.ban_secs = cfg->ban_secs;
	fds[DPLINK_FD_REGION] = shmring_fd(l->ring);
	fds[DPLINK_FD_SHARED] = l->shm_fd;
	fds[DPLINK_FD_CTL_EFD] = l->ctl_efd;
	for (unsigned q = 0; q < l->n_queues; q++)
		fds[DPLINK_FD_TX_EFD0 + q] = l->tx_efd[q];
	rc = dplink_send(l->sock, &c, sizeof(c), fds,
			 DPLINK_FD_TX_EFD0 + l->n_queues);
	if (rc < 0)
		return rc;
	m = malloc(cap);
	if (!m)
		return -ENOMEM;
	for (unsigned off = 0; off < cfg->n_listen && rc == 0;) {
		unsigned k = cfg->n_listen - off;
		size_t len;

		if (k > DPLINK_LISTEN_CHUNK)
			k = DPLINK_LISTEN_CHUNK;
		len = sizeof(*m) + k * sizeof(m->l[0]);
		dplink_hdr_init(&m->hdr, DPLINK_OP_LISTEN, len);
		m->n = k;
		m->pad0 = 0;
		memcpy(m->l, cfg->listen + off, k * sizeof(m->l[0]));
		rc = dplink_send(l->sock, m, len, NULL, 0);
		off += k;
	}
	free(m);
	return rc;
}

int dplink_spawn(struct dplink **out, const struct dplink_cfg *cfg)
{
	unsigned nq = cfg && cfg->n_queues ? cfg->n_queues : 1;
	struct shmring_cfg rcfg;
	char bin[PATH_MAX], fdarg[16], *eal = NULL;
	struct dplink *l;
	int sv[2], rc;

	if (!out || !cfg || nq > DPLINK_MAX_QUEUES || !cfg->listen ||
	    !cfg->n_listen || cfg->n_listen > DPLINK_MAX_SOCKS ||
	    (cfg->budget_rate && !cfg->budget_burst))
		return -EINVAL;
	l = link_new();
	if (!l)
		return -ENOMEM;
	l->n_queues = nq;
	rcfg = (struct shmring_cfg){
		.n_rings = 2 * nq,
		.ring_size = cfg->ring_size ? cfg->ring_size : 2048,
		.n_slots = cfg->n_slots ? cfg->n_slots : 4096 * nq,
		/* Huge pages when the host reserved some, else normal. */
		.flags = SHMRING_F_HUGETLB,
	};
	rc = shmring_create(&l->ring, &rcfg);
	if (rc < 0)
		goto out_close;
	l->shm_fd = memfd_create(DPLINK_SHM_MEMFD_NAME, MFD_CLOEXEC);
	if (l->shm_fd < 0) {
		rc = -errno;
		goto out_close;
	}
	rc = map_shm(l, true);
	if (rc < 0)
		goto out_close;
	l->ctl_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->ctl_efd < 0) {
		rc = -errno;
		goto out_close;
	}
	for (unsigned q = 0; q < nq; q++) {
		l->tx_efd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (l->tx_efd[q] < 0) {
			rc = -errno;
			goto out_close;
		}
	}
	dplink_find_binary(bin, sizeof(bin), cfg->dp_path);
	if (cfg->eal) {
		/* Copied now: the child must not allocate after fork(). */
		eal = strdup(cfg->eal);
		if (!eal) {
			rc = -ENOMEM;
			goto out_close;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		goto out_close;
	}
	l->pid = fork();
	if (l->pid < 0) {
		rc = -errno;
		l->pid = 0;
		close(sv[0]);
		close(sv[1]);
		goto out_close;
	}
	if (l->pid == 0) {
		/* Child: only the control socket survives exec (dup() clears
		 * close-on-exec). Nothing here may allocate in a way that a
		 * threaded parent could have left locked. */
		int fd = dup(sv[1]);
		char *argv[] = { bin, "--control-fd", fdarg, eal ? "--eal" : NULL,
				 eal, NULL };

		if (fd < 0)
			_exit(126);
		/* A process group of its own: a signal to ours (Ctrl-C in
		 * a terminal, `timeout`, a supervisor's group kill) reaches
		 * control only, which ends the RLPx sessions the dataplane
		 * holds (Disconnect: client quitting) and then stops it
		 * (dplink_close()). Had the child seen the signal too, it
		 * would race control and close the sessions' sockets
		 * without a word. It still dies with control: the
		 * parent-death signal and EOF on the control socket. */
		(void)setpgid(0, 0);
		snprintf(fdarg, sizeof(fdarg), "%d", fd);
		if (strchr(bin, '/'))
			execv(bin, argv);
		else
			execvp(bin, argv);
		_exit(127);
	}
	close(sv[1]);
	l->sock = sv[0];
	rc = send_config(l, cfg);
	if (rc == 0)
		rc = recv_ready(l, NULL, 0, NULL);
	if (rc < 0) {
		if (rc == -ECONNRESET || rc == -EPIPE) {
			/* The child died before READY; an exec failure says
			 * why in its exit status. */
			int st;

			close(l->sock);
			l->sock = -1;
			st = reap(l->pid, REAP_TIMEOUT_MS);
			l->pid = 0;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
				rc = -ENOENT;
		}
		goto out_close;
	}
	free(eal);
	*out = l;
	return 0;

out_close:
	free(eal);
	dplink_close(l);
	return rc;
}

int dplink_attach(struct dplink **out, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fds[DPLINK_MAX_FDS];
	struct dplink *l;
	unsigned nfds = 0;
	int rc;

	if (!out || !path ||
	    strlen(path) + sizeof(".sock") > sizeof(a.sun_path))
		return -EINVAL;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s.sock", path);
	l = link_new();
	if (!l)
		return -ENOMEM;
	l->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l->sock < 0) {
		rc = -errno;
		goto out_close;
	}
	if (connect(l->sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		rc = -errno;
		goto out_close;
	}
	rc = recv_ready(l, fds, DPLINK_MAX_FDS, &nfds);
	if (rc == -ECONNRESET)
		rc = -EBUSY;    /* the dataplane serves one control */
	if (rc < 0)
		goto out_close;
	if (nfds != DPLINK_FD_TX_EFD0 + l->n_queues) {
		while (nfds)
			close(fds[--nfds]);
		rc = -EBADMSG;
		goto out_close;
	}
	l->shm_fd = fds[DPLINK_FD_SHARED];
	l->ctl_efd = fds[DPLINK_FD_CTL_EFD];
	for (unsigned q = 0; q < l->n_queues; q++)
		l->tx_efd[q] = fds[DPLINK_FD_TX_EFD0 + q];
	rc = shmring_attach(&l->ring, fds[DPLINK_FD_REGION]);
	close(fds[DPLINK_FD_REGION]);
	if (rc == 0)
		rc = map_shm(l, false);
	if (rc == 0 && shmring_n_rings(l->ring) < 2 * l->n_queues)
		rc = -EBADMSG;
	if (rc < 0)
		goto out_close;
	*out = l;
	return 0;

out_close:
	dplink_close(l);
	return rc;
}

int dplink_set_allow(struct dplink *l, const struct dplink_prefix *p,
		     unsigned n, unsigned *installed)
{
	size_t len = sizeof(struct dplink_msg_allow) + n * sizeof(*p);
	struct dplink_msg_allow_done r;
	struct dplink_msg_allow *m;
	ssize_t got;
	int rc;

	if (installed)
		*installed = 0;
	if (!l || n > DPLINK_MAX_ALLOW || (n && !p))
		return -EINVAL;
	m = calloc(1, len);
	if (!m)
		return -ENOMEM;
	dplink_hdr_init(&m->hdr, DPLINK_OP_ALLOW, len);
	m->n = n;
	if (n)
		memcpy(m->p, p, n * sizeof(*p));
	rc = dplink_send(l->sock, m, len, NULL, 0);
	free(m);
	if (rc < 0)
		return rc;
	/* Nothing else comes from the dataplane on this socket after READY,
	 * so the next message is the answer. */
	got = dplink_recv(l->sock, &r, sizeof(r), NULL, 0, NULL,
			  READY_TIMEOUT_MS);
	if (got < 0)
		return (int)got;
	if ((size_t)got != sizeof(r) || r.hdr.op != DPLINK_OP_ALLOW_DONE ||
	    r.status > 0 || r.installed > n)
		return -EBADMSG;
	if (installed)
		*installed = r.installed;
	return r.status;
}

int dplink_set_v5(struct dplink *l, const struct dplink_v5_sock *s,
		  unsigned n, unsigned *n_on)
{
	size_t cap = sizeof(struct dplink_msg_v5) +
		     DPLINK_V5_CHUNK * sizeof(*s);
	struct dplink_msg_v5_done r = { 0 };
	struct dplink_msg_v5 *m;
	unsigned off = 0;
	int rc = 0;

	if (n_on)
		*n_on = 0;
	if (!l || (n && !s))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (s[i].sock_idx >= l->n_listen)
			return -EINVAL;
	m = calloc(1, cap);
	if (!m)
		return -ENOMEM;
	do {
		unsigned k = n - off < DPLINK_V5_CHUNK ? n - off :
							 DPLINK_V5_CHUNK;
		size_t len = sizeof(*m) + k * sizeof(*s);
		ssize_t got;

		dplink_hdr_init(&m->hdr, DPLINK_OP_V5, len);
		m->n = k;
		for (unsigned i = 0; i < k; i++) {
			m->s[i] = s[off + i];
			memset(m->s[i].pad0, 0, sizeof(m->s[i].pad0));
		}
		rc = dplink_send(l->sock, m, len, NULL, 0);
		if (rc < 0)
			break;
		/* As for ALLOW: the answer is the next message. */
		got = dplink_recv(l->sock, &r, sizeof(r), NULL, 0, NULL,
				  READY_TIMEOUT_MS);
		if (got < 0) {
			rc = (int)got;
			break;
		}
		if ((size_t)got != sizeof(r) || r.hdr.op != DPLINK_OP_V5_DONE ||
		    r.status > 0 || r.n_on > l->n_listen) {
			rc = -EBADMSG;
			break;
		}
		rc = r.status;
		off += k;
	} while (rc == 0 && off < n);
	free(m);
	if (rc == 0 && n_on)
		*n_on = r.n_on;
	return rc;
}

pid_t dplink_pid(const struct dplink *l)
{
	return l->pid;
}

bool dplink_hugetlb(const struct dplink *l)
{
	return shmring_is_hugetlb(l->ring);
}

unsigned dplink_n_queues(const struct dplink *l)
{
	return l->n_queues;
}

unsigned dplink_n_listen(const struct dplink *l)
{
	return l->n_listen;
}

const struct dplink_listen *dplink_listen_entry(const struct dplink *l,
						unsigned i)
{
	return i < l->n_listen ? &l->listen[i] : NULL;
}

int dplink_notify_fd(const struct dplink *l)
{
	return l->ctl_efd;
}

/* rx_load() copies the message of descriptor d out of its slot into
 * out->copy, once (msg_load() for the fixed part, then the payload with
 * the length checked on the copy), and checks it against its kind's
 * layout. Returns false when it is malformed. */
static bool rx_load(struct dplink_rx *out, const struct msg_desc *d,
		    const uint8_t *slot)
{
	void *c = out->copy;
	size_t fixed, data;

	switch (d->kind) {
	case MSG_DISCV4_RX: {
		struct msg_discv4_rx *m = c;

		fixed = sizeof(*m);
		if (msg_load(d, slot, m, fixed) < 0)
			return false;
		data = m->data_len;
		break;
	}
	case MSG_DISCV5_RX: {
		struct msg_discv5_rx *m = c;

		fixed = sizeof(*m);
		if (msg_load(d, slot, m, fixed) < 0 ||
		    m->data_len > MSG_DISCV4_MAX_PACKET ||
		    m->flag > 2)
			return false;
		data = m->data_len;
		break;
	}
	case MSG_RLPX_RX: {
		struct msg_rlpx_data *m = c;

		fixed = sizeof(*m);
		if (msg_load(d, slot, m, fixed) < 0 ||
		    (uint64_t)m->frag_off + m->data_len > m->total_len)
			return false;
		data = m->data_len;
		break;
	}
	case MSG_RLPX_CLOSED:
		fixed = sizeof(struct msg_rlpx_closed);
		if (msg_load(d, slot, c, fixed) < 0)
			return false;
		data = 0;
		break;
	default:
		return false;
	}
	/* d->len <= MSG_SLOT_SIZE (msg_load): the payload fits copy[]. */
	if (fixed + data != d->len)
		return false;
	memcpy(out->copy + fixed, slot + fixed, data);
	out->msg = c;
	out->slot = d->slot;
	out->kind = d->kind;
	return true;
}

unsigned dplink_rx_burst(struct dplink *l, struct dplink_rx *out, unsigned n)
{
	static const uint64_t one = 1;
	struct msg_desc d[64];
	unsigned got = 0;
	uint64_t v;

	/* Consume the wake-up, clear the flag, then look at the rings: a
	 * worker that enqueues after the clear writes the eventfd again
	 * (the pairing fence is in dataplane/daemon/lcore.c wake_ctl()). */
	if (read(l->ctl_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return 0;
	__atomic_store_n(&l->shm->ctl_notified, 0, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	for (unsigned k = 0; k < l->n_queues && got < n; k++) {
		unsigned q = (l->rr + k) % l->n_queues;
		struct shmring_q *r = shmring_ring(l->ring,
				shmring_ring_idx(q, SHMRING_TO_CTL));
		unsigned want = n - got, m;

		if (want > 64)
			want = 64;
		m = shmring_dequeue(r, d, want);
		for (unsigned i = 0; i < m; i++) {
			const uint8_t *msg = shmring_desc_ptr(l->ring, &d[i]);

			if (!msg) {
				l->rx_bad++;
				continue;
			}
			if (rx_load(&out[got], &d[i], msg))
				got++;
			else
				l->rx_bad++;
			shmring_slot_free(l->ring, d[i].slot);
		}
		if (m == want && got < n)
			k--;    /* this ring may hold more: stay on it */
	}
	l->rr = (l->rr + 1) % l->n_queues;
	/* out[] is full and more may wait: keep the fd readable. */
	if (got == n && n &&
	    write(l->ctl_efd, &one, sizeof(one)) != sizeof(one))
		return got;
	return got;
}

void dplink_rx_free(struct dplink *l, const struct dplink_rx *rx, unsigned n)
{
	(void)l;
	(void)rx;
	(void)n;
}

uint64_t dplink_rx_bad(const struct dplink *l)
{
	return l->rx_bad;
}

/* wake_worker() writes worker w's eventfd unless a wake-up is pending. */
static void wake_worker(struct dplink *l, unsigned w)
{
	static const uint64_t one = 1;
	uint32_t *flag = &l->shm->w[w].tx_notified;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(flag, __ATOMIC_RELAXED) &&
	    !__atomic_exchange_n(flag, 1, __ATOMIC_SEQ_CST) &&
	    write(l->tx_efd[w], &one, sizeof(one)) != sizeof(one))
		__atomic_store_n(flag, 0, __ATOMIC_SEQ_CST);
}

int dplink_send_disc(struct dplink *l, uint16_t sock_idx,
		     const uint8_t dst_addr[MSG_ADDR_LEN], uint16_t dst_port_be,
		     const uint8_t *pkt, size_t len, uint8_t tx_flags)
{
	unsigned w = sock_idx % l->n_queues;
	struct msg_discv4_tx *tx;
	struct msg_desc d;
	uint32_t slot;

	if (!len || len > MSG_DISCV4_MAX_PACKET)
		return -EINVAL;
	if (shmring_slot_alloc(l->ring, &slot) < 0)
		return -ENOBUFS;
	tx = shmring_slot_ptr(l->ring, slot);
	memset(tx, 0, sizeof(*tx));
	tx->hdr.type = MSG_DISCV4_TX;
	tx->hdr.len = (uint16_t)(sizeof(*tx) - sizeof(tx->hdr) + len);
	tx->hdr.seq = l->tx_seq++;
	memcpy(tx->dst_addr, dst_addr, MSG_ADDR_LEN);
	tx->dst_port_be = dst_port_be;
	tx->sock_idx = sock_idx;
	tx->data_len = (uint16_t)len;
	tx->tx_flags = tx_flags;
	memcpy(tx->data, pkt, len);
	d = (struct msg_desc){ .slot = slot,
			       .len = (uint16_t)(sizeof(*tx) + len),
			       .kind = MSG_DISCV4_TX };
	if (shmring_enqueue(shmring_ring(l->ring,
					 shmring_ring_idx(w, SHMRING_TO_DP)),
			    &d, 1) != 1) {
		shmring_slot_free(l->ring, slot);
		return -ENOBUFS;
	}
	wake_worker(l, w);
	return 0;
}

int dplink_send_discv4(struct dplink *l, uint16_t sock_idx,
		       const uint8_t dst_addr[MSG_ADDR_LEN],
		       uint16_t dst_port_be, const uint8_t *pkt, size_t len)
{
	return dplink_send_disc(l, sock_idx, dst_addr, dst_port_be, pkt, len,
				0);
}

/* tx_room() is how many more descriptors ring q takes now: control is its
 * only producer, so the room can only grow until we enqueue. */
static unsigned tx_room(struct dplink *l, unsigned w)
{
	struct shmring_q *q = shmring_ring(l->ring,
					   shmring_ring_idx(w, SHMRING_TO_DP));

	return shmring_ring_capacity(l->ring) - shmring_count(q);
}

/* keys_fill() allocates a slot and writes MSG_RLPX_KEYS for session_id
 * into it (fd, if >= 0, only names the remote). Returns 0 and *slot. */
static int keys_fill(struct dplink *l, unsigned w, uint64_t session_id,
		     int fd, const struct rlpx_frame *f, uint32_t flags,
		     uint32_t *slot)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	struct msg_rlpx_keys *k;
	int rc;

	if (tx_room(l, w) < 1 || shmring_slot_alloc(l->ring, slot) < 0)
		return -ENOBUFS;
	k = shmring_slot_ptr(l->ring, *slot);
	memset(k, 0, sizeof(*k));
	rc = rlpx_frame_export(k, f);
	if (rc < 0) {
		explicit_bzero(k, MSG_SLOT_SIZE);
		shmring_slot_free(l->ring, *slot);
		return rc;
	}
	k->hdr.type = MSG_RLPX_KEYS;
	k->hdr.len = sizeof(*k) - sizeof(k->hdr);
	k->session_id = session_id;
	k->queue = (uint16_t)w;
	k->flags = flags;
	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&sa, &sl) == 0) {
		if (sa.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)&sa;

			k->remote_addr[10] = k->remote_addr[11] = 0xff;
			memcpy(k->remote_addr + 12, &a->sin_addr, 4);
			k->remote_port_be = a->sin_port;
		} else if (sa.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)&sa;

			memcpy(k->remote_addr, &a->sin6_addr, 16);
			k->remote_port_be = a->sin6_port;
		}
	}
	return 0;
}

/* keys_post() enqueues a filled KEYS slot (room was checked by
 * keys_fill(); control is the ring's only producer). */
static int keys_post(struct dplink *l, unsigned w, uint32_t slot)
{
	struct msg_rlpx_keys *k = shmring_slot_ptr(l->ring, slot);
	struct msg_desc d = { .slot = slot, .len = sizeof(*k),
			      .kind = MSG_RLPX_KEYS };

	k->hdr.seq = l->tx_seq++;
	if (shmring_enqueue(shmring_ring(l->ring,
					 shmring_ring_idx(w, SHMRING_TO_DP)),
			    &d, 1) != 1) {
		explicit_bzero(k, MSG_SLOT_SIZE);
		shmring_slot_free(l->ring, slot);
		return -ENOBUFS;        /* cannot happen: room was checked */
	}
	wake_worker(l, w);
	return 0;
}

static int fd_post(struct dplink *l, unsigned w, uint64_t session_id,
		   int fd)
{
	struct dplink_msg_rlpx_fd fm = { 0 };

	dplink_hdr_init(&fm.hdr, DPLINK_OP_RLPX_FD, sizeof(fm));
	fm.session_id = session_id;
	fm.queue = w;
	return dplink_send(l->sock, &fm, sizeof(fm), &fd, 1);
}

int dplink_rlpx_handover(struct dplink *l, uint64_t session_id, int fd,
			 const struct rlpx_frame *f, uint32_t flags)
{
	unsigned w = (unsigned)(session_id % l->n_queues);
	uint32_t slot;
	int rc;

	rc = keys_fill(l, w, session_id, fd, f, flags, &slot);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	/* The fd first, then the keys: the worker pairs them by id in
	 * whichever order they land, holding what control sends meanwhile. */
	rc = fd_post(l, w, session_id, fd);
	if (rc < 0) {
		explicit_bzero(shmring_slot_ptr(l->ring, slot), MSG_SLOT_SIZE);
		shmring_slot_free(l->ring, slot);
	} else {
		rc = keys_post(l, w, slot);
	}
	close(fd);
	return rc;
}

int dplink_rlpx_handover_keys(struct dplink *l, uint64_t session_id, int fd,
			      const struct rlpx_frame *f, uint32_t flags)
{
	unsigned w = (unsigned)(session_id % l->n_queues);
	uint32_t slot;
	int rc = keys_fill(l, w, session_id, fd, f, flags, &slot);

	return rc < 0 ? rc : keys_post(l, w, slot);
}

int dplink_rlpx_handover_fd(struct dplink *l, uint64_t session_id, int fd)
{
	return fd_post(l, (unsigned)(session_id % l->n_queues), session_id,
		       fd);
}

int dplink_rlpx_send(struct dplink *l, uint64_t session_id, uint64_t code,
		     const uint8_t *payload, size_t len)
{
	unsigned w = (unsigned)(session_id % l->n_queues);
	size_t nfrag = len ? (len + MSG_RLPX_FRAG_MAX - 1) / MSG_RLPX_FRAG_MAX
			   : 1;
	struct shmring_q *q = shmring_ring(l->ring,
					   shmring_ring_idx(w, SHMRING_TO_DP));
	size_t off = 0;

	if (len > (16u << 20))
		return -EMSGSIZE;
	if (nfrag > shmring_ring_capacity(l->ring) ||
	    nfrag > shmring_n_slots(l->ring))
		return -EMSGSIZE;
	if (tx_room(l, w) < nfrag || shmring_slots_free(l->ring) < nfrag)
		return -ENOBUFS;
	for (size_t i = 0; i < nfrag; i++) {
		size_t k = len - off > MSG_RLPX_FRAG_MAX ? MSG_RLPX_FRAG_MAX
							  : len - off;
		struct msg_rlpx_data *x;
		struct msg_desc d;
		uint32_t slot;

		/* The pool is shared with the workers: it can run dry under
		 * us, and a half-sent message cannot be taken back, so wait
		 * for the slots the workers return. */
		while (shmring_slot_alloc(l->ring, &slot) < 0)
			sleep_ms(1);
		x = shmring_slot_ptr(l->ring, slot);
		memset(x, 0, sizeof(*x));
		x->hdr.type = MSG_RLPX_TX;
		x->hdr.len = (uint16_t)(sizeof(*x) - sizeof(x->hdr) + k);
		x->hdr.seq = l->tx_seq++;
		x->session_id = session_id;
		x->msg_code = code;
		x->total_len = (uint32_t)len;
		x->frag_off = (uint32_t)off;
		x->data_len = (uint16_t)k;
		x->flags = off + k == len ? MSG_RLPX_F_LAST : 0;
		if (k)
			memcpy(x->data, payload + off, k);
		d = (struct msg_desc){ .slot = slot,
				       .len = (uint16_t)(sizeof(*x) + k),
				       .kind = MSG_RLPX_TX };
		(void)shmring_enqueue(q, &d, 1);        /* room checked */
		off += k;
		if (i % 64 == 63)
			wake_worker(l, w);
	}
	wake_worker(l, w);
	return 0;
}

int dplink_rlpx_close(struct dplink *l, uint64_t session_id, uint8_t reason)
{
	unsigned w = (unsigned)(session_id % l->n_queues);
	struct msg_rlpx_closed *c;
	struct msg_desc d;
	uint32_t slot;

	if (tx_room(l, w) < 1 || shmring_slot_alloc(l->ring, &slot) < 0)
		return -ENOBUFS;
	c = shmring_slot_ptr(l->ring, slot);
	memset(c, 0, sizeof(*c));
	c->hdr.type = MSG_RLPX_CLOSED;
	c->hdr.len = sizeof(*c) - sizeof(c->hdr);
	c->hdr.seq = l->tx_seq++;
	c->session_id = session_id;
	c->reason = reason;
	c->origin = MSG_CLOSE_LOCAL;
	d = (struct msg_desc){ .slot = slot, .len = sizeof(*c),
			       .kind = MSG_RLPX_CLOSED };
	(void)shmring_enqueue(shmring_ring(l->ring,
					   shmring_ring_idx(w, SHMRING_TO_DP)),
			      &d, 1);
	wake_worker(l, w);
	return 0;
}

int dplink_stats(const struct dplink *l, uint32_t q, uint64_t cnt[DP_CNT_MAX])
{
	if (q != UINT32_MAX && q >= l->n_queues)
		return -EINVAL;
	memset(cnt, 0, DP_CNT_MAX * sizeof(cnt[0]));
	for (unsigned w = 0; w < l->n_queues; w++) {
		if (q != UINT32_MAX && w != q)
			continue;
		for (unsigned i = 0; i < DP_CNT_MAX; i++)
			cnt[i] += __atomic_load_n(&l->shm->w[w].cnt[i],
						  __ATOMIC_RELAXED);
	}
	return 0;
}

const struct dplink_shm *dplink_shared(const struct dplink *l)
{
	return l->shm;
}
