/* SPDX-License-Identifier: MIT */
/* control/api/admin.c - the admin API: geth's admin_* methods over JSON-RPC 2.0, sans-I/O. */
#include "control/api/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hex.h"
#include "control/base/nodearg.h"

/* ---- framing -------------------------------------------------------- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

ssize_t admin_frame(const char *buf, size_t len, size_t *skip)
{
	size_t i = 0, depth = 0;
	bool in_str = false, esc = false;

	while (i < len && is_ws(buf[i]))
		i++;
	if (skip)
		*skip = i;
	if (i == len)
		return 0;
	if (buf[i] != '{' && buf[i] != '[')
		return -EBADMSG;
	for (; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return (ssize_t)(i + 1);
		}
	}
	return 0;
}

/* ---- formatting helpers --------------------------------------------- */

ssize_t admin_format_addr(char *out, size_t cap, const uint8_t ip[16],
			  uint16_t port)
{
	char a[INET6_ADDRSTRLEN];
	bool v4 = !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
	int n;

	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? ip + 12 : ip, a,
		       sizeof(a)))
		return -EINVAL;
	n = snprintf(out, cap, v4 ? "%s:%u" : "[%s]:%u", a, port);
	return n < 0 || (size_t)n >= cap ? -EMSGSIZE : n;
}

static json_t *ip_str(const uint8_t ip[16])
{
	char a[INET6_ADDRSTRLEN];
	bool v4 = !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);

	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? ip + 12 : ip, a,
		       sizeof(a)))
		a[0] = '\0';
	return json_string(a);
}

static json_t *addr_str(const uint8_t ip[16], uint16_t port)
{
	char a[INET6_ADDRSTRLEN + 10];

	if (admin_format_addr(a, sizeof(a), ip, port) < 0)
		a[0] = '\0';
	return json_string(a);
}

/* "0x" + hex of len bytes. */
static json_t *hex0x(const uint8_t *b, size_t len)
{
	char s[2 + 2 * 64 + 1];

	if (len > 64)
		return NULL;
	s[0] = '0';
	s[1] = 'x';
	hex_encode(s + 2, b, len);
	s[2 + 2 * len] = '\0';
	return json_string(s);
}

/* geth's enode.ID: hex of keccak256(pub), no prefix. */
static json_t *node_id(const uint8_t pub[ENODE_PUB_LEN])
{
	uint8_t id[ENODE_ID_LEN];
	char s[2 * ENODE_ID_LEN + 1];

	enode_id(id, pub);
	hex_encode(s, id, sizeof(id));
	s[2 * ENODE_ID_LEN] = '\0';
	return json_string(s);
}

/* ---- responses ------------------------------------------------------ */

static json_t *reply(json_t *id)
{
	json_t *r = json_object();

	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set(r, "id", id ? id : json_null());
	return r;
}

static json_t *result(json_t *id, json_t *res)
{
	json_t *r = reply(id);

	json_object_set_new(r, "result", res ? res : json_null());
	return r;
}

