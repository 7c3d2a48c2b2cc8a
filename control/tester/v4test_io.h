/* SPDX-License-Identifier: MIT */
/* control/tester/v4test_io.h - the discv4 conformance tester's own UDP sockets. */
#ifndef CONTROL_V4TEST_IO_H
#define CONTROL_V4TEST_IO_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The conformance suite (control/tester/v4test.h) plays a remote peer: it needs
 * plain kernel UDP sockets bound to chosen tester addresses (127.0.0.1 and
 * 127.0.0.2), blocking reads with a deadline and nothing else. That is not
 * the dataplane's job (the node under test may be our own devplane-dp), so
 * these few socket calls live here rather than in control/host/loop.c, whose
 * sockets all go through the dataplane link.
 *
 * Addresses are 16 bytes, IPv4-mapped for IPv4. Ports are host order.
 * A socket belongs to one thread at a time.
 */

/* v4test_io_open() opens a UDP socket bound to addr, port 0, and writes
 * the kernel-chosen port to *port. Returns the fd (>= 0) or -errno
 * (-EADDRNOTAVAIL when addr is not local). */
int v4test_io_open(const uint8_t addr[16], uint16_t *port);

/* v4test_io_send() sends buf[0..len) to addr:port. Returns 0 or -errno. */
int v4test_io_send(int fd, const uint8_t addr[16], uint16_t port,
		   const uint8_t *buf, size_t len);

/* v4test_io_recv() waits until deadline_ms (v4test_io_now_ms() clock) for
 * one datagram, copies at most cap bytes of it to buf and its source to
 * from/from_port. Returns the datagram's real length (may exceed cap: it
 * was truncated), -ETIMEDOUT at the deadline, or -errno. */
ssize_t v4test_io_recv(int fd, uint8_t *buf, size_t cap, uint8_t from[16],
		       uint16_t *from_port, uint64_t deadline_ms);

/* v4test_io_close() closes fd (negative: no-op). */
void v4test_io_close(int fd);

/* v4test_io_now_ms() is CLOCK_MONOTONIC in milliseconds (deadlines). */
uint64_t v4test_io_now_ms(void);

/* v4test_io_unix_s() is the Unix time in seconds (packet expirations). */
uint64_t v4test_io_unix_s(void);

#endif /* CONTROL_V4TEST_IO_H */
