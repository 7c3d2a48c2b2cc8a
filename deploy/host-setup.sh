#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# host-setup.sh - prepare a host for devplane-dp: bpffs, hugepages, NIC queues, socket buffers.
#
# Idempotent: every step looks first and only changes what differs, so it is
# safe at every boot (deploy/systemd/devplane-host-setup.service runs it) and
# by hand. --check changes nothing: it reports each item and exits 1 when
# something would be changed, 0 when the host is ready.
#
#   bpffs       mounted at /sys/fs/bpf (the XDP shield pins its maps under
#               /sys/fs/bpf/devplane/IFNAME; libxdp keeps its dispatcher
#               under /sys/fs/bpf/xdp). With --dp-user those two
#               directories are made the dataplane user's.
#   hugepages   with --hugepages N (N > 0): at least N 2 MiB pages in
#               /proc/sys/vm/nr_hugepages (never lowered) and hugetlbfs
#               mounted (pagesize=2M) with a devplane/ directory. The
#               dataplane takes them with `devplane-dp --hugepages` (an
#               anonymous hugetlb memfd) or a --shm PATH on the mount;
#               default 0: skip.
#   NIC         with --iface: combined channels (--queues N) and GRO/LRO
#               off, so XDP sees every datagram as sent and AF_XDP queue q
#               matches RX queue q.
#   sockets     net.core.rmem_max / wmem_max at least --sockbuf bytes: the
#               socket backend asks for 4 MiB receive buffers and the kernel
#               silently caps them at rmem_max.
set -euo pipefail

HUGEPAGES=0                     # none unless asked for
HUGETLBFS=/dev/hugepages
SOCKBUF=$((8 << 20))
IFACE=""
QUEUES=""
DP_USER=""
DP_GROUP="devplane"
CHECK=0
NO_HUGE=0

usage() {
	cat <<EOF
usage: host-setup.sh [--check] [--hugepages N] [--hugetlbfs DIR] [--no-hugepages]
                     [--iface IF [--queues N]] [--sockbuf BYTES]
                     [--dp-user USER [--dp-group GROUP]]
  --check          report only; exit 1 if anything would change
  --hugepages N    ensure at least N 2 MiB huge pages and mount hugetlbfs
                   (default $HUGEPAGES: skip)
  --hugetlbfs DIR  hugetlbfs mount point (default $HUGETLBFS)
  --no-hugepages   skip the huge page steps
  --iface IF       the XDP/AF_XDP interface: GRO and LRO off
  --queues N       with --iface: set N combined channels (ethtool -L)
  --sockbuf BYTES  ensure net.core.{r,w}mem_max >= BYTES (default $SOCKBUF)
  --dp-user USER   owner of /sys/fs/bpf/devplane, /sys/fs/bpf/xdp and
                   DIR/devplane (when devplane-dp runs as USER, not root)
  --dp-group GRP   their group (default $DP_GROUP)
Values may also come from the environment (HOST_SETUP_ARGS is appended to
the arguments by the systemd unit).
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--check) CHECK=1 ;;
	--hugepages) HUGEPAGES="${2:?}"; shift ;;
	--hugetlbfs) HUGETLBFS="${2:?}"; shift ;;
	--no-hugepages) NO_HUGE=1 ;;
	--iface) IFACE="${2:?}"; shift ;;
	--queues) QUEUES="${2:?}"; shift ;;
	--sockbuf) SOCKBUF="${2:?}"; shift ;;
	--dp-user) DP_USER="${2:?}"; shift ;;
	--dp-group) DP_GROUP="${2:?}"; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "host-setup: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

isnum() { [[ "$1" =~ ^[0-9]+$ ]]; }
isnum "$HUGEPAGES" || { echo "host-setup: --hugepages wants a number" >&2; exit 2; }
isnum "$SOCKBUF" || { echo "host-setup: --sockbuf wants a number" >&2; exit 2; }
if [ -n "$QUEUES" ]; then
	isnum "$QUEUES" && [ "$QUEUES" -gt 0 ] ||
		{ echo "host-setup: --queues wants a number > 0" >&2; exit 2; }
	[ -n "$IFACE" ] || { echo "host-setup: --queues needs --iface" >&2; exit 2; }
