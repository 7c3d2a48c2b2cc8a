/* SPDX-License-Identifier: MIT */
/* tests/examples/example.h - what the tutorial examples share: nodes on loopback, a bounded loop over several nodes, checks, a child process (a JSON-RPC client) read line by line. */
#ifndef TESTS_EXAMPLE_H
#define TESTS_EXAMPLE_H
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/api/devplane.h"

/*
 * Every example is a program that asserts what it shows and exits 0, or
 * prints why and exits 1; it runs as a meson test with $DEVPLANE_DP set to
 * the built dataplane. Waits are bounded (EX_WAIT_MS per condition, a
 * SIGALRM after EX_ALARM_S for the whole program) and end as soon as the
 * condition holds: nothing depends on how fast the machine is.
 * $EX_VERBOSE (0..5) turns the nodes' logs on.
 */

#define EX_WAIT_MS 20000
#define EX_ALARM_S 120

/* ex_init() arms the alarm and makes a scratch directory (removed at
 * exit). */
void ex_init(const char *name);

/* ex_path() is name inside the scratch directory (static buffer per
 * call: copy it). */
const char *ex_path(const char *name);

/* ex_fail() prints the failed check and exits 1. */
void ex_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));
#define EX_CHECK(c) do { if (!(c)) ex_fail(__FILE__, __LINE__, #c); } while (0)

/* ex_config() fills a config for a node on 127.0.0.1, any port, no
 * discovery, the logs $EX_VERBOSE asks for. */
void ex_config(struct devplane_config *c);

/* ex_new() creates a node from c (checked; a TCP port that another
 * socket holds already is picked again). */
struct devplane *ex_new(const struct devplane_config *c);

/* A condition over the run. */
typedef bool ex_cond_fn(void *arg);

/* ex_run() polls nodes[0..n) in turn until cond(arg) holds (cond NULL:
 * never) or ms passed. Returns whether cond held. */
bool ex_run(struct devplane *const *nodes, size_t n, ex_cond_fn *cond,
	    void *arg, uint32_t ms);

/* ex_hex() writes the first bytes of an id as hex (static buffer). */
const char *ex_hex(const uint8_t *id, size_t len);

/* A child process whose stdout is read line by line, non-blocking. */
struct ex_child {
	pid_t pid;
	int fd;
	char buf[1 << 16];
	size_t len;
	bool eof, exited;
	int status;                     /* exit status once exited */
};

/* ex_spawn() runs argv[0] (PATH search) with stdout to a pipe. */
void ex_spawn(struct ex_child *c, char *const argv[]);

/* ex_child_line() copies the next complete line (without '\n') into
 * line[0..cap) if one was read; reads what the pipe has, reaps the child
 * when it exited. */
bool ex_child_line(struct ex_child *c, char *line, size_t cap);

/* ex_child_done() is true once the child exited and its output is read. */
bool ex_child_done(struct ex_child *c);

/* ex_child_kill() ends it (SIGTERM) and reaps it. */
void ex_child_kill(struct ex_child *c);

#endif /* TESTS_EXAMPLE_H */
