/* SPDX-License-Identifier: MIT */
/* tests/examples/a1_start_server.c - tutorial A1 (A1_Server.go, "Initializing and starting the p2p Server"): a node from a config, started, its enode URL, stopped from a timer. */
#include <stdio.h>
#include <string.h>

#include "common/enode.h"
#include "tests/examples/example.h"

static void stop_now(struct devplane *n, void *arg)
{
	int *fired = arg;

	(*fired)++;
	devplane_stop(n);
}

int main(void)
{
	static const uint8_t key[DEVPLANE_KEY_LEN] = {
		[0] = 0x45, [31] = 0x01,        /* a fixed key, as A1's */
	};
	struct devplane_config c;
	struct devplane *n;
	struct enode e;
	const char *url;
	int fired = 0;

	ex_init("a1_start_server");
	ex_config(&c);
	c.key = key;
	c.max_peers = 10;
	n = ex_new(&c);
	EX_CHECK(devplane_port(n) != 0);        /* port 0: one was chosen */
	EX_CHECK(devplane_start(n) == 0);
	EX_CHECK(devplane_start(n) == -EALREADY);
	/* The URL names our key and the bound address. */
	url = devplane_enode(n);
	EX_CHECK(enode_parse(&e, url, strlen(url)) == 0);
	EX_CHECK(memcmp(e.pub, devplane_id(n), DEVPLANE_ID_LEN) == 0);
	EX_CHECK(e.tcp == devplane_port(n));
	EX_CHECK(e.ip[12] == 127 && e.ip[15] == 1);
	printf("a1: node %s\n", url);
	/* Protocols are registered before the start, not after. */
	EX_CHECK(devplane_register_eth(n) == -EBUSY);
	/* The loop runs until something stops it: here a timer. */
	EX_CHECK(devplane_after(n, 10, stop_now, &fired) == 0);
	EX_CHECK(devplane_run(n) == 0);
	EX_CHECK(fired == 1);
	devplane_free(n);
	printf("a1: ok\n");
	return 0;
}