static json_t *error(json_t *id, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static json_t *error(json_t *id, int code, const char *fmt, ...)
{
	json_t *r = reply(id), *e = json_object();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message", json_string(msg));
	json_object_set_new(r, "error", e);
	return r;
}

/* ---- methods -------------------------------------------------------- */

static json_t *m_node_info(const struct admin_provider *p, json_t *id)
{
	struct admin_node_info ni;
	json_t *o, *ports, *protos, *eth;
	int rc;

	memset(&ni, 0, sizeof(ni));
	rc = p->node_info(p->user, &ni);
	if (rc)
		return error(id, ADMIN_ERR_SERVER, "%s", strerror(-rc));
	ni.name[sizeof(ni.name) - 1] = '\0';
	ni.enode[sizeof(ni.enode) - 1] = '\0';
	ni.enr[sizeof(ni.enr) - 1] = '\0';
	o = json_object();
	json_object_set_new(o, "id", node_id(ni.pub));
	json_object_set_new(o, "name", json_string(ni.name));
	json_object_set_new(o, "enode", json_string(ni.enode));
	json_object_set_new(o, "enr", json_string(ni.enr));
	json_object_set_new(o, "ip", ip_str(ni.ip));
	ports = json_object();
	json_object_set_new(ports, "discovery", json_integer(ni.discovery));
	json_object_set_new(ports, "listener", json_integer(ni.listener));
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "listenAddr",
			    addr_str(ni.listen_ip, ni.listen_port));
	protos = json_object();
	if (ni.has_eth) {
		eth = json_object();
		json_object_set_new(eth, "network", json_integer(
				    (json_int_t)ni.network));
		json_object_set_new(eth, "genesis", hex0x(ni.genesis, 32));
		json_object_set_new(eth, "head", hex0x(ni.head, 32));
		json_object_set_new(protos, "eth", eth);
	}
	json_object_set_new(o, "protocols", protos);
	return result(id, o);
}

struct peers_ctx {
	json_t *arr;
};

