/* SPDX-License-Identifier: MIT */
/* control/host/testnet.c - `devplane testnet`: N discv4 nodes on
 * 127.0.0.1 in one process over one dataplane. */
#include "control/host/testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/enode.h"
#include "common/secp.h"
#include "control/base/netutil.h"
#include "control/host/node.h"

/* Testnet start-up admission. Starting a node costs a few hundred signed
 * and recovered packets (its first refresh bonds with a few dozen
 * others). Starting a thousand at once, or on a fixed schedule faster than
 * the machine signs and recovers, queues more than a 500 ms reply
 * timeout's worth of secp256k1 work in the socket buffers: replies land
 * after the timeout, every late Pong leaves a pair of nodes unbonded so
 * they ping each other back again, and the network collapses into a
 * storm that sustains itself. So starts are admitted by measured
 * latency: a probe Ping between two running nodes every 100 ms gives the
 * round trip through the whole path (sign, ring, socket, recover, ring,
 * and back), and the number of nodes allowed to be in their first
 * refresh at once grows by one per fast probe and halves on a slow one
 * (AIMD, as TCP's window). */
#define TESTNET_TICK_NS          10000000ull    /* admission check */
#define TESTNET_PROBE_NS         100000000ull   /* probe Ping period */
#define TESTNET_RTT_OK_NS        40000000ull    /* grow the window */
#define TESTNET_RTT_SLOW_NS      120000000ull   /* halve it */
#define TESTNET_WINDOW_MAX       512            /* nodes starting at once */
#define TESTNET_START_MAX_NS     30000000000ull /* a start counts 30 s max */
#define TESTNET_PROGRESS_NS      5000000000ull
#define TESTNET_HEALTHY_MIN      16             /* "healthy": min table */

static void listen_entry(struct dplink_listen *l, const uint8_t addr[16],
			 uint16_t port, uint16_t idx)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->addr, addr, 16);
	l->port_be = htons(port);
	l->sock_idx = idx;
}

static void print_err(const char *what, int rc)
{
	fprintf(stderr, "devplane: %s: %s\n", what, strerror(-rc));
}

struct testnet {
	struct loop *l;
	struct node *nodes;
	unsigned n;                     /* nodes set up */
	unsigned running;               /* nodes 0..running-1 admitted */
	unsigned oldest;                /* first admitted node maybe starting */
	unsigned window;                /* nodes allowed to be starting */
	uint64_t *admitted;             /* [n] admission times */
	int verbosity;
	uint64_t t0;
	uint64_t next_progress;
	uint64_t all_started;           /* when the last node was admitted */
	uint64_t healthy;               /* first time min table >= 16 */
	/* The latency probe. */
	bool probing;
	uint64_t probe_sent, next_probe, last_halve;
	uint64_t rtt, rtt_max;          /* last, and max since progress */
	uint64_t seed;
	uint8_t ip[16];                 /* every node's address */
};

static void testnet_sizes(const struct testnet *t, size_t *min, size_t *max,
			  double *avg)
{
	size_t sum = 0;

	*min = SIZE_MAX;
	*max = 0;
	for (unsigned i = 0; i < t->n; i++) {
		size_t k = discv4_table_size(t->nodes[i].d);

		sum += k;
		if (k < *min)
			*min = k;
		if (k > *max)
			*max = k;
	}
	*avg = t->n ? (double)sum / t->n : 0;
}

