/* SPDX-License-Identifier: MIT */
/* tests/bench/bench_shmring.c - descriptor and slot rates between processes. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/msg.h"
#include "common/shmring.h"
#include "tests/bench/bench.h"

#define BURST      32
#define RING_SIZE  1024
#define N_SLOTS    4096
#define MSG_BYTES  256          /* header + payload written per message */
#define ROW_S      1.0
#define KIND_STOP  0xff         /* sentinel descriptor: consumer stops */

enum mode { MODE_DESC, MODE_SLOT };

/* pin() puts the calling process on one CPU so producer and consumer do
 * not share a core; ignored when the machine has fewer CPUs. */
static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) <= cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* consumer() runs in the child: drain ring 0 until the sentinel and
 * report how many messages it saw (UINT64_MAX on a corrupt message). */
static uint64_t consumer(struct shmring *r, enum mode mode)
{
	struct shmring_q *q = shmring_ring(r, 0);
	struct msg_desc d[BURST];
	uint32_t done[BURST];
	uint64_t n_msgs = 0;

	for (;;) {
		unsigned int n = shmring_dequeue(q, d, BURST), k = 0;

		for (unsigned int i = 0; i < n; i++) {
			const struct msg_hdr *h;

			if (d[i].kind == KIND_STOP)
				return n_msgs;
			n_msgs++;
			if (mode != MODE_SLOT)
				continue;
			h = shmring_desc_ptr(r, &d[i]);
			if (!h || msg_check(&d[i], h, sizeof(*h)) < 0)
				return UINT64_MAX;
			done[k++] = d[i].slot;
		}
		if (k)
			shmring_slot_free_burst(r, done, k);
	}
}

static void producer(struct shmring *r, enum mode mode, double *elapsed)
{
	struct shmring_q *q = shmring_ring(r, 0);
	struct msg_desc d[BURST];
	uint32_t slots[BURST];
	struct msg_desc stop = { .kind = KIND_STOP,
				 .flags = MSG_DESC_F_NOSLOT };
	double t0 = bench_now(), t;
	uint32_t seq = 0;
	unsigned int iter = 0;

	for (;;) {
		unsigned int n = BURST, sent;

		if (mode == MODE_SLOT)
			n = shmring_slot_alloc_burst(r, slots, BURST);
		for (unsigned int i = 0; i < n; i++, seq++) {
			if (mode == MODE_SLOT) {
				struct msg_hdr *h = shmring_slot_ptr(r,
								     slots[i]);

				h->type = MSG_DISCV4_RX;
				h->len = MSG_BYTES - sizeof(*h);
				h->seq = seq;
				h->rx_tsc = 0;
				memset(h + 1, (int)seq, MSG_BYTES - sizeof(*h));
				d[i] = (struct msg_desc){ .slot = slots[i],
					.len = MSG_BYTES, .kind = MSG_DISCV4_RX };
			} else {
				d[i] = (struct msg_desc){ .slot = seq,
					.kind = MSG_DISCV4_RX,
					.flags = MSG_DESC_F_NOSLOT };
			}
		}
		sent = 0;
		/* Keep what was allocated: retry the tail rather than leak. */
		while (sent < n)
			sent += shmring_enqueue(q, d + sent, n - sent);
		if ((++iter & 255) == 0 && (t = bench_now()) - t0 >= ROW_S)
			break;
	}
	while (shmring_enqueue(q, &stop, 1) != 1)
		;
	*elapsed = bench_now() - t0;
}

/* run() measures one row: messages per second from this process to a
 * forked consumer. The child attaches through the memfd passed over a
 * socketpair, as devplane does with devplane-dp. */
static double run(enum mode mode)
{
	struct shmring_cfg cfg = { .n_rings = 2, .ring_size = RING_SIZE,
				   .n_slots = N_SLOTS };
	struct shmring *r = NULL;
	uint64_t got = 0;
	double elapsed = 0;
	int sv[2], st = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		struct shmring *c = NULL;
		int fd;

		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin(1);
		if (shmring_recv_fd(sv[1], &fd) < 0)
			_exit(1);
		if (shmring_attach(&c, fd) < 0)
			_exit(2);
		got = consumer(c, mode);
		_exit(write(sv[1], &got, sizeof(got)) == sizeof(got) ? 0 : 3);
	}
	close(sv[1]);
	pin(0);
	if (shmring_create(&r, &cfg) < 0 ||
	    shmring_send_fd(sv[0], shmring_fd(r)) < 0) {
		kill(pid, SIGKILL);
		got = 0;
	} else {
		producer(r, mode, &elapsed);
		if (read(sv[0], &got, sizeof(got)) != sizeof(got))
			got = 0;
	}
	waitpid(pid, &st, 0);
	close(sv[0]);
	shmring_free(r);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || got == UINT64_MAX ||
	    elapsed <= 0)
		return -1;
	return (double)got / elapsed;
}

/* local() is the same ring in one thread: the cost without the cache-line
 * ping-pong between cores. */
static double local(void)
{
	struct shmring_cfg cfg = { .n_rings = 1, .ring_size = RING_SIZE,
				   .n_slots = 1 };
	struct shmring *r = NULL;
	struct msg_desc d[BURST] = { 0 };
	struct shmring_q *q;
	uint64_t n = 0;
	double t0, t;

	if (shmring_create(&r, &cfg) < 0)
		return -1;
	q = shmring_ring(r, 0);
	t0 = bench_now();
	do {
		for (int i = 0; i < 1024; i++) {
			shmring_enqueue(q, d, BURST);
			n += shmring_dequeue(q, d, BURST);
		}
	} while ((t = bench_now()) - t0 < ROW_S);
	shmring_free(r);
	return (double)n / (t - t0);
}

static void unpin(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void bench_shmring(void)
{
	double v;

	bench_section("shmring: rte_ring in a memfd, burst 32, two processes");
	v = run(MODE_DESC);
	unpin();
	bench_report("descriptors dp->ctl", v, sizeof(struct msg_desc),
		     v < 0 ? "FAILED" : "8-byte desc, SPSC, 1024 deep");
	v = run(MODE_SLOT);
	unpin();
	bench_report("slot msgs alloc+enq/deq+free", v, MSG_BYTES,
		     v < 0 ? "FAILED" : "256 B written, hdr checked");
	v = local();
	bench_report("descriptors, one thread", v, sizeof(struct msg_desc),
		     v < 0 ? "FAILED" : "enqueue+dequeue, no core hop");
}
