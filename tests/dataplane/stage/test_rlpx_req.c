/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_rlpx_req.c - control's requests to the RLPx
 * stage: each lie a descriptor or header can tell is refused; what is
 * taken is a copy; held copies are charged to a budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "dataplane/stage/rlpx_codec.h"
#include "dataplane/stage/rlpx_req.h"

static _Alignas(64) uint8_t slot[MSG_SLOT_SIZE];

static struct msg_desc put_tx(uint16_t n)
{
	struct msg_rlpx_data *x = (struct msg_rlpx_data *)slot;

	memset(slot, 0, sizeof(slot));
	x->hdr.type = MSG_RLPX_TX;
	x->hdr.len = (uint16_t)(sizeof(*x) - sizeof(x->hdr) + n);
	x->session_id = 42;
	x->msg_code = 0x10;
	x->total_len = n;
	x->data_len = n;
	x->flags = MSG_RLPX_F_LAST;
	memset(x->data, 0x5c, n);
	return (struct msg_desc){ .len = (uint16_t)(sizeof(*x) + n),
				  .kind = MSG_RLPX_TX };
}

static void test_req_load_tx(void **st)
{
	struct msg_rlpx_data *x = (struct msg_rlpx_data *)slot;
	struct rlpx_req r;
	struct msg_desc d;

	(void)st;
	d = put_tx(100);
	assert_int_equal(rlpx_req_load(&r, &d, slot), 0);
	assert_int_equal(r.u.tx.data_len, 100);
	assert_true(r.u.tx.session_id == 42);
	assert_ptr_equal(r.data, x->data);
	/* The copy is the request: the slot changing afterwards is not. */
	x->data_len = 2000;
	x->session_id = 7;
	assert_int_equal(r.u.tx.data_len, 100);
	assert_true(r.u.tx.session_id == 42);
	/* data_len is not what the descriptor covers */
	d = put_tx(100);
	x->data_len = 101;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
	/* the header's length disagrees with the descriptor's */
	d = put_tx(100);
	x->hdr.len++;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
	/* the type is not the descriptor's kind */
	d = put_tx(100);
	x->hdr.type = MSG_RLPX_CLOSED;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
	/* a message over the cap, a fragment past its message */
	d = put_tx(100);
	x->total_len = RLPX_MSG_CAP + 1;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
	d = put_tx(100);
	x->frag_off = UINT32_MAX;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
	/* a descriptor past the slot, shorter than the header */
	d = put_tx(100);
	d.len = MSG_SLOT_SIZE + 1;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
	d.len = 20;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
	/* another kind */
	d = put_tx(100);
	d.kind = MSG_RLPX_KEYS;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
}

static void test_req_load_closed(void **st)
{
	struct msg_rlpx_closed *c = (struct msg_rlpx_closed *)slot;
	struct msg_desc d = { .len = sizeof(*c), .kind = MSG_RLPX_CLOSED };
	struct rlpx_req r;

	(void)st;
	memset(slot, 0, sizeof(slot));
	c->hdr.type = MSG_RLPX_CLOSED;
	c->hdr.len = sizeof(*c) - sizeof(c->hdr);
	c->session_id = 9;
	c->reason = 4;
	assert_int_equal(rlpx_req_load(&r, &d, slot), 0);
	assert_true(r.u.close.session_id == 9);
	assert_int_equal(r.u.close.reason, 4);
	assert_null(r.data);
	d.len++;                        /* more than a close request */
	c->hdr.len++;
	assert_int_equal(rlpx_req_load(&r, &d, slot), -EBADMSG);
}

static void test_req_hold_copies(void **st)
{
	struct rlpx_budget b = { .max = 150 };
	struct rlpx_req_held h, h2;
	struct rlpx_req r;
	struct msg_desc d;

	(void)st;
	d = put_tx(100);
	assert_int_equal(rlpx_req_load(&r, &d, slot), 0);
	assert_int_equal(rlpx_req_hold(&h, &r, &b), 0);
	assert_int_equal(b.used, 100);
	assert_int_equal(rlpx_req_held_size(&h), 100);
	memset(slot, 0, sizeof(slot));  /* the slot goes back to the pool */
	for (int i = 0; i < 100; i++)
		assert_int_equal(h.r.data[i], 0x5c);
	assert_int_equal(rlpx_req_hold(&h2, &r, &b), -EDQUOT);
	assert_int_equal(b.used, 100);
	rlpx_req_unhold(&h, &b);
	assert_int_equal(b.used, 0);
	assert_null(h.copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_load_tx),
		cmocka_unit_test(test_req_load_closed),
		cmocka_unit_test(test_req_hold_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