static double cpu_seconds(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* proc_cpu_seconds() reads a live process's user + system time from
 * /proc (getrusage() only sees children once reaped). */
static double proc_cpu_seconds(int pid)
{
	unsigned long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the parenthesised name: state is 3rd, utime 14th. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void testnet_progress(struct testnet *t, uint64_t now,
			     unsigned starting)
{
	size_t min, max;
	double avg;
	struct rusage ru;

	testnet_sizes(t, &min, &max, &avg);
	if (!t->healthy && t->running == t->n && min >= TESTNET_HEALTHY_MIN) {
		t->healthy = now;
		if (t->verbosity >= 3)
			fprintf(stderr, "testnet: healthy after %.1fs (every "
				"table >= %u nodes)\n", (double)(now - t->t0) / 1e9,
				TESTNET_HEALTHY_MIN);
	}
	if (t->verbosity < 3)
		return;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "testnet: %.1fs %u/%u nodes running (%u starting, "
		"window %u), table min %zu avg %.1f max %zu, probe rtt max "
		"%.0f ms, cpu control %.1fs dataplane %.1fs, rss %ld MiB\n",
		(double)(now - t->t0) / 1e9, t->running, t->n, starting,
		t->window, min, avg, max, (double)t->rtt_max / 1e6,
		cpu_seconds(RUSAGE_SELF), proc_cpu_seconds(loop_dp_pid(t->l)),
		ru.ru_maxrss / 1024);
}

static void testnet_window(struct testnet *t, uint64_t rtt, uint64_t now)
{
	t->rtt = rtt;
	if (rtt > t->rtt_max)
		t->rtt_max = rtt;
	if (rtt <= TESTNET_RTT_OK_NS) {
		if (t->window < TESTNET_WINDOW_MAX)
			t->window++;
	} else if (rtt >= TESTNET_RTT_SLOW_NS &&
		   now >= t->last_halve + TESTNET_PROBE_NS * 5) {
		/* Once per few probes: the queue takes a while to drain. */
		t->window = t->window > 2 ? t->window / 2 : 1;
		t->last_halve = now;
	}
}

static void testnet_probe_done(void *arg, int err, uint64_t enr_seq)
{
	struct testnet *t = arg;
	uint64_t now = loop_now();

	(void)enr_seq;
	t->probing = false;
	if (err == -ECANCELED)
		return;
	/* A lost probe (timeout) counts as the slowest answer. */
	testnet_window(t, err ? now - t->probe_sent + TESTNET_RTT_SLOW_NS :
			     now - t->probe_sent, now);
}

static void testnet_probe(struct testnet *t, uint64_t now)
{
	struct discv4_node dn = { 0 };
	unsigned a, b;

	t->next_probe = now + TESTNET_PROBE_NS;
	if (t->probing || t->running < 2)
		return;
	t->seed = t->seed * 6364136223846793005ull + 1442695040888963407ull;
	a = (unsigned)((t->seed >> 33) % t->running);
	b = (unsigned)((t->seed >> 13) % (t->running - 1));
	if (b >= a)
		b++;
	memcpy(dn.id, t->nodes[b].ln.pub, DISCV4_PUB_LEN);
	memcpy(dn.ep.ip, t->ip, 16);
	dn.ep.ip_len = 4;
	dn.ep.udp = loop_listen_port(t->l, b);
	if (discv4_ping(t->nodes[a].d, &dn, now, testnet_probe_done, t))
		return;
	t->probing = true;
	t->probe_sent = now;
	loop_touch(t->l, a);
}

/* starting() counts admitted nodes still in their first refresh (all its
 * lookups done, or TESTNET_START_MAX_NS passed, ends it). */
static unsigned testnet_starting(struct testnet *t, uint64_t now)
{
	unsigned k = 0;

	for (unsigned i = t->oldest; i < t->running; i++) {
		const struct discv4_stats *st = discv4_stats(t->nodes[i].d);
		bool done = (st->lookups && st->lookups_done >= st->lookups) ||
			    now - t->admitted[i] >= TESTNET_START_MAX_NS;

		if (done && i == t->oldest)
			t->oldest++;
		else if (!done)
			k++;
	}
	return k;
}

/* testnet_tick() admits nodes while fewer than the window are starting,
 * sends the latency probe, and prints progress every 5 s. */
static void testnet_tick(void *arg, uint64_t now)
{
	struct testnet *t = arg;
	unsigned starting = testnet_starting(t, now);

	if (now >= t->next_probe)
		testnet_probe(t, now);
	while (t->running < t->n && starting < t->window) {
		/* Its engine was attached with no start time: its first
		 * tick (the refresh) is now. */
		t->admitted[t->running] = now;
		loop_touch(t->l, t->running);
		t->running++;
		starting++;
		if (t->running == t->n) {
			t->all_started = now;
			if (t->verbosity >= 3)
				fprintf(stderr, "testnet: all %u nodes started "
					"after %.1fs\n", t->n,
					(double)(now - t->t0) / 1e9);
		}
	}
	if (now >= t->next_progress) {
		testnet_progress(t, now, starting);
		t->rtt_max = 0;
		t->next_progress = now + TESTNET_PROGRESS_NS;
	}
	loop_alarm(t->l, t->running < t->n ? now + TESTNET_TICK_NS :
		   (t->next_probe < t->next_progress ? t->next_probe :
		    t->next_progress), testnet_tick, t);
}

static int raise_nofile(unsigned need)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return -errno;
	if (r.rlim_cur >= need)
		return 0;
	r.rlim_cur = r.rlim_max < need ? r.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &r))
		return -errno;
	return r.rlim_cur >= need ? 0 : -EMFILE;
}

