/* SPDX-License-Identifier: MIT */
/* tests/control/rlpx/test_p2p.c - Hello/Disconnect codecs, capability negotiation, p2p sessions with a fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <cmocka.h>

#include "common/hex.h"
#include "config.h"
#include "control/rlpx/p2p.h"

#define SEC 1000000000ull

static size_t unhex(uint8_t *out, size_t cap, const char *s)
{
	ssize_t n = hex_decode(out, cap, s, strlen(s));

	assert_true(n >= 0);
	return (size_t)n;
}

/* ------------------------------------------------------------------ */
/* Codecs                                                              */

static void fill_id(uint8_t *id, uint8_t base)
{
	for (int i = 0; i < P2P_ID_LEN; i++)
		id[i] = (uint8_t)(base + i);
}

static void test_p2p_hello_roundtrip(void **state)
{
	struct p2p_hello h, back;
	uint8_t buf[1024], buf2[1024];
	ssize_t n, n2;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.version = 5;
	h.client_id_len = (size_t)p2p_client_id(h.client_id,
						 sizeof(h.client_id));
	snprintf(h.caps[0].name, sizeof(h.caps[0].name), "eth");
	h.caps[0].version = 68;
	snprintf(h.caps[1].name, sizeof(h.caps[1].name), "eth");
	h.caps[1].version = 69;
	snprintf(h.caps[2].name, sizeof(h.caps[2].name), "ping");
	h.caps[2].version = 1;
	h.n_caps = 3;
	h.listen_port = 30303;
	fill_id(h.id, 1);
	n = p2p_hello_encode(buf, sizeof(buf), &h);
	assert_true(n > 0);
	assert_int_equal(p2p_hello_decode(&back, buf, (size_t)n), n);
	assert_true(back.version == 5);
	assert_string_equal(back.client_id, h.client_id);
	assert_int_equal(back.n_caps, 3);
	assert_string_equal(back.caps[2].name, "ping");
	assert_int_equal(back.caps[1].version, 69);
	assert_true(back.listen_port == 30303);
	assert_memory_equal(back.id, h.id, P2P_ID_LEN);
	assert_false(back.truncated);
	n2 = p2p_hello_encode(buf2, sizeof(buf2), &back);
	assert_int_equal(n2, n);
	assert_memory_equal(buf2, buf, (size_t)n);
	/* Too small a buffer. */
	assert_int_equal(p2p_hello_encode(buf, 50, &h), -EMSGSIZE);
}

/* The GOOS-GOARCH pair this test expects, from the running kernel (uname)
 * rather than the compiler macros p2p.c uses: the two agree for a native
 * build. A 32-bit build on a 64-bit kernel (i386 on x86_64, armhf on
 * aarch64) is told apart by the pointer size, as the kernel's uname still
 * names the 64-bit machine. NULL for a machine this table does not know. */
static const char *uname_goarch(const char *m)
{
	static const struct {
		const char *machine;    /* uname -m; a trailing '*' is a prefix */
		unsigned ptr;           /* sizeof(void *), 0: any */
		const char *le, *be;    /* GOARCH by byte order */
	} tab[] = {
		{ "x86_64", 8, "amd64", "amd64" },
		{ "x86_64", 4, "386", "386" },
		{ "i?86", 4, "386", "386" },
		{ "aarch64", 8, "arm64", "arm64be" },
		{ "aarch64_be", 8, "arm64be", "arm64be" },
		{ "aarch64", 4, "arm", "armbe" },
		{ "arm64", 8, "arm64", "arm64be" },
		{ "armv*", 4, "arm", "armbe" },
		{ "riscv64", 8, "riscv64", "riscv64" },
		{ "ppc64le", 8, "ppc64le", "ppc64le" },
		{ "ppc64", 8, "ppc64", "ppc64" },
		{ "ppc*", 4, "ppc", "ppc" },
		{ "s390x", 8, "s390x", "s390x" },
		{ "s390*", 4, "s390", "s390" },
		{ "loongarch64", 8, "loong64", "loong64" },
		{ "mips64", 8, "mips64le", "mips64" },
		{ "mips*", 4, "mipsle", "mips" },
		{ "sparc64", 8, "sparc64", "sparc64" },
	};
	const uint16_t one = 1;
	bool le = *(const uint8_t *)&one == 1;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		const char *t = tab[i].machine;
		size_t n = strcspn(t, "*?");
		bool match;

		if (tab[i].ptr && tab[i].ptr != sizeof(void *))
			continue;
		if (t[n] == '*')
			match = strncmp(m, t, n) == 0;
		else if (t[n] == '?')   /* i386 .. i686 */
			match = strncmp(m, t, n) == 0 && m[n] >= '3' &&
				m[n] <= '6' && !strcmp(m + n + 1, t + n + 1);
		else
			match = strcmp(m, t) == 0;
		if (match)
			return le ? tab[i].le : tab[i].be;
	}
	return NULL;
}

