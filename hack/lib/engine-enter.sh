#!/usr/bin/env bash
# Runs inside a fresh private mount namespace (hack/lib/engine.sh starts it with
# unshare): mounts an overlay of the engine root fs, pivots into it and execs the
# engine, which keeps this process id. chroot is not enough: runc then fails to
# move its rootfs mounts; and the engine must not run on the host root, since it
# bind-mounts over /etc/resolv.conf and relinks /usr/bin/iptables*.
set -euo pipefail
lower=$1 upper=$2 work=$3 merged=$4 state=$5 sockdir=$6 config=$7
shift 7

mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$merged"
mkdir -p "$merged"/{proc,sys,dev,tmp,var/lib/dagger,run/dagger,etc/dagger,.oldroot}
mount -t proc proc "$merged/proc"
mount --rbind /sys "$merged/sys"
mount --rbind /dev "$merged/dev"
mount -t tmpfs tmpfs "$merged/tmp"
mount --bind "$state" "$merged/var/lib/dagger"
mount --bind "$sockdir" "$merged/run/dagger"
mount --bind "$config" "$merged/etc/dagger"
cd "$merged"
pivot_root . .oldroot
cd /
umount -l /.oldroot
exec "$@"
