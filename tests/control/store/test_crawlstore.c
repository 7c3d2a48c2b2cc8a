/* SPDX-License-Identifier: MIT */
/* tests/control/store/test_crawlstore.c - the crawl output's writer thread: geth's layout and the rows, coalescing, snapshots a reader or a SIGKILL never sees half-written, its own schedule, the last write at close. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/enode.h"
#include "common/keccak.h"
#include "control/store/crawlstore.h"
#include "control/store/crawldb.h"
#include "control/store/nodedb.h"
#include "control/store/sqlitestore.h"
#include "control/store/nodesjson.h"

#define SEC 1000000000ull

static char g_dir[64];

static int group_setup(void **st)
{
	(void)st;
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_crawlstore.XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", g_dir, name);
	unlink(out);
}

/* Node i: a made-up key (the store does not check keys), its id, an
 * endpoint on 10.0.x.y. */
static struct crawl_out node(unsigned i, int score)
{
	struct crawl_out o;

	memset(&o, 0, sizeof(o));
	for (unsigned k = 0; k < 64; k++)
		o.n.id[k] = (uint8_t)(i * 131 + k * 7 + 1);
	memcpy(o.n.id + 60, &i, sizeof(i));     /* distinct for every i */
	keccak256(o.id, o.n.id, 64);
	o.n.ep.ip_len = 4;
	o.n.ep.ip[10] = o.n.ep.ip[11] = 0xff;
	o.n.ep.ip[12] = 10;
	o.n.ep.ip[14] = (uint8_t)(i >> 8);
	o.n.ep.ip[15] = (uint8_t)i;
	o.n.ep.udp = 30303;
	o.n.ep.tcp = (uint16_t)(i % 3 ? 30303 : 0);
	o.score = score;
	o.first_response = score > 0 ? 1700000000 + i : CRAWL_ZERO_TIME;
	o.last_response = score > 0 ? 1700000100 + i : CRAWL_ZERO_TIME;
	o.last_check = 1700000000;
	o.events = CRAWL_EV_SEEN;
	o.fail = -1;
	return o;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);

		n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The number of nodes in a complete nodes.json, or -1 when it does not
 * parse as one JSON object. */
static long json_nodes(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	long n;

	if (!j || !json_is_object(j)) {
		json_decref(j);
		return -1;
	}
	n = (long)json_object_size(j);
	json_decref(j);
	return n;
}

static unsigned temp_files(const char *name)
{
	char prefix[128];
	struct dirent *d;
	unsigned n = 0;
	DIR *dir = opendir(g_dir);

	assert_non_null(dir);
	snprintf(prefix, sizeof(prefix), "%s.tmp.", name);
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, prefix, strlen(prefix));
	closedir(dir);
	return n;
}

/* nodes.json is exactly nodesjson_fprint() of the nodes with score > 0,
 * each with its latest record text or else its enode URL; the database
 * holds every node (score 0 too) and the RLPx rows. */
