/* SPDX-License-Identifier: MIT */
/* common/ipsecmb.c - the calling thread's Intel IPsec-MB manager. */
#include "common/ipsecmb.h"

#include <errno.h>
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

int ipsecmb_run_job(IMB_MGR *m, IMB_JOB *job)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(m);
	int ok = 1;

	while (!done || done != job) {
		if (done && done->status != IMB_STATUS_COMPLETED)
			ok = 0;
		done = IMB_FLUSH_JOB(m);
		if (!done)
			return -EIO;
	}
	if (job->status != IMB_STATUS_COMPLETED || !ok)
		return -EIO;
	return 0;
}

void ipsecmb_thread_fini(void)
{
	if (tls_mgr)
		free_mb_mgr(tls_mgr);
	tls_mgr = NULL;
}