static void emit_peer(void *ctx, const struct admin_peer_info *pi)
{
	struct peers_ctx *c = ctx;
	json_t *o = json_object(), *caps = json_array(), *net, *protos;
	struct enode e = { .kind = ENODE_HOST_IP4 };
	char url[ENODE_URL_MAX + 1], cap[P2P_CAP_NAME_MAX + 16];

	memcpy(e.pub, pi->pub, ENODE_PUB_LEN);
	memcpy(e.ip, pi->remote_ip, 16);
	if (memcmp(e.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
		e.kind = ENODE_HOST_IP6;
	e.tcp = e.udp = pi->remote_port;
	if (enode_format(url, sizeof(url), &e) < 0)
		url[0] = '\0';
	json_object_set_new(o, "enode", json_string(url));
	json_object_set_new(o, "id", node_id(pi->pub));
	/* A client id that is not UTF-8 is reported as "". */
	if (!pi->hello || json_object_set_new(o, "name",
			json_string(pi->hello->client_id)))
		json_object_set_new(o, "name", json_string(""));
	for (size_t i = 0; pi->hello && i < pi->hello->n_caps; i++) {
		snprintf(cap, sizeof(cap), "%s/%u", pi->hello->caps[i].name,
			 pi->hello->caps[i].version);
		json_array_append_new(caps, json_string(cap));
	}
	json_object_set_new(o, "caps", caps);
	net = json_object();
	json_object_set_new(net, "localAddress",
			    addr_str(pi->local_ip, pi->local_port));
	json_object_set_new(net, "remoteAddress",
			    addr_str(pi->remote_ip, pi->remote_port));
	json_object_set_new(net, "inbound", json_boolean(pi->inbound));
	json_object_set_new(net, "trusted", json_boolean(pi->trusted));
	json_object_set_new(net, "static", json_boolean(pi->is_static));
	json_object_set_new(o, "network", net);
	protos = json_object();
	for (size_t i = 0; i < pi->n_shared; i++) {
		json_t *v = json_object();

		json_object_set_new(v, "version",
				    json_integer(pi->shared[i].proto->version));
		json_object_set_new(protos, pi->shared[i].proto->name, v);
	}
	json_object_set_new(o, "protocols", protos);
	json_array_append_new(c->arr, o);
}

static json_t *m_peers(const struct admin_provider *p, json_t *id)
{
	struct peers_ctx c = { .arr = json_array() };

	p->peers(p->user, emit_peer, &c);
	return result(id, c.arr);
}

typedef int peer_op_fn(void *user, const struct enode *e);

static json_t *m_peer_op(const struct admin_provider *p, json_t *id,
			 json_t *params, peer_op_fn *op)
{
	json_t *u = json_array_get(params, 0);
	struct enode e;
	const char *s;
	int rc;

	if (!json_is_string(u))
		return error(id, ADMIN_ERR_PARAMS,
			     "invalid argument 0: want an enode URL string");
	s = json_string_value(u);
	if (strlen(s) != json_string_length(u) || nodearg_parse(&e, s))
		return error(id, ADMIN_ERR_PARAMS,
			     "invalid enode: %.200s", s);
	if (e.kind == ENODE_HOST_NAME)
		return error(id, ADMIN_ERR_PARAMS,
			     "invalid enode: host names are not resolved");
	rc = op(p->user, &e);
	if (rc)
		return error(id, ADMIN_ERR_SERVER, "%s", strerror(-rc));
	return result(id, json_true());
}

/* Go's time.Time JSON: RFC 3339 in UTC, nanoseconds with trailing zeros
 * dropped ("2026-12-07T06:11:48.564642243Z", "...:48Z"). */
static json_t *go_time(uint64_t unix_ns)
{
	time_t sec = (time_t)(unix_ns / 1000000000ull);
	unsigned frac = (unsigned)(unix_ns % 1000000000ull), digits = 9;
	char out[64], f[16];
	struct tm tm;
	size_t n;

	if (!gmtime_r(&sec, &tm))
		return json_null();
	n = strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		snprintf(f, sizeof(f), ".%0*u", (int)digits, frac);
		snprintf(out + n, sizeof(out) - n, "%sZ", f);
	} else {
		snprintf(out + n, sizeof(out) - n, "Z");
	}
	return json_string(out);
}

/* debug_discoveryV4Table (geth's) and debug_discoveryV5Table (ours, the
 * same shape without the times: the discv5 engine keeps them on the
 * loop's monotonic clock). */
static json_t *m_table(const struct kad_table *t, json_t *id, bool times)
{
	json_t *arr;

	if (!t)
		return result(id, json_null());
	arr = json_array();
	for (unsigned b = 0; b < KAD_N_BUCKETS; b++) {
		const struct kad_bucket *bk = &t->buckets[b];
		json_t *ba = json_array();

		for (unsigned i = 0; i < bk->n_entries; i++) {
			const struct kad_node *k = &bk->entries[i];
			struct enode e = { .kind = ENODE_HOST_IP4 };
			char url[ENODE_URL_MAX + 1];
			json_t *o = json_object();

			memcpy(e.pub, k->pub, ENODE_PUB_LEN);
			memcpy(e.ip, k->ip, 16);
			if (memcmp(e.ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
				e.kind = ENODE_HOST_IP6;
			e.tcp = k->tcp_port;
			e.udp = k->udp_port;
			if (enode_format(url, sizeof(url), &e) < 0)
				url[0] = '\0';
			json_object_set_new(o, "node", json_string(url));
			if (times) {
				json_object_set_new(o, "addedToTable",
					go_time(k->added_to_table_ns));
				json_object_set_new(o, "addedToBucket",
					go_time(k->added_to_bucket_ns));
			}
			json_object_set_new(o, "checks",
					    json_integer(k->liveness_checks));
			json_object_set_new(o, "live", json_boolean(k->live));
			json_array_append_new(ba, o);
		}
		json_array_append_new(arr, ba);
	}
	return result(id, arr);
}

/* ---- services' methods ---------------------------------------------- */

static bool name_ok(const char *name)
{
	const char *u = strchr(name, '_');
	size_t n = strlen(name);

	if (!u || u == name || !u[1] || n >= ADMIN_METHOD_NAME_MAX)
		return false;
	for (const char *c = name; *c; c++) {
		bool alnum = (*c >= 'a' && *c <= 'z') ||
			     (*c >= 'A' && *c <= 'Z') ||
			     (*c >= '0' && *c <= '9');

		if (!alnum && !(*c == '_' && c >= u))
			return false;
	}
	/* Our namespaces. */
	return strncmp(name, "admin_", 6) && strncmp(name, "debug_", 6) &&
	       strncmp(name, "rpc_", 4);
}

int admin_methods_add(struct admin_methods *ms, const char *name,
		      admin_method_fn *fn, void *user)
{
	if (!name || !fn || !name_ok(name))
		return -EINVAL;
	for (size_t i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].name, name))
			return -EEXIST;
	if (ms->n == ADMIN_METHODS_MAX)
		return -ENOSPC;
	snprintf(ms->m[ms->n].name, sizeof(ms->m[ms->n].name), "%s", name);
	ms->m[ms->n].fn = fn;
	ms->m[ms->n].user = user;
	ms->n++;
	return 0;
}

int admin_methods_remove(struct admin_methods *ms, const char *name)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (strcmp(ms->m[i].name, name))
			continue;
		memmove(&ms->m[i], &ms->m[i + 1],
			(ms->n - i - 1) * sizeof(ms->m[0]));
		ms->n--;
		return 0;
	}
	return -ENOENT;
}