static void test_crawlstore_writes_geth_layout_and_rows(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct nodesjson_entry es[3];
	struct crawlstore_stats cs;
	struct rlpxprobe_result pr;
	struct crawlstore *s;
	struct crawldb *db;
	struct crawl_out o;
	char path[128], dbp[128], *text, *want;
	size_t len, wlen;
	FILE *f;

	(void)st;
	path_of(path, sizeof(path), "layout.json");
	path_of(dbp, sizeof(dbp), "layout.sqlite");
	assert_int_equal(crawldb_open(&db, dbp), 0);
	sc.json_path = path;
	sc.db = db;
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	/* 0: an ENR; 1: no record (URL); 2: score 0 (not in nodes.json);
	 * 3: a prior record replaced by a verified one. */
	o = node(0, 2);
	o.record = "enr:-first";
	o.seq = 5;
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	o = node(1, 1);
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	o = node(2, 0);
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	o = node(3, 1);
	o.record = "enode://prior";
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	assert_int_equal(crawlstore_flush(s), 0);
	o.record = "enr:-verified";
	o.seq = 9;
	o.events = CRAWL_EV_ENR;
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	memset(&pr, 0, sizeof(pr));
	memcpy(pr.pub, node(1, 1).n.id, 64);
	pr.tcp = 30303;
	pr.err = -ECONNREFUSED;
	pr.disc_reason = P2P_DISC_NONE;
	assert_int_equal(crawlstore_put_rlpx(s, &pr), 0);
	assert_int_equal(crawlstore_flush(s), 0);
	crawlstore_stats(s, &cs);
	assert_int_equal(cs.nodes, 4);
	assert_int_equal(cs.in_output, 3);
	assert_int_equal(cs.rlpx_rows, 1);
	assert_int_equal(cs.json_errors + cs.db_errors + cs.dropped, 0);

	memset(es, 0, sizeof(es));
	o = node(0, 2);
	memcpy(es[0].id, o.id, 32);
	es[0].seq = 5;
	es[0].record = "enr:-first";
	es[0].score = 2;
	es[0].first_response = o.first_response;
	es[0].last_response = o.last_response;
	es[0].last_check = o.last_check;
	o = node(1, 1);
	memcpy(es[1].id, o.id, 32);
	{
		static char url[ENODE_URL_MAX + 1];
		struct enode e;

		memset(&e, 0, sizeof(e));
		memcpy(e.pub, o.n.id, 64);
		e.kind = ENODE_HOST_IP4;
		memcpy(e.ip, o.n.ep.ip, 16);
		e.udp = o.n.ep.udp;
		e.tcp = o.n.ep.tcp;
		assert_true(enode_format(url, sizeof(url), &e) > 0);
		es[1].record = url;
	}
	es[1].score = 1;
	es[1].first_response = o.first_response;
	es[1].last_response = o.last_response;
	es[1].last_check = o.last_check;
	o = node(3, 1);
	memcpy(es[2].id, o.id, 32);
	es[2].seq = 9;
	es[2].record = "enr:-verified";
	es[2].score = 1;
	es[2].first_response = o.first_response;
	es[2].last_response = o.last_response;
	es[2].last_check = o.last_check;
	f = open_memstream(&want, &wlen);
	assert_non_null(f);
	assert_int_equal(nodesjson_fprint(f, es, 3), 0);
	fclose(f);
	text = read_all(path, &len);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
	free(want);
	assert_int_equal(crawlstore_close(s), 0);
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "crawl_nodes"), 4);
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "visits"), 1);
	crawldb_close(db);
	assert_int_equal(temp_files("layout.json"), 0);
}

/* A node emitted many times before the thread takes the queue is one
 * entry: the latest state wins, a record text stays until a newer one. */
static void test_crawlstore_coalesces_queue(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct crawlstore_stats cs;
	struct crawlstore *s;
	struct crawl_out o;
	char path[128], *text;
	size_t len;

	(void)st;
	path_of(path, sizeof(path), "coalesce.json");
	sc.json_path = path;
	sc.interval_ns = 3600 * SEC;    /* only flushes write */
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	assert_int_equal(crawlstore_flush(s), 0);       /* "{}" */
	for (int k = 1; k <= 10000; k++) {
		o = node(7, k);
		o.record = k == 5 ? "enr:-five" : NULL;
		assert_int_equal(crawlstore_put_node(s, &o), 0);
	}
	assert_int_equal(crawlstore_flush(s), 0);
	crawlstore_stats(s, &cs);
	assert_int_equal(cs.puts, 10000);
	assert_int_equal(cs.nodes, 1);
	assert_int_equal(cs.json_writes, 2);
	text = read_all(path, &len);
	assert_non_null(text);
	assert_int_equal(json_nodes(text, len), 1);
	assert_non_null(strstr(text, "\"score\": 10000,"));
	assert_non_null(strstr(text, "\"record\": \"enr:-five\""));
	free(text);
	assert_int_equal(crawlstore_close(s), 0);
}

/* crawl --v4 --v5: one crawler's finished check queued, then the other
 * crawler's first sighting of the node (score 0) before the thread took
 * the queue: the check's state is what gets written. */
static void test_crawlstore_sighting_keeps_check(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct crawlstore *s;
	struct crawl_out o;
	char path[128], *text;
	size_t len;

	(void)st;
	path_of(path, sizeof(path), "sighting.json");
	sc.json_path = path;
	sc.interval_ns = 3600 * SEC;    /* only flushes write */
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	o = node(9, 3);
	o.events = CRAWL_EV_DONE | CRAWL_EV_ANSWERED;
	o.record = "enr:-checked";
	o.seq = 5;
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	o = node(9, 0);
	o.record = "enr:-older";
	o.seq = 4;
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	assert_int_equal(crawlstore_flush(s), 0);
	text = read_all(path, &len);
	assert_non_null(text);
	assert_int_equal(json_nodes(text, len), 1);
	assert_non_null(strstr(text, "\"score\": 3,"));
	assert_non_null(strstr(text, "\"record\": \"enr:-checked\""));
	free(text);
	/* Once written, a later sighting is applied as before. */
	o = node(9, 0);
	assert_int_equal(crawlstore_put_node(s, &o), 0);
	assert_int_equal(crawlstore_flush(s), 0);
	text = read_all(path, &len);
	assert_non_null(text);
	assert_int_equal(json_nodes(text, len), 0);
	free(text);
	assert_int_equal(crawlstore_close(s), 0);
}

