/* SPDX-License-Identifier: MIT */
/* control/session.h - RLPx session host: TCP accept/dial, handshake and Hello in control, handover to the dataplane, p2p over dplink; `devplane node` and `devplane rlpx ping`. */
#ifndef CONTROL_SESSION_H
#define CONTROL_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One connection's path (DESIGN.md, the kernel-TLS split):
 *   accept (server_inbound_begin: netrestrict, pending cap, throttle) or
 *   dial (control/dial.h picks the target) -> RLPx handshake
 *   (control/rlpx.h, 5 s) -> server_add_peer (self, duplicate, maxpeers)
 *   -> p2p Hello exchange framed here with common/rlpx_frame (reads stop
 *   exactly at the end of the remote's Hello frame, so no byte of the
 *   stream is left behind) -> on p2p's on_active the socket and the frame
 *   state go to devplane-dp (dplink_rlpx_handover) -> from then on p2p,
 *   eth, ping and custom protocols run over dplink_rlpx_send and
 *   MSG_RLPX_RX / MSG_RLPX_CLOSED.
 * Everything runs on the loop's thread.
 */

/* session_node_main() runs `devplane node ...` (argv[0] is the program,
 * argv[1] "node"). Returns the process exit status. */
int session_node_main(int argc, char **argv);

/* session_rlpx_ping_main() runs `devplane rlpx ping ENODE [--timeout DUR]`
 * (argv[1] "rlpx", argv[2] "ping"): dials, handshakes, sends our Hello and
 * prints the remote's Hello (or its Disconnect reason). Exit status 0 when
 * a Hello arrived. */
int session_rlpx_ping_main(int argc, char **argv);

#endif /* CONTROL_SESSION_H */