static const struct admin_method *ext_find(const struct admin_provider *p,
					   const char *name)
{
	for (size_t i = 0; p->ext && i < p->ext->n; i++)
		if (!strcmp(p->ext->m[i].name, name))
			return &p->ext->m[i];
	return NULL;
}

static json_t *m_ext(const struct admin_method *m, json_t *id, json_t *params)
{
	json_t *arr = json_is_array(params) ? json_incref(params) :
		      json_array();
	char *txt = json_dumps(arr, JSON_COMPACT), *res = NULL;
	json_error_t jerr;
	json_t *v;
	int rc;

	json_decref(arr);
	if (!txt)
		return error(id, ADMIN_ERR_SERVER, "out of memory");
	rc = m->fn(m->user, txt, &res);
	free(txt);
	if (rc) {
		v = error(id, rc == -EINVAL ? ADMIN_ERR_PARAMS :
			  ADMIN_ERR_SERVER, "%.200s", res ? res :
			  strerror(rc < 0 ? -rc : rc));
		free(res);
		return v;
	}
	if (!res)
		return result(id, json_null());
	v = json_loads(res, JSON_DECODE_ANY, &jerr);
	free(res);
	if (!v)
		return error(id, -32603, "%s returned a result that is not "
			     "JSON", m->name);
	return result(id, v);
}

/* geth's rpc_modules: every namespace served, version "1.0". */
static json_t *m_modules(const struct admin_provider *p, json_t *id)
{
	json_t *o = json_object();

	json_object_set_new(o, "admin", json_string("1.0"));
	if (p->discv4_table || p->discv5_table)
		json_object_set_new(o, "debug", json_string("1.0"));
	json_object_set_new(o, "rpc", json_string("1.0"));
	for (size_t i = 0; p->ext && i < p->ext->n; i++) {
		char ns[ADMIN_METHOD_NAME_MAX];
		const char *u = strchr(p->ext->m[i].name, '_');

		snprintf(ns, sizeof(ns), "%.*s", (int)(u - p->ext->m[i].name),
			 p->ext->m[i].name);
		json_object_set_new(o, ns, json_string("1.0"));
	}
	return result(id, o);
}

/* ---- subscriptions --------------------------------------------------- */

/* geth's rpc.ID: "0x" + hex of 16 random bytes, leading zeros dropped. */
static void new_sub_id(const struct admin_provider *p, struct admin_stream *s,
		       char out[ADMIN_SUB_ID_MAX])
{
	uint8_t b[16] = { 0 };
	char hex[33];
	const char *h = hex;

	if (p->random)
		p->random(p->user, b, sizeof(b));
	if (!p->random || !memcmp(b, (uint8_t[16]){ 0 }, sizeof(b))) {
		uint64_t v = ++s->sub_seq;

		for (int i = 0; i < 8; i++)
			b[15 - i] = (uint8_t)(v >> (8 * i));
	}
	hex_encode(hex, b, sizeof(b));
	hex[32] = '\0';
	while (*h == '0' && h[1])
		h++;
	snprintf(out, ADMIN_SUB_ID_MAX, "0x%s", h);
}