/* ---- a reader never sees a partial file ------------------------------ */

struct reader {
	const char *path;
	atomic_int stop;
	unsigned reads, bad;
	long last, went_back;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&r->stop)) {
		size_t len;
		char *text = read_all(r->path, &len);
		long n;

		if (!text)
			continue;       /* before the first write */
		n = json_nodes(text, len);
		free(text);
		r->reads++;
		if (n < 0)
			r->bad++;
		else if (n < r->last)
			r->went_back++;
		else
			r->last = n;
	}
	return NULL;
}

/* While the thread replaces nodes.json 100 times with ever larger sets, a
 * reader that opens and parses it in a loop only ever finds a complete
 * file, with never fewer nodes than before; no temporary file is left. */
static void test_crawlstore_reader_never_sees_partial_file(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct reader r = { 0 };
	struct crawlstore_stats cs;
	struct crawlstore *s;
	pthread_t t;
	char path[128];

	(void)st;
	path_of(path, sizeof(path), "atomic.json");
	sc.json_path = path;
	sc.interval_ns = 1;             /* write whenever there is news */
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	r.path = path;
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	for (unsigned round = 0; round < 100; round++) {
		for (unsigned k = 0; k < 20; k++) {
			struct crawl_out o = node(round * 20 + k, 1);

			assert_int_equal(crawlstore_put_node(s, &o), 0);
		}
		assert_int_equal(crawlstore_flush(s), 0);
	}
	atomic_store(&r.stop, 1);
	pthread_join(t, NULL);
	crawlstore_stats(s, &cs);
	print_message("%llu writes, %u reads, %u partial, last %ld nodes\n",
		      (unsigned long long)cs.json_writes, r.reads, r.bad,
		      r.last);
	assert_true(cs.json_writes >= 100);
	assert_true(r.reads > 0);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.went_back, 0);
	assert_int_equal(crawlstore_close(s), 0);
	assert_int_equal(temp_files("atomic.json"), 0);
}

/* A process killed with SIGKILL at any moment of its writes leaves the
 * last complete nodes.json: a child writes ever larger sets as fast as
 * it can, the parent kills it after a varying delay, 20 times, and the
 * file always parses and holds at least the child's first write. */
static void test_crawlstore_sigkill_leaves_complete_file(void **st)
{
	char path[128];
	long n = 0;

	(void)st;
	path_of(path, sizeof(path), "killed.json");
	for (unsigned kill_no = 0; kill_no < 20; kill_no++) {
		int status, pfd[2];
		char ready;
		pid_t pid;

		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct crawlstore_config sc = { .json_path = path,
							.interval_ns = 1 };
			struct crawlstore *s;

			close(pfd[0]);
			/* Never outlive the test, whatever happens. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (crawlstore_new(&s, &sc))
				_exit(1);
			for (unsigned k = 0; k < 10000000; k++) {
				struct crawl_out o = node(k % 60000, 1);

				crawlstore_put_node(s, &o);
				if (k % 50 == 49) {
					crawlstore_flush(s);
					if (k == 49 &&
					    write(pfd[1], "r", 1) != 1)
						_exit(1);
				}
			}
			_exit(1);
		}
		close(pfd[1]);
		/* Killed once it wrote at least once, then after 0-19 ms. */
		assert_int_equal(read(pfd[0], &ready, 1), 1);
		close(pfd[0]);
		{
			struct timespec ts = { 0, (long)(kill_no % 20) * 1000000 };

			nanosleep(&ts, NULL);
		}
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		{
			size_t len;
			char *text = read_all(path, &len);

			assert_non_null(text);
			n = json_nodes(text, len);
			free(text);
			assert_true(n >= 50);
		}
	}
	/* Each child removed what the one before left: at most the last
	 * one's temporary file remains. */
	assert_true(temp_files("killed.json") <= 1);
	print_message("after 20 kills: %ld nodes\n", n);
}

