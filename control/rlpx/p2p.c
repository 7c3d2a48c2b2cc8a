/* SPDX-License-Identifier: MIT */
/* control/rlpx/p2p.c - devp2p base protocol (Hello, Disconnect, Ping/Pong), capability negotiation, subprotocol API. */
#include "control/rlpx/p2p.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rlp.h"
#include "config.h"

#define P2P_DEFAULT_MAX_PEERS 256

/* ------------------------------------------------------------------ */
/* Codecs                                                              */

static const char *const reason_names[] = {
	[P2P_DISC_REQUESTED] = "disconnect requested",
	[P2P_DISC_NETWORK_ERROR] = "network error",
	[P2P_DISC_PROTOCOL_ERROR] = "breach of protocol",
	[P2P_DISC_USELESS_PEER] = "useless peer",
	[P2P_DISC_TOO_MANY_PEERS] = "too many peers",
	[P2P_DISC_ALREADY_CONNECTED] = "already connected",
	[P2P_DISC_INCOMPATIBLE_VERSION] = "incompatible p2p protocol version",
	[P2P_DISC_INVALID_IDENTITY] = "invalid node identity",
	[P2P_DISC_QUITTING] = "client quitting",
	[P2P_DISC_UNEXPECTED_IDENTITY] = "unexpected identity",
	[P2P_DISC_SELF] = "connected to self",
	[P2P_DISC_READ_TIMEOUT] = "read timeout",
	[P2P_DISC_SUBPROTOCOL_ERROR] = "subprotocol error",
};

const char *p2p_disc_reason_name(unsigned reason)
{
	if (reason == P2P_DISC_INVALID)
		return "invalid disconnect reason";
	if (reason == P2P_DISC_NONE)
		return "none";
	if (reason < sizeof(reason_names) / sizeof(reason_names[0]) &&
	    reason_names[reason])
		return reason_names[reason];
	return "unknown";
}

/* GOOS and GOARCH names (geth's "linux-amd64") of the target this file
 * was compiled for: the build's, not the running kernel's, as Go's
 * runtime.GOOS/GOARCH are. __ANDROID__ before __linux__, which it also
 * defines; the 64-bit arches before their 32-bit relatives, whose macros
 * some compilers define as well. */
#if defined(__ANDROID__)
#define P2P_GOOS "android"
#elif defined(__linux__)
#define P2P_GOOS "linux"
#elif defined(__APPLE__)
#define P2P_GOOS "darwin"
#elif defined(__FreeBSD__)
#define P2P_GOOS "freebsd"
#elif defined(__NetBSD__)
#define P2P_GOOS "netbsd"
#elif defined(__OpenBSD__)
#define P2P_GOOS "openbsd"
#elif defined(__DragonFly__)
#define P2P_GOOS "dragonfly"
#elif defined(__illumos__)
#define P2P_GOOS "illumos"
#elif defined(__sun)
#define P2P_GOOS "solaris"
#elif defined(_WIN32)
#define P2P_GOOS "windows"
#else
#define P2P_GOOS "unknown"
#endif

#if defined(__x86_64__) && defined(__ILP32__)
#define P2P_GOARCH "amd64p32"           /* x32; Go's old name for ILP32 */
#elif defined(__x86_64__)
#define P2P_GOARCH "amd64"
#elif defined(__i386__)
#define P2P_GOARCH "386"
#elif defined(__aarch64__) && defined(__AARCH64EB__)
#define P2P_GOARCH "arm64be"
#elif defined(__aarch64__)
#define P2P_GOARCH "arm64"
#elif defined(__arm__) && defined(__ARMEB__)
#define P2P_GOARCH "armbe"
#elif defined(__arm__)
#define P2P_GOARCH "arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define P2P_GOARCH "riscv64"
#elif defined(__riscv)
#define P2P_GOARCH "riscv"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define P2P_GOARCH "ppc64le"
#elif defined(__powerpc64__)
#define P2P_GOARCH "ppc64"
#elif defined(__powerpc__)
#define P2P_GOARCH "ppc"
#elif defined(__s390x__)
#define P2P_GOARCH "s390x"
#elif defined(__s390__)
#define P2P_GOARCH "s390"
#elif defined(__loongarch64)
#define P2P_GOARCH "loong64"
#elif defined(__mips64) && defined(__MIPSEL__)
#define P2P_GOARCH "mips64le"
#elif defined(__mips64)
#define P2P_GOARCH "mips64"
#elif defined(__mips__) && defined(__MIPSEL__)
#define P2P_GOARCH "mipsle"
#elif defined(__mips__)
#define P2P_GOARCH "mips"
#elif defined(__sparc__) && defined(__arch64__)
#define P2P_GOARCH "sparc64"
#elif defined(__wasm32__)
#define P2P_GOARCH "wasm"
#else
#define P2P_GOARCH "unknown"
#endif