static json_t *m_subscribe(const struct admin_provider *p,
			   struct admin_stream *s, json_t *id, json_t *params)
{
	json_t *name = json_array_get(params, 0);
	struct admin_sub *sub;
	const char *n;

	if (!s)
		return error(id, ADMIN_ERR_METHOD,
			     "notifications not supported");
	if (!json_is_string(name))
		return error(id, ADMIN_ERR_PARAMS,
			     "expected subscription name as first argument");
	n = json_string_value(name);
	if (strcmp(n, "peerEvents") || !p->peer_events)
		return error(id, ADMIN_ERR_METHOD,
			     "no \"%.100s\" subscription in admin "
			     "namespace%s%s",
			     n, p->no_peers ? ": " : "",
			     p->no_peers ? p->no_peers : "");
	if (json_array_size(params) > 1)
		return error(id, ADMIN_ERR_PARAMS,
			     "too many arguments, want at most 1");
	if (s->n_subs == ADMIN_SUBS_MAX)
		return error(id, ADMIN_ERR_SERVER,
			     "too many subscriptions on this connection "
			     "(%d)", ADMIN_SUBS_MAX);
	sub = &s->subs[s->n_subs];
	do {            /* ids are unique on the connection */
		new_sub_id(p, s, sub->id);
		for (size_t i = 0; i < s->n_subs; i++)
			if (!strcmp(s->subs[i].id, sub->id))
				sub->id[0] = '\0';
	} while (!sub->id[0]);
	sub->kind = ADMIN_SUB_PEER_EVENTS;
	s->n_subs++;
	return result(id, json_string(sub->id));
}

static json_t *m_unsubscribe(struct admin_stream *s, json_t *id,
			     json_t *params)
{
	json_t *sid = json_array_get(params, 0);

	if (!json_is_string(sid))
		return error(id, ADMIN_ERR_PARAMS,
			     "invalid argument 0: want a subscription id");
	for (size_t i = 0; s && i < s->n_subs; i++) {
		if (strcmp(s->subs[i].id, json_string_value(sid)))
			continue;
		s->subs[i] = s->subs[--s->n_subs];
		return result(id, json_true());
	}
	return error(id, ADMIN_ERR_SERVER, "subscription not found");
}

static json_t *jstr_or_omit(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
	return o;
}

char *admin_peer_event_json(const struct admin_peer_event *ev, size_t *len)
{
	json_t *o = json_object();
	char *txt;

	json_object_set_new(o, "type", json_string(ev->type));
	json_object_set_new(o, "peer", node_id(ev->pub));
	jstr_or_omit(o, "error", ev->error);
	jstr_or_omit(o, "protocol", ev->protocol);
	if (ev->has_msg) {
		json_object_set_new(o, "msg_code",
				    json_integer((json_int_t)ev->msg_code));
		json_object_set_new(o, "msg_size",
				    json_integer(ev->msg_size));
	}
	jstr_or_omit(o, "local", ev->local);
	jstr_or_omit(o, "remote", ev->remote);
	txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	*len = txt ? strlen(txt) : 0;
	return txt;
}

/* The methods about RLPx peers (absent on the bootnode). */
static bool is_peer_method(const char *m)
{
	return !strcmp(m, "admin_peers") || !strcmp(m, "admin_addPeer") ||
	       !strcmp(m, "admin_removePeer") ||
	       !strcmp(m, "admin_addTrustedPeer") ||
	       !strcmp(m, "admin_removeTrustedPeer");
}

/* One request object; NULL for a notification. */
static json_t *handle_one(const struct admin_provider *p,
			  struct admin_stream *s, json_t *req)
{
	const struct admin_method *ext = NULL;
	json_t *id, *ver, *meth, *params, *res;
	bool notif;
	const char *m;
	size_t want_min, want_max, n;