fi
if [ "$CHECK" = 0 ] && [ "$(id -u)" -ne 0 ]; then
	echo "host-setup: run as root (or use --check)" >&2
	exit 2
fi

pending=0       # items that differ from the wanted state
failed=0

ok()   { printf 'ok      %s\n' "$*"; }
# change DESCRIPTION CMD...: run CMD (or, with --check, only say it would).
change() {
	local what="$1"
	shift
	if [ "$CHECK" = 1 ]; then
		printf 'change  %s\n' "$what"
		pending=1
		return 0
	fi
	if "$@"; then
		printf 'done    %s\n' "$what"
	else
		printf 'FAILED  %s\n' "$what" >&2
		failed=1
	fi
}
warn() { printf 'warn    %s\n' "$*" >&2; }

# own_dir DIR: DIR exists, owned by DP_USER:DP_GROUP (if --dp-user), mode MODE.
own_dir() {
	local dir="$1" mode="$2" cur
	if [ ! -d "$dir" ]; then
		change "mkdir $dir" mkdir -p -m "$mode" "$dir"
	fi
	[ -n "$DP_USER" ] || { [ -d "$dir" ] && ok "$dir exists"; return 0; }
	if [ -d "$dir" ]; then
		cur="$(stat -c '%U:%G' "$dir")"
		if [ "$cur" = "$DP_USER:$DP_GROUP" ]; then
			ok "$dir owned by $cur"
		else
			change "chown $DP_USER:$DP_GROUP $dir (was $cur)" \
				chown "$DP_USER:$DP_GROUP" "$dir"
		fi
	elif [ "$CHECK" = 1 ]; then
		change "chown $DP_USER:$DP_GROUP $dir"
	fi
}

if [ -n "$DP_USER" ] && ! id -u "$DP_USER" >/dev/null 2>&1; then
	echo "host-setup: no user $DP_USER (systemd-sysusers devplane.conf creates it)" >&2
	exit 2
fi
if [ -n "$DP_USER" ] && ! getent group "$DP_GROUP" >/dev/null; then
	echo "host-setup: no group $DP_GROUP" >&2
	exit 2
fi

# ---- bpffs -------------------------------------------------------------
if mountpoint -q /sys/fs/bpf && [ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ]; then
	ok "bpffs mounted at /sys/fs/bpf"
else
	change "mount bpffs at /sys/fs/bpf" mount -t bpf -o mode=0755 bpf /sys/fs/bpf
