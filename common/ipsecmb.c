/* SPDX-License-Identifier: MIT */
/* common/ipsecmb.c - the calling thread's Intel IPsec-MB manager. */
#include "common/ipsecmb.h"

#include <stddef.h>

static __thread IMB_MGR *tls_mgr;

IMB_MGR *ipsecmb_thread_mgr(void)
{
	IMB_MGR *m = tls_mgr;

	if (m)
		return m;
	m = alloc_mb_mgr(0);
	if (!m)
		return NULL;
	init_mb_mgr_auto(m, NULL);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	tls_mgr = m;
	return m;
}

void ipsecmb_thread_fini(void)
{
	if (tls_mgr)
		free_mb_mgr(tls_mgr);
	tls_mgr = NULL;
}