	if (!json_is_object(req))
		return error(NULL, ADMIN_ERR_REQUEST, "invalid request");
	id = json_object_get(req, "id");
	notif = !id;
	if (id && !json_is_string(id) && !json_is_number(id) &&
	    !json_is_null(id))
		return error(NULL, ADMIN_ERR_REQUEST, "invalid request");
	ver = json_object_get(req, "jsonrpc");
	meth = json_object_get(req, "method");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") ||
	    !json_is_string(meth))
		return error(id, ADMIN_ERR_REQUEST, "invalid request");
	params = json_object_get(req, "params");
	if (params && !json_is_array(params) && !json_is_null(params)) {
		if (json_is_object(params))
			res = error(id, ADMIN_ERR_PARAMS, "non-array args");
		else
			res = error(id, ADMIN_ERR_REQUEST, "invalid request");
		goto out;
	}
	n = json_is_array(params) ? json_array_size(params) : 0;
	m = json_string_value(meth);
	if (!strcmp(m, "admin_nodeInfo") && p->node_info) {
		want_min = want_max = 0;
	} else if (!strcmp(m, "admin_peers") && p->peers) {
		want_min = want_max = 0;
	} else if ((!strcmp(m, "debug_discoveryV4Table") && p->discv4_table) ||
		   (!strcmp(m, "debug_discoveryV5Table") && p->discv5_table)) {
		want_min = want_max = 0;
	} else if ((!strcmp(m, "admin_addPeer") && p->add_peer) ||
		   (!strcmp(m, "admin_removePeer") && p->remove_peer) ||
		   (!strcmp(m, "admin_addTrustedPeer") && p->add_trusted) ||
		   (!strcmp(m, "admin_removeTrustedPeer") &&
		    p->remove_trusted) ||
		   !strcmp(m, "admin_unsubscribe")) {
		want_min = want_max = 1;
	} else if (!strcmp(m, "admin_subscribe")) {
		want_min = 1;           /* the name; m_subscribe() checks */
		want_max = SIZE_MAX;
	} else if (!strcmp(m, "rpc_modules")) {
		want_min = want_max = 0;
	} else if ((ext = ext_find(p, m))) {
		want_min = 0;           /* the service checks its params */
		want_max = SIZE_MAX;
	} else {
		res = error(id, ADMIN_ERR_METHOD,
			    "the method %.100s does not exist/is not "
			    "available%s%s",
			    m, p->no_peers && is_peer_method(m) ? ": " : "",
			    p->no_peers && is_peer_method(m) ? p->no_peers :
			    "");
		goto out;
	}
	if (n < want_min) {
		res = error(id, ADMIN_ERR_PARAMS,
			    "missing value for required argument %zu", n);
		goto out;
	}
	if (n > want_max) {
		res = error(id, ADMIN_ERR_PARAMS,
			    "too many arguments, want at most %zu", want_max);
		goto out;
	}
	if (ext)
		res = m_ext(ext, id, params);
	else if (!strcmp(m, "admin_nodeInfo"))
		res = m_node_info(p, id);
	else if (!strcmp(m, "admin_peers"))
		res = m_peers(p, id);
	else if (!strcmp(m, "debug_discoveryV4Table"))
		res = m_table(p->discv4_table(p->user), id, true);
	else if (!strcmp(m, "debug_discoveryV5Table"))
		res = m_table(p->discv5_table(p->user), id, false);
	else if (!strcmp(m, "rpc_modules"))
		res = m_modules(p, id);
	else if (!strcmp(m, "admin_subscribe"))
		res = m_subscribe(p, s, id, params);
	else if (!strcmp(m, "admin_unsubscribe"))
		res = m_unsubscribe(s, id, params);
	else if (!strcmp(m, "admin_addPeer"))
		res = m_peer_op(p, id, params, p->add_peer);
	else if (!strcmp(m, "admin_removePeer"))
		res = m_peer_op(p, id, params, p->remove_peer);
	else if (!strcmp(m, "admin_addTrustedPeer"))
		res = m_peer_op(p, id, params, p->add_trusted);
	else
		res = m_peer_op(p, id, params, p->remove_trusted);