/* The thread writes on its own, without flushes, when something changed,
 * and never twice within the interval: puts spread over 2 s with a 250 ms
 * interval give at most 2 s / 250 ms + 1 writes; the last state arrives
 * without any flush. */
static void test_crawlstore_thread_writes_on_its_own(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct crawlstore_stats cs;
	struct crawlstore *s;
	struct timespec t0, t1, pause = { 0, 10000000 };
	char path[128];
	double secs;
	long n = -1;

	(void)st;
	path_of(path, sizeof(path), "auto.json");
	sc.json_path = path;
	sc.interval_ns = 250000000ull;
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned k = 0; k < 200; k++) {
		struct crawl_out o = node(k, 1);

		assert_int_equal(crawlstore_put_node(s, &o), 0);
		nanosleep(&pause, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Wait (bounded: 60 s) for the thread to write the 200th node. */
	for (unsigned i = 0; i < 6000 && n != 200; i++) {
		size_t len;
		char *text = read_all(path, &len);

		n = text ? json_nodes(text, len) : -1;
		free(text);
		if (n != 200)
			nanosleep(&pause, NULL);
	}
	assert_int_equal(n, 200);
	crawlstore_stats(s, &cs);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%llu writes for puts over %.2f s\n",
		      (unsigned long long)cs.json_writes, secs);
	assert_true(cs.json_writes >= 1);
	/* One-sided: a slow machine only writes less often. The reads
	 * above add at most one interval after t1, and the first write
	 * comes at once. */
	assert_true((double)cs.json_writes <= (secs + 0.6) / 0.25 + 2);
	assert_int_equal(crawlstore_close(s), 0);
}

/* Close writes what is queued even with no flush and an interval of an
 * hour; a store given nothing leaves an old file alone; a path that
 * cannot be written is an error of flush and close, counted. */
static void test_crawlstore_close_writes_last(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct crawlstore_stats cs;
	struct crawlstore *s;
	struct crawldb *db;
	char path[128], dbp[128], *text;
	size_t len;

	(void)st;
	path_of(path, sizeof(path), "last.json");
	path_of(dbp, sizeof(dbp), "last.sqlite");
	assert_int_equal(crawldb_open(&db, dbp), 0);
	sc.json_path = path;
	sc.db = db;
	sc.interval_ns = 3600 * SEC;
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	for (unsigned k = 0; k < 500; k++) {
		struct crawl_out o = node(k, k % 2);

		assert_int_equal(crawlstore_put_node(s, &o), 0);
	}
	assert_int_equal(crawlstore_close(s), 0);
	text = read_all(path, &len);
	assert_non_null(text);
	assert_int_equal(json_nodes(text, len), 250);
	free(text);
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "crawl_nodes"), 500);
	crawldb_close(db);

	/* Given nothing: an existing nodes.json stays (a crawl that failed
	 * to start must not wipe the last one); a flush writes "{}". */
	path_of(path, sizeof(path), "empty.json");
	sc.db = NULL;
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("{\"old\": 1}", f);
		fclose(f);
	}
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	assert_int_equal(crawlstore_close(s), 0);
	text = read_all(path, &len);
	assert_non_null(text);
	assert_string_equal(text, "{\"old\": 1}");
	free(text);
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	assert_int_equal(crawlstore_flush(s), 0);
	assert_int_equal(crawlstore_close(s), 0);
	text = read_all(path, &len);
	assert_non_null(text);
	assert_string_equal(text, "{}");
	free(text);

	snprintf(path, sizeof(path), "%s/no/such/dir/nodes.json", g_dir);
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	{
		struct crawl_out o = node(1, 1);

		assert_int_equal(crawlstore_put_node(s, &o), 0);
	}
	assert_int_equal(crawlstore_flush(s), -ENOENT);
	crawlstore_stats(s, &cs);
	/* The flush's write, and maybe the thread's own first one. */
	assert_true(cs.json_errors >= 1 && cs.json_errors <= 2);
	assert_int_equal(cs.json_writes, 0);
	assert_int_equal(cs.last_err, -ENOENT);
	assert_int_equal(crawlstore_close(s), -ENOENT);

	sc.json_path = NULL;
	assert_int_equal(crawlstore_new(&s, &sc), -EINVAL);
	assert_int_equal(crawlstore_close(NULL), 0);
}

