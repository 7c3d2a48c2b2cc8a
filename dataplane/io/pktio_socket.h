/* SPDX-License-Identifier: MIT */
/* dataplane/io/pktio_socket.h - the socket backend ("socket"): recvmmsg and
 * sendmmsg on ordinary UDP sockets, no privileges. */
#ifndef DATAPLANE_PKTIO_SOCKET_H
#define DATAPLANE_PKTIO_SOCKET_H

#include "dataplane/io/pktio.h"

/* One SO_REUSEPORT UDP socket per (listen entry, queue): the kernel
 * spreads sources over the queues. The default backend of every build. */
extern const struct pktio_ops pktio_socket_ops;

#endif /* DATAPLANE_PKTIO_SOCKET_H */