fi
if [ -n "$DP_USER" ]; then
	# The dataplane user must reach its pins: the root needs o+x.
	if mountpoint -q /sys/fs/bpf; then
		m="$(stat -c %a /sys/fs/bpf)"
		if (( (8#$m & 8#001) )); then
			ok "/sys/fs/bpf traversable (mode $m)"
		else
			change "chmod o+x /sys/fs/bpf (mode $m)" chmod o+x /sys/fs/bpf
		fi
	fi
	own_dir /sys/fs/bpf/devplane 0750
	own_dir /sys/fs/bpf/xdp 0750
fi

# ---- hugepages -----------------------------------------------------------
[ "$HUGEPAGES" -gt 0 ] || NO_HUGE=1
if [ "$NO_HUGE" = 0 ]; then
	hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	if [ ! -e "$hp" ]; then
		warn "no 2 MiB huge page support in this kernel; regions use normal pages"
	else
		cur2m="$(cat "$hp")"
		if [ "$cur2m" -ge "$HUGEPAGES" ]; then
			ok "$cur2m huge pages of 2 MiB reserved (want >= $HUGEPAGES)"
		else
			# vm.nr_hugepages is the default-size pool: 2 MiB on
			# x86-64 (and arm64 with 4 KiB pages). Elsewhere write
			# the 2 MiB pool in sysfs.
			knob=$hp
			grep -q '^Hugepagesize: *2048 kB' /proc/meminfo &&
				knob=/proc/sys/vm/nr_hugepages
			change "reserve $HUGEPAGES huge pages of 2 MiB in $knob (had $cur2m)" \
				sh -c "echo $HUGEPAGES > $knob"
			if [ "$CHECK" = 0 ]; then
				got="$(cat "$hp")"
				[ "$got" -ge "$HUGEPAGES" ] ||
					warn "only $got of $HUGEPAGES huge pages (fragmented memory; reserve at boot with hugepages=$HUGEPAGES)"
			fi
		fi
		if mountpoint -q "$HUGETLBFS" &&
		   [ "$(stat -f -c %T "$HUGETLBFS")" = hugetlbfs ]; then
			ok "hugetlbfs mounted at $HUGETLBFS"
		else
			[ -d "$HUGETLBFS" ] || change "mkdir $HUGETLBFS" mkdir -p "$HUGETLBFS"
			change "mount hugetlbfs (pagesize=2M) at $HUGETLBFS" \
				mount -t hugetlbfs -o pagesize=2M nodev "$HUGETLBFS"
		fi
		if [ -n "$DP_USER" ]; then
			own_dir "$HUGETLBFS/devplane" 0750
		else
			own_dir "$HUGETLBFS/devplane" 0755
		fi
	fi
fi

# ---- NIC -------------------------------------------------------------------
if [ -n "$IFACE" ]; then
	if ! ip link show dev "$IFACE" >/dev/null 2>&1; then
		echo "host-setup: no interface $IFACE" >&2
		exit 1
	fi
	if ! command -v ethtool >/dev/null; then
		echo "host-setup: ethtool not installed (apt-get install ethtool)" >&2
		exit 1
	fi
	if [ -n "$QUEUES" ]; then
		# "Combined:" appears twice: pre-set maximum, then current.
		chan="$(ethtool -l "$IFACE" 2>/dev/null || true)"
		max="$(awk '/^Combined:/ { n++; if (n == 1) print $2 }' <<<"$chan")"
		cur="$(awk '/^Combined:/ { n++; if (n == 2) print $2 }' <<<"$chan")"
		if [ -z "$cur" ] || ! isnum "$cur"; then
			warn "$IFACE: driver reports no combined channels; queues left alone"
		elif [ "$cur" = "$QUEUES" ]; then
			ok "$IFACE: $cur combined channels"
		elif isnum "$max" && [ "$QUEUES" -gt "$max" ]; then
			warn "$IFACE: $QUEUES channels wanted, the driver allows $max; left at $cur"
		else
			change "$IFACE: combined channels $cur -> $QUEUES" \
				ethtool -L "$IFACE" combined "$QUEUES"
		fi
	fi
	feat="$(ethtool -k "$IFACE" 2>/dev/null || true)"
	for f in generic-receive-offload large-receive-offload; do
		short=gro
		[ "$f" = large-receive-offload ] && short=lro
		line="$(grep "^$f:" <<<"$feat" || true)"
		if [ -z "$line" ]; then
			ok "$IFACE: no $short"
		elif [[ "$line" == *": off"* ]]; then
			ok "$IFACE: $short off"
		elif [[ "$line" == *"[fixed]"* ]]; then
			warn "$IFACE: $short is on and fixed by the driver"
		else
			change "$IFACE: $short off" ethtool -K "$IFACE" "$short" off
		fi
	done
fi

# ---- socket buffers ------------------------------------------------------------
for k in rmem_max wmem_max; do
	cur="$(cat /proc/sys/net/core/$k)"
	if [ "$cur" -ge "$SOCKBUF" ]; then
		ok "net.core.$k = $cur (want >= $SOCKBUF)"
	else
		change "net.core.$k $cur -> $SOCKBUF" \
			sh -c "echo $SOCKBUF > /proc/sys/net/core/$k"
	fi
done

if [ "$failed" = 1 ]; then
	echo "host-setup: some steps failed" >&2
	exit 1
fi
if [ "$CHECK" = 1 ] && [ "$pending" = 1 ]; then
	echo "host-setup: not ready (run without --check as root to apply)"
	exit 1
fi
echo "host-setup: ready"
