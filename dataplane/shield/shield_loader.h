/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_loader.h - load, attach, pin and re-open the bpf/
 * XDP flood shield; its maps: dataplane/shield/shield_maps.h. */
#ifndef DATAPLANE_SHIELD_LOADER_H
#define DATAPLANE_SHIELD_LOADER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/shield.h"
#include "dataplane/shield/shield_cidr.h"
#include "dataplane/shield/shield_maps.h"

/*
 * The shield program and its maps outlive the process that attached them:
 * the maps (and the program, for identification) are pinned under
 * <pin_root>/<ifname>/ and the XDP attachment belongs to the interface.
 * A later shield_loader_attach() on the same interface re-opens the pinned
 * maps instead of loading a second copy, so filtering never stops while
 * userspace restarts. Only shield_loader_detach() removes both.
 *
 * A struct shield_loader is a set of file descriptors; it is not
 * thread-safe, but several processes may hold one for the same interface
 * (map updates are atomic per entry). All functions return 0 or -errno
 * unless stated otherwise; -EPERM means the caller lacks CAP_BPF/CAP_NET_ADMIN.
 */

#define SHIELD_PIN_ROOT "/sys/fs/bpf/devplane"

#define SHIELD_DEFAULT_PORT      30303
#define SHIELD_DEFAULT_SRC_RATE  500 /* as DPD_DEFAULT_BUDGET_RATE */
#define SHIELD_DEFAULT_SRC_BURST 1000
#define SHIELD_DEFAULT_PFX_RATE  5000
#define SHIELD_DEFAULT_PFX_BURST 10000
/* Global redirect budget of unverified sources (bpf/shield.h): about what
 * one dataplane worker verifies per second on a loaded 2-vCPU machine,
 * depth well under the AF_XDP RX ring (pktio_afxdp.h). */
#define SHIELD_DEFAULT_UNK_RATE  10000
#define SHIELD_DEFAULT_UNK_BURST 512

enum shield_mode {
	SHIELD_MODE_AUTO,    /* dispatcher, else single native, else generic */
	SHIELD_MODE_MULTI,   /* libxdp multi-program dispatcher, native only */
	SHIELD_MODE_NATIVE,  /* single program, driver mode */
	SHIELD_MODE_GENERIC, /* single program, skb (generic) mode */
	SHIELD_MODE_NONE,    /* loaded but not attached (shield_loader_new) */
};

struct shield_loader;

/* shield_default_cfg() fills *out with the defaults above for UDP port
 * port (host order), allow-list off, no time offset. */
void shield_default_cfg(struct shield_cfg *out, uint16_t port);

/* shield_loader_new() loads the program and fresh, unpinned maps without
 * attaching anything (unit tests, benchmarks: drive it with
 * shield_loader_prog_fd() and BPF_PROG_TEST_RUN). cfg is written to the
 * config map. */
int shield_loader_new(struct shield_loader **out,
		      const struct shield_cfg *cfg);

/* Fields of struct shield_cfg that a caller of shield_loader_attach()
 * sets explicitly (an operator's flag, the port the dataplane bound). */
#define SHIELD_SET_PORT      (1u << 0) /* discv4_port_be */
#define SHIELD_SET_SRC_RATE  (1u << 1)
#define SHIELD_SET_SRC_BURST (1u << 2)
#define SHIELD_SET_PFX_RATE  (1u << 3)
#define SHIELD_SET_PFX_BURST (1u << 4)
#define SHIELD_SET_UNK_RATE  (1u << 5)
#define SHIELD_SET_UNK_BURST (1u << 6)
#define SHIELD_SET_DISCV5    (1u << 7) /* the SHIELD_F_DISCV5 flag */
#define SHIELD_SET_ALL       0xffu

/* shield_cfg_merge() copies the fields named in set (SHIELD_SET_*) from
 * src into *dst and leaves the others (flags but SHIELD_F_DISCV5 and
 * now_offset_ns too). */
