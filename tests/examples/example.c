/* SPDX-License-Identifier: MIT */
/* tests/examples/example.c - what the tutorial examples share (tests/examples/example.h). */
#include "tests/examples/example.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];
static const char *prog = "example";

static void cleanup(void)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	if (!tmpdir[0])
		return;
	d = opendir(tmpdir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

void ex_init(const char *name)
{
	const char *t = getenv("TMPDIR");

	prog = name;
	alarm(EX_ALARM_S);              /* the last resort, not a timing */
	snprintf(tmpdir, sizeof(tmpdir), "%s/devplane-ex.XXXXXX",
		 t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(cleanup);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

const char *ex_path(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

void ex_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s: FAIL %s:%d: %s\n", prog, file, line, what);
	exit(1);
}

void ex_config(struct devplane_config *c)
{
	const char *v = getenv("EX_VERBOSE");

	memset(c, 0, sizeof(*c));
	c->listen = "127.0.0.1:0";
	c->no_discovery = true;
	c->verbosity = v ? atoi(v) : 0;
}

struct devplane *ex_new(const struct devplane_config *c)
{
	struct devplane *n = NULL;
	int rc;

	/* Port 0: the dataplane picks a free UDP port and TCP takes the
	 * same number, which a TCP socket elsewhere may hold: pick again. */
	for (int i = 0; i < 5; i++) {
		rc = devplane_new(&n, c);
		if (rc != -EADDRINUSE)
			break;
		fprintf(stderr, "%s: TCP port taken, again\n", prog);
	}
	if (rc) {
		fprintf(stderr, "%s: devplane_new: %s\n", prog, strerror(-rc));
		exit(1);
	}
	return n;
}

bool ex_run(struct devplane *const *nodes, size_t n, ex_cond_fn *cond,
	    void *arg, uint32_t ms)
{
	uint64_t end = devplane_now_ns() + (uint64_t)ms * 1000000ull;

	for (;;) {
		if (cond && cond(arg))
			return true;
		if (devplane_now_ns() >= end)
			return false;
		for (size_t i = 0; i < n; i++) {
			int rc = devplane_poll(nodes[i], n > 1 ? 5 : 20);

			if (rc < 0) {
				fprintf(stderr, "%s: devplane_poll: %s\n",
					prog, strerror(-rc));
				exit(1);
			}
		}
	}
}

const char *ex_hex(const uint8_t *id, size_t len)
{
	static char s[2 * DEVPLANE_ID_LEN + 1];

	for (size_t i = 0; i < len && i < DEVPLANE_ID_LEN; i++)
		snprintf(s + 2 * i, 3, "%02x", id[i]);
	return s;
}

void ex_spawn(struct ex_child *c, char *const argv[])
{
	int p[2];

	memset(c, 0, sizeof(*c));
	if (pipe2(p, O_CLOEXEC)) {
		perror("pipe2");
		exit(1);
	}
	c->pid = fork();
	if (c->pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!c->pid) {
		sigset_t none;

		/* The node's loop blocks SIGINT/SIGTERM: not the child. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(p[1], 1);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(p[1]);
	c->fd = p[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

static void child_read(struct ex_child *c)
{
	while (!c->eof && c->len < sizeof(c->buf)) {
		ssize_t n = read(c->fd, c->buf + c->len,
				 sizeof(c->buf) - c->len);

		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		c->eof = true;
	}
	if (!c->exited && c->pid > 0) {
		int st;

		if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
			c->exited = true;
			c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
	}
}

bool ex_child_line(struct ex_child *c, char *line, size_t cap)
{
	char *nl;
	size_t k;

	child_read(c);
	nl = memchr(c->buf, '\n', c->len);
	if (!nl)
		return false;
	k = (size_t)(nl - c->buf);
	snprintf(line, cap, "%.*s", (int)k, c->buf);
	memmove(c->buf, nl + 1, c->len - k - 1);
	c->len -= k + 1;
	return true;
}

bool ex_child_done(struct ex_child *c)
{
	child_read(c);
	return c->exited && c->eof;
}

void ex_child_kill(struct ex_child *c)
{
	if (c->pid > 0 && !c->exited) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, NULL, 0);
		c->exited = true;
	}
	if (c->fd > 0)
		close(c->fd);
	c->fd = -1;
}
