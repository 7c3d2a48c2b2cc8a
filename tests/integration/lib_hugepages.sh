# SPDX-License-Identifier: MIT
# tests/integration/lib_hugepages.sh - reserving 2 MiB huge pages for one
# test (sourced; root). The reservation is global: two tests raising and
# restoring /proc/sys/vm/nr_hugepages at once would take each other's
# pages, so the whole test holds a lock (fd 8) from the reservation to its
# exit, and restores the count it found.
HP_NR=/proc/sys/vm/nr_hugepages
HP_OLD=

# hugepages_lock: the lock (waits up to 10 minutes for another test to
# finish) and the count to restore.
hugepages_lock() {
	[ -n "$HP_OLD" ] && return 0
	exec 8>/run/lock/devplane-hugepages.lock
	flock -w 600 8 || { echo "FAIL: huge page lock held too long"; exit 1; }
	HP_OLD=$(cat $HP_NR)
}

# hugepages_reserve N: N more pages than the host had.
hugepages_reserve() {
	hugepages_lock
	echo $((HP_OLD + $1)) >$HP_NR
}

# hugepages_restore: back to the count found (the lock goes with the
# process).
hugepages_restore() {
	[ -n "$HP_OLD" ] && echo "$HP_OLD" >$HP_NR
	HP_OLD=
}
