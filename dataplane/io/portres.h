/* SPDX-License-Identifier: MIT */
/* dataplane/io/portres.h - holding a listen address's UDP port in the kernel
 * for the backends that receive beside the kernel's stack (xdp, dpdk). */
#ifndef DATAPLANE_PORTRES_H
#define DATAPLANE_PORTRES_H
#include <stdint.h>

#include "common/dplink_proto.h"

/* A socket filter that drops every datagram before it is queued: the
 * kernel still counts the port as open (no ICMP port unreachable) but
 * keeps no copy. For a backend whose frames the kernel sees as well
 * (DPDK's net_af_packet). */
#define PORTRES_F_DROP (1u << 0)

/* portres_bind() binds a non-blocking kernel UDP socket to l's address
 * and port: it picks the port when l->port_be is 0 (written back), keeps
 * other programs off the port (SO_REUSEPORT only for a fixed port, so a
 * restarted dataplane may bind beside a closing one) and, unless
 * PORTRES_F_DROP, receives what the XDP program passes to the kernel.
 * Returns the fd (close() it) or -errno (-EADDRINUSE, -EADDRNOTAVAIL). */
int portres_bind(struct dplink_listen *l, uint32_t flags);

#endif /* DATAPLANE_PORTRES_H */