out:
	if (notif) {
		json_decref(res);
		return NULL;
	}
	return res;
}

static char *handle(const struct admin_provider *p, struct admin_stream *s,
		    const char *req, size_t len, size_t *out_len)
{
	json_error_t jerr;
	json_t *in = json_loadb(req, len, 0, &jerr), *res = NULL;
	char *txt, *line;
	size_t n;

	*out_len = 0;
	if (!in) {
		res = error(NULL, ADMIN_ERR_PARSE, "parse error");
	} else if (json_is_array(in)) {
		size_t i;
		json_t *el;

		if (!json_array_size(in)) {
			res = error(NULL, ADMIN_ERR_REQUEST,
				    "empty batch");
		} else if (json_array_size(in) > ADMIN_MAX_BATCH) {
			res = error(NULL, ADMIN_ERR_REQUEST,
				    "batch too large");
		} else {
			res = json_array();
			json_array_foreach(in, i, el) {
				json_t *r = handle_one(p, s, el);

				if (r)
					json_array_append_new(res, r);
			}
			if (!json_array_size(res)) {
				json_decref(res);
				res = NULL;
			}
		}
	} else {
		res = handle_one(p, s, in);
	}
	json_decref(in);
	if (!res)
		return NULL;
	txt = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	if (!txt)
		return NULL;
	n = strlen(txt);
	line = realloc(txt, n + 2);
	if (!line) {
		free(txt);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*out_len = n + 1;
	return line;
}

char *admin_handle(const struct admin_provider *p, const char *req,
		   size_t len, size_t *out_len)
{
	return handle(p, NULL, req, len, out_len);
}

/* ---- stream --------------------------------------------------------- */

void admin_stream_init(struct admin_stream *s)
{
	memset(s, 0, sizeof(*s));
}

void admin_stream_fini(struct admin_stream *s)
{
	free(s->in);
	free(s->out);
	memset(s, 0, sizeof(*s));
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t nc = *cap ? *cap : 4096;
	char *nb;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	nb = realloc(*buf, nc);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = nc;
	return 0;
}

static int queue_out(struct admin_stream *s, const char *d, size_t n)
{
	if (s->out_off && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (grow(&s->out, &s->out_cap, s->out_len + n))
		return -ENOMEM;
	memcpy(s->out + s->out_len, d, n);
	s->out_len += n;
	return 0;
}

/* Answers complete requests from the input while the pending output is
 * under ADMIN_OUT_HIGH: a client that sends and never reads stops being
 * answered, so its output cannot grow (the transport stops reading it too,
 * admin_stream_wants_input()). */
static int pump(struct admin_stream *s, const struct admin_provider *p)
{
	size_t off = 0;
	int rc = 0;

	while (!s->closing && s->out_len - s->out_off < ADMIN_OUT_HIGH) {
		size_t skip = 0, rl = 0;
		ssize_t n = admin_frame(s->in + off, s->in_len - off, &skip);
		char *resp;

		if (n == 0) {
			off += skip;
			break;
		}
		if (n < 0) {
			/* Not a request: answer once, stop reading. */
			resp = handle(p, s, "x", 1, &rl);
			if (resp)
				rc = queue_out(s, resp, rl);
			free(resp);
			s->closing = true;
			s->in_len = 0;
			return rc ? rc : -EBADMSG;
		}
		resp = handle(p, s, s->in + off, (size_t)n, &rl);
		if (resp)
			rc = queue_out(s, resp, rl);
		free(resp);
		if (rc)
			return rc;
		off += (size_t)n;
		s->answered++;
	}
	memmove(s->in, s->in + off, s->in_len - off);
	s->in_len -= off;
	return 0;
}

int admin_stream_feed(struct admin_stream *s, const struct admin_provider *p,
		      const char *buf, size_t len)
{
	/* Nothing new (and s->in may still be NULL: no offsets into it). */
	if (s->closing || len == 0)
		return 0;
	/* Input waiting behind unread output is capped like one request. */
	if (s->in_len + len > ADMIN_IN_MAX + ADMIN_IN_SLACK) {
		s->closing = true;
		s->in_len = 0;
		s->over_cap++;
		return -EMSGSIZE;
	}
	if (grow(&s->in, &s->in_cap, s->in_len + len))
		return -ENOMEM;
	memcpy(s->in + s->in_len, buf, len);
	s->in_len += len;
	return admin_stream_pump(s, p);
}

int admin_stream_pump(struct admin_stream *s, const struct admin_provider *p)
{
	int rc;

	if (s->closing || !s->in_len)
		return 0;
	rc = pump(s, p);
	if (rc)
		return rc;
	/* A single request (incomplete, so still in the buffer) over the
	 * limit can never be answered. */
	if (s->out_len - s->out_off < ADMIN_OUT_HIGH &&
	    s->in_len > ADMIN_IN_MAX) {
		s->closing = true;
		s->in_len = 0;
		s->over_cap++;
		return -EMSGSIZE;
	}
	return 0;
}

bool admin_stream_wants_input(const struct admin_stream *s)
{
	return !s->closing && s->out_len - s->out_off < ADMIN_OUT_HIGH &&
	       s->in_len <= ADMIN_IN_MAX;
}

size_t admin_stream_out(const struct admin_stream *s, const char **data)
{
	*data = s->out ? s->out + s->out_off : "";
	return s->out_len - s->out_off;
}

void admin_stream_written(struct admin_stream *s, size_t n)
{
	s->out_off += n;
	if (s->out_off >= s->out_len)
		s->out_off = s->out_len = 0;
}

bool admin_stream_closing(const struct admin_stream *s)
{
	return s->closing;
}

bool admin_stream_has_sub(const struct admin_stream *s,
			  enum admin_sub_kind kind)
{
	for (size_t i = 0; i < s->n_subs; i++)
		if (s->subs[i].kind == kind)
			return true;
	return false;
}

int admin_stream_notify(struct admin_stream *s, enum admin_sub_kind kind,
			const char *result, size_t len)
{
	static const char pre[] = "{\"jsonrpc\":\"2.0\",\"method\":"
				  "\"admin_subscription\",\"params\":"
				  "{\"subscription\":\"";
	static const char mid[] = "\",\"result\":";
	static const char post[] = "}}\n";
	int queued = 0;

	if (s->closing)
		return 0;
	for (size_t i = 0; i < s->n_subs;) {
		struct admin_sub *sub = &s->subs[i];
		size_t idl = strlen(sub->id);
		size_t need = sizeof(pre) - 1 + idl + sizeof(mid) - 1 + len +
			      sizeof(post) - 1;

		if (sub->kind != kind) {
			i++;
			continue;
		}
		if (s->out_len - s->out_off + need > ADMIN_NOTIFY_MAX) {
			/* Too slow a reader: its subscription goes. */
			s->subs[i] = s->subs[--s->n_subs];
			s->subs_dropped++;
			continue;
		}
		/* Room for all of it first: never half a notification. */
		if (s->out_off && s->out_off == s->out_len)
			s->out_off = s->out_len = 0;
		if (grow(&s->out, &s->out_cap, s->out_len + need))
			return -ENOMEM;
		queue_out(s, pre, sizeof(pre) - 1);
		queue_out(s, sub->id, idl);
		queue_out(s, mid, sizeof(mid) - 1);
		queue_out(s, result, len);
		queue_out(s, post, sizeof(post) - 1);
		s->notified++;
		queued++;
		i++;
	}
	return queued;
}