static void test_p2p_client_id(void **state)
{
	struct utsname u;
	char id[256], want[256], os[sizeof(u.sysname)];
	const char *arch;

	(void)state;
	assert_int_equal(uname(&u), 0);
	arch = uname_goarch(u.machine);
	if (!arch)
		fail_msg("uname machine %s: add it to uname_goarch()",
			 u.machine);
	/* Go's GOOS is the lower-case kernel name ("Linux" -> "linux"). */
	snprintf(os, sizeof(os), "%s", u.sysname);
	for (char *p = os; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(want, sizeof(want), "%s-%s", os, arch);
	assert_string_equal(p2p_platform(), want);
	snprintf(want, sizeof(want), "devplane/v%s/%s-%s/", DEVPLANE_VERSION,
		 os, arch);
	assert_true(p2p_client_id(id, sizeof(id)) > (int)strlen(want));
	assert_memory_equal(id, want, strlen(want));
	assert_true(strncmp(id + strlen(want), "gcc", 3) == 0 ||
		    strncmp(id + strlen(want), "clang", 5) == 0);
	/* geth's shape: exactly four '/'-separated parts. */
	assert_null(strchr(id + strlen(want), '/'));
}

/* Generated with @ethereumjs/rlp from the payload shape of
 * @ethereumjs/devp2p 10.0.0 rlpx/peer.js _sendHello() (ids 01..40). */
static const char ethjs_hello[] =
	"f87e05aa657468657265756d6a732d6465767032702f7631302e302e302f6c69"
	"6e75782d7836342f6e6f64656a73ccc58365746844c5836574684382765fb840"
	"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
	"2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40";

/* A geth Hello (p2p/protoHandshake: Version, Name, Caps, ListenPort, ID,
 * Rest `rlp:"tail"`): listen port 0 as geth sends it, and one extra
 * trailing element a future version might add. Same generator. */
static const char geth_hello[] =
	"f88705b2476574682f76312e31342e31322d737461626c652d32393361333030"
	"642f6c696e75782d616d6436342f676f312e32332e34cdc58365746844c68473"
	"6e61700180b8400102030405060708090a0b0c0d0e0f10111213141516171819"
	"1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233343536373839"
	"3a3b3c3d3e3f40c178";

static void test_p2p_hello_decode_real(void **state)
{
	uint8_t buf[256], id[P2P_ID_LEN];
	struct p2p_hello h;
	size_t n;

	(void)state;
	fill_id(id, 1);
	n = unhex(buf, sizeof(buf), ethjs_hello);
	assert_int_equal(p2p_hello_decode(&h, buf, n), (ssize_t)n);
	assert_true(h.version == 5);
	assert_string_equal(h.client_id,
			    "ethereumjs-devp2p/v10.0.0/linux-x64/nodejs");
	assert_int_equal(h.n_caps, 2);
	assert_string_equal(h.caps[0].name, "eth");
	assert_int_equal(h.caps[0].version, 68);
	assert_int_equal(h.caps[1].version, 67);
	assert_true(h.listen_port == 30303);
	assert_memory_equal(h.id, id, P2P_ID_LEN);

	n = unhex(buf, sizeof(buf), geth_hello);
	assert_int_equal(p2p_hello_decode(&h, buf, n), (ssize_t)n);
	assert_string_equal(h.client_id,
		"Geth/v1.14.12-stable-293a300d/linux-amd64/go1.23.4");
	assert_int_equal(h.n_caps, 2);
	assert_string_equal(h.caps[1].name, "snap");
	assert_int_equal(h.caps[1].version, 1);
	assert_true(h.listen_port == 0);
	assert_memory_equal(h.id, id, P2P_ID_LEN);
}

static void test_p2p_hello_decode_rejects(void **state)
{
	uint8_t buf[512], bad[512];
	struct p2p_hello h;
	size_t n;

	(void)state;
	n = unhex(buf, sizeof(buf), ethjs_hello);
	/* Every truncation fails. */
	for (size_t i = 0; i < n; i++)
		assert_true(p2p_hello_decode(&h, buf, i) < 0);
	/* 63-byte id: f8 7d ... b8 3f. */
	memcpy(bad, buf, n);
	bad[1] = 0x7d;
	bad[n - 65] = 0x3f;
	assert_int_equal(p2p_hello_decode(&h, bad, n - 1), -EBADMSG);
	/* Non-canonical version (0x8105 for 5). */
	{
		static const char v[] = "c6810580c08080";
		size_t m = unhex(bad, sizeof(bad), v);

		assert_int_equal(p2p_hello_decode(&h, bad, m), -EBADMSG);
	}
	/* Missing id, caps not a list, cap entry not a list, not a list. */
	{
		static const char *const cases[] = {
			"c60580c082765f",
			"c605808082765f",
			"c70580c18082765f",
			"05",
			"c0",
		};

		for (size_t i = 0; i < 5; i++) {
			size_t m = unhex(bad, sizeof(bad), cases[i]);

			assert_int_equal(p2p_hello_decode(&h, bad, m),
					 -EBADMSG);
		}
	}
}

static void test_p2p_hello_caps_truncated(void **state)
{
	struct p2p_hello h, back;
	uint8_t buf[4096];
	ssize_t n;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.version = 5;
	h.n_caps = P2P_MAX_CAPS;
	for (size_t i = 0; i < P2P_MAX_CAPS; i++) {
		snprintf(h.caps[i].name, sizeof(h.caps[i].name), "c%zu", i);
		h.caps[i].version = 1;
	}
	n = p2p_hello_encode(buf, sizeof(buf), &h);
	assert_true(n > 0);
	assert_int_equal(p2p_hello_decode(&back, buf, (size_t)n), n);
	assert_int_equal(back.n_caps, P2P_MAX_CAPS);
	assert_false(back.truncated);
	h.n_caps = P2P_MAX_CAPS + 1;
	assert_int_equal(p2p_hello_encode(buf, sizeof(buf), &h), -EINVAL);
}

static void test_p2p_disconnect_codec(void **state)
{
	static const struct {
		const char *hex;
		ssize_t rc;
		uint8_t reason;
	} cases[] = {
		{ "c180", 2, 0x00 },            /* [0]: list form */
		{ "c103", 2, 0x03 },
		{ "c110", 2, 0x10 },
		{ "c20809", 3, 0x08 },          /* extra elements ignored */
		{ "08", 1, 0x08 },              /* bare integer (legacy) */
		{ "80", 1, 0x00 },              /* bare empty string = 0 */
		{ "00", 1, 0x00 },              /* byte array [0x00] */
		{ "c100", 2, 0x00 },
		{ "81ff", 2, 0xff },
		{ "c0", -EBADMSG, 0 },          /* empty list */
		{ "c1c0", -EBADMSG, 0 },        /* nested list */
		{ "820100", -EBADMSG, 0 },      /* 256 */
		{ "c28100", -EBADMSG, 0 },      /* non-canonical */
		{ "c2", -EMSGSIZE, 0 },         /* truncated */
		{ "", -EMSGSIZE, 0 },
	};
	static const struct {
		unsigned r;
		const char *name;
	} names[] = {
		{ 0x00, "disconnect requested" },
		{ 0x01, "network error" },
		{ 0x02, "breach of protocol" },
		{ 0x03, "useless peer" },
		{ 0x04, "too many peers" },
		{ 0x05, "already connected" },
		{ 0x06, "incompatible p2p protocol version" },
		{ 0x07, "invalid node identity" },
		{ 0x08, "client quitting" },
		{ 0x09, "unexpected identity" },
		{ 0x0a, "connected to self" },
		{ 0x0b, "read timeout" },
		{ 0x10, "subprotocol error" },
		{ 0x0c, "unknown" },
		{ 0x0f, "unknown" },
		{ 0x11, "unknown" },
		{ 0xfe, "invalid disconnect reason" },
		{ 1000, "unknown" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[8], r = 0xaa;
		size_t n = unhex(buf, sizeof(buf), cases[i].hex);
		ssize_t rc = p2p_disconnect_decode(&r, buf, n);

		if (rc != cases[i].rc)
			fail_msg("case %s: rc %zd want %zd", cases[i].hex, rc,
				 cases[i].rc);
		if (rc > 0)
			assert_int_equal(r, cases[i].reason);
	}
	/* Encoding: list form for every reason, and it decodes back. */
	for (unsigned r = 0; r < 256; r++) {
		uint8_t buf[4], back;
		ssize_t n = p2p_disconnect_encode(buf, sizeof(buf),
						  (uint8_t)r);

		assert_int_equal(n, r < 0x80 ? 2 : 3);
		assert_int_equal(buf[0], n == 2 ? 0xc1 : 0xc2);
		if (r == 0)
			assert_int_equal(buf[1], 0x80);
		assert_int_equal(p2p_disconnect_decode(&back, buf, (size_t)n),
				 n);
		assert_int_equal(back, r);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(p2p_disc_reason_name(names[i].r),
				    names[i].name);
}

/* ------------------------------------------------------------------ */
/* Negotiation                                                         */

static struct p2p_proto proto(const char *name, uint32_t v, uint16_t len)
{
	return (struct p2p_proto){ .name = name, .version = v, .length = len };
}

static void test_p2p_negotiate_table(void **state)
{
	struct p2p_proto eth68 = proto("eth", 68, 17);
	struct p2p_proto eth69 = proto("eth", 69, 18);
	struct p2p_proto snap1 = proto("snap", 1, 8);
	struct p2p_proto ping1 = proto("ping", 1, 2);
	struct p2p_proto les4 = proto("les", 4, 23);
	struct p2p_proto Eth68 = proto("Eth", 68, 5);
	const struct p2p_proto *local[] = { &ping1, &eth68, &snap1, &eth69,
					    &les4, &Eth68 };
	struct {
		struct p2p_cap remote[6];
		size_t n_remote;
		size_t want_n;
		const struct p2p_proto *want[4];
		uint16_t want_off[4];
	} cases[] = {
		/* eth68+69 shared: 69 wins; sorted eth, ping, snap. */
		{ { { "snap", 1 }, { "eth", 68 }, { "eth", 69 },
		    { "ping", 1 } }, 4, 3,
		  { &eth69, &ping1, &snap1 }, { 0x10, 0x22, 0x24 } },
		/* only eth/68 shared */
		{ { { "eth", 68 }, { "eth", 70 } }, 2, 1, { &eth68 },
		  { 0x10 } },
		/* case-sensitive names: "Eth" sorts before "eth" */
		{ { { "eth", 68 }, { "Eth", 68 } }, 2, 2, { &Eth68, &eth68 },
		  { 0x10, 0x15 } },
		/* versions must be equal */
		{ { { "snap", 2 }, { "ping", 2 } }, 2, 0, { NULL }, { 0 } },
		/* nothing in common */
		{ { { "bzz", 1 }, { "shh", 6 } }, 2, 0, { NULL }, { 0 } },
		{ { { "les", 4 }, { "snap", 1 } }, 2, 2, { &les4, &snap1 },
		  { 0x10, 0x27 } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct p2p_shared out[8];
		int n = p2p_negotiate(out, 8, local, 6, cases[i].remote,
				      cases[i].n_remote);

		assert_int_equal(n, (int)cases[i].want_n);
		for (int j = 0; j < n; j++) {
			assert_ptr_equal(out[j].proto, cases[i].want[j]);
			assert_int_equal(out[j].offset, cases[i].want_off[j]);
		}
	}
	{
		struct p2p_shared out[1];
		struct p2p_cap r[] = { { "eth", 68 }, { "ping", 1 } };

		assert_int_equal(p2p_negotiate(out, 1, local, 6, r, 2),
				 -EINVAL);
	}
}

/* ------------------------------------------------------------------ */
/* Sessions: a fake network of hosts                                   */

#define MAX_SENT 64

struct sent {
	uint64_t session;
	uint64_t code;
	uint8_t payload[1024];
	size_t len;
	bool snappy;            /* p2p_peer_snappy(snappy_watch) at send */
};

/* The peer whose snappy flag rec_send() records (NULL: none). */
static struct p2p_peer *snappy_watch;

struct rec {                            /* one host's outside world */
	struct sent sent[MAX_SENT];
	size_t n_sent;
	uint64_t closed[16];
	size_t n_closed;
	int hellos;
	int actives;
	bool snappy;
	uint8_t closed_reason;
	bool closed_remote;
	int n_on_closed;
	int fail_send;
};

static int rec_send(void *user, uint64_t session, uint64_t code,
		    const uint8_t *payload, size_t len)
{
	struct rec *r = user;
	struct sent *s;

	if (r->fail_send)
		return -ENOBUFS;
	assert_true(r->n_sent < MAX_SENT);
	assert_true(len <= sizeof(s->payload));
	s = &r->sent[r->n_sent++];
	s->session = session;
	s->code = code;
	s->snappy = snappy_watch && p2p_peer_snappy(snappy_watch);
	if (len)        /* payload may be NULL for an empty message */
		memcpy(s->payload, payload, len);
	s->len = len;
	return 0;
}

static void rec_close(void *user, uint64_t session)
{
	struct rec *r = user;

	r->closed[r->n_closed++] = session;
}

static void rec_hello(void *user, struct p2p_peer *peer,
		      const struct p2p_hello *hello)
{
	struct rec *r = user;

	(void)peer;
	(void)hello;
	r->hellos++;
}

static void rec_active(void *user, struct p2p_peer *peer, bool snappy)
{
	struct rec *r = user;

	(void)peer;
	r->actives++;
	r->snappy = snappy;
}

static void rec_on_closed(void *user, struct p2p_peer *peer, uint8_t reason,
			  bool remote)
{
	struct rec *r = user;

	(void)peer;
	r->closed_reason = reason;
	r->closed_remote = remote;
	r->n_on_closed++;
}

static struct p2p_host *new_host(struct rec *r, uint8_t id_base)
{
	uint8_t id[P2P_ID_LEN];
	struct p2p_host_config cfg = {
		.id = id, .listen_port = 30303, .max_peers = 8,
		.ops = { rec_send, rec_close, rec_hello, rec_active,
			 rec_on_closed },
		.user = r,
	};
	struct p2p_host *h;

	memset(r, 0, sizeof(*r));
	fill_id(id, id_base);
	assert_int_equal(p2p_host_new(&h, &cfg), 0);
	return h;
}

/* A remote Hello from node id_base with caps. */
static size_t remote_hello(uint8_t *buf, size_t cap, uint8_t id_base,
			   uint64_t version, const struct p2p_cap *caps,
			   size_t n_caps)
{
	struct p2p_hello h;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.version = version;
	h.client_id_len = 4;
	memcpy(h.client_id, "test", 4);
	memcpy(h.caps, caps, n_caps * sizeof(*caps));
	h.n_caps = n_caps;
	fill_id(h.id, id_base);
	n = p2p_hello_encode(buf, cap, &h);
	assert_true(n > 0);
	return (size_t)n;
}

/* Handler log shared by the test protocols. */
static struct {
	int added, dropped, msgs;
	uint8_t drop_reason;
	uint64_t last_code;
	int ret_added, ret_msg;
} hlog;

static int h_added(const struct p2p_proto *p, struct p2p_peer *peer,
		   uint64_t now)
{
	(void)p;
	(void)peer;
	(void)now;
	hlog.added++;
	return hlog.ret_added;
}

static int h_msg(const struct p2p_proto *p, struct p2p_peer *peer,
		 uint64_t code, const uint8_t *payload, size_t len,
		 uint64_t now)
{
	(void)p;
	(void)peer;
	(void)payload;
	(void)len;
	(void)now;
	hlog.msgs++;
	hlog.last_code = code;
	return hlog.ret_msg;
}

static void h_dropped(const struct p2p_proto *p, struct p2p_peer *peer,
		      uint8_t reason, uint64_t now)
{
	(void)p;
	(void)peer;
	(void)now;
	hlog.dropped++;
	hlog.drop_reason = reason;
}

static struct p2p_proto test_proto(const char *name, uint32_t v,
				   uint16_t len)
{
	return (struct p2p_proto){
		.name = name, .version = v, .length = len,
		.peer_state_size = 16, .on_peer_added = h_added,
		.on_msg = h_msg, .on_peer_dropped = h_dropped,
	};
}

static const struct sent *last_sent(const struct rec *r)
{
	assert_true(r->n_sent > 0);
	return &r->sent[r->n_sent - 1];
}

static void expect_disconnect(const struct rec *r, uint8_t reason)
{
	const struct sent *s = last_sent(r);
	uint8_t got;

	assert_int_equal(s->code, P2P_MSG_DISCONNECT);
	assert_true(p2p_disconnect_decode(&got, s->payload, s->len) > 0);
	assert_int_equal(got, reason);
}

static void test_p2p_session_useless_peer(void **state)
{
	struct rec r;
	struct p2p_host *h = new_host(&r, 1);
	struct p2p_proto a = test_proto("aaa", 1, 4);
	struct p2p_cap caps[] = { { "bbb", 1 }, { "aaa", 2 } };
	uint8_t rid[P2P_ID_LEN], buf[512];
	struct p2p_peer *peer;
	struct p2p_hello mine;
	size_t n;

	(void)state;
	memset(&hlog, 0, sizeof(hlog));
	fill_id(rid, 100);
	assert_int_equal(p2p_register(h, &a), 0);
	assert_int_equal(p2p_register(h, &a), -EEXIST);
	assert_int_equal(p2p_peer_start(h, &peer, 7, rid, false, 0), 0);
	assert_int_equal(p2p_register(h, &a), -EPROTO);
	assert_int_equal(p2p_peer_start(h, NULL, 7, rid, false, 0), -EEXIST);
	/* Our Hello went out first, uncompressed, code 0, version 5. */
	assert_int_equal(r.n_sent, 1);
	assert_int_equal(r.sent[0].code, P2P_MSG_HELLO);
	assert_true(p2p_hello_decode(&mine, r.sent[0].payload,
				     r.sent[0].len) > 0);
	assert_true(mine.version == P2P_VERSION);
	assert_true(strncmp(mine.client_id, "devplane/v", 10) == 0);
	assert_int_equal(mine.n_caps, 1);
	assert_string_equal(mine.caps[0].name, "aaa");
	assert_true(mine.listen_port == 30303);
	/* No shared caps: Disconnect UselessPeer (0x03), sent with snappy
	 * already on: geth compresses everything after the Hellos of a
	 * p2p >= 5 peer, the Disconnect of a rejected Hello too. */
	n = remote_hello(buf, sizeof(buf), 100, 5, caps, 2);
	snappy_watch = peer;
	assert_int_equal(p2p_on_msg(h, 7, P2P_MSG_HELLO, buf, n, 1 * SEC), 0);
	snappy_watch = NULL;
	assert_int_equal(r.hellos, 1);
	assert_int_equal(r.actives, 0);
	assert_int_equal(r.sent[r.n_sent - 1].code, P2P_MSG_DISCONNECT);
	assert_true(r.sent[r.n_sent - 1].snappy);
	expect_disconnect(&r, P2P_DISC_USELESS_PEER);
	assert_int_equal(hlog.added, 0);
	assert_int_equal(hlog.dropped, 0);
	assert_non_null(p2p_peer_hello(peer));
	/* Later messages are ignored while disconnecting. */
	assert_int_equal(p2p_on_msg(h, 7, P2P_MSG_PING, (const uint8_t *)"\xc0",
				    1, 1 * SEC), -EPROTO);
	/* 2 s grace, then close. */
	assert_true(p2p_next_deadline(h) == 3 * SEC);
	p2p_on_timer(h, 3 * SEC - 1);
	assert_int_equal(r.n_closed, 0);
	p2p_on_timer(h, 3 * SEC);
	assert_int_equal(r.n_closed, 1);
	assert_true(r.closed[0] == 7);
	assert_true(p2p_next_deadline(h) == UINT64_MAX);
	assert_int_equal(p2p_peer_closed(h, 7, 3 * SEC), 0);
	assert_int_equal(r.n_on_closed, 1);
	assert_int_equal(r.closed_reason, P2P_DISC_USELESS_PEER);
	assert_false(r.closed_remote);
	assert_int_equal(p2p_host_peer_count(h), 0);
	assert_int_equal(p2p_peer_closed(h, 7, 3 * SEC), -ENOENT);
	p2p_host_free(h);
}

/* Starts a peer on session 1 with remote id base 100 and caps. */
static struct p2p_peer *activate(struct p2p_host *h, struct rec *r,
				 const struct p2p_cap *caps, size_t n_caps,
				 uint64_t version, uint64_t now)
{
	uint8_t rid[P2P_ID_LEN], buf[512];
	struct p2p_peer *peer;
	size_t n;

	fill_id(rid, 100);
	assert_int_equal(p2p_peer_start(h, &peer, 1, rid, true, now), 0);
	n = remote_hello(buf, sizeof(buf), 100, version, caps, n_caps);
	assert_int_equal(p2p_on_msg(h, 1, P2P_MSG_HELLO, buf, n, now), 0);
	(void)r;
	return peer;
}

static void test_p2p_session_identity(void **state)
{
	static const struct {
		uint8_t id_base;
		bool zero;
		uint8_t reason;
	} cases[] = {
		{ 1, false, P2P_DISC_SELF },            /* our own id */
		{ 55, false, P2P_DISC_UNEXPECTED_IDENTITY },
		{ 0, true, P2P_DISC_INVALID_IDENTITY },
	};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct rec r;
		struct p2p_host *h = new_host(&r, 1);
		struct p2p_proto a = test_proto("aaa", 1, 4);
		struct p2p_cap caps[] = { { "aaa", 1 } };
		uint8_t rid[P2P_ID_LEN], buf[512];
		struct p2p_hello hello;
		size_t n;

		assert_int_equal(p2p_register(h, &a), 0);
		fill_id(rid, cases[i].zero ? 0 : 1);
		if (cases[i].id_base == 55)
			fill_id(rid, 100);
		assert_int_equal(p2p_peer_start(h, NULL, 9, rid, false, 0),
				 0);
		memset(&hello, 0, sizeof(hello));
		hello.version = 5;
		hello.caps[0] = caps[0];
		hello.n_caps = 1;
		if (!cases[i].zero)
			fill_id(hello.id, cases[i].id_base);
		n = (size_t)p2p_hello_encode(buf, sizeof(buf), &hello);
		assert_int_equal(p2p_on_msg(h, 9, 0, buf, n, 0), 0);
		expect_disconnect(&r, cases[i].reason);
		assert_int_equal(r.actives, 0);
		p2p_host_free(h);
	}
}

static void test_p2p_session_before_hello(void **state)
{
	struct rec r;
	struct p2p_host *h = new_host(&r, 1);
	struct p2p_proto a = test_proto("aaa", 1, 4);
	uint8_t rid[P2P_ID_LEN];

	(void)state;
	fill_id(rid, 100);
	assert_int_equal(p2p_register(h, &a), 0);
	/* A Ping before Hello: breach of protocol. */
	assert_int_equal(p2p_peer_start(h, NULL, 1, rid, false, 0), 0);
	assert_int_equal(p2p_on_msg(h, 1, P2P_MSG_PING,
				    (const uint8_t *)"\xc0", 1, 0), 0);
	expect_disconnect(&r, P2P_DISC_PROTOCOL_ERROR);
	/* A garbage Hello: breach of protocol. */
	assert_int_equal(p2p_peer_start(h, NULL, 2, rid, false, 0), 0);
	assert_int_equal(p2p_on_msg(h, 2, P2P_MSG_HELLO,
				    (const uint8_t *)"\xc3\x01\x02", 3, 0), 0);
	expect_disconnect(&r, P2P_DISC_PROTOCOL_ERROR);
	assert_int_equal(p2p_on_msg(h, 99, 0, NULL, 0, 0), -ENOENT);
	/* A Hello that never comes: 5 s, then read timeout. */
	assert_int_equal(p2p_peer_start(h, NULL, 3, rid, false, 10 * SEC), 0);
	assert_true(p2p_next_deadline(h) == 2 * SEC);   /* grace of 1, 2 */
	p2p_on_timer(h, 2 * SEC);
	assert_int_equal(r.n_closed, 2);
	assert_true(p2p_next_deadline(h) == 15 * SEC);
	p2p_on_timer(h, 15 * SEC - 1);
	assert_int_equal(last_sent(&r)->code, P2P_MSG_HELLO);
	p2p_on_timer(h, 15 * SEC);
	expect_disconnect(&r, P2P_DISC_READ_TIMEOUT);
	/* A remote Disconnect before Hello: close at once. */
	assert_int_equal(p2p_peer_start(h, NULL, 4, rid, false, 20 * SEC), 0);
	assert_int_equal(p2p_on_msg(h, 4, P2P_MSG_DISCONNECT,
				    (const uint8_t *)"\x04", 1, 20 * SEC), 0);
	assert_true(r.closed[r.n_closed - 1] == 4);
	assert_int_equal(p2p_peer_closed(h, 4, 20 * SEC), 0);
	assert_int_equal(r.closed_reason, P2P_DISC_TOO_MANY_PEERS);
	assert_true(r.closed_remote);
	p2p_host_free(h);
}

static void test_p2p_keepalive(void **state)
{
	struct rec r;
	struct p2p_host *h = new_host(&r, 1);
	struct p2p_proto a = test_proto("aaa", 1, 4);
	struct p2p_cap caps[] = { { "aaa", 1 } };
	uint64_t t0 = 100 * SEC;
	struct p2p_peer *peer;
	size_t before;

	(void)state;
	memset(&hlog, 0, sizeof(hlog));
	assert_int_equal(p2p_register(h, &a), 0);
	peer = activate(h, &r, caps, 1, 5, t0);
	assert_true(p2p_peer_active(peer));
	assert_true(p2p_peer_snappy(peer));
	assert_true(r.snappy);
	assert_int_equal(hlog.added, 1);
	/* Ping at 15 s. */
	assert_true(p2p_next_deadline(h) == t0 + 15 * SEC);
	before = r.n_sent;
	p2p_on_timer(h, t0 + 15 * SEC - 1);
	assert_int_equal(r.n_sent, before);
	p2p_on_timer(h, t0 + 15 * SEC);
	assert_int_equal(last_sent(&r)->code, P2P_MSG_PING);
	assert_int_equal(last_sent(&r)->len, 1);
	assert_int_equal(last_sent(&r)->payload[0], 0xc0);
	/* The Pong keeps the peer alive past 30 s. */
	assert_int_equal(p2p_on_msg(h, 1, P2P_MSG_PONG,
				    (const uint8_t *)"\xc0", 1,
				    t0 + 16 * SEC), 0);
	p2p_on_timer(h, t0 + 30 * SEC);
	assert_int_equal(last_sent(&r)->code, P2P_MSG_PING);
	/* Their Ping is answered with Pong. */
	assert_int_equal(p2p_on_msg(h, 1, P2P_MSG_PING,
				    (const uint8_t *)"\xc0", 1,
				    t0 + 31 * SEC), 0);
	assert_int_equal(last_sent(&r)->code, P2P_MSG_PONG);
	/* Reserved p2p ids and a second Hello are ignored. */
	before = r.n_sent;
	assert_int_equal(p2p_on_msg(h, 1, 0x0f, NULL, 0, t0 + 31 * SEC), 0);
	assert_int_equal(p2p_on_msg(h, 1, P2P_MSG_HELLO, NULL, 0,
				    t0 + 31 * SEC), 0);
	assert_int_equal(r.n_sent, before);
	/* Silent from 31 s: read timeout at 61 s. */
	p2p_on_timer(h, t0 + 45 * SEC);
	assert_int_equal(last_sent(&r)->code, P2P_MSG_PING);
	assert_true(p2p_next_deadline(h) == t0 + 60 * SEC);   /* next ping */
	p2p_on_timer(h, t0 + 60 * SEC);
	assert_int_equal(last_sent(&r)->code, P2P_MSG_PING);
	assert_true(p2p_next_deadline(h) == t0 + 61 * SEC);
	p2p_on_timer(h, t0 + 61 * SEC);
	expect_disconnect(&r, P2P_DISC_READ_TIMEOUT);
	assert_int_equal(hlog.dropped, 1);
	assert_int_equal(hlog.drop_reason, P2P_DISC_READ_TIMEOUT);
	assert_false(p2p_peer_active(peer));
	p2p_on_timer(h, t0 + 63 * SEC);
	assert_int_equal(r.n_closed, 1);
	assert_int_equal(p2p_peer_closed(h, 1, t0 + 63 * SEC), 0);
	assert_int_equal(hlog.dropped, 1);      /* not twice */
	p2p_host_free(h);
}

static void test_p2p_snappy_flag(void **state)
{
	struct rec r;
	struct p2p_host *h = new_host(&r, 1);
	struct p2p_proto a = test_proto("aaa", 1, 4);
	struct p2p_cap caps[] = { { "aaa", 1 } };
	struct p2p_peer *peer;

	(void)state;
	assert_int_equal(p2p_register(h, &a), 0);
	peer = activate(h, &r, caps, 1, 4, 0);
	assert_true(p2p_peer_active(peer));
	assert_false(p2p_peer_snappy(peer));
	assert_int_equal(r.actives, 1);
	assert_false(r.snappy);
	p2p_host_free(h);
}

static void test_p2p_dispatch(void **state)
{
	struct rec r;
	struct p2p_host *h = new_host(&r, 1);
	struct p2p_proto a = test_proto("aaa", 1, 4);
	struct p2p_proto b2 = test_proto("bbb", 2, 3);
	struct p2p_proto b1 = test_proto("bbb", 1, 9);
	struct p2p_proto c = test_proto("ccc", 1, 2);
	struct p2p_cap caps[] = { { "bbb", 1 }, { "bbb", 2 }, { "aaa", 1 } };
	const struct p2p_shared *sh;
	struct p2p_peer *peer;
	size_t n, before;

	(void)state;
	memset(&hlog, 0, sizeof(hlog));
	assert_int_equal(p2p_register(h, &c), 0);
	assert_int_equal(p2p_register(h, &b2), 0);
	assert_int_equal(p2p_register(h, &a), 0);
	assert_int_equal(p2p_register(h, &b1), 0);
	peer = activate(h, &r, caps, 3, 5, 0);
	sh = p2p_peer_shared(peer, &n);
	assert_int_equal(n, 2);
	assert_ptr_equal(sh[0].proto, &a);
	assert_int_equal(sh[0].offset, 0x10);
	assert_ptr_equal(sh[1].proto, &b2);
	assert_int_equal(sh[1].offset, 0x14);
	assert_int_equal(hlog.added, 2);
	assert_non_null(p2p_peer_state(peer, &a));
	assert_null(p2p_peer_state(peer, &c));
	assert_null(p2p_peer_state(peer, &b1));
	/* Incoming: 0x15 is bbb code 1; 0x13 is aaa code 3. */
	assert_int_equal(p2p_on_msg(h, 1, 0x15, NULL, 0, 1), 0);
	assert_int_equal(hlog.msgs, 1);
	assert_true(hlog.last_code == 1);
	assert_int_equal(p2p_on_msg(h, 1, 0x13, NULL, 0, 1), 0);
	assert_true(hlog.last_code == 3);
	/* Outgoing offsets. */
	assert_int_equal(p2p_send(h, peer, &b2, 2, (const uint8_t *)"\xc0",
				  1), 0);
	assert_int_equal(last_sent(&r)->code, 0x16);
	assert_int_equal(p2p_send(h, peer, &b2, 3, NULL, 0), -EINVAL);
	assert_int_equal(p2p_send(h, peer, &c, 0, NULL, 0), -EPROTO);
	assert_int_equal(p2p_broadcast(h, &a, 1, NULL, 0, 1), 1);
	assert_int_equal(last_sent(&r)->code, 0x11);
	assert_int_equal(p2p_broadcast(h, &c, 1, NULL, 0, 1), 0);
	/* A handler asking for a drop (reason 0 included). */
	hlog.ret_msg = P2P_DROP(P2P_DISC_REQUESTED);
	before = r.n_sent;
	assert_int_equal(p2p_on_msg(h, 1, 0x10, NULL, 0, 2), 0);
	assert_int_equal(r.n_sent, before + 1);
	expect_disconnect(&r, P2P_DISC_REQUESTED);
	assert_int_equal(hlog.dropped, 2);
	assert_int_equal(hlog.drop_reason, P2P_DISC_REQUESTED);
	assert_int_equal(p2p_send(h, peer, &a, 0, NULL, 0), -EPROTO);
	p2p_host_free(h);
}

static void test_p2p_dispatch_errors(void **state)
{
	struct rec r;
	struct p2p_host *h = new_host(&r, 1);
	struct p2p_proto a = test_proto("aaa", 1, 4);
	struct p2p_cap caps[] = { { "aaa", 1 } };

	(void)state;
	memset(&hlog, 0, sizeof(hlog));
	assert_int_equal(p2p_register(h, &a), 0);
	activate(h, &r, caps, 1, 5, 0);
	/* Beyond every shared range: breach of protocol. */
	assert_int_equal(p2p_on_msg(h, 1, 0x14, NULL, 0, 1), 0);
	expect_disconnect(&r, P2P_DISC_PROTOCOL_ERROR);
	assert_int_equal(hlog.dropped, 1);
	assert_int_equal(p2p_peer_closed(h, 1, 1), 0);
	/* on_peer_added asking for a drop. */
	hlog.ret_added = P2P_DROP(P2P_DISC_SUBPROTOCOL_ERROR);
	activate(h, &r, caps, 1, 5, 2);
	expect_disconnect(&r, P2P_DISC_SUBPROTOCOL_ERROR);
	assert_int_equal(hlog.dropped, 2);
	/* The remote closes the socket without Disconnect. */
	assert_int_equal(p2p_peer_closed(h, 1, 3), 0);
	hlog.ret_added = 0;
	activate(h, &r, caps, 1, 5, 4);
	assert_int_equal(p2p_peer_closed(h, 1, 5), 0);
	assert_int_equal(hlog.dropped, 3);
	assert_int_equal(r.closed_reason, P2P_DISC_NONE);
	/* A remote Disconnect: dropped with its reason, closed at once. */
	activate(h, &r, caps, 1, 5, 6);
	assert_int_equal(p2p_on_msg(h, 1, P2P_MSG_DISCONNECT,
				    (const uint8_t *)"\xc1\x08", 2, 7), 0);
	assert_int_equal(hlog.dropped, 4);
	assert_int_equal(hlog.drop_reason, P2P_DISC_QUITTING);
	assert_true(r.closed[r.n_closed - 1] == 1);
	assert_int_equal(p2p_peer_closed(h, 1, 7), 0);
	assert_true(r.closed_remote);
	/* A ring-full send of our Ping: network error. */
	activate(h, &r, caps, 1, 5, 10 * SEC);
	r.fail_send = 1;
	p2p_on_timer(h, 25 * SEC);
	r.fail_send = 0;
	assert_int_equal(hlog.drop_reason, P2P_DISC_NETWORK_ERROR);
	/* The Disconnect could not be queued either: close at once. */
	p2p_on_timer(h, 25 * SEC);
	assert_true(r.closed[r.n_closed - 1] == 1);
	p2p_host_free(h);
}

/* Two hosts wired back to back run the whole exchange. */
struct wire {
	struct rec ra, rb;
	struct p2p_host *a, *b;
};

static void pump(struct wire *w, uint64_t now)
{
	size_t ia = 0, ib = 0;

	while (ia < w->ra.n_sent || ib < w->rb.n_sent) {
		if (ia < w->ra.n_sent) {
			struct sent *s = &w->ra.sent[ia++];

			p2p_on_msg(w->b, s->session, s->code, s->payload,
				   s->len, now);
		}
		if (ib < w->rb.n_sent) {
			struct sent *s = &w->rb.sent[ib++];

			p2p_on_msg(w->a, s->session, s->code, s->payload,
				   s->len, now);
		}
	}
	w->ra.n_sent = w->rb.n_sent = 0;
}

static void test_p2p_two_hosts(void **state)
{
	struct wire w;
	struct p2p_proto pa = test_proto("zzz", 3, 5);
	struct p2p_proto pb = test_proto("zzz", 3, 5);
	struct p2p_proto onlya = test_proto("aaa", 1, 1);
	uint8_t ida[P2P_ID_LEN], idb[P2P_ID_LEN];
	struct p2p_peer *peer_a, *peer_b;

	(void)state;
	memset(&hlog, 0, sizeof(hlog));
	w.a = new_host(&w.ra, 1);
	w.b = new_host(&w.rb, 100);
	fill_id(ida, 1);
	fill_id(idb, 100);
	assert_int_equal(p2p_register(w.a, &onlya), 0);
	assert_int_equal(p2p_register(w.a, &pa), 0);
	assert_int_equal(p2p_register(w.b, &pb), 0);
	assert_int_equal(p2p_peer_start(w.a, &peer_a, 5, idb, false, 0), 0);
	assert_int_equal(p2p_peer_start(w.b, &peer_b, 5, ida, true, 0), 0);
	pump(&w, 0);
	assert_true(p2p_peer_active(peer_a));
	assert_true(p2p_peer_active(peer_b));
	assert_int_equal(hlog.added, 2);
	assert_string_equal(p2p_peer_hello(peer_a)->caps[0].name, "zzz");
	assert_true(p2p_peer_inbound(peer_b));
	assert_memory_equal(p2p_peer_id(peer_a), idb, P2P_ID_LEN);
	/* "zzz" gets 0x10 on both sides: aaa is not shared. */
	assert_int_equal(p2p_send(w.a, peer_a, &pa, 4, (const uint8_t *)"\xc0",
				  1), 0);
	assert_int_equal(w.ra.sent[0].code, 0x14);
	pump(&w, 1);
	assert_int_equal(hlog.msgs, 1);
	assert_true(hlog.last_code == 4);
	/* B quits: both sides see the drop, A with the remote reason. */
	assert_int_equal(p2p_disconnect(w.b, 5, P2P_DISC_QUITTING, 2), 0);
	assert_int_equal(p2p_disconnect(w.b, 5, P2P_DISC_REQUESTED, 2), 0);
	pump(&w, 2);
	assert_int_equal(hlog.dropped, 2);
	assert_int_equal(w.ra.n_closed, 1);
	assert_int_equal(p2p_peer_closed(w.a, 5, 2), 0);
	assert_int_equal(w.ra.closed_reason, P2P_DISC_QUITTING);
	assert_true(w.ra.closed_remote);
	assert_int_equal(p2p_peer_closed(w.b, 5, 2), 0);
	assert_int_equal(w.rb.closed_reason, P2P_DISC_QUITTING);
	assert_false(w.rb.closed_remote);
	p2p_host_free(w.a);
	p2p_host_free(w.b);
}

static void test_p2p_host_limits(void **state)
{
	struct rec r;
	struct p2p_host *h = new_host(&r, 1);
	struct p2p_proto a = test_proto("aaa", 1, 4);
	struct p2p_proto bad = test_proto("toolongnamexxxxxx", 1, 4);
	struct p2p_proto zero = test_proto("zero", 1, 0);
	struct p2p_host_config cfg = { 0 };
	struct p2p_host *h2;
	uint8_t rid[P2P_ID_LEN];

	(void)state;
	fill_id(rid, 100);
	assert_int_equal(p2p_host_new(&h2, &cfg), -EINVAL);
	assert_null(h2);
	assert_int_equal(p2p_register(h, &bad), -EINVAL);
	assert_int_equal(p2p_register(h, &zero), -EINVAL);
	assert_int_equal(p2p_register(h, &a), 0);
	for (uint64_t s = 0; s < 8; s++)
		assert_int_equal(p2p_peer_start(h, NULL, s, rid, false, 0), 0);
	assert_int_equal(p2p_peer_start(h, NULL, 8, rid, false, 0), -ENOSPC);
	assert_int_equal(p2p_host_peer_count(h), 8);
	assert_non_null(p2p_peer_find(h, 3));
	assert_null(p2p_peer_find(h, 8));
	r.fail_send = 1;
	assert_int_equal(p2p_peer_closed(h, 0, 0), 0);
	assert_int_equal(p2p_peer_start(h, NULL, 9, rid, false, 0), -ENOBUFS);
	assert_int_equal(p2p_host_peer_count(h), 7);
	p2p_host_free(h);
	p2p_host_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p2p_hello_roundtrip),
		cmocka_unit_test(test_p2p_client_id),
		cmocka_unit_test(test_p2p_hello_decode_real),
		cmocka_unit_test(test_p2p_hello_decode_rejects),
		cmocka_unit_test(test_p2p_hello_caps_truncated),
		cmocka_unit_test(test_p2p_disconnect_codec),
		cmocka_unit_test(test_p2p_negotiate_table),
		cmocka_unit_test(test_p2p_session_useless_peer),
		cmocka_unit_test(test_p2p_session_identity),
		cmocka_unit_test(test_p2p_session_before_hello),
		cmocka_unit_test(test_p2p_keepalive),
		cmocka_unit_test(test_p2p_snappy_flag),
		cmocka_unit_test(test_p2p_dispatch),
		cmocka_unit_test(test_p2p_dispatch_errors),
		cmocka_unit_test(test_p2p_two_hosts),
		cmocka_unit_test(test_p2p_host_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