const char *p2p_platform(void)
{
	return P2P_GOOS "-" P2P_GOARCH;
}

int p2p_client_id(char *out, size_t cap)
{
#if defined(__clang__)
	return snprintf(out, cap, "devplane/v%s/%s/clang%d.%d.%d",
			DEVPLANE_VERSION, p2p_platform(), __clang_major__,
			__clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
	return snprintf(out, cap, "devplane/v%s/%s/gcc%d.%d.%d",
			DEVPLANE_VERSION, p2p_platform(), __GNUC__,
			__GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
	return snprintf(out, cap, "devplane/v%s/%s/cc", DEVPLANE_VERSION,
			p2p_platform());
#endif
}

ssize_t p2p_hello_encode(uint8_t *out, size_t cap, const struct p2p_hello *h)
{
	struct rlp_buf b;

	if (h->n_caps > P2P_MAX_CAPS || h->client_id_len > P2P_CLIENT_ID_MAX)
		return -EINVAL;
	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_u64(&b, h->version);
	rlp_put_bytes(&b, (const uint8_t *)h->client_id, h->client_id_len);
	rlp_list_begin(&b);
	for (size_t i = 0; i < h->n_caps; i++) {
		rlp_list_begin(&b);
		rlp_put_bytes(&b, (const uint8_t *)h->caps[i].name,
			      strlen(h->caps[i].name));
		rlp_put_u64(&b, h->caps[i].version);
		rlp_list_end(&b);
	}
	rlp_list_end(&b);
	rlp_put_u64(&b, h->listen_port);
	rlp_put_bytes(&b, h->id, P2P_ID_LEN);
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

/* Reads the next element of a list as a byte string. */
static int next_string(struct rlp_iter *it, struct rlp_item *out)
{
	int rc = rlp_iter_next(it, out);

	if (rc < 0)
		return rc;
	if (rc == 0 || out->is_list)
		return -EBADMSG;
	return 0;
}

static int next_u64(struct rlp_iter *it, uint64_t *v)
{
	struct rlp_item item;
	int rc = next_string(it, &item);

	if (rc < 0)
		return rc;
	return rlp_to_u64(v, &item) < 0 ? -EBADMSG : 0;
}

static int decode_caps(struct p2p_hello *out, const struct rlp_item *list)
{
	struct rlp_iter it, cit;
	struct rlp_item c, name;
	uint64_t ver;
	int rc;

	rlp_iter_init(&it, list);
	while ((rc = rlp_iter_next(&it, &c)) == 1) {
		if (!c.is_list)
			return -EBADMSG;
		rlp_iter_init(&cit, &c);
		if (next_string(&cit, &name) < 0 || next_u64(&cit, &ver) < 0)
			return -EBADMSG;
		/* Trailing elements of a cap entry are tolerated. A cap we
		 * cannot keep (name too long for any protocol we might run
		 * or holding a NUL, version beyond 32 bits, table full) is
		 * dropped, and the Hello is marked truncated. */
		if (name.len > P2P_CAP_NAME_MAX || ver > UINT32_MAX ||
		    memchr(name.p, '\0', name.len) ||
		    out->n_caps == P2P_MAX_CAPS) {
			out->truncated = true;
			continue;
		}
		memcpy(out->caps[out->n_caps].name, name.p, name.len);
		out->caps[out->n_caps].name[name.len] = '\0';
		out->caps[out->n_caps].version = (uint32_t)ver;
		out->n_caps++;
	}
	return rc < 0 ? -EBADMSG : 0;
}

ssize_t p2p_hello_decode(struct p2p_hello *out, const uint8_t *buf,
			 size_t len)
{
	struct rlp_item outer, item;
	struct rlp_iter it;
	ssize_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	n = rlp_next(&outer, buf, len);
	if (n < 0)
		return n;
	if (!outer.is_list)
		return -EBADMSG;
	rlp_iter_init(&it, &outer);
	if (next_u64(&it, &out->version) < 0)
		return -EBADMSG;
	if (next_string(&it, &item) < 0)
		return -EBADMSG;
	out->client_id_len = item.len;
	if (out->client_id_len > P2P_CLIENT_ID_MAX) {
		out->client_id_len = P2P_CLIENT_ID_MAX;
		out->truncated = true;
	}
	memcpy(out->client_id, item.p, out->client_id_len);
	out->client_id[out->client_id_len] = '\0';
	rc = rlp_iter_next(&it, &item);
	if (rc != 1 || !item.is_list)
		return -EBADMSG;
	if (decode_caps(out, &item) < 0)
		return -EBADMSG;
	if (next_u64(&it, &out->listen_port) < 0)
		return -EBADMSG;
	if (next_string(&it, &item) < 0 || item.len != P2P_ID_LEN)
		return -EBADMSG;
	memcpy(out->id, item.p, P2P_ID_LEN);
	/* rlpx.md, Hello: ignore additional list elements, but they must
	 * still be well-formed items. */
	while ((rc = rlp_iter_next(&it, &item)) == 1)
		;
	if (rc < 0)
		return -EBADMSG;
	return n;
}

ssize_t p2p_disconnect_encode(uint8_t *out, size_t cap, uint8_t reason)
{
	struct rlp_buf b;

	rlp_buf_init(&b, out, cap);
	rlp_list_begin(&b);
	rlp_put_u64(&b, reason);
	rlp_list_end(&b);
	return rlp_buf_finish(&b);
}

static int reason_from_item(uint8_t *reason, const struct rlp_item *item)
{
	uint64_t v;

	if (item->is_list)
		return -EBADMSG;
	/* The byte string [0x00] (a reason sent as a byte array, not an
	 * integer) is non-canonical as an integer; accept it as 0. */
	if (item->len == 1 && item->p[0] == 0x00) {
		*reason = 0;
		return 0;
	}
	if (rlp_to_u64(&v, item) < 0 || v > 0xff)
		return -EBADMSG;
	*reason = (uint8_t)v;
	return 0;
}

ssize_t p2p_disconnect_decode(uint8_t *reason, const uint8_t *buf,
			      size_t len)
{
	struct rlp_item item, first;
	struct rlp_iter it;
	ssize_t n;

	n = rlp_next(&item, buf, len);
	if (n < 0)
		return n;
	if (item.is_list) {
		/* [reason, ...]: geth reads the first element only. */
		rlp_iter_init(&it, &item);
		if (rlp_iter_next(&it, &first) != 1)
			return -EBADMSG;
		return reason_from_item(reason, &first) < 0 ? -EBADMSG : n;
	}
	return reason_from_item(reason, &item) < 0 ? -EBADMSG : n;
}

ssize_t p2p_ping_encode(uint8_t *out, size_t cap)
{
	if (cap < 1)
		return -EMSGSIZE;
	out[0] = 0xc0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Negotiation                                                         */

static bool remote_has(const struct p2p_cap *remote, size_t n_remote,
		       const char *name, uint32_t version)
{
	for (size_t i = 0; i < n_remote; i++)
		if (remote[i].version == version &&
		    strcmp(remote[i].name, name) == 0)
			return true;
	return false;
}

int p2p_negotiate(struct p2p_shared *out, size_t cap,
		  const struct p2p_proto *const *local, size_t n_local,
		  const struct p2p_cap *remote, size_t n_remote)
{
	size_t n = 0;
	uint16_t offset = P2P_BASE_OFFSET;

	for (size_t i = 0; i < n_local; i++) {
		const struct p2p_proto *p = local[i];
		size_t j;

		if (!remote_has(remote, n_remote, p->name, p->version))
			continue;
		/* rlpx.md: of equal names, the highest shared version. */
		for (j = 0; j < n; j++)
			if (strcmp(out[j].proto->name, p->name) == 0)
				break;
		if (j < n) {
			if (out[j].proto->version < p->version)
				out[j].proto = p;
			continue;
		}
		if (n == cap)
			return -EINVAL;
		out[n++].proto = p;
	}
	/* Insertion sort by name (byte order, as Go compares strings). */
	for (size_t i = 1; i < n; i++) {
		struct p2p_shared t = out[i];
		size_t j = i;

		while (j > 0 && strcmp(out[j - 1].proto->name,
				       t.proto->name) > 0) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		out[i].offset = offset;
		offset = (uint16_t)(offset + out[i].proto->length);
	}
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* Host                                                                */

enum peer_state {
	PEER_FREE = 0,
	PEER_HELLO_SENT,        /* our Hello sent, theirs awaited */
	PEER_ACTIVE,
	PEER_DISCONNECTING,     /* Disconnect sent, grace period running */
	PEER_CLOSING,           /* ops.close called, awaiting p2p_peer_closed */
};

struct p2p_peer {
	struct p2p_host *host;
	uint64_t session;
	enum peer_state state;
	bool inbound;
	bool snappy;
	bool have_hello;
	bool remote_reason;     /* reason came from the remote */
	uint8_t reason;         /* P2P_DISC_NONE until one is known */
	uint8_t id[P2P_ID_LEN];
	struct p2p_hello hello;
	struct p2p_shared shared[P2P_MAX_PROTOS];
	void *pstate[P2P_MAX_PROTOS];
	bool added[P2P_MAX_PROTOS];     /* on_peer_added ran */
	size_t n_shared;
	uint64_t hello_deadline;
	uint64_t next_ping;
	uint64_t last_rx;
	uint64_t close_at;
};

struct p2p_host {
	uint8_t id[P2P_ID_LEN];
	uint16_t listen_port;
	char client_id[P2P_CLIENT_ID_MAX + 1];
	struct p2p_host_ops ops;
	void *user;
	const struct p2p_proto *protos[P2P_MAX_PROTOS];
	size_t n_protos;
	uint8_t hello[1024];            /* our encoded Hello */
	size_t hello_len;
	struct p2p_peer *peers;
	size_t max_peers;
	size_t n_peers;
};

int p2p_host_new(struct p2p_host **out, const struct p2p_host_config *cfg)
{
	struct p2p_host *h;

	*out = NULL;
	if (!cfg->id || !cfg->ops.send || !cfg->ops.close)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->max_peers = cfg->max_peers ? cfg->max_peers : P2P_DEFAULT_MAX_PEERS;
	h->peers = calloc(h->max_peers, sizeof(*h->peers));
	if (!h->peers) {
		free(h);
		return -ENOMEM;
	}
	memcpy(h->id, cfg->id, P2P_ID_LEN);
	h->listen_port = cfg->listen_port;
	if (cfg->client_id)
		snprintf(h->client_id, sizeof(h->client_id), "%s",
			 cfg->client_id);
	else
		p2p_client_id(h->client_id, sizeof(h->client_id));
	h->ops = cfg->ops;
	h->user = cfg->user;
	*out = h;
	return 0;
}

static void free_states(struct p2p_peer *p)
{
	for (size_t i = 0; i < p->n_shared; i++) {
		free(p->pstate[i]);
		p->pstate[i] = NULL;
	}
}

void p2p_host_free(struct p2p_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->max_peers; i++)
		if (h->peers[i].state != PEER_FREE)
			free_states(&h->peers[i]);
	free(h->peers);
	free(h);
}

int p2p_register(struct p2p_host *h, const struct p2p_proto *proto)
{
	if (!proto->name || proto->length == 0 || !proto->name[0] ||
	    strlen(proto->name) > P2P_CAP_NAME_MAX)
		return -EINVAL;
	if (h->n_peers > 0)
		return -EPROTO;
	for (size_t i = 0; i < h->n_protos; i++)
		if (h->protos[i]->version == proto->version &&
		    strcmp(h->protos[i]->name, proto->name) == 0)
			return -EEXIST;
	if (h->n_protos == P2P_MAX_PROTOS)
		return -ENOSPC;
	h->protos[h->n_protos++] = proto;
	h->hello_len = 0;               /* re-encode at the next start */
	return 0;
}

static int build_hello(struct p2p_host *h)
{
	struct p2p_hello *hello;
	ssize_t n;

	hello = calloc(1, sizeof(*hello));
	if (!hello)
		return -ENOMEM;
	hello->version = P2P_VERSION;
	hello->client_id_len = strlen(h->client_id);
	memcpy(hello->client_id, h->client_id, hello->client_id_len);
	for (size_t i = 0; i < h->n_protos; i++) {
		snprintf(hello->caps[i].name, sizeof(hello->caps[i].name),
			 "%s", h->protos[i]->name);
		hello->caps[i].version = h->protos[i]->version;
	}
	hello->n_caps = h->n_protos;
	hello->listen_port = h->listen_port;
	memcpy(hello->id, h->id, P2P_ID_LEN);
	n = p2p_hello_encode(h->hello, sizeof(h->hello), hello);
	free(hello);
	if (n < 0)
		return (int)n;
	h->hello_len = (size_t)n;
	return 0;
}

struct p2p_peer *p2p_peer_find(const struct p2p_host *h, uint64_t session)
{
	/* Linear: max_peers is in the hundreds and lookups are per message
	 * on control's side only (the dataplane handles the bulk). */
	for (size_t i = 0; i < h->max_peers; i++)
		if (h->peers[i].state != PEER_FREE &&
		    h->peers[i].session == session)
			return &h->peers[i];
	return NULL;
}

int p2p_peer_start(struct p2p_host *h, struct p2p_peer **out,
		   uint64_t session, const uint8_t remote_id[P2P_ID_LEN],
		   bool inbound, uint64_t now_ns)
{
	struct p2p_peer *p = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (p2p_peer_find(h, session))
		return -EEXIST;
	for (size_t i = 0; i < h->max_peers && !p; i++)
		if (h->peers[i].state == PEER_FREE)
			p = &h->peers[i];
	if (!p)
		return -ENOSPC;
	if (h->hello_len == 0) {
		rc = build_hello(h);
		if (rc < 0)
			return rc;
	}
	rc = h->ops.send(h->user, session, P2P_MSG_HELLO, h->hello,
			 h->hello_len);
	if (rc < 0)
		return rc;
	memset(p, 0, sizeof(*p));
	p->host = h;
	p->session = session;
	p->inbound = inbound;
	p->reason = P2P_DISC_NONE;
	memcpy(p->id, remote_id, P2P_ID_LEN);
	p->hello_deadline = now_ns + P2P_HELLO_TIMEOUT_NS;
	p->last_rx = now_ns;
	p->state = PEER_HELLO_SENT;
	h->n_peers++;
	if (out)
		*out = p;
	return 0;
}

/* Fires on_peer_dropped once for every protocol that saw on_peer_added. */
static void fire_dropped(struct p2p_peer *p, uint64_t now_ns)
{
	for (size_t i = 0; i < p->n_shared; i++) {
		const struct p2p_proto *proto = p->shared[i].proto;

		if (!p->added[i])
			continue;
		p->added[i] = false;
		if (proto->on_peer_dropped)
			proto->on_peer_dropped(proto, p, p->reason, now_ns);
	}
}

static void do_close(struct p2p_peer *p)
{
	if (p->state == PEER_CLOSING)
		return;
	p->state = PEER_CLOSING;
	p->host->ops.close(p->host->user, p->session);
}

static void do_disconnect(struct p2p_peer *p, uint8_t reason,
			  uint64_t now_ns)
{
	uint8_t msg[4];
	ssize_t n;

	if (p->state != PEER_HELLO_SENT && p->state != PEER_ACTIVE)
		return;
	p->reason = reason;
	p->remote_reason = false;
	p->state = PEER_DISCONNECTING;
	p->close_at = now_ns + P2P_DISC_GRACE_NS;
	n = p2p_disconnect_encode(msg, sizeof(msg), reason);
	/* A Disconnect that cannot be queued: nothing to wait for. */
	if (n < 0 || p->host->ops.send(p->host->user, p->session,
				       P2P_MSG_DISCONNECT, msg,
				       (size_t)n) < 0)
		p->close_at = now_ns;
	fire_dropped(p, now_ns);
}

int p2p_disconnect(struct p2p_host *h, uint64_t session, uint8_t reason,
		   uint64_t now_ns)
{
	struct p2p_peer *p = p2p_peer_find(h, session);

	if (!p)
		return -ENOENT;
	do_disconnect(p, reason, now_ns);
	return 0;
}

int p2p_peer_closed(struct p2p_host *h, uint64_t session, uint64_t now_ns)
{
	struct p2p_peer *p = p2p_peer_find(h, session);

	if (!p)
		return -ENOENT;
	fire_dropped(p, now_ns);
	if (h->ops.on_closed)
		h->ops.on_closed(h->user, p, p->reason, p->remote_reason);
	free_states(p);
	memset(p, 0, sizeof(*p));
	h->n_peers--;
	return 0;
}

static bool all_zero(const uint8_t *b, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= b[i];
	return acc == 0;
}

static void on_hello(struct p2p_peer *p, const uint8_t *payload, size_t len,
		     uint64_t now_ns)
{
	struct p2p_host *h = p->host;
	int n;

	if (p2p_hello_decode(&p->hello, payload, len) < 0) {
		do_disconnect(p, P2P_DISC_PROTOCOL_ERROR, now_ns);
		return;
	}
	p->have_hello = true;
	/* geth switches snappy on as soon as the Hellos are exchanged, before
	 * its own checks, so a Disconnect for a rejected Hello is compressed
	 * too (p2p/transport.go doProtoHandshake). */
	p->snappy = p->hello.version >= P2P_SNAPPY_VERSION;
	if (h->ops.on_hello)
		h->ops.on_hello(h->user, p, &p->hello);
	if (p->state != PEER_HELLO_SENT)        /* on_hello disconnected */
		return;
	/* Identity checks, as geth's setupConn/checkpoint order them. */
	if (all_zero(p->hello.id, P2P_ID_LEN)) {
		do_disconnect(p, P2P_DISC_INVALID_IDENTITY, now_ns);
		return;
	}
	if (memcmp(p->hello.id, h->id, P2P_ID_LEN) == 0) {
		do_disconnect(p, P2P_DISC_SELF, now_ns);
		return;
	}
	if (memcmp(p->hello.id, p->id, P2P_ID_LEN) != 0) {
		do_disconnect(p, P2P_DISC_UNEXPECTED_IDENTITY, now_ns);
		return;
	}
	n = p2p_negotiate(p->shared, P2P_MAX_PROTOS, h->protos, h->n_protos,
			  p->hello.caps, p->hello.n_caps);
	if (n <= 0) {
		p->n_shared = 0;
		do_disconnect(p, P2P_DISC_USELESS_PEER, now_ns);
		return;
	}
	p->n_shared = (size_t)n;
	for (size_t i = 0; i < p->n_shared; i++) {
		size_t sz = p->shared[i].proto->peer_state_size;

		if (sz && !(p->pstate[i] = calloc(1, sz))) {
			do_disconnect(p, P2P_DISC_QUITTING, now_ns);
			return;
		}
	}
	p->state = PEER_ACTIVE;
	p->next_ping = now_ns + P2P_PING_INTERVAL_NS;
	if (h->ops.on_active)
		h->ops.on_active(h->user, p, p->snappy);
	for (size_t i = 0; i < p->n_shared && p->state == PEER_ACTIVE; i++) {
		const struct p2p_proto *proto = p->shared[i].proto;
		int r = 0;

		p->added[i] = true;
		if (proto->on_peer_added)
			r = proto->on_peer_added(proto, p, now_ns);
		if (r > 0)
			do_disconnect(p, (uint8_t)(r & 0xff), now_ns);
	}
}

static void on_sub_msg(struct p2p_peer *p, uint64_t code,
		       const uint8_t *payload, size_t len, uint64_t now_ns)
{
	for (size_t i = 0; i < p->n_shared; i++) {
		const struct p2p_proto *proto = p->shared[i].proto;
		uint64_t off = p->shared[i].offset;
		int r = 0;

		if (code < off || code >= off + proto->length)
			continue;
		if (p->host->ops.on_msg_event)
			p->host->ops.on_msg_event(p->host->user, p, proto,
						  code - off, len, false);
		if (proto->on_msg)
			r = proto->on_msg(proto, p, code - off, payload, len,
					  now_ns);
		if (r > 0)
			do_disconnect(p, (uint8_t)(r & 0xff), now_ns);
		return;
	}
	do_disconnect(p, P2P_DISC_PROTOCOL_ERROR, now_ns);  /* no owner */
}

int p2p_on_msg(struct p2p_host *h, uint64_t session, uint64_t code,
	       const uint8_t *payload, size_t len, uint64_t now_ns)
{
	struct p2p_peer *p = p2p_peer_find(h, session);
	uint8_t pong[1];
	uint8_t reason;

	if (!p)
		return -ENOENT;
	if (p->state != PEER_HELLO_SENT && p->state != PEER_ACTIVE)
		return -EPROTO;
	p->last_rx = now_ns;
	if (code == P2P_MSG_DISCONNECT) {
		if (p2p_disconnect_decode(&reason, payload, len) < 0)
			reason = P2P_DISC_INVALID;
		p->reason = reason;
		p->remote_reason = true;
		fire_dropped(p, now_ns);
		do_close(p);
		return 0;
	}
	if (p->state == PEER_HELLO_SENT) {
		/* rlpx.md: no other message before Hello. */
		if (code == P2P_MSG_HELLO)
			on_hello(p, payload, len, now_ns);
		else
			do_disconnect(p, P2P_DISC_PROTOCOL_ERROR, now_ns);
		return 0;
	}
	switch (code) {
	case P2P_MSG_PING:
		p2p_ping_encode(pong, sizeof(pong));
		if (h->ops.send(h->user, p->session, P2P_MSG_PONG, pong,
				sizeof(pong)) < 0)
			do_disconnect(p, P2P_DISC_NETWORK_ERROR, now_ns);
		return 0;
	case P2P_MSG_PONG:
		return 0;               /* last_rx is the liveness signal */
	default:
		if (code < P2P_BASE_OFFSET)
			return 0;       /* Hello again, reserved ids: ignored */
		on_sub_msg(p, code, payload, len, now_ns);
		return 0;
	}
}

void p2p_on_timer(struct p2p_host *h, uint64_t now_ns)
{
	uint8_t ping[1];

	p2p_ping_encode(ping, sizeof(ping));
	for (size_t i = 0; i < h->max_peers; i++) {
		struct p2p_peer *p = &h->peers[i];

		switch (p->state) {
		case PEER_HELLO_SENT:
			if (now_ns >= p->hello_deadline)
				do_disconnect(p, P2P_DISC_READ_TIMEOUT, now_ns);
			break;
		case PEER_ACTIVE:
			if (now_ns >= p->last_rx + P2P_READ_TIMEOUT_NS) {
				do_disconnect(p, P2P_DISC_READ_TIMEOUT, now_ns);
				break;
			}
			if (now_ns >= p->next_ping) {
				p->next_ping = now_ns + P2P_PING_INTERVAL_NS;
				if (h->ops.send(h->user, p->session,
						P2P_MSG_PING, ping,
						sizeof(ping)) < 0)
					do_disconnect(p,
						      P2P_DISC_NETWORK_ERROR,
						      now_ns);
			}
			break;
		default:
			break;
		}
		/* Not an else: a disconnect above may already be due. */
		if (p->state == PEER_DISCONNECTING && now_ns >= p->close_at)
			do_close(p);
	}
}

uint64_t p2p_next_deadline(const struct p2p_host *h)
{
	uint64_t d = UINT64_MAX, t;

	for (size_t i = 0; i < h->max_peers; i++) {
		const struct p2p_peer *p = &h->peers[i];

		switch (p->state) {
		case PEER_HELLO_SENT:
			t = p->hello_deadline;
			break;
		case PEER_ACTIVE:
			t = p->last_rx + P2P_READ_TIMEOUT_NS;
			if (p->next_ping < t)
				t = p->next_ping;
			break;
		case PEER_DISCONNECTING:
			t = p->close_at;
			break;
		default:
			continue;
		}
		if (t < d)
			d = t;
	}
	return d;
}

static const struct p2p_shared *find_shared(const struct p2p_peer *p,
					    const struct p2p_proto *proto,
					    size_t *idx)
{
	for (size_t i = 0; i < p->n_shared; i++)
		if (p->shared[i].proto == proto) {
			if (idx)
				*idx = i;
			return &p->shared[i];
		}
	return NULL;
}

int p2p_send(struct p2p_host *h, struct p2p_peer *peer,
	     const struct p2p_proto *proto, uint64_t code,
	     const uint8_t *payload, size_t len)
{
	const struct p2p_shared *s;
	int rc;

	if (peer->state != PEER_ACTIVE)
		return -EPROTO;
	s = find_shared(peer, proto, NULL);
	if (!s)
		return -EPROTO;
	if (code >= proto->length)
		return -EINVAL;
	rc = h->ops.send(h->user, peer->session, s->offset + code, payload,
			 len);
	if (rc < 0)
		return rc;
	if (h->ops.on_msg_event)
		h->ops.on_msg_event(h->user, peer, proto, code, len, true);
	return 0;
}

size_t p2p_broadcast(struct p2p_host *h, const struct p2p_proto *proto,
		     uint64_t code, const uint8_t *payload, size_t len,
		     uint64_t now_ns)
{
	return p2p_broadcast_except(h, proto, code, payload, len, NULL,
				    now_ns);
}

size_t p2p_broadcast_except(struct p2p_host *h, const struct p2p_proto *proto,
			    uint64_t code, const uint8_t *payload, size_t len,
			    const struct p2p_peer *except, uint64_t now_ns)
{
	size_t sent = 0;

	for (size_t i = 0; i < h->max_peers; i++) {
		struct p2p_peer *p = &h->peers[i];
		int rc;

		if (p == except || p->state != PEER_ACTIVE ||
		    !find_shared(p, proto, NULL))
			continue;
		rc = p2p_send(h, p, proto, code, payload, len);
		if (rc == 0)
			sent++;
		else if (rc != -EINVAL)
			do_disconnect(p, P2P_DISC_NETWORK_ERROR, now_ns);
	}
	return sent;
}

struct p2p_host *p2p_peer_host(const struct p2p_peer *peer)
{
	return peer->host;
}

uint64_t p2p_peer_session(const struct p2p_peer *peer)
{
	return peer->session;
}

const uint8_t *p2p_peer_id(const struct p2p_peer *peer)
{
	return peer->id;
}

bool p2p_peer_inbound(const struct p2p_peer *peer)
{
	return peer->inbound;
}

const struct p2p_hello *p2p_peer_hello(const struct p2p_peer *peer)
{
	return peer->have_hello ? &peer->hello : NULL;
}

bool p2p_peer_snappy(const struct p2p_peer *peer)
{
	return peer->snappy;
}

bool p2p_peer_active(const struct p2p_peer *peer)
{
	return peer->state == PEER_ACTIVE;
}

const struct p2p_shared *p2p_peer_shared(const struct p2p_peer *peer,
					 size_t *n)
{
	*n = peer->n_shared;
	return peer->shared;
}

void *p2p_peer_state(const struct p2p_peer *peer,
		     const struct p2p_proto *proto)
{
	size_t i;

	if (!find_shared(peer, proto, &i))
		return NULL;
	return peer->pstate[i];
}

size_t p2p_host_peer_count(const struct p2p_host *h)
{
	return h->n_peers;
}