int testnet_run(const struct testnet_cfg *o)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	struct testnet t = { .verbosity = o->verbosity };
	struct dplink_listen *listen = NULL;
	struct loop_cfg lc;
	char url[ENODE_URL_MAX + 1];
	unsigned n = o->nodes, started = 0;
	uint64_t now, seed;
	int rc, status = 1;

	if (!n || (unsigned)o->base_port + n - 1 > 65535)
		return -EINVAL;
	lc = o->loop;
	lc.n_listen = n;
	/* Two dataplane workers recover signatures on both cores while
	 * control is idle (the kernel spreads sources over them). */
	if (n >= 100 && lc.n_queues == 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		lc.n_queues = 2;
	/* The dataplane child inherits the limit: a socket per node and
	 * queue. */
	if (raise_nofile(n * lc.n_queues + 256))
		fprintf(stderr, "devplane: cannot raise the fd limit to %u\n",
			n * lc.n_queues + 256);
	listen = calloc(n, sizeof(*listen));
	t.nodes = calloc(n, sizeof(*t.nodes));
	t.admitted = calloc(n, sizeof(*t.admitted));
	t.window = 4;
	if (!listen || !t.nodes || !t.admitted)
		goto out;
	memcpy(t.ip, netutil_is_unspecified(o->ip) ? lo : o->ip, 16);
	for (unsigned i = 0; i < n; i++)
		listen_entry(&listen[i], t.ip, (uint16_t)(o->base_port + i),
			     (uint16_t)i);
	lc.listen = listen;
	/* Start-up bursts: every node pings and asks its bootnodes. */
	lc.ring_size = n > 64 ? 8192 : 0;
	lc.n_slots = n > 64 ? 16384 : 0;
	lc.peers_per_ip = n;            /* all on 127.0.0.1 */
	t.t0 = loop_now();
	rc = loop_new(&t.l, &lc);
	if (rc) {
		print_err("dataplane", rc);
		goto out;
	}
	t.n = 0;
	now = loop_now();
	seed = now;
	for (unsigned i = 0; i < n; i++) {
		uint8_t priv[32];

		rc = secp_priv_generate(priv);
		if (!rc)
			rc = node_init(&t.nodes[i], &(struct node_cfg){
				.priv = priv, .loop = t.l, .idx = i,
				.start_ns = UINT64_MAX, /* testnet_tick() */
				.seed = seed + i, .verbosity = o->verbosity,
			}, now);
		explicit_bzero(priv, sizeof(priv));
		if (rc) {
			print_err("node", rc);
			goto out;
		}
		started++;
		t.n = started;
	}
	/* Each node bootstraps from the node started just before it and up
	 * to two random earlier ones (node 0 among the candidates): the
	 * graph is connected and no node is asked by everyone. */
	for (unsigned i = 1; i < n; i++) {
		unsigned picks[3] = { i - 1, i - 1, i - 1 };
		unsigned np = 1;

		for (unsigned k = 0; k < 2 && i > 1; k++) {
			unsigned j = (unsigned)((seed >> (k * 7)) ^
						(i * 2654435761u)) % (i - 1);

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if (j != picks[0] && j != picks[1])
				picks[np++] = j;
		}
		for (unsigned k = 0; k < np; k++) {
			struct discv4_node dn = { 0 };
			const struct node *b = &t.nodes[picks[k]];

			memcpy(dn.id, b->ln.pub, DISCV4_PUB_LEN);
			memcpy(dn.ep.ip, t.ip, 16);
			dn.ep.ip_len = 4;
			dn.ep.udp = loop_listen_port(t.l, picks[k]);
			discv4_add_bootnode(t.nodes[i].d, &dn);
		}
	}
	if (node_enode(&t.nodes[0], url, sizeof(url)) < 0)
		goto out;
	printf("%s\n", url);
	fflush(stdout);
	if (o->verbosity >= 3) {
		char ip[NETUTIL_ADDRSTRLEN];

		netutil_addr_format(ip, t.ip);
		fprintf(stderr, "testnet: %u nodes on %s:%u..%u set up "
			"in %.2fs, dataplane pid %d\n", n, ip, o->base_port,
			o->base_port + n - 1, (double)(loop_now() - t.t0) / 1e9,
			loop_dp_pid(t.l));
		if (loop_metrics_port(t.l))
			fprintf(stderr, "testnet: metrics on port %u\n",
				loop_metrics_port(t.l));
	}
	t.seed = seed;
	t.next_progress = loop_now() + TESTNET_PROGRESS_NS;
	loop_alarm(t.l, loop_now(), testnet_tick, &t);
	rc = loop_run(t.l);
	if (rc < 0)
		print_err("event loop", rc);
	else
		status = 0;
	if (o->stats) {
		size_t min, max;
		double avg;

		testnet_sizes(&t, &min, &max, &avg);
		printf("testnet: %u nodes, table min %zu avg %.1f max %zu, "
		       "tx drops %" PRIu64 "\n", t.n, min, avg, max,
		       loop_tx_drops(t.l));
		o->print_stats(stdout, "node0", t.nodes[0].d);
	}
out:
	for (unsigned i = 0; i < started; i++)
		node_fini(&t.nodes[i]);
	loop_free(t.l);
	free(t.nodes);
	free(t.admitted);
	free(listen);
	return status;
}
