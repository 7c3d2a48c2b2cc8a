/* SPDX-License-Identifier: MIT */
/* common/ipsecmb.h - the calling thread's Intel IPsec-MB manager. */
#ifndef COMMON_IPSECMB_H
#define COMMON_IPSECMB_H
#include <intel-ipsec-mb.h>

/* ipsecmb_thread_mgr() returns the calling thread's manager, made on first
 * use (about 200 KB; an IMB_MGR holds per-lane job state and is not safe
 * to share between threads), or NULL when it cannot be made. ECIES and the
 * RLPx frame codec share it, so a thread holds one, not one per module. */
IMB_MGR *ipsecmb_thread_mgr(void);

/* ipsecmb_run_job() submits job (from IMB_GET_NEXT_JOB(m), filled in)
 * and runs it to completion. The ciphers and hashes we use are
 * synchronous in IPsec-MB, but a submit may still hand back nothing until
 * a flush: drain either way so no job of ours is left inside the manager.
 * Returns 0, or -EIO if any job did not complete. */
int ipsecmb_run_job(IMB_MGR *m, IMB_JOB *job);

/* ipsecmb_thread_fini() frees the calling thread's manager, if any; the
 * next ipsecmb_thread_mgr() makes a new one. */
void ipsecmb_thread_fini(void);

#endif /* COMMON_IPSECMB_H */