void shield_cfg_merge(struct shield_cfg *dst, const struct shield_cfg *src,
		      uint32_t set);

/* shield_loader_attach() makes sure the shield runs on ifname and returns a
 * handle to it. If a pinned shield is already attached there, its maps are
 * re-opened (restart; shield_loader_reattached() is true) and only the
 * fields named in set (SHIELD_SET_*) are taken from cfg: the running
 * config keeps everything else, so a restarted dataplane does not undo
 * what an operator set (set 0: the config is left alone; cfg may then be
 * NULL). Otherwise the program is loaded (any compatible pinned maps are
 * reused), maps and program are pinned under <pin_root>/<ifname>/ and the
 * program attached in the requested mode; cfg, which must then be
 * non-NULL, is written whole (set is ignored: cfg carries the defaults of
 * the fields not set). pin_root NULL means SHIELD_PIN_ROOT.
 * Returns -ENODEV (no such interface), -EINVAL (bad cfg, mode, or a merged
 * config that is not valid), -EOPNOTSUPP (no mode could attach), or
 * another -errno. */
int shield_loader_attach(struct shield_loader **out, const char *ifname,
			 const char *pin_root, enum shield_mode mode,
			 const struct shield_cfg *cfg, uint32_t set);

/* shield_loader_open() re-opens the pinned maps of the shield on ifname
 * without loading or attaching anything (operator commands).
 * Returns -ENOENT if nothing is pinned for ifname. */
int shield_loader_open(struct shield_loader **out, const char *ifname,
		       const char *pin_root);

/* shield_loader_detach() detaches the pinned shield from ifname (if it is
 * still attached), then removes the pins and the pin directory. Handles
 * still open keep working on now-orphaned maps until freed. Returns
 * -ENOENT if nothing was pinned for ifname. */
int shield_loader_detach(const char *ifname, const char *pin_root);

/* shield_loader_free() closes the handle; the attachment and pins stay.
 * NULL is a no-op. */
void shield_loader_free(struct shield_loader *l);

/* True when shield_loader_attach() found a running shield and re-opened it. */
bool shield_loader_reattached(const struct shield_loader *l);

/* The mode the program runs in (SHIELD_MODE_NONE for handles from
 * shield_loader_new(); as detected for shield_loader_open()). */
enum shield_mode shield_loader_mode(const struct shield_loader *l);

/* "multi", "native", "generic", "none" or "auto". */
const char *shield_mode_name(enum shield_mode mode);

/* shield_loader_maps() is the handle's maps (dataplane/shield/shield_maps.h),
 * owned by l and valid until shield_loader_free(). */
struct shield_maps *shield_loader_maps(struct shield_loader *l);

/* Program fd (for BPF_PROG_TEST_RUN); -1 for handles from
 * shield_loader_open() and re-attached handles. */
int shield_loader_prog_fd(const struct shield_loader *l);

/* Read / replace the run-time config. set_cfg validates it: port non-zero,
 * rates <= SHIELD_MAX_RATE, bursts in 1..SHIELD_MAX_BURST when the rate is
 * non-zero. It does not touch SHIELD_F_ALLOWLIST, which the allow-list
 * functions maintain. */
int shield_loader_get_cfg(struct shield_loader *l, struct shield_cfg *out);
int shield_loader_set_cfg(struct shield_loader *l,
			  const struct shield_cfg *cfg);

/* Shield time: CLOCK_MONOTONIC + cfg.now_offset_ns, the clock ban expiry is
 * written in. Returns 0 if the config cannot be read. */
uint64_t shield_loader_now(struct shield_loader *l);

/* Bind (xsk_fd >= 0) or unbind (xsk_fd < 0) the AF_XDP socket of RX queue
 * queue in the XSKMAP. -EINVAL if queue >= SHIELD_MAX_QUEUES. */
int shield_loader_set_xsk(struct shield_loader *l, uint32_t queue,
			  int xsk_fd);

#endif /* DATAPLANE_SHIELD_LOADER_H */