/* The store's thread blocks SIGINT and SIGTERM, whatever the caller's
 * mask: a process-directed signal must reach the host's signalfd, not
 * end the process from the writer thread without the last write. */
static void test_crawlstore_thread_blocks_signals(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct crawlstore *s;
	struct dirent *d;
	char path[128];
	unsigned threads = 0;
	DIR *dir;

	(void)st;
	path_of(path, sizeof(path), "signals.json");
	sc.json_path = path;
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	dir = opendir("/proc/self/task");
	assert_non_null(dir);
	while ((d = readdir(dir))) {
		char status[300], line[256], name[32] = "";
		unsigned long long blk = 0;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(status, sizeof(status), "/proc/self/task/%s/status",
			 d->d_name);
		f = fopen(status, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			(void)sscanf(line, "Name: %31s", name);
			(void)sscanf(line, "SigBlk: %llx", &blk);
		}
		fclose(f);
		if (strcmp(name, "crawlstore"))
			continue;       /* ours, or a sanitizer's */
		assert_true(blk & (1ull << (SIGINT - 1)));
		assert_true(blk & (1ull << (SIGTERM - 1)));
		threads++;
	}
	closedir(dir);
	assert_int_equal(threads, 1);
	assert_int_equal(crawlstore_close(s), 0);
}

/* ---- leased visits ------------------------------------------------------ */

static int int_row(void *user, const struct crawldb_val *c, size_t n)
{
	int64_t *out = user;

	for (size_t i = 0; i < n; i++)
		out[i] = c[i].type == CRAWLDB_INT ? c[i].i :
			 c[i].type == CRAWLDB_NULL ? -1 : -2;
	return 0;
}

/* Takes the answer to a lease request, waiting (bounded) on the fd. */
static ssize_t take(struct crawlstore *s, struct discv4_node *out, size_t max,
		    bool *pending, bool *leased)
{
	ssize_t n = -EAGAIN;

	for (int i = 0; i < 1000 && n == -EAGAIN; i++) {
		int fd = crawlstore_fd(s);
		fd_set rd;
		struct timeval tv = { 0, 10000 };

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		(void)select(fd + 1, &rd, NULL, NULL, &tv);
		n = crawlstore_take_leased(s, out, max, pending, leased);
	}
	return n;
}

/* A leased store: learnt nodes go into the round's queue, a lease request
 * is answered through the fd, a finished visit is written with both its
 * parts (or as not visited), neighbours are a set, and the close puts
 * back what was leased and not finished. */
