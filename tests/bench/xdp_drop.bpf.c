/* SPDX-License-Identifier: MIT */
/* tests/bench/xdp_drop.bpf.c - the baseline for tests/bench/xdp_bench.sh: drop every frame, nothing else. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop_all(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
