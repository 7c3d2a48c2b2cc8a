/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz_admin.c - admin API request stream: framing, JSON-RPC dispatch (subscriptions and a service's method included), and every response and notification line being one valid JSON value. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/api/admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct p2p_hello hello;

static int f_info(void *user, struct admin_node_info *ni)
{
	(void)user;
	memset(ni->pub, 0x42, sizeof(ni->pub));
	memcpy(ni->name, hello.client_id, sizeof(hello.client_id));
	ni->ip[10] = ni->ip[11] = 0xff;
	ni->has_eth = true;
	ni->network = UINT64_MAX;       /* over json_int_t */
	return 0;
}

static void f_peers(void *user, admin_peer_emit_fn *emit, void *ctx)
{
	struct admin_peer_info pi = { .hello = &hello };

	(void)user;
	emit(ctx, &pi);
}

static int f_peer(void *user, const struct enode *e)
{
	(void)user;
	return e->tcp & 1 ? -EIO : 0;
}

/* A service's method: echoes its params, or fails with the message. */
static int f_ext(void *user, const char *params, char **result)
{
	(void)user;
	*result = strdup(params);
	return strlen(params) % 3 ? 0 : -EINVAL;
}

/* Every complete line of the output parses as JSON. */
static void check_lines(const char *d, size_t len)
{
	json_error_t err;

	while (len) {
		const char *nl = memchr(d, '\n', len);
		json_t *j;

		if (!nl)
			abort();
		j = json_loadb(d, (size_t)(nl - d), 0, &err);
		if (!j)
			abort();
		json_decref(j);
		len -= (size_t)(nl - d) + 1;
		d = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct admin_methods ms;
	struct admin_provider p = {
		.node_info = f_info, .peers = f_peers, .add_peer = f_peer,
		.remove_peer = f_peer, .add_trusted = f_peer,
		.remove_trusted = f_peer, .peer_events = true, .ext = &ms,
	};
	static const char ev[] = "{\"type\":\"add\"}";
	struct admin_stream s;
	const char *out;
	size_t cut, n;
	char *one;

	/* The peer's client id comes from the input too (any bytes). */
	memset(&hello, 0, sizeof(hello));
	n = size < 16 ? size : 16;
	memcpy(hello.client_id, data, n);
	snprintf(hello.caps[0].name, sizeof(hello.caps[0].name), "eth");
	hello.caps[0].version = 68;
	hello.n_caps = 1;

	if (!ms.n && admin_methods_add(&ms, "demo_echo", f_ext, NULL))
		abort();
	/* As a stream, in two pieces, with an event between them. */
	cut = size ? data[0] % (size + 1) : 0;
	admin_stream_init(&s);
	admin_stream_feed(&s, &p, (const char *)data, cut);
	if (admin_stream_notify(&s, ADMIN_SUB_PEER_EVENTS, ev,
				sizeof(ev) - 1) < 0 || s.n_subs > ADMIN_SUBS_MAX)
		abort();
	admin_stream_feed(&s, &p, (const char *)data + cut, size - cut);
	n = admin_stream_out(&s, &out);
	check_lines(out, n);
	admin_stream_fini(&s);

	/* As one request text. */
	one = admin_handle(&p, (const char *)data, size, &n);
	if (one) {
		if (n != strlen(one))
			abort();
		check_lines(one, n);
	}
	free(one);
	return 0;
}