static void test_crawlstore_leased_visits(void **st)
{
	struct crawlstore_config sc = { 0 };
	struct crawlstore_stats cs;
	struct rlpxprobe_result r;
	struct discv4_node got[8];
	struct crawlstore *s;
	struct crawldb *db;
	bool pending, leased;
	char dbp[128], sql[256];
	uint8_t nbr[2][CRAWL_ID_LEN];
	int64_t v[4];
	ssize_t n;

	(void)st;
	path_of(dbp, sizeof(dbp), "leased.sqlite");
	assert_int_equal(crawldb_open(&db, dbp), 0);
	sc.db = db;
	sc.leased = true;
	sc.round = "round-1";
	sc.me.host = "test";
	assert_int_equal(crawlstore_new(&s, &sc), 0);
	assert_true(crawlstore_fd(s) >= 0);
	assert_int_equal(crawlstore_take_leased(s, got, 8, &pending, &leased),
			 -EAGAIN);
	for (unsigned k = 0; k < 5; k++) {
		struct crawl_out o = node(k, 0);

		o.last_check = CRAWL_ZERO_TIME;
		assert_int_equal(crawlstore_put_node(s, &o), 0);
	}
	assert_int_equal(crawlstore_lease(s, 3), 0);
	assert_int_equal(crawlstore_lease(s, 3), -EBUSY);
	n = take(s, got, 8, &pending, &leased);
	assert_int_equal(n, 3);
	assert_true(pending && leased); /* nodes came: not said */
	/* Visit got[0]: its check and its probe, then its finish. */
	{
		struct crawl_out o;

		for (unsigned k = 0; k < 5; k++) {
			o = node(k, 1);
			if (!memcmp(o.n.id, got[0].id, 64))
				break;
		}
		assert_memory_equal(o.n.id, got[0].id, 64);
		o.events = CRAWL_EV_DONE | CRAWL_EV_ANSWERED;
		o.answered = o.replied = true;
		o.check_ns = 1700000000ull * SEC;
		o.done_ns = o.check_ns + SEC / 2;
		o.neighbors = 2;
		assert_int_equal(crawlstore_put_node(s, &o), 0);
		memset(&r, 0, sizeof(r));
		memcpy(r.pub, o.n.id, 64);
		r.tcp = 30303;
		r.err = -ECONNREFUSED;
		r.disc_reason = P2P_DISC_NONE;
		assert_int_equal(crawlstore_put_rlpx(s, &r), 0);
		memcpy(nbr[0], o.id, CRAWL_ID_LEN);    /* itself, say */
		memset(nbr[1], 7, CRAWL_ID_LEN);
		assert_int_equal(crawlstore_put_neighbors(s, o.id,
			(const uint8_t (*)[CRAWL_ID_LEN])nbr, 2), 0);
		assert_int_equal(crawlstore_put_neighbors(s, o.id,
			(const uint8_t (*)[CRAWL_ID_LEN])nbr, 1), 0);
		assert_int_equal(crawlstore_finish(s, o.id), 0);
	}
	/* got[1]: finished without any part (not visited). */
	{
		uint8_t id[CRAWL_ID_LEN];

		keccak256(id, got[1].id, 64);
		assert_int_equal(crawlstore_finish(s, id), 0);
	}
	assert_int_equal(crawlstore_flush(s), 0);
	crawlstore_stats(s, &cs);
	assert_int_equal(cs.visits, 2);
	assert_int_equal(cs.leased, 3);
	assert_int_equal(cs.leases_lost, 0);
	assert_int_equal(cs.rlpx_rows, 1);
	/* A late Pong of got[1] after its visit was committed: the row
	 * says answered. */
	for (unsigned k = 0; k < 5; k++) {
		struct crawl_out o = node(k, 1);

		if (memcmp(o.n.id, got[1].id, 64))
			continue;
		o.events = CRAWL_EV_ANSWERED;
		o.answered = true;
		assert_int_equal(crawlstore_put_node(s, &o), 0);
	}
	assert_int_equal(crawlstore_flush(s), 0);
	/* The other two still pending; asking again gets them. */
	assert_int_equal(crawlstore_lease(s, 8), 0);
	assert_int_equal(take(s, got, 8, &pending, &leased), 2);
	assert_int_equal(crawlstore_close(s), 0);

	snprintf(sql, sizeof(sql), "SELECT count(*), sum(answered), "
		 "sum(rlpx_error = 'refused'), sum(disc_error = 'not visited') "
		 "FROM visits WHERE crawl_id = %lld", (long long)cs.crawl_id);
	assert_int_equal(crawldb_query(db, sql, int_row, v), 0);
	assert_int_equal(v[0], 2);
	assert_int_equal(v[1], 2);      /* got[1]: late */
	assert_int_equal(v[2], 1);
	assert_int_equal(v[3], 1);
	assert_int_equal(nodedb_count(sqlitestore_nodedb(db), "neighbors"), 2);
	/* The close put the three unfinished leases back. */
	snprintf(sql, sizeof(sql), "SELECT sum(state = 0), sum(state = 2), "
		 "sum(state = 1) FROM crawl_queue WHERE crawl_id = %lld",
		 (long long)cs.crawl_id);
	assert_int_equal(crawldb_query(db, sql, int_row, v), 0);
	assert_int_equal(v[0], 3);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 0);
	snprintf(sql, sizeof(sql), "SELECT leased, visits, ended_at IS NULL "
		 "FROM crawlers WHERE id = %lld", (long long)cs.crawler_id);
	assert_int_equal(crawldb_query(db, sql, int_row, v), 0);
	assert_int_equal(v[0], 5);
	assert_int_equal(v[1], 2);
	assert_int_equal(v[2], 0);
	crawldb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crawlstore_writes_geth_layout_and_rows),
		cmocka_unit_test(test_crawlstore_coalesces_queue),
		cmocka_unit_test(test_crawlstore_sighting_keeps_check),
		cmocka_unit_test(test_crawlstore_reader_never_sees_partial_file),
		cmocka_unit_test(test_crawlstore_sigkill_leaves_complete_file),
		cmocka_unit_test(test_crawlstore_thread_writes_on_its_own),
		cmocka_unit_test(test_crawlstore_close_writes_last),
		cmocka_unit_test(test_crawlstore_thread_blocks_signals),
		cmocka_unit_test(test_crawlstore_leased_visits),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
