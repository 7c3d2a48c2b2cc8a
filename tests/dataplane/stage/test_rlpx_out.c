/* SPDX-License-Identifier: MIT */
/* tests/dataplane/stage/test_rlpx_out.c - the RLPx stage's messages to
 * control: fragments that add up to the message, resumed where a full
 * ring stopped them; close reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/stage/rlpx_out.h"

static void test_out_fragments_and_resumes(void **st)
{
	struct shmring_cfg rc = { .n_rings = 1, .ring_size = 4,
				  .n_slots = 16 };
	size_t len = 5 * MSG_RLPX_FRAG_MAX + 7, off = 0, got = 0;
	uint8_t *data = malloc(len), *back = calloc(1, len);
	struct rlpx_msg m = { .code = 0x21, .len = len };
	struct shmring *r;
	struct rlpx_out o;
	uint32_t seq = 0;
	unsigned frags = 0, rounds = 0;
	bool last = false;

	(void)st;
	assert_non_null(data);
	assert_non_null(back);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 13);
	m.data = data;
	assert_int_equal(shmring_create(&r, &rc), 0);
	o = (struct rlpx_out){ .ring = r, .q = shmring_ring(r, 0),
			       .seq = &seq };
	/* A ring of 3: the message goes out over several rounds. */
	while (!last) {
		struct msg_desc d[4];
		unsigned n;
		int e = rlpx_out_msg(&o, 77, &m, &off);

		assert_true(e == 0 || e == -ENOBUFS);
		assert_true(++rounds < 10);
		n = shmring_dequeue(o.q, d, 4);
		for (unsigned i = 0; i < n; i++) {
			struct msg_rlpx_data x;

			assert_int_equal(msg_load(&d[i], shmring_desc_ptr(r,
					 &d[i]), &x, sizeof(x)), 0);
			assert_int_equal(x.hdr.seq, frags);
			assert_true(x.session_id == 77);
			assert_int_equal(x.msg_code, 0x21);
			assert_int_equal(x.total_len, len);
			assert_int_equal(x.frag_off, got);
			memcpy(back + got, (uint8_t *)shmring_desc_ptr(r, &d[i]) +
			       sizeof(x), x.data_len);
			got += x.data_len;
			last = x.flags & MSG_RLPX_F_LAST;
			frags++;
			shmring_slot_free(r, d[i].slot);
		}
	}
	assert_int_equal(frags, 6);
	assert_int_equal(got, len);
	assert_int_equal(off, len);
	assert_memory_equal(back, data, len);
	assert_true(o.enqueued);
	/* A close report; then nothing when the pool is empty. */
	{
		struct msg_desc d;
		struct msg_rlpx_closed c;
		uint32_t s;

		assert_int_equal(rlpx_out_closed(&o, 77, -ETIMEDOUT, 3, 2), 0);
		assert_int_equal(shmring_dequeue(o.q, &d, 1), 1);
		assert_int_equal(msg_load(&d, shmring_desc_ptr(r, &d), &c,
					  sizeof(c)), 0);
		assert_int_equal(c.error, -ETIMEDOUT);
		assert_int_equal(c.reason, 3);
		assert_int_equal(c.origin, 2);
		shmring_slot_free(r, d.slot);
		while (shmring_slot_alloc(r, &s) == 0)
			;
		assert_int_equal(rlpx_out_closed(&o, 77, 0, 0, 0), -ENOBUFS);
		assert_int_equal(seq, frags + 1);       /* not counted */
	}
	shmring_free(r);
	free(data);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_fragments_and_resumes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
